/* sendto, sendmsg, sendmmsg. errno contract: that of the real call on the
 * socket the program ends up using; in auto mode a datagram to an IPv4
 * destination with no IPv4 route (ENETUNREACH/EHOSTUNREACH) is sent again
 * over the NAT64 once the socket has been switched. */
#include <errno.h>
#include <sys/socket.h>

#include "export.h"
#include "core/sockaddr.h"
#include "translate/icmp_io.h"
#include "translate/msg_shadow.h"
#include "sys/realcalls.h"
#include "translate/translate.h"

struct sendto_args {
	const void *buf;
	size_t len;
	int flags;
};

static ssize_t real_sendto(int fd, const struct sockaddr *addr, socklen_t len,
                           const struct clat_destination *dest, void *ctx)
{
	(void)dest;
	const struct sendto_args *a = ctx;
	if (clat_fd_is_icmp(clat_fd_rewritten(fd))) {
		struct iovec one = { (void *)a->buf, a->len };
		struct msghdr msg = { .msg_name = (void *)addr, .msg_namelen = addr ? len : 0,
				      .msg_iov = &one, .msg_iovlen = 1 };
		return clat_icmp_sendmsg(fd, &msg, a->flags);
	}
	return CLAT_REAL(sendto)(fd, a->buf, a->len, a->flags, addr, len);
}

CLAT_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
			   const struct sockaddr *addr, socklen_t addrlen)
{
	struct sendto_args args = { buf, len, flags };
	return clat_call_dest(fd, addr, addrlen, real_sendto, &args);
}

struct sendmsg_args {
	const struct msghdr *msg;
	int flags;
};

/* Sends msg; once the socket is rewritten, names and ancillary data go
 * through a shadow. The destination the driver chose is not used directly:
 * the shadow derives the same one from msg. */
static ssize_t real_sendmsg(int fd, const struct sockaddr *addr, socklen_t len,
                            const struct clat_destination *dest, void *ctx)
{
	(void)dest;
	const struct sendmsg_args *a = ctx;
	const struct clat_fd *rec = clat_fd_rewritten(fd);
	(void)addr;
	(void)len;
	if (rec == NULL)
		return CLAT_REAL(sendmsg)(fd, a->msg, a->flags);
	struct clat_msg_shadow shadow;
	struct msghdr kernel;
	if (clat_shadow_send_prepare(rec, a->msg, &shadow, &kernel) != 0)
		return -1;
	if (clat_fd_is_icmp(rec))
		return clat_icmp_sendmsg(fd, &kernel, a->flags);
	return CLAT_REAL(sendmsg)(fd, &kernel, a->flags);
}

CLAT_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct sendmsg_args args = { msg, flags };
	if (!clat_pointer_usable(msg))
		return CLAT_REAL(sendmsg)(fd, msg, flags);
	return clat_call_dest(fd, msg->msg_name, msg->msg_namelen, real_sendmsg, &args);
}

struct sendmmsg_args {
	struct mmsghdr *vec;
	unsigned int vlen;
	int flags;
};

static ssize_t send_icmp_batch(int fd, struct mmsghdr *kernel, unsigned int count,
			       const struct sendmmsg_args *a)
{
	unsigned int i;
	for (i = 0; i < count; i++) {
		ssize_t sent = clat_icmp_sendmsg(fd, &kernel[i].msg_hdr, a->flags);
		if (sent < 0)
			return i == 0 ? -1 : (ssize_t)i; /* as sendmmsg(2) reports */
		a->vec[i].msg_len = (unsigned int)sent;
	}
	return i;
}

static ssize_t real_sendmmsg(int fd, const struct sockaddr *addr, socklen_t len,
                             const struct clat_destination *dest, void *ctx)
{
	(void)dest;
	const struct sendmmsg_args *a = ctx;
	const struct clat_fd *rec = clat_fd_rewritten(fd);
	(void)addr;
	(void)len;
	if (rec == NULL)
		return CLAT_REAL(sendmmsg)(fd, a->vec, a->vlen, a->flags);

	struct clat_msg_shadow shadow[CLAT_SHADOW_BATCH];
	struct mmsghdr kernel[CLAT_SHADOW_BATCH];
	unsigned int count = a->vlen < CLAT_SHADOW_BATCH ? a->vlen : CLAT_SHADOW_BATCH;
	for (unsigned int i = 0; i < count; i++) {
		if (clat_shadow_send_prepare(rec, &a->vec[i].msg_hdr, &shadow[i],
					     &kernel[i].msg_hdr) != 0) {
			if (i == 0)
				return -1;
			count = i; /* send the good ones; the next call reports the error */
			break;
		}
		kernel[i].msg_len = 0;
	}
	if (clat_fd_is_icmp(rec)) /* one at a time: each payload is rewritten */
		return send_icmp_batch(fd, kernel, count, a);
	int sent = CLAT_REAL(sendmmsg)(fd, kernel, count, a->flags);
	for (int i = 0; i < sent; i++)
		a->vec[i].msg_len = kernel[i].msg_len;
	return sent;
}

/* The first message decides, as the kernel's route lookup for it would. */
CLAT_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	struct sendmmsg_args args = { vec, vlen, flags };
	if (!clat_pointer_usable(vec) || vlen == 0)
		return CLAT_REAL(sendmmsg)(fd, vec, vlen, flags);
	const struct msghdr *first = &vec[0].msg_hdr;
	return (int)clat_call_dest(fd, first->msg_name, first->msg_namelen, real_sendmmsg,
				   &args);
}

/* send(2) is sendto(2) without an address; it needs hooking only for
 * connected ICMP sockets, whose payload is rewritten. */
CLAT_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	if (!clat_fd_is_icmp(clat_fd_rewritten(fd)))
		return CLAT_REAL(send)(fd, buf, len, flags);
	struct sendto_args args = { buf, len, flags };
	return real_sendto(fd, NULL, 0, NULL, &args);
}
