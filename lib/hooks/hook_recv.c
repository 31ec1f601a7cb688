/* recvfrom, recvmsg, recvmmsg on rewritten sockets: the kernel's IPv6
 * source addresses and ancillary data are turned back into what the
 * program's socket family would deliver. Other sockets pass straight
 * through. Short name buffers follow POSIX: truncated, full length
 * reported (recvfrom(2)). */
#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "export.h"
#include "core/sockaddr.h"
#include "translate/datagram_heal.h"
#include "translate/icmp_io.h"
#include "translate/msg_shadow.h"
#include "sys/realcalls.h"
#include "translate/translate.h"

/* For datagram_heal.h: a datagram came on fd, a translated UDP socket,
 * from its connected peer (read only while an answer is awaited). */
static void answered_by_peer(int fd)
{
	if (!clat_heal_datagram_waiting())
		return;
	struct sockaddr_in6 peer;
	struct sockaddr_in v4;
	socklen_t len = sizeof(peer);
	int saved_errno = errno;
	if (CLAT_REAL(getpeername)(fd, (struct sockaddr *)&peer, &len) == 0 &&
	    peer.sin6_family == AF_INET6 && clat_embedded_ipv4(&peer, &v4))
		clat_heal_datagram_in(&v4);
	errno = saved_errno;
}

/* Declared by glibc only under _FORTIFY_SOURCE; fortified programs (all of
 * Debian's) call it instead of recvfrom. */
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
		       struct sockaddr *addr, socklen_t *addrlen);

CLAT_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
			     struct sockaddr *addr, socklen_t *addrlen)
{
	const struct clat_fd *rec = clat_fd_rewritten(fd);
	if (clat_fd_is_icmp(rec)) {
		/* The kernel's answer to a name it cannot write (recvfrom(2)). */
		if (addrlen != NULL &&
		    (!clat_pointer_usable(addrlen) || (addr != NULL && !clat_pointer_usable(addr)))) {
			errno = EFAULT;
			return -1;
		}
		struct iovec one = { buf, len };
		struct msghdr msg = { .msg_name = addrlen ? addr : NULL,
				      .msg_namelen = addrlen ? *addrlen : 0,
				      .msg_iov = &one, .msg_iovlen = 1 };
		ssize_t got = clat_icmp_recvmsg(fd, rec, &msg, flags);
		if (got >= 0 && addrlen != NULL)
			*addrlen = msg.msg_namelen;
		return got;
	}
	if (rec == NULL || !clat_pointer_usable(addr) || !clat_pointer_usable(addrlen)) {
		ssize_t got = CLAT_REAL(recvfrom)(fd, buf, len, flags, addr, addrlen);
		if (got >= 0 && rec != NULL && rec->kind == CLAT_KIND_DGRAM)
			answered_by_peer(fd);
		return got;
	}

	struct sockaddr_storage kernel;
	socklen_t kernel_len = sizeof(kernel);
	ssize_t got = CLAT_REAL(recvfrom)(fd, buf, len, flags,
					    (struct sockaddr *)&kernel, &kernel_len);
	if (got < 0)
		return got;
	if (kernel_len == 0) {
		*addrlen = 0; /* stream socket: no address */
		return got;
	}
	struct sockaddr_storage view;
	socklen_t view_len = clat_peer_view(clat_fd_state(rec), (struct sockaddr_in6 *)&kernel,
					    &view);
	if (rec->kind == CLAT_KIND_DGRAM && view_len == sizeof(struct sockaddr_in))
		clat_heal_datagram_in((const struct sockaddr_in *)&view);
	clat_sockaddr_copy_out(&view, view_len, addr, addrlen);
	return got;
}

CLAT_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
				   struct sockaddr *addr, socklen_t *addrlen)
{
	if (len > buflen) /* let libc report the overflow as it always does */
		return CLAT_REAL(__recvfrom_chk)(fd, buf, len, buflen, flags, addr, addrlen);
	return recvfrom(fd, buf, len, flags, addr, addrlen);
}

/* A header and name buffer the library may read and write; otherwise the
 * call goes to the kernel, whose answer is EFAULT (recvmsg(2)). */
