/* connect(fd, AF_INET address): a destination the shared policy translates
 * gets the twin, connected to the synthesised address; everything else is
 * the kernel's (CONTINUE), which then also gives every errno for bad
 * arguments. The twin's connect runs on the same file as the program's
 * fd, so it answers as the program's own call would: 0, EINPROGRESS for a
 * non-blocking socket, EALREADY/EISCONN for a repeated call, ECONNREFUSED. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/remote_msg.h"
#include "core/sockaddr.h"
#include "supervise.h"

/* The IPv4 address argument (args[ptr], args[ptr+1]); false for anything
 * the kernel should judge itself. */
bool clat_sv_read_ipv4(struct clat_sv_req *req, int ptr_arg, struct sockaddr_in *out)
{
	uint64_t ptr = req->notif->data.args[ptr_arg];
	uint64_t len = req->notif->data.args[ptr_arg + 1];
	unsigned char bytes[CLAT_REMOTE_ADDR_MAX];
	size_t want = clat_remote_addr_copy_len(len);
	if (ptr == 0 || want < sizeof(struct sockaddr_in))
		return false;
	ssize_t got = clat_sv_read((pid_t)req->notif->pid, ptr, bytes, sizeof(struct sockaddr_in));
	return got > 0 && clat_remote_sockaddr(ptr, len, bytes, (size_t)got, out) ==
		CLAT_REMOTE_ADDR_IPV4;
}

/* Our copy of the program's fd when it is an AF_INET TCP or UDP socket. */
int clat_sv_ipv4_socket(struct clat_sv_req *req, int fd, int *type, int *protocol)
{
	int copy = clat_sv_getfd(req, fd);
	if (copy < 0)
		return -1;
	int domain = 0;
	socklen_t len = sizeof(int);
	if (getsockopt(copy, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_INET &&
	    getsockopt(copy, SOL_SOCKET, SO_TYPE, type, &(socklen_t){ sizeof(int) }) == 0 &&
	    getsockopt(copy, SOL_SOCKET, SO_PROTOCOL, protocol, &(socklen_t){ sizeof(int) }) == 0 &&
	    ((*type == SOCK_STREAM && *protocol == IPPROTO_TCP) ||
	     (*type == SOCK_DGRAM && *protocol == IPPROTO_UDP)))
		return copy;
	close(copy);
	return -1;
}

static int tcp_state(int fd)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0 ? info.tcpi_state : -1;
}

/* A TCP socket that is connecting, connected or listening is the kernel's
 * (EALREADY, EISCONN, EINVAL). */
static bool tcp_closed(int fd) { return tcp_state(fd) == TCP_CLOSE; }

/* A blocking TCP connect is started non-blocking and waited for, so that
 * a signal the program handles ends it with EINTR, as the kernel would
 * (connect_wait.c). The flag is the file's, shared with the program, which
 * is inside this very call on the socket meanwhile. EALREADY for a
 * blocking call means it was interrupted before: connect(2) waits for the
 * same connection again. With several prefixes (all: more than one
 * candidate) a blocking TCP connect races them (stagger.c). */
static int64_t connect_twin(struct clat_sv_req *req, int fd, int twin, int type,
			    const struct sockaddr_in6 *dst, const struct clat_sv_candidates *all)
{
	int flags = fcntl(twin, F_GETFL);
	bool blocking = flags >= 0 && !(flags & O_NONBLOCK);
	int64_t rc;
	if (blocking && type == SOCK_STREAM && all != NULL && all->count > 1) {
		rc = clat_sv_race(req, fd, twin, IPPROTO_TCP, all->at, all->count, CLAT_SV_CONTINUE);
	} else if (blocking && type == SOCK_STREAM && fcntl(twin, F_SETFL, flags | O_NONBLOCK) == 0) {
		rc = connect(twin, (const struct sockaddr *)dst, sizeof(*dst)) == 0 ? 0 : -errno;
		fcntl(twin, F_SETFL, flags);
		if (rc == -EINPROGRESS || rc == -EALREADY) {
			clat_sv_may_block();
			rc = clat_sv_connect_wait(req, twin, dst);
		}
	} else {
		if (blocking)
			clat_sv_may_block();
		rc = connect(twin, (const struct sockaddr *)dst, sizeof(*dst)) == 0 ? 0 : -errno;
	}
	close(twin);
	return rc;
}

int64_t clat_sv_on_connect(struct clat_sv_req *req)
{
	int fd = (int)req->notif->data.args[0];
	struct sockaddr_in dst;
	struct sockaddr_in6 dst6;
	struct clat_sv_candidates all;
	struct clat_sv_twin twin;
	const char *why;
	int mine, type, protocol;
	if (!clat_sv_read_ipv4(req, 1, &dst))
		return CLAT_SV_CONTINUE;
	if (clat_sv_twin_find(req, fd, &twin, &mine)) {
		/* A twin is IPv6: a kept destination goes out as ::ffff:a.b.c.d
		 * (an early twin is dual-stack). */
		if (clat_sv_destination(req->settings, &dst, true, &dst6, &all, &why) ==
		    CLAT_SV_DEST_KEEP)
			clat_sockaddr_v4mapped(&dst, &dst6);
		return connect_twin(req, fd, mine, twin.type, &dst6, &all);
	}
	int old = clat_sv_ipv4_socket(req, fd, &type, &protocol);
	if (old < 0)
		return CLAT_SV_CONTINUE;
	if (clat_sv_destination(req->settings, &dst, false, &dst6, &all, &why) !=
		    CLAT_SV_DEST_TRANSLATED ||
	    (type == SOCK_STREAM && !tcp_closed(old))) {
		close(old);
		return CLAT_SV_CONTINUE;
	}
	int64_t rc;
	int fresh = clat_sv_swap(req, fd, old, type, protocol, &dst6, &rc);
	if (fresh < 0) {
		clat_sv_log(req->settings, "connect: fd %d stays IPv4: %s", fd, strerror((int)-fresh));
		return CLAT_SV_CONTINUE;
	}
	clat_sv_log(req->settings, "connect: fd %d (%s) translated", fd,
		    type == SOCK_STREAM ? "tcp" : "udp");
	/* A socket with a bound port connects after the swap, on the first
	 * prefix only (as the library's race leaves bound sockets alone). */
	if (rc == CLAT_SV_CONTINUE)
		return connect_twin(req, fd, fresh, type, &dst6, NULL);
	if (rc == -EINPROGRESS && !(fcntl(fresh, F_GETFL) & O_NONBLOCK)) {
		if (type == SOCK_STREAM && all.count > 1) {
			rc = clat_sv_race(req, fd, fresh, protocol, all.at, all.count, rc);
		} else {
			clat_sv_may_block();
			rc = clat_sv_connect_wait(req, fresh, &dst6);
		}
	}
	close(fresh);
	return rc;
}
