/* sv_calls: socket calls made the hard way, for the supervisor tests
 * (run-supervise.sh): bad pointers and lengths that must get the kernel's
 * errno, connect's errno rules, names seen as IPv4, a non-blocking connect
 * waited for with epoll, a signal during a blocking connect, the
 * never-translate rules, and threads rewriting an address while it is
 * being read, and UDP batches (sendmmsg/recvmmsg). Run under clatrun
 * --supervise=always.
 *
 *   sv_calls ECHO_IPV4 ECHO_PORT BLACKHOLE_IPV4 LOCAL_IPV4
 *
 * Prints "ok N - what" or "not ok N - what: ..." per check and exits 1 if
 * any failed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static int checks, failures;
static struct sockaddr_in echo_addr, hole_addr;
static struct in_addr local_ipv4;
static void *const bad = (void *)8; /* never mapped */

__attribute__((format(printf, 3, 4)))
static void check(bool good, const char *what, const char *fmt, ...)
{
	checks++;
	if (good) {
		printf("ok %d - %s\n", checks, what);
		return;
	}
	failures++;
	char detail[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	printf("not ok %d - %s: %s\n", checks, what, detail);
}

/* rc -1 with errno want. */
static void check_errno(long rc, int want, const char *what)
{
	int got = rc < 0 ? errno : 0;
	check(rc < 0 && got == want, what, "rc %ld errno %s, want %s", rc, strerror(got),
	      strerror(want));
}

static void check_ok(long rc, const char *what)
{
	int got = errno;
	check(rc >= 0, what, "rc %ld errno %s", rc, rc < 0 ? strerror(got) : "-");
}

static int tcp(void) { return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); }
static int udp(void) { return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); }

static void bad_arguments(void)
{
	int fd = tcp();
	check_errno(syscall(SYS_io_uring_setup, 1, bad), ENOSYS, "io_uring_setup is ENOSYS");
	check_errno(connect(fd, bad, sizeof(echo_addr)), EFAULT, "connect, address pointer bad");
	check_errno(connect(fd, (struct sockaddr *)&echo_addr, 8), EINVAL, "connect, length 8");
	check_errno(connect(fd, (struct sockaddr *)&echo_addr, 1 << 20), EINVAL,
		    "connect, length 1 MiB");
	check_errno(syscall(SYS_connect, fd, &echo_addr, -1L), EINVAL, "connect, length -1");
	close(fd);

	fd = udp();
	char data[8] = "ping\n";
	struct iovec iov = { data, 5 };
	struct msghdr msg = { .msg_name = &echo_addr, .msg_namelen = sizeof(echo_addr),
			      .msg_iov = &iov, .msg_iovlen = 1 };
	msg.msg_iovlen = 1u << 30;
	check_errno(sendmsg(fd, &msg, 0), EMSGSIZE, "sendmsg, 2^30 iovecs");
	msg.msg_iovlen = 1025;
	check_errno(sendmsg(fd, &msg, 0), EMSGSIZE, "sendmsg, 1025 iovecs");
	msg.msg_iovlen = 1;
	check_errno(sendmsg(fd, bad, 0), EFAULT, "sendmsg, msghdr pointer bad");
	msg.msg_iov = bad;
	check_errno(sendmsg(fd, &msg, 0), EFAULT, "sendmsg, iovec pointer bad");
	struct iovec huge = { data, (size_t)SSIZE_MAX + 1 };
	msg.msg_iov = &huge;
	check_errno(sendmsg(fd, &msg, 0), EINVAL, "sendmsg, iov_len past SSIZE_MAX");
	struct iovec badbase = { bad, 5 };
	msg.msg_iov = &badbase;
	check_errno(sendmsg(fd, &msg, 0), EFAULT, "sendmsg, iov_base bad");
	msg.msg_iov = &iov;
	msg.msg_name = bad;
	check_errno(sendmsg(fd, &msg, 0), EFAULT, "sendmsg, name pointer bad");
	msg.msg_name = &echo_addr;
	msg.msg_namelen = (socklen_t)-1;
	check_errno(sendmsg(fd, &msg, 0), EINVAL, "sendmsg, name length -1");
	msg.msg_namelen = 4096; /* shortened to 128 by the kernel */
	check(sendmsg(fd, &msg, 0) == 5, "sendmsg, name length 4096 is sent", "%s", strerror(errno));
	check_errno(sendto(fd, bad, 5, 0, (struct sockaddr *)&echo_addr, sizeof(echo_addr)),
		    EFAULT, "sendto, buffer pointer bad");
	check_errno(sendto(fd, data, 5, 0, bad, sizeof(echo_addr)), EFAULT,
		    "sendto, address pointer bad");
	close(fd);
}

