/* Installs an AF_INET6 twin over the program's AF_INET socket, under the
 * same fd number, with the same type, file status flags (O_NONBLOCK),
 * close-on-exec flag, options, wildcard port and epoll registrations.
 * SECCOMP_ADDFD_FLAG_SETFD replaces the number atomically, and fails when
 * the notification is gone (the caller was interrupted or died). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervise.h"

#define EPOLL_REGS_MAX 16

/* pidfd_getfd copies always carry FD_CLOEXEC: the program's own flag is
 * in /proc/TID/fdinfo/N ("flags: 02004002", octal). */
static bool child_cloexec(pid_t tid, int fd)
{
	char path[64], line[128];
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)tid, fd);
	FILE *f = fopen(path, "re");
	unsigned long flags = 0;
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "flags: %lo", &flags) == 1)
			break;
	fclose(f);
	return (flags & O_CLOEXEC) != 0;
}

/* The wildcard port the program bound (it may have read it with
 * getsockname); false when the socket is bound to a specific IPv4 address,
 * which an IPv6 socket cannot have. */
static bool bound_port(int old, in_port_t *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	*port = 0;
	if (getsockname(old, (struct sockaddr *)&sin, &len) != 0 || sin.sin_family != AF_INET)
		return false;
	*port = sin.sin_port;
	return sin.sin_addr.s_addr == htonl(INADDR_ANY);
}

/* Made non-blocking, so that a connect started before the swap never
 * blocks; the program's own mode is set before it can see the socket. */
static int new_twin(int old, int type, int protocol)
{
	int twin = socket(AF_INET6, type | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
	if (twin < 0)
		return -errno;
	int off = 0;
	/* A datagram socket may later send to a destination kept on IPv4
	 * (::ffff:a.b.c.d), which needs V6ONLY off; TCP connects once. */
	if ((type == SOCK_DGRAM && setsockopt(twin, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) != 0) ||
	    !clat_sv_copy_options(old, twin, type, AF_INET6)) {
		int err = errno;
		close(twin);
		return -err;
	}
	return twin;
}

int clat_sv_install(struct clat_sv_req *req, int fd, uint64_t old_ino, int fresh)
{
	pid_t tid = (pid_t)req->notif->pid;
	struct clat_sv_epoll_reg regs[EPOLL_REGS_MAX];
	size_t nregs = clat_sv_epoll_find(tid, fd, old_ino, regs, EPOLL_REGS_MAX);
	struct seccomp_notif_addfd addfd = {
		.id = req->notif->id,
		.flags = SECCOMP_ADDFD_FLAG_SETFD,
		.srcfd = (uint32_t)fresh,
		.newfd = (uint32_t)fd,
		.newfd_flags = child_cloexec(tid, fd) ? O_CLOEXEC : 0,
	};
	if (!clat_sv_epoll_add(req, fd, fresh, regs, nregs))
		return errno ? -errno : -EIO;
	/* The number must still hold the socket that was checked: another
	 * thread may have closed it and opened something else meanwhile. */
	if (clat_sv_fd_inode(tid, fd) != old_ino)
		return -EBADF;
	if (ioctl(req->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) < 0)
		return -errno;
	return 0;
}

int clat_sv_swap(struct clat_sv_req *req, int fd, int old, int type, int protocol,
		 const struct sockaddr_in6 *connect_to, int64_t *connect_rc)
{
	int program_flags = fcntl(old, F_GETFL);
	struct stat st;
	in_port_t port;
	if (fstat(old, &st) != 0 || !bound_port(old, &port)) {
		close(old);
		return -EADDRNOTAVAIL;
	}
	int twin = new_twin(old, type, protocol);
	if (twin < 0) {
		close(old);
		return twin;
	}
	/* Known before the program can use it: another thread's getpeername
	 * must already see the IPv4 view. */
	if (!clat_sv_twin_register(twin, type)) {
		int e = errno;
		close(twin);
		close(old);
		return -e;
	}
	/* Connecting before the swap keeps a blocking connect from blocking
	 * here: the program, still inside its call, cannot see the twin yet.
	 * A bound port is rebound only once the old socket is gone, so such
	 * a socket connects after the swap. */
	*connect_rc = CLAT_SV_CONTINUE;
	if (connect_to != NULL && port == 0)
		*connect_rc = connect(twin, (const struct sockaddr *)connect_to,
				      sizeof(*connect_to)) == 0 ? 0 : -errno;
	if (!(program_flags & O_NONBLOCK))
		fcntl(twin, F_SETFL, program_flags & ~O_NONBLOCK);
	int err = -clat_sv_install(req, fd, (uint64_t)st.st_ino, twin);
	close(old); /* releases the old port and, with the program's copy gone, the file */
	if (err != 0) {
		close(twin);
		return -err;
	}
	if (port != 0) {
		struct sockaddr_in6 any6 = { .sin6_family = AF_INET6, .sin6_port = port };
		if (bind(twin, (struct sockaddr *)&any6, sizeof(any6)) != 0)
			clat_sv_log(req->settings, "fd %d: rebinding [::]:%u failed: %s", fd,
				    ntohs(port), strerror(errno));
	}
	return twin;
}
