/* recvfrom/recvmsg asking for the sender on a datagram twin: the supervisor
 * receives, and the program gets the data and the sender as IPv4 (the
 * embedded address, RFC 6052 s2.3, or the v4-mapped one). A call whose
 * result the kernel already writes right (no twin, a stream socket, no
 * name asked for) runs as it is. Control messages come back in their IPv4
 * form (core/cmsg.c: IPV6_PKTINFO -> IP_PKTINFO, TCLASS -> TOS, HOPLIMIT ->
 * TTL). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/cmsg.h"
#include "core/remote_msg.h"
#include "core/sockaddr.h"
#include "supervise.h"

/* The most control-message room copied for a program in one call. */
#define CONTROL_MAX 65536

/* The sender as the program must see it (sockaddr_in, or the IPv6 one
 * unchanged when it has no IPv4 form). */
static socklen_t sender_view(const struct clat_sv_settings *s, const struct sockaddr_in6 *from,
			     socklen_t fromlen, struct sockaddr_storage *out)
{
	struct sockaddr_in sin;
	if (from->sin6_family == AF_INET6 && clat_sv_peer_view(s, from, &sin)) {
		memcpy(out, &sin, sizeof(sin));
		return sizeof(sin);
	}
	memcpy(out, from, fromlen);
	return fromlen;
}

/* The copy-out rule of recvfrom(2): min(room, real) bytes, then the real
 * length; a negative room is EINVAL. */
static int write_name(pid_t tid, uint64_t addr, uint64_t lenp, const void *name,
		      socklen_t namelen)
{
	int32_t room;
	if (clat_sv_read(tid, lenp, &room, sizeof(room)) != (ssize_t)sizeof(room))
		return -EFAULT;
	if (room < 0)
		return -EINVAL;
	size_t n = (size_t)room < namelen ? (size_t)room : namelen;
	int32_t real = (int32_t)namelen;
	if (clat_sv_write(tid, addr, name, n) != 0 ||
	    clat_sv_write(tid, lenp, &real, sizeof(real)) != 0)
		return -EFAULT;
	return 0;
}

/* A blocking receive waits on the twin the way the kernel's would
 * (signals, SO_RCVTIMEO), then receives without blocking; another reader
 * may take the datagram first, so it waits again then. Returns the
 * result of recv_once or -errno. */
static ssize_t receive(struct clat_sv_req *req, int twin, int flags,
		       ssize_t (*recv_once)(int fd, int flags, void *ctx), void *ctx)
{
	bool blocking = !(flags & MSG_DONTWAIT) && !(fcntl(twin, F_GETFL) & O_NONBLOCK);
	if (blocking)
		clat_sv_may_block();
	for (;;) {
		ssize_t n = recv_once(twin, flags | (blocking ? MSG_DONTWAIT : 0), ctx);
		if (n >= 0 || !blocking || (errno != EAGAIN && errno != EWOULDBLOCK))
			return n >= 0 ? n : -errno;
		int64_t rc = clat_sv_wait_ready(req, twin, POLLIN, SO_RCVTIMEO);
		if (rc != 0)
			return rc;
	}
}

struct recvfrom_ctx {
	char *data;
	size_t len;
	struct sockaddr_in6 *from;
	socklen_t *fromlen;
};

static ssize_t recvfrom_once(int fd, int flags, void *arg)
{
	struct recvfrom_ctx *c = arg;
	*c->fromlen = sizeof(*c->from);
	return recvfrom(fd, c->data, c->len, flags, (struct sockaddr *)c->from, c->fromlen);
}

static ssize_t recvmsg_once(int fd, int flags, void *arg)
{
	struct msghdr *msg = arg;
	msg->msg_namelen = sizeof(struct sockaddr_in6);
	return recvmsg(fd, msg, flags);
}