static void names(int fd, const char *kind)
{
	char what[96];
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int rc = getpeername(fd, (struct sockaddr *)&sin, &len);
	snprintf(what, sizeof(what), "%s: getpeername is the IPv4 peer", kind);
	check(rc == 0 && sin.sin_family == AF_INET && sin.sin_addr.s_addr == echo_addr.sin_addr.s_addr &&
	      sin.sin_port == echo_addr.sin_port && len == sizeof(sin), what,
	      "rc %d family %d %s:%u len %u", rc, sin.sin_family, inet_ntoa(sin.sin_addr),
	      ntohs(sin.sin_port), (unsigned)len);
	len = sizeof(sin);
	rc = getsockname(fd, (struct sockaddr *)&sin, &len);
	snprintf(what, sizeof(what), "%s: getsockname is the local IPv4", kind);
	check(rc == 0 && sin.sin_family == AF_INET && sin.sin_addr.s_addr == local_ipv4.s_addr &&
	      sin.sin_port != 0, what, "rc %d family %d %s", rc, sin.sin_family,
	      inet_ntoa(sin.sin_addr));
	char small[4] = { 0 };
	len = sizeof(small);
	rc = getpeername(fd, (struct sockaddr *)small, &len);
	snprintf(what, sizeof(what), "%s: getpeername into 4 bytes reports 16", kind);
	check(rc == 0 && len == sizeof(sin) && small[0] == AF_INET, what, "rc %d len %u", rc,
	      (unsigned)len);
	len = sizeof(sin);
	snprintf(what, sizeof(what), "%s: getpeername, address pointer bad", kind);
	check_errno(getpeername(fd, bad, &len), EFAULT, what);
	snprintf(what, sizeof(what), "%s: getpeername, length pointer bad", kind);
	check_errno(getpeername(fd, (struct sockaddr *)&sin, bad), EFAULT, what);
	len = (socklen_t)-1;
	snprintf(what, sizeof(what), "%s: getsockname, length -1", kind);
	check_errno(getsockname(fd, (struct sockaddr *)&sin, &len), EINVAL, what);
}

static void tcp_connect(void)
{
	int fd = tcp();
	check_ok(connect(fd, (struct sockaddr *)&echo_addr, sizeof(echo_addr)), "tcp: blocking connect");
	check_errno(connect(fd, (struct sockaddr *)&echo_addr, sizeof(echo_addr)), EISCONN,
		    "tcp: second connect is EISCONN");
	names(fd, "tcp");
	char buf[16] = { 0 };
	check(write(fd, "ping\n", 5) == 5 && read(fd, buf, sizeof(buf)) == 5 &&
	      memcmp(buf, "ping\n", 5) == 0, "tcp: echo with write/read", "%s", strerror(errno));
	int tos = 0x20, got = 0;
	socklen_t len = sizeof(got);
	check_ok(setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)), "tcp: IP_TOS set");
	check(getsockopt(fd, IPPROTO_IP, IP_TOS, &got, &len) == 0 && got == tos,
	      "tcp: IP_TOS reads back", "got %d", got);
	check(fcntl(fd, F_GETFD) == FD_CLOEXEC, "tcp: FD_CLOEXEC kept", "%d", fcntl(fd, F_GETFD));
	int domain = 0;
	len = sizeof(domain);
	check(getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_INET,
	      "tcp: SO_DOMAIN is AF_INET", "domain %d", domain);
	close(fd);
}

