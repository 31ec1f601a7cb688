#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "core/sockopt.h"
#include "translate/family_switch.h"
#include "state/log.h"
#include "sys/realcalls.h"
#include "sys/lazy_libc.h" /* last: see there */

/* TCP, UDP, ping sockets and raw ICMP sockets are switched (ICMP becomes
 * ICMPv6); SCTP, other raw protocols and the rest stay as they are. */
static bool eligible(int fd, const struct clat_fd *rec, int *type, int *protocol,
		     uint8_t *kind)
{
	int domain = 0;
	socklen_t len = sizeof(int);
	if (clat_fd_state(rec) == CLAT_FD_INET && rec->sock_type != 0) {
		/* Seen in socket(): no need to ask the kernel (3 system calls
		 * per connection, bench/README.md). */
		*type = rec->sock_type;
		*protocol = rec->sock_protocol;
	} else if (CLAT_REAL(getsockopt)(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 ||
		   domain != AF_INET ||
		   CLAT_REAL(getsockopt)(fd, SOL_SOCKET, SO_TYPE, type, &(socklen_t){ sizeof(int) }) != 0 ||
		   CLAT_REAL(getsockopt)(fd, SOL_SOCKET, SO_PROTOCOL, protocol,
				    &(socklen_t){ sizeof(int) }) != 0) {
		return false;
	}
	if (*type == SOCK_STREAM && *protocol == IPPROTO_TCP)
		*kind = CLAT_KIND_STREAM;
	else if (*type == SOCK_DGRAM && *protocol == IPPROTO_UDP)
		*kind = CLAT_KIND_DGRAM;
	else if (*type == SOCK_DGRAM && *protocol == IPPROTO_ICMP)
		*kind = CLAT_KIND_PING;
	else if (*type == SOCK_RAW && *protocol == IPPROTO_ICMP)
		*kind = CLAT_KIND_RAW_ICMP;
	else
		return false;
	if (*protocol == IPPROTO_ICMP)
		*protocol = IPPROTO_ICMPV6;
	return true;
}

/* ICMPv6 sockets: v4-mapped addresses mean nothing to them; a raw one
 * sees every ICMPv6 message, so let through only what an IPv4 raw ICMP
 * socket would see translated (echo replies and errors, RFC 7915 s5.2),
 * and ask for the hop limit and traffic class that go into the
 * synthesised IPv4 header. */
static int prepare_new_socket(int newfd, uint8_t kind)
{
	int off = 0, on = 1;
	/* A TCP socket connects once, to its translated destination; only
	 * datagram sockets may later talk to a destination kept on IPv4
	 * (::ffff:a.b.c.d), which needs V6ONLY off. */
	if (kind == CLAT_KIND_STREAM)
		return 0;
	if (kind == CLAT_KIND_DGRAM)
		return CLAT_REAL(setsockopt)(newfd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	if (kind == CLAT_KIND_PING)
		return 0;
	struct icmp6_filter filter;
	ICMP6_FILTER_SETBLOCKALL(&filter);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
	ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &filter);
	ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &filter);
	ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &filter);
	ICMP6_FILTER_SETPASS(ICMP6_PARAM_PROB, &filter);
	if (CLAT_REAL(setsockopt)(newfd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter)) != 0 ||
	    CLAT_REAL(setsockopt)(newfd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on)) != 0 ||
	    CLAT_REAL(setsockopt)(newfd, IPPROTO_IPV6, IPV6_RECVTCLASS, &on, sizeof(on)) != 0)
		return -1;
	return 0;
}

/* A filter set before the switch: stream, datagram and ping sockets run it
 * on the transport payload, the same for both families, so the kernel
 * keeps running it; a raw ICMP socket's is run by the library. */