int64_t clat_sv_on_recvfrom(struct clat_sv_req *req)
{
	const __u64 *a = req->notif->data.args;
	pid_t tid = (pid_t)req->notif->pid;
	int32_t room;
	/* The room for the name is checked first: the datagram is not taken
	 * off the queue for a call that cannot report its sender. */
	if (clat_sv_read(tid, a[5], &room, sizeof(room)) != (ssize_t)sizeof(room) || room < 0)
		return CLAT_SV_CONTINUE;
	int twin = clat_sv_datagram_twin(req, (int)a[0]);
	if (twin < 0)
		return CLAT_SV_CONTINUE;
	size_t len = a[2] > CLAT_SV_BUF_MAX ? CLAT_SV_BUF_MAX : (size_t)a[2];
	char *data = malloc(len ? len : 1);
	int64_t rc = -ENOMEM;
	if (data != NULL) {
		struct sockaddr_in6 from;
		socklen_t fromlen = sizeof(from);
		struct sockaddr_storage view;
		struct recvfrom_ctx ctx = { data, len, &from, &fromlen };
		ssize_t n = receive(req, twin, (int)a[3], recvfrom_once, &ctx);
		rc = n;
		if (n >= 0) {
			size_t copy = (size_t)n < len ? (size_t)n : len; /* MSG_TRUNC reports more */
			socklen_t vlen = sender_view(req->settings, &from, fromlen, &view);
			if (clat_sv_write(tid, a[1], data, copy) != 0)
				rc = -EFAULT;
			else if (write_name(tid, a[4], a[5], &view, vlen) != 0)
				rc = -EFAULT;
		}
	}
	free(data);
	close(twin);
	return rc;
}

static int scatter(pid_t tid, const struct clat_remote_iov *iov, size_t count, const char *data,
		   size_t n)
{
	size_t at = 0;
	for (size_t i = 0; i < count && at < n; i++) {
		size_t part = n - at < iov[i].len ? n - at : (size_t)iov[i].len;
		if (clat_sv_write(tid, iov[i].base, data + at, part) != 0)
			return -EFAULT;
		at += part;
	}
	return 0;
}

/* One message received on twin into the program's msghdr at hdr (header
 * m, read from there): data scattered over its iovecs, the sender and the
 * control messages in their IPv4 form, msg_namelen, msg_controllen and
 * msg_flags written back. The length received, or -errno. */
static int64_t receive_message(struct clat_sv_req *req, int twin, uint64_t hdr,
			       const struct clat_remote_msghdr *m, int flags)
{
	pid_t tid = (pid_t)req->notif->pid;
	/* The room the iovecs give, decoded now so that a bad array is the
	 * kernel's errno before anything is received. */
	struct clat_remote_iov iov[CLAT_REMOTE_IOV_MAX];
	unsigned char rawiov[CLAT_REMOTE_IOV_MAX * CLAT_REMOTE_IOVEC_SIZE];
	uint64_t room;
	ssize_t got = clat_sv_read(tid, m->iov, rawiov, (size_t)m->iovlen * CLAT_REMOTE_IOVEC_SIZE);
	int64_t rc = got < 0 ? -EFAULT :
		clat_remote_iov_decode(rawiov, (size_t)got, (size_t)m->iovlen, iov, &room);
	if (rc != 0)
		return rc;
	size_t len = room > CLAT_SV_BUF_MAX ? CLAT_SV_BUF_MAX : (size_t)room;
	size_t ctl_room = m->controllen > CONTROL_MAX ? CONTROL_MAX : (size_t)m->controllen;
	size_t ctl6_room = ctl_room ? clat_cmsg_ipv6_space(ctl_room) : 0;
	char *data = malloc(len ? len : 1);
	char *ctl6 = malloc(ctl6_room ? ctl6_room : 1), *ctl4 = malloc(ctl_room ? ctl_room : 1);
	if (data == NULL || ctl6 == NULL || ctl4 == NULL) {
		free(data);
		free(ctl6);
		free(ctl4);
		return -ENOMEM;
	}
	struct sockaddr_in6 from;
	struct iovec one = { data, len };
	struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from),
			      .msg_iov = &one, .msg_iovlen = 1,
			      .msg_control = ctl6_room ? ctl6 : NULL, .msg_controllen = ctl6_room };
	ssize_t n = receive(req, twin, flags, recvmsg_once, &msg);
	rc = n;
	if (n >= 0) {
		size_t copy = (size_t)n < len ? (size_t)n : len;
		struct sockaddr_storage view;
		socklen_t vlen = sender_view(req->settings, &from, msg.msg_namelen, &view);
		uint32_t namelen = vlen < m->namelen ? vlen : m->namelen;
		bool truncated = false;
		uint64_t controllen = ctl_room ? clat_cmsg_to_ipv4(ctl6, msg.msg_controllen, ctl4, ctl_room,
								  req->settings->local_ipv4, &truncated) : 0;
		int32_t out_flags = msg.msg_flags | (truncated ? MSG_CTRUNC : 0);
		if (scatter(tid, iov, (size_t)m->iovlen, data, copy) != 0 ||
		    (m->name != 0 && clat_sv_write(tid, m->name, &view, namelen) != 0) ||
		    clat_sv_write(tid, hdr + 8, &(int32_t){ m->name ? (int32_t)vlen : 0 }, 4) != 0 ||
		    clat_sv_write(tid, m->control, ctl4, (size_t)controllen) != 0 ||
		    clat_sv_write(tid, hdr + 40, &controllen, sizeof(controllen)) != 0 ||
		    clat_sv_write(tid, hdr + 48, &out_flags, sizeof(out_flags)) != 0)
			rc = -EFAULT;
	}
	free(data);
	free(ctl6);
	free(ctl4);
	return rc;
}