/* IP_TTL sent as a control message; IP_PKTINFO received as one (the twin
 * gets and gives their IPv6 forms). */
static void control_messages(int fd)
{
	int on = 1;
	check_ok(setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)), "udp: IP_PKTINFO on");
	char buf[16] = "ttl\n";
	union { char bytes[256]; struct cmsghdr align; } control;
	struct iovec iov = { buf, 4 };
	struct msghdr msg = { .msg_name = &echo_addr, .msg_namelen = sizeof(echo_addr),
			      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes,
			      .msg_controllen = CMSG_SPACE(sizeof(int)) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_TTL;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	int ttl = 32;
	memcpy(CMSG_DATA(c), &ttl, sizeof(ttl));
	check(sendmsg(fd, &msg, 0) == 4, "udp: sendmsg with an IP_TTL control message",
	      "%s", strerror(errno));
	struct sockaddr_in from;
	msg.msg_name = &from;
	msg.msg_namelen = sizeof(from);
	msg.msg_controllen = sizeof(control.bytes);
	iov.iov_len = sizeof(buf);
	long n = recvmsg(fd, &msg, 0);
	struct in_pktinfo info = { 0 };
	bool found = false;
	for (c = CMSG_FIRSTHDR(&msg); n == 4 && c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			memcpy(&info, CMSG_DATA(c), sizeof(info));
			found = true;
		}
	}
	check(found && info.ipi_addr.s_addr == local_ipv4.s_addr,
	      "udp: recvmsg gives IP_PKTINFO with the local IPv4", "n %ld found %d addr %s", n,
	      found, inet_ntoa(info.ipi_addr));
}

static void on_alarm(int sig);

/* Nothing queued: a blocking recvfrom ends with EINTR on a handled signal,
 * with EAGAIN when SO_RCVTIMEO runs out, as on a plain socket. */
static void blocked_receive(int fd)
{
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	char buf[16];
	struct sockaddr_in from;
	socklen_t len = sizeof(from);
	alarm(1);
	check_errno(recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len), EINTR,
		    "udp: signal during a blocking recvfrom is EINTR");
	alarm(0);
	struct timeval tv = { .tv_usec = 200000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	len = sizeof(from);
	check_errno(recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len), EAGAIN,
		    "udp: SO_RCVTIMEO ends a blocking recvfrom with EAGAIN");
}

static void udp_calls(void)
{
	int fd = udp();
	char buf[16] = { 0 };
	struct sockaddr_in from;
	socklen_t len = sizeof(from);
	check(sendto(fd, "ping\n", 5, 0, (struct sockaddr *)&echo_addr, sizeof(echo_addr)) == 5,
	      "udp: sendto an IPv4 address", "%s", strerror(errno));
	long n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
	check(n == 5 && from.sin_family == AF_INET && from.sin_addr.s_addr == echo_addr.sin_addr.s_addr &&
	      len == sizeof(from), "udp: recvfrom reports the IPv4 sender", "n %ld family %d %s",
	      n, from.sin_family, inet_ntoa(from.sin_addr));
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			      .msg_iovlen = 1 };
	memset(&from, 0, sizeof(from));
	check(sendto(fd, "pong\n", 5, 0, (struct sockaddr *)&echo_addr, sizeof(echo_addr)) == 5 &&
	      recvmsg(fd, &msg, 0) == 5 && from.sin_family == AF_INET &&
	      msg.msg_namelen == sizeof(from) && memcmp(buf, "pong\n", 5) == 0,
	      "udp: recvmsg reports the IPv4 sender", "family %d namelen %u", from.sin_family,
	      (unsigned)msg.msg_namelen);
	msg.msg_iovlen = 2000;
	check_errno(recvmsg(fd, &msg, MSG_DONTWAIT), EMSGSIZE, "udp: recvmsg, 2000 iovecs");
	msg.msg_iovlen = 1;
	control_messages(fd);
	blocked_receive(fd);
	msg.msg_iovlen = 1;
	check_errno(recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, bad),
		    EAGAIN, "udp: recvfrom, length pointer bad, nothing queued: EAGAIN");
	sendto(fd, "ping\n", 5, 0, (struct sockaddr *)&echo_addr, sizeof(echo_addr));
	check_errno(recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, bad),
		    EFAULT, "udp: recvfrom, length pointer bad, a datagram queued: EFAULT");
	close(fd);

	fd = udp();
	check_ok(connect(fd, (struct sockaddr *)&echo_addr, sizeof(echo_addr)), "udp: connect");
	check(send(fd, "ping\n", 5, 0) == 5 && recv(fd, buf, sizeof(buf), 0) == 5,
	      "udp: connected send/recv", "%s", strerror(errno));
	names(fd, "udp");
	close(fd);
}

