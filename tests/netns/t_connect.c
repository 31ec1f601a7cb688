/* TCP connect() through libclat: blocking and non-blocking, errors, flags
 * that must survive the family switch, bind() before connect(). See
 * tcommon.h for the environment; run by run-netns.sh. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <time.h>

#include "tcommon.h"

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>

static int connect_dst(int fd, unsigned short port)
{
	struct sockaddr_in sin = t_sin(t_dst(), port);

	return connect(fd, (struct sockaddr *)&sin, sizeof(sin));
}

/* A plain blocking connect; the program's view stays IPv4. */
static void c_blocking(void)
{
	int fd = t_tcp_connected();

	t_tcp_verify(fd, t_tcp_port());
	close(fd);
}

/* Two sockets at once: each has its own state and its own local port. */
static void c_two(void)
{
	int a = t_tcp_connected(), b = t_tcp_connected();

	T_CHECK(a != b, "two sockets share fd %d", a);
	t_tcp_verify(a, t_tcp_port());
	t_tcp_verify(b, t_tcp_port());
	T_CHECK(t_expect_sock(a, t_local(), -1) != t_expect_sock(b, t_local(), -1),
		"two connections report the same local port");
	close(a);
	close(b);
}

/* Non-blocking connect: EINPROGRESS, then writable with SO_ERROR 0. */
static void nonblock_connect(int fd)
{
	int err;

	T_CHECK(connect_dst(fd, t_tcp_port()) == -1 && errno == EINPROGRESS,
		"non-blocking connect: want -1/EINPROGRESS, got %s", t_errname(errno));
	t_wait_fd(fd, POLLOUT, "connect completion");
	err = t_getint(fd, SOL_SOCKET, SO_ERROR, "SO_ERROR");
	T_CHECK(err == 0, "SO_ERROR after connect: %s, want 0", t_errname(err));
	T_CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK, "O_NONBLOCK lost in the switch");
}

static void c_nonblock(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	T_SYS(fd);
	nonblock_connect(fd);
	t_tcp_verify(fd, t_tcp_port());
	close(fd);
}

/* O_NONBLOCK set with fcntl() rather than SOCK_NONBLOCK. */
static void c_nonblock_fcntl(void)
{
	int fd = t_socket(SOCK_STREAM);

	T_SYS(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK));
	nonblock_connect(fd);
	t_tcp_verify(fd, t_tcp_port());
	close(fd);
}

/* Old-style completion check: connect() again on the connected socket with
 * the same IPv4 address. Linux answers 0 the first time after completion,
 * EISCONN afterwards; both are what an IPv4 socket gives. */
static void c_nonblock_reconnect(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), i, r;

	T_SYS(fd);
	nonblock_connect(fd);
	for (i = 0; i < 2; i++) {
		r = connect_dst(fd, t_tcp_port());
		T_CHECK(r == 0 || errno == EISCONN,
			"connect() #%d on a connected socket: %s, want 0 or EISCONN",
			i + 2, t_errname(errno));
	}
	T_CHECK(connect_dst(fd, t_tcp_port()) == -1 && errno == EISCONN,
		"connect() #4 on a connected socket: %s, want EISCONN", t_errname(errno));
	t_tcp_verify(fd, t_tcp_port());
	close(fd);
}

/* A failed connect leaves no peer: programs test getpeername() for it. */
static void expect_not_connected(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	T_CHECK(getpeername(fd, (struct sockaddr *)&ss, &len) == -1 && errno == ENOTCONN,
		"getpeername after a refused connect: %s, want ENOTCONN (got %s)",
		t_errname(errno), t_fmt_sa(&ss, len));
}

static void c_refused(void)
{
	int fd = t_socket(SOCK_STREAM);

	T_CHECK(connect_dst(fd, t_closed_port()) == -1 && errno == ECONNREFUSED,
		"connect to a closed port: %s, want ECONNREFUSED", t_errname(errno));
	t_expect_domain(fd, AF_INET);
	expect_not_connected(fd);
	close(fd);
}