static int replay_filter(int newfd, const struct clat_fd *rec, uint8_t kind)
{
	if (rec->bpf_count == 0 || kind == CLAT_KIND_RAW_ICMP)
		return 0;
	/* The kernel only reads the program (SO_ATTACH_FILTER copies it). */
	struct sock_fprog prog = { .len = (unsigned short)rec->bpf_count,
				   .filter = (struct sock_filter *)rec->bpf };
	return CLAT_REAL(setsockopt)(newfd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

static int replay_options(int newfd, const struct clat_optlog *log)
{
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
		if (CLAT_REAL(setsockopt)(newfd, level, optname, value, len) != 0) {
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
	if (CLAT_REAL(bind)(fd, (struct sockaddr *)&any6, sizeof(any6)) != 0)
		clat_log("switch: fd %d: rebinding [::]:%u failed: %s", fd,
			 ntohs(rec->bound_port), strerror(errno));
}

/* The port an earlier wildcard bind got (the program may have read it with
 * getsockname, so it must not change). */
static in_port_t bound_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	if (CLAT_REAL(getsockname)(fd, (struct sockaddr *)&sin, &len) != 0 ||
	    sin.sin_family != AF_INET)
		return 0;
	return sin.sin_port;
}

/* Puts the new socket back into the epoll sets the old one was in. A set
 * closed meanwhile answers EBADF and is skipped. */
static void replay_epoll(int fd, struct clat_fd *rec)
{
	rec->twin_unsafe |= rec->epoll_count > 0;
	for (unsigned i = 0; i < rec->epoll_count; i++) {
		struct epoll_event ev = { .events = rec->epoll[i].events,
					  .data.u64 = rec->epoll[i].data };
		if (CLAT_REAL(epoll_ctl)(rec->epoll[i].epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
			clat_log("switch: fd %d: re-adding to epoll %d failed: %s", fd,
				 rec->epoll[i].epfd, strerror(errno));
	}
	rec->epoll_count = 0;
}

/* inbound: bind the new socket to [::]:port (V6ONLY off, so IPv4 clients
 * still arrive, as ::ffff:a.b.c.d) before it replaces the old one, so that
 * a failed bind leaves the program's socket untouched. */
static struct clat_fd *switch_family(int fd, const struct sockaddr_in6 *inbound)
{
	int type, protocol;
	uint8_t kind;
	struct clat_fd *rec = clat_fd_obtain(fd);
	if (rec == NULL || clat_fd_state(rec) == CLAT_FD_PINNED || !eligible(fd, rec, &type, &protocol, &kind))
		return NULL;
	if (inbound != NULL && kind != CLAT_KIND_STREAM && kind != CLAT_KIND_DGRAM)
		return NULL;
	static const int off = 0;

	int status_flags = CLAT_REAL(fcntl)(fd, F_GETFL);
	int fd_flags = CLAT_REAL(fcntl)(fd, F_GETFD);
	if (status_flags < 0 || fd_flags < 0)
		return NULL;
	/* O_NONBLOCK goes in with socket(); other status flags (O_ASYNC)
	 * need F_SETFL. */
	bool spare = rec->spare_fd_plus1 > 0;
	int other_flags = status_flags & ~(O_NONBLOCK | O_ACCMODE);
	int newfd = spare ? rec->spare_fd_plus1 - 1
			  : CLAT_REAL(socket)(AF_INET6, type | SOCK_CLOEXEC |
					 ((status_flags & O_NONBLOCK) ? SOCK_NONBLOCK : 0), protocol);
	rec->spare_fd_plus1 = 0; /* used now, or closed below on failure */
	if (newfd < 0) {
		/* EAFNOSUPPORT (ipv6.disable=1), EPERM (seccomp), EMFILE: fail open. */
		clat_log("switch: fd %d: no AF_INET6 socket: %s", fd, strerror(errno));
		return NULL;
	}
	in_port_t port = rec->bound ? bound_port(fd) : 0;
	if (((spare || other_flags != 0) && CLAT_REAL(fcntl)(newfd, F_SETFL, status_flags) != 0) ||
	    prepare_new_socket(newfd, kind) != 0 ||
	    replay_options(newfd, &rec->opts) != 0 ||
	    replay_filter(newfd, rec, kind) != 0 ||
	    (inbound != NULL &&
	     (CLAT_REAL(setsockopt)(newfd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) != 0 ||
	      CLAT_REAL(bind)(newfd, (const struct sockaddr *)inbound, sizeof(*inbound)) != 0)) ||
	    CLAT_REAL(dup3)(newfd, fd, (fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
		clat_log("switch: fd %d: left on IPv4: %s", fd, strerror(errno));
		CLAT_REAL(close)(newfd);
		return NULL;
	}
	CLAT_REAL(close)(newfd);
	rec->kind = kind;
	replay_epoll(fd, rec);
	if (inbound != NULL) {
		rec->bound = true;
		rec->bound_port = inbound->sin6_port;
	} else if (rec->bound) {
		rec->bound_port = port;
		replay_bind(fd, rec);
	}
	/* Last: another thread's recv/send on fd reads kind once it sees the
	 * new state (clat_fd_state() in fdtable.h). */
	clat_fd_set_state(rec, CLAT_FD_TRANSLATED);
	static const char *const kinds[] = { "tcp", "udp", "ping", "raw icmp" };
	clat_log("switch: fd %d is now AF_INET6 (%s)%s", fd, kinds[kind],
		 inbound != NULL ? ", bound to [::] for inbound IPv6 clients" : "");
	return rec;
}

/* The early socket's options as the program gave them (IPv4 names): an
 * AF_INET socket takes them all. */
static int replay_options_verbatim(int newfd, const struct clat_fd *rec)
{
	for (unsigned i = 0; i < rec->opts.count; i++) {
		const struct clat_optlog_entry *e = &rec->opts.entry[i];
		if (CLAT_REAL(setsockopt)(newfd, e->level, e->optname, e->value, e->len) != 0) {
			clat_log("switch back: replaying option %d/%d failed: %s", e->level,
				 e->optname, strerror(errno));
			return -1;
		}
	}
	if (rec->bpf_count == 0)
		return 0;
	struct sock_fprog prog = { .len = (unsigned short)rec->bpf_count,
				   .filter = (struct sock_filter *)rec->bpf };
	return CLAT_REAL(setsockopt)(newfd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

struct clat_fd *clat_switch_back_to_ipv4(int fd)
{
	struct clat_fd *rec = clat_fd_find(fd);
	if (rec == NULL || clat_fd_state(rec) != CLAT_FD_TRANSLATED || !rec->early)
		return NULL;
	int status_flags = CLAT_REAL(fcntl)(fd, F_GETFL);
	int fd_flags = CLAT_REAL(fcntl)(fd, F_GETFD);
	if (status_flags < 0 || fd_flags < 0)
		return NULL;
	int other_flags = status_flags & ~(O_NONBLOCK | O_ACCMODE);
	int newfd = CLAT_REAL(socket)(AF_INET, rec->sock_type | SOCK_CLOEXEC |
				      ((status_flags & O_NONBLOCK) ? SOCK_NONBLOCK : 0),
				      rec->sock_protocol);
	if (newfd < 0) {
		clat_log("switch back: fd %d: no AF_INET socket: %s", fd, strerror(errno));
		return NULL;
	}
	in_port_t port = 0;
	if (rec->bound) {
		struct sockaddr_in6 sin6;
		socklen_t len = sizeof(sin6);
		if (CLAT_REAL(getsockname)(fd, (struct sockaddr *)&sin6, &len) == 0 &&
		    sin6.sin6_family == AF_INET6)
			port = sin6.sin6_port;
	}
	if ((other_flags != 0 && CLAT_REAL(fcntl)(newfd, F_SETFL, status_flags) != 0) ||
	    replay_options_verbatim(newfd, rec) != 0 ||
	    CLAT_REAL(dup3)(newfd, fd, (fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
		clat_log("switch back: fd %d stays AF_INET6: %s", fd, strerror(errno));
		CLAT_REAL(close)(newfd);
		return NULL;
	}
	CLAT_REAL(close)(newfd);
	rec->early = false;
	rec->kind = 0;
	/* The kernel dropped the old file from its epoll sets; the list
	 * stays, for a late switch to replay again. */
	for (unsigned i = 0; i < rec->epoll_count; i++) {
		struct epoll_event ev = { .events = rec->epoll[i].events,
					  .data.u64 = rec->epoll[i].data };
		if (CLAT_REAL(epoll_ctl)(rec->epoll[i].epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
			clat_log("switch back: fd %d: re-adding to epoll %d failed: %s", fd,
				 rec->epoll[i].epfd, strerror(errno));
	}
	if (rec->bound) {
		struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = port };
		rec->bound_port = port;
		if (CLAT_REAL(bind)(fd, (struct sockaddr *)&any, sizeof(any)) != 0)
			clat_log("switch back: fd %d: rebinding 0.0.0.0:%u failed: %s", fd,
				 ntohs(port), strerror(errno));
	}
	clat_fd_set_state(rec, CLAT_FD_INET);
	clat_log("switch back: fd %d is AF_INET again", fd);
	return rec;
}

int clat_twin_stream_socket(const struct clat_fd *rec)
{
	int s = CLAT_REAL(socket)(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (s < 0)
		return -1;
	if (prepare_new_socket(s, CLAT_KIND_STREAM) != 0 || replay_options(s, &rec->opts) != 0 ||
	    replay_filter(s, rec, CLAT_KIND_STREAM) != 0) {
		int err = errno;
		CLAT_REAL(close)(s);
		errno = err;
		return -1;
	}
	return s;
}

struct clat_fd *clat_switch_to_ipv6(int fd)
{
	return switch_family(fd, NULL);
}

struct clat_fd *clat_switch_for_inbound(int fd, in_port_t port)
{
	struct sockaddr_in6 any6 = { .sin6_family = AF_INET6, .sin6_port = port };
	return switch_family(fd, &any6);
}