/* Receives count echoes with recvmmsg (MSG_WAITFORONE, SO_RCVTIMEO 3 s,
 * at most 10 calls) and checks each: 4 bytes "mmN\n", and, when asked,
 * the IPv4 sender. The number received. */
static int receive_batch(int fd, int count, bool names, unsigned *seen)
{
	struct mmsghdr in[3];
	struct iovec iov[3];
	char buf[3][16];
	struct sockaddr_in from[3];
	struct timeval tv = { .tv_sec = 3 };
	int got = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	*seen = 0;
	for (int calls = 0; got < count && calls < 10; calls++) {
		memset(in, 0, sizeof(in));
		memset(from, 0, sizeof(from));
		for (int i = 0; i < 3; i++) {
			iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
			in[i].msg_hdr.msg_iov = &iov[i];
			in[i].msg_hdr.msg_iovlen = 1;
			in[i].msg_hdr.msg_name = names ? &from[i] : NULL;
			in[i].msg_hdr.msg_namelen = names ? sizeof(from[i]) : 0;
		}
		int n = recvmmsg(fd, in, (unsigned)(count - got), MSG_WAITFORONE, NULL);
		if (n < 0)
			break;
		for (int i = 0; i < n; i++) {
			bool sender_ok = !names ||
				(in[i].msg_hdr.msg_namelen == sizeof(from[i]) &&
				 from[i].sin_family == AF_INET &&
				 from[i].sin_addr.s_addr == echo_addr.sin_addr.s_addr &&
				 from[i].sin_port == echo_addr.sin_port);
			if (in[i].msg_len == 4 && memcmp(buf[i], "mm", 2) == 0 && buf[i][2] >= '0' &&
			    buf[i][2] <= '2' && sender_ok)
				*seen |= 1u << (buf[i][2] - '0');
		}
		got += n;
	}
	return got;
}

/* sendmmsg and recvmmsg: a batch to an IPv4 address on an unconnected
 * socket, then a batch without names on a connected one; recvmmsg reports
 * the IPv4 sender of each datagram. */
static void udp_batches(void)
{
	struct mmsghdr out[3];
	struct iovec iov[3];
	char data[3][8];
	unsigned seen;
	int fd = udp();
	memset(out, 0, sizeof(out));
	for (int i = 0; i < 3; i++) {
		snprintf(data[i], sizeof(data[i]), "mm%d\n", i);
		iov[i] = (struct iovec){ data[i], 4 };
		out[i].msg_hdr.msg_name = &echo_addr;
		out[i].msg_hdr.msg_namelen = sizeof(echo_addr);
		out[i].msg_hdr.msg_iov = &iov[i];
		out[i].msg_hdr.msg_iovlen = 1;
	}
	int n = sendmmsg(fd, out, 3, 0);
	check(n == 3 && out[0].msg_len == 4 && out[1].msg_len == 4 && out[2].msg_len == 4,
	      "udp: sendmmsg of 3 datagrams to an IPv4 address", "rc %d (%s), msg_len %u %u %u",
	      n, n < 0 ? strerror(errno) : "-", out[0].msg_len, out[1].msg_len, out[2].msg_len);
	n = receive_batch(fd, 3, true, &seen);
	check(n == 3 && seen == 7, "udp: recvmmsg reports the IPv4 sender of each echo",
	      "%d received, seen mask %x", n, seen);
	close(fd);

	fd = udp();
	check_ok(connect(fd, (struct sockaddr *)&echo_addr, sizeof(echo_addr)),
		 "udp batches: connect");
	for (int i = 0; i < 3; i++) {
		out[i].msg_hdr.msg_name = NULL;
		out[i].msg_hdr.msg_namelen = 0;
		out[i].msg_len = 0;
	}
	n = sendmmsg(fd, out, 3, 0);
	check(n == 3 && out[2].msg_len == 4, "udp: connected sendmmsg of 3 without names",
	      "rc %d (%s)", n, n < 0 ? strerror(errno) : "-");
	n = receive_batch(fd, 3, true, &seen);
	check(n == 3 && seen == 7, "udp: connected recvmmsg with names: IPv4 senders",
	      "%d received, seen mask %x", n, seen);
	close(fd);
}

