/* sendto/sendmsg with an AF_INET address: on an IPv4 UDP socket whose
 * destination the policy translates, the socket becomes its twin first;
 * on a twin, the data is sent by the supervisor to the IPv6 form of the
 * address (synthesised, or v4-mapped for a destination kept on IPv4).
 * Stream sockets ignore the address (connected TCP): the kernel's. Bad
 * arguments: CONTINUE, so the kernel gives its own errno. Control messages
 * go in their IPv6 form (core/cmsg.c: IP_PKTINFO, IP_TOS, IP_TTL). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/cmsg.h"
#include "core/remote_msg.h"
#include "supervise.h"

/* Our twin for the program's fd, made now if fd is an IPv4 UDP socket
 * sending to a translated destination; -1: leave the call to the kernel. */
static int datagram_twin(struct clat_sv_req *req, int fd, const struct sockaddr_in *dst,
			 struct sockaddr_in6 *dst6)
{
	const char *why;
	int type, protocol;
	int mine = clat_sv_datagram_twin(req, fd);
	if (mine >= 0) {
		clat_sv_destination(req->settings, dst, true, dst6, NULL, &why);
		return mine;
	}
	int old = clat_sv_ipv4_socket(req, fd, &type, &protocol);
	if (old < 0)
		return -1;
	if (type != SOCK_DGRAM ||
	    clat_sv_destination(req->settings, dst, false, dst6, NULL, &why) != CLAT_SV_DEST_TRANSLATED) {
		close(old);
		return -1;
	}
	int64_t unused;
	int fresh = clat_sv_swap(req, fd, old, type, protocol, NULL, &unused);
	if (fresh < 0)
		clat_sv_log(req->settings, "send: fd %d stays IPv4: %s", fd, strerror((int)-fresh));
	return fresh < 0 ? -1 : fresh;
}

static void prepare_to_block(int twin, int flags)
{
	if (!(flags & MSG_DONTWAIT) && !(fcntl(twin, F_GETFL) & O_NONBLOCK))
		clat_sv_may_block();
}

int64_t clat_sv_on_sendto(struct clat_sv_req *req)
{
	const __u64 *a = req->notif->data.args;
	struct sockaddr_in dst;
	struct sockaddr_in6 dst6;
	if (!clat_sv_read_ipv4(req, 4, &dst))
		return CLAT_SV_CONTINUE;
	int twin = datagram_twin(req, (int)a[0], &dst, &dst6);
	if (twin < 0)
		return CLAT_SV_CONTINUE;
	size_t len = a[2] > CLAT_SV_BUF_MAX ? CLAT_SV_BUF_MAX : (size_t)a[2];
	char *data = malloc(len ? len : 1);
	int64_t rc = -ENOMEM;
	if (data != NULL && clat_sv_read((pid_t)req->notif->pid, a[1], data, len) != (ssize_t)len) {
		rc = -EFAULT; /* the data is read once the destination is known */
	} else if (data != NULL) {
		prepare_to_block(twin, (int)a[3]);
		ssize_t n = sendto(twin, data, len, (int)a[3] | MSG_NOSIGNAL,
				   (struct sockaddr *)&dst6, sizeof(dst6));
		rc = n >= 0 ? n : -errno;
	}
	free(data);
	close(twin);
	return rc;
}

/* The whole message gathered into one buffer (at most CLAT_SV_BUF_MAX);
 * NULL with *err the kernel's errno for a bad iovec array. */
static char *gather(pid_t tid, const struct clat_remote_msghdr *m, size_t *total, int *err)
{
	struct clat_remote_iov iov[CLAT_REMOTE_IOV_MAX];
	unsigned char raw[CLAT_REMOTE_IOV_MAX * CLAT_REMOTE_IOVEC_SIZE];
	size_t want = (size_t)m->iovlen * CLAT_REMOTE_IOVEC_SIZE;
	uint64_t sum;
	ssize_t got = clat_sv_read(tid, m->iov, raw, want);
	*err = got < 0 ? -EFAULT :
		clat_remote_iov_decode(raw, (size_t)got, (size_t)m->iovlen, iov, &sum);
	if (*err == 0 && sum > CLAT_SV_BUF_MAX)
		*err = -EMSGSIZE;
	if (*err != 0)
		return NULL;
	char *data = malloc(sum ? sum : 1);
	size_t at = 0;
	*err = -ENOMEM;
	for (size_t i = 0; data != NULL && i < m->iovlen; i++) {
		if (clat_sv_read(tid, iov[i].base, data + at, iov[i].len) != (ssize_t)iov[i].len) {
			free(data);
			*err = -EFAULT;
			return NULL;
		}
		at += iov[i].len;
	}
	*total = at;
	return data;
}

/* One message of the program's (header m) sent on twin to name (NULL:
 * none, the twin's peer), with the control messages in their IPv6 form.
 * The result of the send, or -errno. */
