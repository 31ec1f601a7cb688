#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "core/sockopt.h"
#include "family_switch.h"
#include "log.h"
#include "realcalls.h"

/* Only TCP and UDP are switched; raw, ICMP, SCTP and others stay as they are. */
static bool eligible(int fd, int *type, int *protocol)
{
	const struct clat_realcalls *real = clat_real();
	int domain = 0;
	socklen_t len = sizeof(int);
	if (real->getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 ||
	    domain != AF_INET)
		return false;
	len = sizeof(int);
	if (real->getsockopt(fd, SOL_SOCKET, SO_TYPE, type, &len) != 0)
		return false;
	len = sizeof(int);
	if (real->getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, protocol, &len) != 0)
		return false;
	return (*type == SOCK_STREAM && *protocol == IPPROTO_TCP) ||
	       (*type == SOCK_DGRAM && *protocol == IPPROTO_UDP);
}

static int replay_options(int newfd, const struct clat_optlog *log)
{
	const struct clat_realcalls *real = clat_real();
	for (unsigned i = 0; i < log->count; i++) {
		const struct clat_optlog_entry *e = &log->entry[i];
		int level = e->level, optname = e->optname;
		int as_int;
		const void *value = e->value;
		socklen_t len = e->len;

		switch (clat_sockopt_classify(e->level, e->optname, &level, &optname)) {
		case CLAT_SOCKOPT_DROP:
			continue;
		case CLAT_SOCKOPT_PINS_IPV4:
			return -1; /* recorded only by mistake: never switch such a socket */
		case CLAT_SOCKOPT_MAP:
			/* IP_TOS may be given as one byte; IPV6_TCLASS wants an int. */
			if (len == 1) {
				as_int = e->value[0];
				value = &as_int;
				len = sizeof(as_int);
			}
			break;
		case CLAT_SOCKOPT_COPY:
			break;
		}
		if (real->setsockopt(newfd, level, optname, value, len) != 0) {
			clat_log("switch: replaying option %d/%d as %d/%d failed: %s",
				 e->level, e->optname, level, optname, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Rebinds the program's wildcard bind. The old socket held the port until
 * dup3 closed it, so this runs after the switch; a port the program chose
 * that is gone by now is reported and the socket left unbound. */
static void replay_bind(int fd, const struct clat_fd *rec)
{
	struct sockaddr_in6 any6 = { .sin6_family = AF_INET6, .sin6_port = rec->bound_port };
	if (clat_real()->bind(fd, (struct sockaddr *)&any6, sizeof(any6)) != 0)
		clat_log("switch: fd %d: rebinding [::]:%u failed: %s", fd,
			 ntohs(rec->bound_port), strerror(errno));
}

/* The port an earlier wildcard bind got (the program may have read it with
 * getsockname, so it must not change). */
static in_port_t bound_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	if (clat_real()->getsockname(fd, (struct sockaddr *)&sin, &len) != 0 ||
	    sin.sin_family != AF_INET)
		return 0;
	return sin.sin_port;
}

/* Puts the new socket back into the epoll sets the old one was in. A set
 * closed meanwhile answers EBADF and is skipped. */
static void replay_epoll(int fd, struct clat_fd *rec)
{
	for (unsigned i = 0; i < rec->epoll_count; i++) {
		struct epoll_event ev = { .events = rec->epoll[i].events,
					  .data.u64 = rec->epoll[i].data };
		if (clat_real()->epoll_ctl(rec->epoll[i].epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
			clat_log("switch: fd %d: re-adding to epoll %d failed: %s", fd,
				 rec->epoll[i].epfd, strerror(errno));
	}
	rec->epoll_count = 0;
}

struct clat_fd *clat_switch_to_ipv6(int fd)
{
	const struct clat_realcalls *real = clat_real();
	int type, protocol;
	struct clat_fd *rec = clat_fd_obtain(fd);
	if (rec == NULL || rec->state == CLAT_FD_PINNED || !eligible(fd, &type, &protocol))
		return NULL;

	int status_flags = real->fcntl(fd, F_GETFL);
	int fd_flags = real->fcntl(fd, F_GETFD);
	if (status_flags < 0 || fd_flags < 0)
		return NULL;
	int newfd = real->socket(AF_INET6, type | SOCK_CLOEXEC, protocol);
	if (newfd < 0) {
		/* EAFNOSUPPORT (ipv6.disable=1), EPERM (seccomp), EMFILE: fail open. */
		clat_log("switch: fd %d: no AF_INET6 socket: %s", fd, strerror(errno));
		return NULL;
	}
	int off = 0;
	in_port_t port = rec->bound ? bound_port(fd) : 0;
	if (real->fcntl(newfd, F_SETFL, status_flags) != 0 ||
	    real->setsockopt(newfd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) != 0 ||
	    replay_options(newfd, &rec->opts) != 0 ||
	    real->dup3(newfd, fd, (fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
		clat_log("switch: fd %d: left on IPv4: %s", fd, strerror(errno));
		real->close(newfd);
		return NULL;
	}
	real->close(newfd);
	rec->state = CLAT_FD_TRANSLATED;
	replay_epoll(fd, rec);
	if (rec->bound) {
		rec->bound_port = port;
		replay_bind(fd, rec);
	}
	clat_log("switch: fd %d is now AF_INET6 (%s)", fd,
		 type == SOCK_STREAM ? "tcp" : "udp");
	return rec;
}