static void nonblocking_epoll(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLET, .data.u64 = 0x1234abcd };
	check_ok(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), "epoll: registered before connect");
	int rc = connect(fd, (struct sockaddr *)&echo_addr, sizeof(echo_addr));
	check_errno(rc, EINPROGRESS, "epoll: non-blocking connect is EINPROGRESS");
	rc = connect(fd, (struct sockaddr *)&echo_addr, sizeof(echo_addr));
	int err = errno;
	/* EALREADY while connecting, 0 once connected (connect(2) on Linux). */
	check((rc < 0 && err == EALREADY) || rc == 0, "epoll: second connect EALREADY or 0",
	      "rc %d errno %s", rc, strerror(err));
	struct epoll_event got = { 0 };
	int n = epoll_wait(ep, &got, 1, 10000);
	check(n == 1 && (got.events & EPOLLOUT) && got.data.u64 == 0x1234abcd,
	      "epoll: the twin reports EPOLLOUT with the program's data", "n %d events %x data %llx",
	      n, got.events, (unsigned long long)got.data.u64);
	socklen_t len = sizeof(err);
	check(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0,
	      "epoll: SO_ERROR 0", "%s", strerror(err));
	check(fcntl(fd, F_GETFL) & O_NONBLOCK, "epoll: O_NONBLOCK kept", "flags %x",
	      fcntl(fd, F_GETFL));
	check(fcntl(fd, F_GETFD) == 0, "epoll: no FD_CLOEXEC (as created)", "%d", fcntl(fd, F_GETFD));
	ev.events = EPOLLIN;
	check_ok(epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev), "epoll: MOD finds the fd number");
	check_ok(epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL), "epoll: DEL finds the fd number");
	close(ep);
	close(fd);
}

static void on_alarm(int sig) { (void)sig; }

static void signal_during_connect(void)
{
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	int fd = tcp();
	alarm(1);
	check_errno(connect(fd, (struct sockaddr *)&hole_addr, sizeof(hole_addr)), EINTR,
		    "signal: blocking connect interrupted is EINTR");
	/* A blocking connect again waits for the same connection again. */
	alarm(1);
	check_errno(connect(fd, (struct sockaddr *)&hole_addr, sizeof(hole_addr)), EINTR,
		    "signal: a second blocking connect waits again, EINTR again");
	alarm(0);
	int flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	check_errno(connect(fd, (struct sockaddr *)&hole_addr, sizeof(hole_addr)), EALREADY,
		    "signal: a non-blocking connect then is EALREADY");
	close(fd);
}

/* A TCP socket before any connect (an early twin is AF_INET6 by now): the
 * program sees an AF_INET socket with the flags it asked for. */