static void c_nonblock_refused(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), err;

	T_SYS(fd);
	if (connect_dst(fd, t_closed_port()) == -1 && errno == ECONNREFUSED)
		goto out; /* reported directly: allowed */
	T_CHECK(errno == EINPROGRESS, "non-blocking connect to a closed port: %s, "
		"want EINPROGRESS or ECONNREFUSED", t_errname(errno));
	t_wait_fd(fd, POLLOUT, "connect completion");
	err = t_getint(fd, SOL_SOCKET, SO_ERROR, "SO_ERROR");
	T_CHECK(err == ECONNREFUSED, "SO_ERROR: %s, want ECONNREFUSED", t_errname(err));
out:
	t_expect_domain(fd, AF_INET);
	expect_not_connected(fd);
	close(fd);
}

/* FD_CLOEXEC survives the switch, and is not invented when absent. */
static void c_cloexec(void)
{
	int a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int b = t_socket(SOCK_STREAM);
	int fa = a, fb = b;

	T_SYS(a);
	T_SYS(connect_dst(a, t_tcp_port()));
	T_SYS(connect_dst(b, t_tcp_port()));
	T_CHECK(a == fa && b == fb, "fd numbers changed");
	T_CHECK(fcntl(a, F_GETFD) & FD_CLOEXEC, "FD_CLOEXEC lost in the switch");
	T_CHECK(!(fcntl(b, F_GETFD) & FD_CLOEXEC), "FD_CLOEXEC set though never asked");
	T_CHECK(!(fcntl(a, F_GETFL) & O_NONBLOCK), "O_NONBLOCK appeared");
	t_tcp_verify(a, t_tcp_port());
	t_tcp_verify(b, t_tcp_port());
	close(a);
	close(b);
}

/* bind(0.0.0.0:port) before connect() is replayed as [::]:port. */
static void bind_any(unsigned short port)
{
	int fd = t_socket(SOCK_STREAM), one = 1;
	struct sockaddr_in any = t_sin("0.0.0.0", port);
	struct t_seen seen;

	T_SYS(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	T_SYS(bind(fd, (struct sockaddr *)&any, sizeof(any)));
	T_SYS(connect_dst(fd, t_tcp_port()));
	t_tcp_query(fd, &seen);
	if (port)
		T_CHECK(seen.port == port, "server saw source port %u, want the bound %u",
			seen.port, port);
	t_expect_sock(fd, t_local(), port ? port : (int)seen.port);
	t_expect_peer(fd, t_dst(), t_tcp_port());
	close(fd);
}

static void c_bind_any(void) { bind_any(t_bind_port()); }
static void c_bind_any_port0(void) { bind_any(0); }

/* The socket's family as the kernel knows it: the system call itself,
 * past the library's getsockopt hook (which always says AF_INET). */
static int kernel_domain(int fd)
{
	int d = 0;
	socklen_t len = sizeof(d);

	if (syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_DOMAIN, &d, &len) == -1)
		T_FAIL("getsockopt(SO_DOMAIN) system call: %s", t_errname(errno));
	return d;
}

/* The early switch: with no IPv4 route (this namespace), an AF_INET TCP
 * socket is AF_INET6 in the kernel from socket() on, yet AF_INET to the
 * program, and connects through the prefix. T_KERNEL_FAM: 6 by default,
 * 4 under CLAT_EARLY_SWITCH=0 (switched at the connect instead). */
