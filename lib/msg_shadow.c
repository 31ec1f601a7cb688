#include <errno.h>
#include <string.h>

#include "core/cmsg.h"
#include "core/sockaddr.h"
#include "msg_shadow.h"
#include "settings.h"
#include "translate.h"

void clat_shadow_recv_prepare(const struct clat_fd *rec, const struct msghdr *user,
			      struct clat_msg_shadow *shadow, struct msghdr *kernel)
{
	*kernel = *user;
	if (user->msg_name != NULL) {
		kernel->msg_name = &shadow->name;
		kernel->msg_namelen = sizeof(shadow->name);
	}
	if (rec->state == CLAT_FD_TRANSLATED && user->msg_control != NULL &&
	    user->msg_controllen > 0) {
		size_t room = clat_cmsg_ipv6_space(user->msg_controllen);
		kernel->msg_control = shadow->control;
		kernel->msg_controllen = room < sizeof(shadow->control) ? room : sizeof(shadow->control);
	}
}

void clat_shadow_recv_finish(const struct clat_fd *rec, struct msghdr *user,
			     const struct clat_msg_shadow *shadow,
			     const struct msghdr *kernel)
{
	user->msg_flags = kernel->msg_flags;
	if (user->msg_name != NULL) {
		if (kernel->msg_namelen == 0) {
			user->msg_namelen = 0; /* stream socket: no address */
		} else {
			struct sockaddr_storage view;
			socklen_t len = clat_peer_view(rec, (const struct sockaddr_in6 *)&shadow->name,
						       &view);
			clat_sockaddr_copy_out(&view, len, user->msg_name, &user->msg_namelen);
		}
	}
	if (kernel->msg_control == shadow->control) {
		bool truncated = false;
		user->msg_controllen = clat_cmsg_to_ipv4(shadow->control, kernel->msg_controllen,
							 user->msg_control, user->msg_controllen,
							 clat_settings()->config.local_ipv4,
							 &truncated);
		if (truncated)
			user->msg_flags |= MSG_CTRUNC;
	}
}

/* The IPv6 name for a destination given by the program on a rewritten
 * socket; NULL names (connected sockets) stay NULL. */
static void send_name(const struct clat_fd *rec, const struct msghdr *user,
		      struct clat_msg_shadow *shadow, struct msghdr *kernel)
{
	struct sockaddr_in6 *dst6 = (struct sockaddr_in6 *)&shadow->name;
	if (rec->state == CLAT_FD_TRANSLATED &&
	    clat_sockaddr_is_ipv4(user->msg_name, user->msg_namelen)) {
		clat_translated_dest(user->msg_name, dst6);
	} else if (clat_sockaddr_is_v4mapped(user->msg_name, user->msg_namelen)) {
		struct sockaddr_in v4;
		clat_sockaddr_from_v4mapped(user->msg_name, &v4);
		clat_translated_dest(&v4, dst6);
		dst6->sin6_flowinfo = ((const struct sockaddr_in6 *)user->msg_name)->sin6_flowinfo;
	} else {
		return; /* NULL, or already IPv6: the kernel judges it */
	}
	kernel->msg_name = dst6;
	kernel->msg_namelen = sizeof(*dst6);
}

int clat_shadow_send_prepare(const struct clat_fd *rec, const struct msghdr *user,
			     struct clat_msg_shadow *shadow, struct msghdr *kernel)
{
	*kernel = *user;
	send_name(rec, user, shadow, kernel);
	if (rec->state != CLAT_FD_TRANSLATED || user->msg_controllen == 0)
		return 0;
	size_t used = clat_cmsg_to_ipv6(user->msg_control, user->msg_controllen,
					shadow->control, sizeof(shadow->control));
	if (used == (size_t)-1) {
		errno = clat_cmsg_ipv6_space(user->msg_controllen) > sizeof(shadow->control) ?
			ENOBUFS : EINVAL;
		return -1;
	}
	kernel->msg_control = used > 0 ? shadow->control : NULL;
	kernel->msg_controllen = used;
	return 0;
}