/* The header at addr: 0, or the kernel's errno for it. */
static int read_header(pid_t tid, uint64_t addr, struct clat_remote_msghdr *m)
{
	unsigned char raw[CLAT_REMOTE_MSGHDR_SIZE];
	ssize_t got = clat_sv_read(tid, addr, raw, sizeof(raw));
	return got < 0 ? -EFAULT : clat_remote_msghdr_decode(raw, (size_t)got, 0, m);
}

int64_t clat_sv_on_recvmsg(struct clat_sv_req *req)
{
	const __u64 *a = req->notif->data.args;
	struct clat_remote_msghdr m;
	if (read_header((pid_t)req->notif->pid, a[1], &m) != 0 ||
	    (m.name == 0 && m.controllen == 0))
		return CLAT_SV_CONTINUE;
	int twin = clat_sv_datagram_twin(req, (int)a[0]);
	if (twin < 0)
		return CLAT_SV_CONTINUE;
	int64_t rc = receive_message(req, twin, a[1], &m, (int)a[2]);
	close(twin);
	return rc;
}

/* Nanoseconds on the monotonic clock. */
static int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* recvmmsg(2) on a datagram twin whose first header asks for the sender
 * or control messages (the first message decides, as for sendmmsg): one
 * receive per message. MSG_WAITFORONE makes every receive after the first
 * non-blocking. The timeout is checked after each datagram, as the kernel
 * checks it, and the time left is written back. An error after the first
 * datagram ends the batch with the count received. */
int64_t clat_sv_on_recvmmsg(struct clat_sv_req *req)
{
	const __u64 *a = req->notif->data.args;
	pid_t tid = (pid_t)req->notif->pid;
	int flags = (int)a[3];
	/* The kernel takes at most UIO_MAXIOV messages (recvmmsg(2)). */
	unsigned vlen = a[2] > CLAT_REMOTE_IOV_MAX ? CLAT_REMOTE_IOV_MAX : (unsigned)a[2];
	struct clat_remote_msghdr m;
	if (vlen == 0 || read_header(tid, a[1], &m) != 0 || (m.name == 0 && m.controllen == 0))
		return CLAT_SV_CONTINUE;
	struct timespec timeout;
	int64_t deadline = 0;
	if (a[4] != 0) {
		if (clat_sv_read(tid, a[4], &timeout, sizeof(timeout)) != (ssize_t)sizeof(timeout))
			return -EFAULT;
		if (timeout.tv_sec < 0 || timeout.tv_nsec < 0 || timeout.tv_nsec >= 1000000000)
			return -EINVAL;
		deadline = now_ns() + (int64_t)timeout.tv_sec * 1000000000 + timeout.tv_nsec;
	}
	int twin = clat_sv_datagram_twin(req, (int)a[0]);
	if (twin < 0)
		return CLAT_SV_CONTINUE;
	int64_t received = 0;
	for (unsigned i = 0; i < vlen; i++) {
		uint64_t at = a[1] + (uint64_t)i * CLAT_REMOTE_MMSGHDR_SIZE;
		int one_flags = flags & ~MSG_WAITFORONE;
		if (i > 0 && (flags & MSG_WAITFORONE))
			one_flags |= MSG_DONTWAIT;
		int64_t rc = i == 0 ? 0 : read_header(tid, at, &m);
		if (rc == 0)
			rc = receive_message(req, twin, at, &m, one_flags);
		if (!clat_sv_batch_record(tid, at, rc, &received))
			break;
		if (a[4] != 0 && now_ns() >= deadline)
			break;
	}
	if (a[4] != 0 && received >= 0) {
		int64_t left = deadline - now_ns();
		if (left < 0)
			left = 0;
		timeout.tv_sec = (time_t)(left / 1000000000);
		timeout.tv_nsec = (long)(left % 1000000000);
		clat_sv_write(tid, a[4], &timeout, sizeof(timeout));
	}
	close(twin);
	return received;
}