static void c_early(void)
{
	const char *want = getenv("T_KERNEL_FAM");
	int fd = t_socket(SOCK_STREAM);
	int d = kernel_domain(fd);

	T_CHECK(want != NULL, "T_KERNEL_FAM not set");
	T_CHECK(d == (strcmp(want, "6") == 0 ? AF_INET6 : AF_INET),
		"kernel SO_DOMAIN after socket() = %d, want IPv%s", d, want);
	t_expect_domain(fd, AF_INET);
	t_expect_sock(fd, "0.0.0.0", 0);
	/* IPv6-level options are not an AF_INET socket's (Python's
	 * http.server tries one on every socket). */
	errno = 0;
	T_CHECK(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &(int){ 0 }, sizeof(int)) == -1 &&
			errno == ENOPROTOOPT,
		"IPV6_V6ONLY on an AF_INET socket: %s, want ENOPROTOOPT", t_errname(errno));
	T_SYS(connect_dst(fd, t_tcp_port()));
	T_CHECK(kernel_domain(fd) == AF_INET6, "kernel SO_DOMAIN after connect is not AF_INET6");
	t_tcp_verify(fd, t_tcp_port());
	close(fd);
}

/* An option that pins IPv4 (SO_BROADCAST, RFC 6535 4.1) gives an early
 * socket its AF_INET socket back, with the options set before it: the
 * connect then fails as it would without the library. */
