/* Early twins: socket(AF_INET, SOCK_STREAM) gives the program an AF_INET6
 * socket from the start (dual-stack: IPV6_V6ONLY off), so its connect
 * needs no swap, no option copy and no epoll move. A translated destination
 * is connected to its synthesised address, a kept one (loopback, the
 * never-translate set) as ::ffff:a.b.c.d over the same socket
 * (on_connect.c). The program still sees AF_INET: SO_DOMAIN, getsockname
 * and getpeername are answered with the IPv4 view (on_sockopt.c,
 * on_names.c). A bind or listen turns the socket back into a real AF_INET
 * one first, so a server keeps IPv4 semantics (specific IPv4 binds,
 * accept's addresses).
 *
 * The socket is installed with SECCOMP_ADDFD_FLAG_SEND (Linux 5.14), which
 * answers the call with the new number in the same step; a kernel without
 * it runs the program's own socket() (CONTINUE), and connect swaps. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervise.h"

static atomic_bool send_unsupported;

/* net.ipv6.bindv6only: a new AF_INET6 socket's IPV6_V6ONLY (ipv6(7)),
 * read once; set off on each twin only when it is on. */
static bool v6only_default = true;
static pthread_once_t v6only_once = PTHREAD_ONCE_INIT;

static void read_v6only_default(void)
{
	char c = '1';
	int fd = open("/proc/sys/net/ipv6/bindv6only", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = '1';
		close(fd);
	}
	v6only_default = c != '0';
}

int64_t clat_sv_on_socket(struct clat_sv_req *req)
{
	const __u64 *a = req->notif->data.args;
	int type = (int)a[1], protocol = (int)a[2];
	/* Unknown flags or another protocol: the kernel's to answer. */
	if ((type & ~(SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0 ||
	    (protocol != 0 && protocol != IPPROTO_TCP) || atomic_load(&send_unsupported) ||
	    req->settings->prefixes.count == 0)
		return CLAT_SV_CONTINUE;
	int twin = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | (type & SOCK_NONBLOCK), IPPROTO_TCP);
	if (twin < 0)
		return CLAT_SV_CONTINUE; /* no IPv6 here: the program's own AF_INET socket */
	int off = 0;
	pthread_once(&v6only_once, read_v6only_default);
	if ((v6only_default && setsockopt(twin, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) != 0) ||
	    !clat_sv_twin_register(twin, SOCK_STREAM)) {
		close(twin);
		return CLAT_SV_CONTINUE;
	}
	struct seccomp_notif_addfd addfd = {
		.id = req->notif->id,
		.flags = SECCOMP_ADDFD_FLAG_SEND,
		.srcfd = (uint32_t)twin,
		.newfd_flags = (type & SOCK_CLOEXEC) ? O_CLOEXEC : 0,
	};
	int fd = ioctl(req->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
	int err = errno;
	close(twin);
	if (fd >= 0) {
		clat_sv_log(req->settings, "socket: fd %d is AF_INET6 from socket() on (tcp, early twin)",
			    fd);
		return CLAT_SV_ANSWERED;
	}
	if (err == EINVAL) { /* no SECCOMP_ADDFD_FLAG_SEND before 5.14 */
		atomic_store(&send_unsupported, true);
		return CLAT_SV_CONTINUE;
	}
	/* EMFILE: the program's RLIMIT_NOFILE, socket(2)'s own errno then.
	 * ENOENT: the caller is gone; the answer is ignored. */
	return err == EMFILE ? -EMFILE : CLAT_SV_CONTINUE;
}

/* Neither bound nor connecting/connected: the state in which an AF_INET
 * socket accepts bind and in which the twin can be replaced. */
static bool fresh_socket(int fd)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);
	struct sockaddr_in6 me;
	socklen_t melen = sizeof(me);
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0 &&
	       info.tcpi_state == TCP_CLOSE &&
	       getsockname(fd, (struct sockaddr *)&me, &melen) == 0 && me.sin6_port == 0;
}

/* Replaces the twin (our copy: mine, closed here) at the program's fd with
 * an AF_INET socket carrying its flags, options and epoll registrations;
 * then the program's own call runs on it (CONTINUE). */
static int64_t back_to_ipv4(struct clat_sv_req *req, int fd, int mine, const char *call)
{
	struct stat st;
	int flags = fcntl(mine, F_GETFL);
	int v4 = -1, err = 0;
	if (flags < 0 || fstat(mine, &st) != 0)
		err = errno;
	else if ((v4 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
			      ((flags & O_NONBLOCK) ? SOCK_NONBLOCK : 0), IPPROTO_TCP)) < 0)
		err = errno;
	else if (!clat_sv_copy_options(mine, v4, SOCK_STREAM, AF_INET))
		err = errno ? errno : EINVAL;
	else
		err = -clat_sv_install(req, fd, (uint64_t)st.st_ino, v4);
	close(mine);
	if (v4 >= 0)
		close(v4);
	if (err != 0) {
		clat_sv_log(req->settings, "%s: fd %d cannot become AF_INET again: %s", call, fd,
			    strerror(err));
		return -err;
	}
	clat_sv_log(req->settings, "%s: fd %d is AF_INET again", call, fd);
	return CLAT_SV_CONTINUE;
}

/* bind(fd, AF_INET address) on a twin. An AF_INET socket that is already
 * bound or connected answers EINVAL (__inet_bind), as does the twin. */
int64_t clat_sv_on_bind(struct clat_sv_req *req)
{
	int fd = (int)req->notif->data.args[0];
	struct sockaddr_in sin;
	struct clat_sv_twin twin;
	int mine;
	if (!clat_sv_read_ipv4(req, 1, &sin) || !clat_sv_twin_find(req, fd, &twin, &mine))
		return CLAT_SV_CONTINUE;
	if (twin.type != SOCK_STREAM || !fresh_socket(mine)) {
		close(mine);
		return -EINVAL;
	}
	return back_to_ipv4(req, fd, mine, "bind");
}

/* listen(fd) on an unbound twin: an AF_INET listener on an ephemeral
 * port, as the program asked for. Any other state is the kernel's. */
int64_t clat_sv_on_listen(struct clat_sv_req *req)
{
	int fd = (int)req->notif->data.args[0];
	struct clat_sv_twin twin;
	int mine;
	if (!clat_sv_twin_find(req, fd, &twin, &mine))
		return CLAT_SV_CONTINUE;
	if (twin.type != SOCK_STREAM || !fresh_socket(mine)) {
		close(mine);
		return CLAT_SV_CONTINUE;
	}
	return back_to_ipv4(req, fd, mine, "listen");
}
