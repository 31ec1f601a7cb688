#include <errno.h>
#include <time.h> /* linux/errqueue.h needs struct timespec */
#include <linux/errqueue.h>
#include <stdint.h>
#include <string.h>

#include "core/cmsg.h"
#include "core/icmp.h"
#include "core/sockaddr.h"
#include "translate/msg_shadow.h"
#include "state/active_prefix.h"
#include "state/settings.h"
#include "translate/translate.h"

void clat_shadow_recv_prepare(const struct clat_fd *rec, const struct msghdr *user,
			      struct clat_msg_shadow *shadow, struct msghdr *kernel)
{
	*kernel = *user;
	if (user->msg_name != NULL) {
		kernel->msg_name = &shadow->name;
		kernel->msg_namelen = sizeof(shadow->name);
	}
	if (clat_fd_state(rec) == CLAT_FD_TRANSLATED && user->msg_control != NULL &&
	    user->msg_controllen > 0) {
		size_t room = clat_cmsg_ipv6_space(user->msg_controllen);
		kernel->msg_control = shadow->control;
		kernel->msg_controllen = room < sizeof(shadow->control) ? room : sizeof(shadow->control);
	}
}

/* IPV6_RECVERR -> IP_RECVERR (RFC 7915 s5.2 for the ICMP type and code):
 * the extended error in IPv4 terms and the offender as AF_INET, the
 * embedded IPv4 of a node inside the prefix or 192.0.0.8 (RFC 7600) for an
 * IPv6 router before the NAT64. Untranslatable errors are dropped. Returns
 * the bytes appended at dst. */
static size_t error_to_ipv4(const struct msghdr *kernel, uint8_t *dst, size_t room,
			    bool *truncated)
{
	struct {
		struct sock_extended_err ee;
		struct sockaddr_in offender;
	} v4;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(kernel); c != NULL;
	     c = CMSG_NXTHDR((struct msghdr *)kernel, c)) {
		struct {
			struct sock_extended_err ee;
			struct sockaddr_in6 offender;
		} v6;
		if (c->cmsg_level != IPPROTO_IPV6 || c->cmsg_type != IPV6_RECVERR ||
		    c->cmsg_len < CMSG_LEN(sizeof(v6.ee)))
			continue;
		memset(&v6, 0, sizeof(v6));
		size_t n = c->cmsg_len - CMSG_LEN(0);
		memcpy(&v6, CMSG_DATA(c), n < sizeof(v6) ? n : sizeof(v6));
		if (!clat_extended_err_to_v4(&v6.ee, &v4.ee))
			return 0;
		struct clat_prefix_set prefixes;
		clat_known_prefixes(&prefixes);
		memset(&v4.offender, 0, sizeof(v4.offender));
		if (v6.offender.sin6_family == AF_INET6) {
			v4.offender.sin_family = AF_INET;
			v4.offender.sin_addr = clat_ipv4_for(&prefixes, &v6.offender.sin6_addr);
		}
		if (CMSG_SPACE(sizeof(v4)) > room) {
			*truncated = true;
			return 0;
		}
		struct cmsghdr out = { .cmsg_len = CMSG_LEN(sizeof(v4)), .cmsg_level = IPPROTO_IP,
				       .cmsg_type = IP_RECVERR };
		memset(dst, 0, CMSG_SPACE(sizeof(v4)));
		memcpy(dst, &out, sizeof(out));
		memcpy(dst + CMSG_LEN(0), &v4, sizeof(v4));
		return CMSG_SPACE(sizeof(v4));
	}
	return 0;
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
			socklen_t len = clat_peer_view(clat_fd_state(rec),
						       (const struct sockaddr_in6 *)&shadow->name,
						       &view);
			clat_sockaddr_copy_out(&view, len, user->msg_name, &user->msg_namelen);
		}
	}
	if (kernel->msg_control == shadow->control) {
		if (user->msg_control == NULL || user->msg_controllen == 0) {
			user->msg_controllen = 0; /* ours alone (raw ICMP hop limit) */
			return;
		}
		bool truncated = false;
		size_t used = clat_cmsg_to_ipv4(shadow->control, kernel->msg_controllen,
						user->msg_control, user->msg_controllen,
						clat_settings()->config.local_ipv4, &truncated);
		used += error_to_ipv4(kernel, (uint8_t *)user->msg_control + used,
				      user->msg_controllen - used, &truncated);
		user->msg_controllen = used;
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
	if (clat_fd_state(rec) == CLAT_FD_TRANSLATED &&
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
	if (clat_fd_state(rec) != CLAT_FD_TRANSLATED || user->msg_controllen == 0)
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