static void fresh_tcp_socket(void)
{
	int fd = tcp();
	struct sockaddr_in sin;
	memset(&sin, 0xff, sizeof(sin));
	socklen_t len = sizeof(sin);
	int rc = getsockname(fd, (struct sockaddr *)&sin, &len);
	check(rc == 0 && sin.sin_family == AF_INET && sin.sin_addr.s_addr == 0 && sin.sin_port == 0 &&
	      len == sizeof(sin), "fresh tcp: getsockname is 0.0.0.0:0", "rc %d family %d %s:%u len %u",
	      rc, sin.sin_family, inet_ntoa(sin.sin_addr), ntohs(sin.sin_port), (unsigned)len);
	int domain = 0;
	len = sizeof(domain);
	check(getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_INET,
	      "fresh tcp: SO_DOMAIN is AF_INET", "domain %d", domain);
	len = sizeof(sin);
	check_errno(getpeername(fd, (struct sockaddr *)&sin, &len), ENOTCONN,
		    "fresh tcp: getpeername is ENOTCONN");
	int tos = 0x28, got = 0;
	check_ok(setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)), "fresh tcp: IP_TOS before connect");
	check_ok(connect(fd, (struct sockaddr *)&echo_addr, sizeof(echo_addr)), "fresh tcp: connect");
	len = sizeof(got);
	check(getsockopt(fd, IPPROTO_IP, IP_TOS, &got, &len) == 0 && got == tos,
	      "fresh tcp: IP_TOS set before connect still reads back", "got %#x", got);
	struct sockaddr_in any = { .sin_family = AF_INET };
	check_errno(bind(fd, (struct sockaddr *)&any, sizeof(any)), EINVAL,
		    "fresh tcp: bind after connect is EINVAL");
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	check((fcntl(fd, F_GETFL) & O_NONBLOCK) && fcntl(fd, F_GETFD) == 0,
	      "fresh tcp: SOCK_NONBLOCK kept, no FD_CLOEXEC", "flags %x fd flags %d",
	      fcntl(fd, F_GETFL), fcntl(fd, F_GETFD));
	close(fd);
}

static bool is_loopback(const struct sockaddr_in *sin, socklen_t len)
{
	return len == sizeof(*sin) && sin->sin_family == AF_INET &&
	       sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
}

/* A server's AF_INET socket: bind and listen give a real IPv4 listener
 * (accept reports IPv4 peers), with the options set before bind. */
static void ipv4_server(void)
{
	int srv = tcp(), one = 1, tos = 0x10, got = 0;
	setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(srv, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	struct sockaddr_in lo = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(lo);
	check_ok(bind(srv, (struct sockaddr *)&lo, sizeof(lo)), "server: bind 127.0.0.1");
	check_errno(bind(srv, (struct sockaddr *)&lo, sizeof(lo)), EINVAL,
		    "server: a second bind is EINVAL");
	check_ok(listen(srv, 4), "server: listen");
	int rc = getsockname(srv, (struct sockaddr *)&lo, &len);
	check(rc == 0 && is_loopback(&lo, len) && lo.sin_port != 0, "server: getsockname 127.0.0.1:port",
	      "rc %d family %d %s", rc, lo.sin_family, inet_ntoa(lo.sin_addr));
	len = sizeof(got);
	check(getsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &got, &len) == 0 && got == 1,
	      "server: SO_REUSEADDR set before bind kept", "got %d", got);
	len = sizeof(got);
	check(getsockopt(srv, IPPROTO_IP, IP_TOS, &got, &len) == 0 && got == tos,
	      "server: IP_TOS set before bind kept", "got %#x", got);
	int c = tcp();
	check_ok(connect(c, (struct sockaddr *)&lo, sizeof(lo)), "server: a client connects");
	struct sockaddr_in peer, mine;
	socklen_t plen = sizeof(peer), mlen = sizeof(mine);
	int a = accept(srv, (struct sockaddr *)&peer, &plen);
	getsockname(c, (struct sockaddr *)&mine, &mlen);
	check(a >= 0 && is_loopback(&peer, plen) && is_loopback(&mine, mlen) &&
	      peer.sin_port == mine.sin_port, "server: accept reports the client's IPv4 address",
	      "accept %d peer %s:%u client port %u", a, inet_ntoa(peer.sin_addr),
	      ntohs(peer.sin_port), ntohs(mine.sin_port));
	plen = sizeof(peer);
	rc = getpeername(c, (struct sockaddr *)&peer, &plen);
	check(rc == 0 && is_loopback(&peer, plen) && peer.sin_port == lo.sin_port,
	      "server: the client's getpeername is 127.0.0.1:port", "rc %d %s:%u", rc,
	      inet_ntoa(peer.sin_addr), ntohs(peer.sin_port));
	char buf[4] = { 0 };
	check(write(c, "hi", 2) == 2 && a >= 0 && read(a, buf, sizeof(buf)) == 2,
	      "server: data from client to server", "%s", strerror(errno));
	close(a);
	close(c);
	close(srv);
	int l = tcp();
	struct sockaddr_in any;
	len = sizeof(any);
	check(listen(l, 1) == 0 && getsockname(l, (struct sockaddr *)&any, &len) == 0 &&
	      any.sin_family == AF_INET && any.sin_addr.s_addr == 0 && any.sin_port != 0,
	      "server: listen without bind is on 0.0.0.0:port", "family %d port %u", any.sin_family,
	      ntohs(any.sin_port));
	close(l);
}