static bool header_usable(const struct msghdr *msg)
{
	return clat_pointer_usable(msg) &&
	       (msg->msg_name == NULL || clat_pointer_usable(msg->msg_name));
}

/* For datagram_heal.h: the sender as the program now sees it in msg, or
 * the connected peer when msg carries no IPv4 name. */
static void datagram_arrived(int fd, const struct msghdr *msg)
{
	const struct sockaddr_in *from = msg->msg_name;
	if (from != NULL && msg->msg_namelen >= sizeof(*from) && from->sin_family == AF_INET)
		clat_heal_datagram_in(from);
	else
		answered_by_peer(fd);
}

CLAT_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	const struct clat_fd *rec = clat_fd_rewritten(fd);
	if (rec == NULL || !header_usable(msg))
		return CLAT_REAL(recvmsg)(fd, msg, flags);
	if (clat_fd_is_icmp(rec))
		return clat_icmp_recvmsg(fd, rec, msg, flags);

	struct clat_msg_shadow shadow;
	struct msghdr kernel;
	clat_shadow_recv_prepare(rec, msg, &shadow, &kernel);
	ssize_t got = CLAT_REAL(recvmsg)(fd, &kernel, flags);
	if (got >= 0) {
		clat_shadow_recv_finish(rec, msg, &shadow, &kernel);
		if (rec->kind == CLAT_KIND_DGRAM)
			datagram_arrived(fd, msg);
	}
	return got;
}

CLAT_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
			 struct timespec *timeout)
{
	const struct clat_fd *rec = clat_fd_rewritten(fd);
	if (rec == NULL || !clat_pointer_usable(vec) || vlen == 0)
		return CLAT_REAL(recvmmsg)(fd, vec, vlen, flags, timeout);
	unsigned int count = vlen < CLAT_SHADOW_BATCH ? vlen : CLAT_SHADOW_BATCH;
	for (unsigned int i = 0; i < count; i++)
		if (!header_usable(&vec[i].msg_hdr))
			return CLAT_REAL(recvmmsg)(fd, vec, vlen, flags, timeout);
	if (clat_fd_is_icmp(rec)) { /* one message; recvmmsg(2) may return fewer */
		ssize_t got = clat_icmp_recvmsg(fd, rec, &vec[0].msg_hdr, flags & ~MSG_WAITFORONE);
		if (got < 0)
			return -1;
		vec[0].msg_len = (unsigned int)got;
		return 1;
	}

	struct clat_msg_shadow shadow[CLAT_SHADOW_BATCH];
	struct mmsghdr kernel[CLAT_SHADOW_BATCH];
	for (unsigned int i = 0; i < count; i++) {
		clat_shadow_recv_prepare(rec, &vec[i].msg_hdr, &shadow[i], &kernel[i].msg_hdr);
		kernel[i].msg_len = 0;
	}
	int got = CLAT_REAL(recvmmsg)(fd, kernel, count, flags, timeout);
	for (int i = 0; i < got; i++) {
		clat_shadow_recv_finish(rec, &vec[i].msg_hdr, &shadow[i], &kernel[i].msg_hdr);
		vec[i].msg_len = kernel[i].msg_len;
		if (rec->kind == CLAT_KIND_DGRAM)
			datagram_arrived(fd, &vec[i].msg_hdr);
	}
	return got;
}

/* recv(2) is recvfrom(2) without an address: hooked for ICMP sockets,
 * and to see answers on UDP ones (datagram_heal.h). */
CLAT_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	const struct clat_fd *rec = clat_fd_rewritten(fd);
	if (!clat_fd_is_icmp(rec)) {
		ssize_t got = CLAT_REAL(recv)(fd, buf, len, flags);
		if (got >= 0 && rec != NULL && rec->kind == CLAT_KIND_DGRAM)
			answered_by_peer(fd);
		return got;
	}
	return recvfrom(fd, buf, len, flags, NULL, NULL);
}

ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);

/* The fortified recv (_FORTIFY_SOURCE builds, as Debian's). */
CLAT_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	if (len > buflen) /* let libc report the overflow as it always does */
		return CLAT_REAL(__recv_chk)(fd, buf, len, buflen, flags);
	return recv(fd, buf, len, flags);
}