static void c_early_back(void)
{
	int fd = t_socket(SOCK_STREAM);

	t_setint(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
	t_setint(fd, SOL_SOCKET, SO_BROADCAST, 1, "SO_BROADCAST");
	T_CHECK(kernel_domain(fd) == AF_INET, "kernel SO_DOMAIN after SO_BROADCAST is not AF_INET");
	T_CHECK(t_getint(fd, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE") == 1,
		"SO_KEEPALIVE lost on the way back to AF_INET");
	errno = 0;
	T_CHECK(connect_dst(fd, t_tcp_port()) == -1 && errno == ENETUNREACH,
		"connect after SO_BROADCAST: %s, want ENETUNREACH (not translated)",
		t_errname(errno));
	close(fd);
}

/* bind() to a specific IPv4 keeps the socket IPv4 (RFC 6535 4.2): the
 * connect fails as it would without the library. */
static void c_bind_loopback(void)
{
	int fd = t_socket(SOCK_STREAM);
	struct sockaddr_in lo = t_sin("127.0.0.1", 0);

	T_SYS(bind(fd, (struct sockaddr *)&lo, sizeof(lo)));
	T_CHECK(kernel_domain(fd) == AF_INET, "kernel SO_DOMAIN after bind(127.0.0.1) is not AF_INET");
	T_CHECK(connect_dst(fd, t_tcp_port()) == -1 && errno == ENETUNREACH,
		"connect from 127.0.0.1: %s, want ENETUNREACH (not translated)",
		t_errname(errno));
	t_expect_domain(fd, AF_INET);
	t_expect_sock(fd, "127.0.0.1", -1);
	close(fd);
}

/* No translation expected: connect fails ENETUNREACH, blocking or not. */
static void c_unreach(void)
{
	int fd = t_socket(SOCK_STREAM);

	errno = 0;
	T_CHECK(connect_dst(fd, t_tcp_port()) == -1 && errno == ENETUNREACH,
		"connect: %s, want ENETUNREACH", t_errname(errno));
	t_expect_domain(fd, AF_INET);
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	T_SYS(fd);
	errno = 0;
	T_CHECK(connect_dst(fd, t_tcp_port()) == -1 && errno == ENETUNREACH,
		"non-blocking connect: %s, want ENETUNREACH", t_errname(errno));
	close(fd);
}

/* RFC 6535 4.5 / RFC 8305 7.3: when IPv4 appears, new connections stop
 * translating. T_HOOK is a shell command that adds IPv4 to the namespace
 * (an address without a route: the IPv4 try on the early socket finds it). */
static void c_v4appears(void)
{
	const char *hook = getenv("T_HOOK");
	struct t_seen seen;
	int fd;

	T_CHECK(hook != NULL, "T_HOOK not set");
	fd = t_tcp_connected();
	t_tcp_query(fd, &seen); /* T_PEER_FAM: 6 */
	close(fd);
	T_CHECK(system(hook) == 0, "T_HOOK '%s' failed", hook);
	/* The library looks at the host's IPv4 routes and addresses at most
	 * once a second (CLAT_IPV4_ROUTE_RECHECK_MS, lib/state/ipv4_route.h). */
	struct timespec recheck = { 1, 100 * 1000 * 1000 };
	nanosleep(&recheck, NULL);
	fd = t_tcp_connected();
	t_write_all(fd, "PEER\n");
	{
		char line[256];

		t_read_line(fd, line, sizeof(line));
		t_parse_seen(line, &seen);
	}
	T_CHECK(strcmp(seen.fam, "4") == 0,
		"after IPv4 appeared the server still saw IPv%s %s", seen.fam, seen.addr);
	close(fd);
}

/* Fail open (design: "EMFILE during the switch"): with no fd left for the
 * AF_INET6 socket, connect() reports the real ENETUNREACH, errno intact. A
 * first translated connection makes sure the library is loaded and active
 * (its settings are read lazily and would otherwise fail on EMFILE too). */
static void c_emfile(void)
{
	struct rlimit rl = { 64, 64 };
	int fd;

	T_SYS(setrlimit(RLIMIT_NOFILE, &rl));
	fd = t_tcp_connected();
	t_tcp_verify(fd, t_tcp_port());
	close(fd);
	fd = t_socket(SOCK_STREAM);
	while (open("/dev/null", O_RDONLY) != -1)
		;
	T_CHECK(errno == EMFILE, "filling the fd table: %s", t_errname(errno));
	errno = 0;
	T_CHECK(connect_dst(fd, t_tcp_port()) == -1 && errno == ENETUNREACH,
		"connect with no free fd: %s, want ENETUNREACH (fail open)",
		t_errname(errno));
	t_expect_domain(fd, AF_INET);
}

/* Event loops may register the socket with epoll before connect(). The
 * registration must still report the connection (epoll watches the open
 * file, not the number). */
static void c_epoll_before(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), ep, n, err;
	struct epoll_event ev = { .events = EPOLLOUT, .data.fd = fd }, got;

	T_SYS(fd);
	ep = epoll_create1(EPOLL_CLOEXEC);
	T_SYS(ep);
	T_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	T_CHECK(connect_dst(fd, t_tcp_port()) == -1 && errno == EINPROGRESS,
		"non-blocking connect: %s, want EINPROGRESS", t_errname(errno));
	n = epoll_wait(ep, &got, 1, 3000);
	T_CHECK(n != -1, "epoll_wait: %s", t_errname(errno));
	T_CHECK(n == 1 && got.data.fd == fd,
		"epoll_wait on a socket registered before connect(): no event in 3 s, want "
		"%s for fd %d (the registration did not follow the family switch)",
		(ev.events & EPOLLIN) ? "EPOLLIN" : "EPOLLOUT", fd);
	err = t_getint(fd, SOL_SOCKET, SO_ERROR, "SO_ERROR");
	T_CHECK(err == 0, "SO_ERROR: %s", t_errname(err));
	t_tcp_verify(fd, t_tcp_port());
	close(ep);
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct t_case_entry cases[] = {
		{ "blocking", c_blocking },
		{ "two", c_two },
		{ "nonblock", c_nonblock },
		{ "nonblock-fcntl", c_nonblock_fcntl },
		{ "nonblock-reconnect", c_nonblock_reconnect },
		{ "refused", c_refused },
		{ "nonblock-refused", c_nonblock_refused },
		{ "cloexec", c_cloexec },
		{ "bind-any", c_bind_any },
		{ "bind-any-port0", c_bind_any_port0 },
		{ "bind-loopback", c_bind_loopback },
		{ "unreach", c_unreach },
		{ "v4appears", c_v4appears },
		{ "emfile", c_emfile },
		{ "epoll-before", c_epoll_before },
		{ "early", c_early },
		{ "early-back", c_early_back },
		{ NULL, NULL },
	};

	return t_main(argc, argv, cases);
}