static int64_t send_message(pid_t tid, int twin, const struct clat_remote_msghdr *m,
			    const void *name, socklen_t namelen, int flags)
{
	/* From here the destination is known: bad memory is the errno the
	 * kernel gives when it copies the message. */
	size_t total = 0;
	int64_t rc;
	int err;
	char *data = gather(tid, m, &total, &err);
	size_t ctl6_room = m->controllen ? clat_cmsg_ipv6_space((size_t)m->controllen) : 0;
	char *control = data != NULL ? malloc(m->controllen ? m->controllen : 1) : NULL;
	char *control6 = control != NULL ? malloc(ctl6_room ? ctl6_room : 1) : NULL;
	size_t ctl6_len = 0;
	if (data == NULL)
		rc = err;
	else if (control == NULL || control6 == NULL)
		rc = -ENOMEM;
	else if (clat_sv_read(tid, m->control, control, m->controllen) != (ssize_t)m->controllen)
		rc = -EFAULT;
	else if (m->controllen &&
		 (ctl6_len = clat_cmsg_to_ipv6(control, m->controllen, control6, ctl6_room)) ==
			 (size_t)-1)
		rc = -EINVAL; /* a malformed control buffer (cmsg(3)) */
	else {
		struct iovec iov = { data, total };
		struct msghdr msg = { .msg_name = (void *)name, .msg_namelen = name ? namelen : 0,
				      .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = ctl6_len ? control6 : NULL,
				      .msg_controllen = ctl6_len };
		prepare_to_block(twin, flags);
		ssize_t n = sendmsg(twin, &msg, flags | MSG_NOSIGNAL);
		rc = n >= 0 ? n : -errno;
	}
	free(data);
	free(control);
	free(control6);
	return rc;
}

/* The header at addr and its name: 0, or the kernel's errno for the
 * header; *kind says what the name is (IPv4 in *dst, raw bytes in name). */
static int read_message(pid_t tid, uint64_t addr, struct clat_remote_msghdr *m,
			unsigned char name[CLAT_REMOTE_ADDR_MAX], enum clat_remote_addr *kind,
			struct sockaddr_in *dst)
{
	unsigned char raw[CLAT_REMOTE_MSGHDR_SIZE];
	ssize_t got = clat_sv_read(tid, addr, raw, sizeof(raw));
	int err = got < 0 ? -EFAULT : clat_remote_msghdr_decode(raw, (size_t)got, 1, m);
	if (err == 0 && m->controllen > 65536)
		err = -ENOBUFS;
	if (err != 0)
		return err;
	got = m->name ? clat_sv_read(tid, m->name, name, m->namelen) : 0;
	if (got < 0)
		return -EFAULT;
	*kind = clat_remote_sockaddr(m->name, m->namelen, name, (size_t)got, dst);
	return 0;
}

int64_t clat_sv_on_sendmsg(struct clat_sv_req *req)
{
	const __u64 *a = req->notif->data.args;
	pid_t tid = (pid_t)req->notif->pid;
	unsigned char name[CLAT_REMOTE_ADDR_MAX];
	struct clat_remote_msghdr m;
	enum clat_remote_addr kind;
	struct sockaddr_in dst;
	struct sockaddr_in6 dst6;
	if (read_message(tid, a[1], &m, name, &kind, &dst) != 0 || kind != CLAT_REMOTE_ADDR_IPV4)
		return CLAT_SV_CONTINUE;
	int twin = datagram_twin(req, (int)a[0], &dst, &dst6);
	if (twin < 0)
		return CLAT_SV_CONTINUE;
	int64_t rc = send_message(tid, twin, &m, &dst6, sizeof(dst6), (int)a[2]);
	close(twin);
	return rc;
}

/* sendmmsg(2): the first message decides, as the library's hook does.
 * With an IPv4 name it may make the twin; without one, a datagram twin
 * already there takes the batch (later messages may name IPv4 peers,
 * which the kernel would refuse on the IPv6 socket). Each message is one
 * sendmsg on the twin; msg_len is written back per message; an error
 * after the first message ends the batch with the count sent (the
 * kernel's rule). */
int64_t clat_sv_on_sendmmsg(struct clat_sv_req *req)
{
	const __u64 *a = req->notif->data.args;
	pid_t tid = (pid_t)req->notif->pid;
	int fd = (int)a[0], flags = (int)a[3];
	/* The kernel takes at most UIO_MAXIOV messages (sendmmsg(2)). */
	unsigned vlen = a[2] > CLAT_REMOTE_IOV_MAX ? CLAT_REMOTE_IOV_MAX : (unsigned)a[2];
	unsigned char name[CLAT_REMOTE_ADDR_MAX];
	struct clat_remote_msghdr m;
	enum clat_remote_addr kind;
	struct sockaddr_in dst;
	struct sockaddr_in6 dst6;
	if (vlen == 0 || read_message(tid, a[1], &m, name, &kind, &dst) != 0)
		return CLAT_SV_CONTINUE;
	int twin = kind == CLAT_REMOTE_ADDR_IPV4 ? datagram_twin(req, fd, &dst, &dst6) :
						   clat_sv_datagram_twin(req, fd);
	if (twin < 0)
		return CLAT_SV_CONTINUE;
	int64_t sent = 0;
	for (unsigned i = 0; i < vlen; i++) {
		uint64_t at = a[1] + (uint64_t)i * CLAT_REMOTE_MMSGHDR_SIZE;
		int64_t rc = i == 0 ? 0 : read_message(tid, at, &m, name, &kind, &dst);
		const void *to = NULL;
		socklen_t tolen = 0;
		if (rc == 0 && kind == CLAT_REMOTE_ADDR_IPV4) {
			const char *why;
			clat_sv_destination(req->settings, &dst, true, &dst6, NULL, &why);
			to = &dst6, tolen = sizeof(dst6);
		} else if (rc == 0 && kind == CLAT_REMOTE_ADDR_OTHER) {
			to = name, tolen = m.namelen;
		}
		if (rc == 0)
			rc = send_message(tid, twin, &m, to, tolen, flags);
		if (!clat_sv_batch_record(tid, at, rc, &sent))
			break;
	}
	close(twin);
	return sent;
}