static void never_translated(void)
{
	int srv = tcp();
	struct sockaddr_in lo = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(lo);
	if (bind(srv, (struct sockaddr *)&lo, sizeof(lo)) != 0 || listen(srv, 1) != 0 ||
	    getsockname(srv, (struct sockaddr *)&lo, &len) != 0) {
		check(false, "loopback: listener", "%s", strerror(errno));
		return;
	}
	int fd = tcp();
	check_ok(connect(fd, (struct sockaddr *)&lo, sizeof(lo)), "loopback: connect to 127.0.0.1");
	struct sockaddr_in me;
	len = sizeof(me);
	getsockname(fd, (struct sockaddr *)&me, &len);
	check(me.sin_addr.s_addr == htonl(INADDR_LOOPBACK), "loopback: stays IPv4 (local 127.0.0.1)",
	      "local %s", inet_ntoa(me.sin_addr));
	close(fd);
	close(srv);
}

static _Atomic int racing = 1;
static struct sockaddr_in shared_addr;

static void *flipper(void *arg)
{
	(void)arg;
	for (unsigned i = 0; atomic_load(&racing); i++) {
		shared_addr.sin_family = (i & 1) ? AF_INET : AF_INET6;
		shared_addr.sin_port = (i & 2) ? echo_addr.sin_port : 0;
	}
	return NULL;
}

static void address_rewritten_meanwhile(void)
{
	shared_addr = echo_addr;
	pthread_t t;
	pthread_create(&t, NULL, flipper, NULL);
	for (int i = 0; i < 300; i++) {
		int fd = udp();
		connect(fd, (struct sockaddr *)&shared_addr, sizeof(shared_addr));
		close(fd);
	}
	atomic_store(&racing, 0);
	pthread_join(t, NULL);
	int fd = udp();
	char buf[8];
	check(connect(fd, (struct sockaddr *)&echo_addr, sizeof(echo_addr)) == 0 &&
	      send(fd, "ping\n", 5, 0) == 5 && recv(fd, buf, sizeof(buf), 0) == 5,
	      "race: the supervisor still answers after 300 racing connects", "%s", strerror(errno));
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: sv_calls ECHO_IPV4 ECHO_PORT BLACKHOLE_IPV4 LOCAL_IPV4\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	echo_addr.sin_family = AF_INET;
	echo_addr.sin_port = htons((uint16_t)atoi(argv[2]));
	inet_pton(AF_INET, argv[1], &echo_addr.sin_addr);
	hole_addr = echo_addr;
	hole_addr.sin_port = htons(80);
	inet_pton(AF_INET, argv[3], &hole_addr.sin_addr);
	inet_pton(AF_INET, argv[4], &local_ipv4);
	bad_arguments();
	tcp_connect();
	udp_calls();
	udp_batches();
	nonblocking_epoll();
	signal_during_connect();
	fresh_tcp_socket();
	ipv4_server();
	never_translated();
	address_rewritten_meanwhile();
	printf("sv_calls: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
