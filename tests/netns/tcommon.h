/* Shared helpers for the netns preload test programs (tests/netns/t_*.c).
 *
 * Every program is run by run-netns.sh inside a private network namespace
 * where IPv4 to T_DST has no route and the NAT64-synthesised address of
 * T_DST sits on lo, with t_server listening on [::] (see run-netns.sh).
 * Usage of every program: t_xxx CASE; the test parameters come from the
 * environment:
 *   T_DST      IPv4 destination the program talks to     (203.0.113.10)
 *   T_TCP      TCP port of t_server                       (7001)
 *   T_UDP      UDP port of t_server                       (7002)
 *   T_CLOSED   a TCP port nothing listens on              (7009)
 *   T_LOCAL    expected getsockname() IPv4 address, "-" skips (192.0.0.4)
 *   T_PEER_FAM family t_server must see the client in: 6 or 4 (6)
 *   T_SYNTH    expected server-side (synthesised) address, unset skips
 *   T_BINDPORT a free port for bind() tests              (7050)
 *   T_HOOK     shell command run mid-test by t_connect v4appears
 * Exit status: 0 pass, 1 fail (with a "FAIL ..." line on stderr), 77 skip.
 * Everything here is static: each program is a single translation unit. */
#ifndef CLAT_TESTS_NETNS_TCOMMON_H
#define CLAT_TESTS_NETNS_TCOMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define T_IO_TIMEOUT_MS 5000

static const char *t_case = "?";

__attribute__((format(printf, 3, 4), noreturn)) static void
t_fail_at(const char *file, int line, const char *fmt, ...)
{
	char msg[1024], out[1200];
	va_list ap;
	ssize_t w;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = snprintf(out, sizeof(out), "FAIL [%s] %s:%d: %s\n", t_case, file, line, msg);
	if (n < 0 || (size_t)n >= sizeof(out))
		n = (int)strlen(out);
	/* One write, so that failures in several threads do not interleave. */
	w = write(2, out, (size_t)n);
	(void)w;
	exit(1);
}

#define T_FAIL(...) t_fail_at(__FILE__, __LINE__, __VA_ARGS__)
#define T_CHECK(cond, ...)                                                      \
	do {                                                                    \
		if (!(cond))                                                    \
			T_FAIL(__VA_ARGS__);                                    \
	} while (0)
/* A call that must succeed (return value other than -1). */
#define T_SYS(expr)                                                             \
	do {                                                                    \
		if ((expr) == -1)                                               \
			T_FAIL("%s: %s", #expr, t_errname(errno));              \
	} while (0)

__attribute__((noreturn)) static inline void t_skip(const char *why)
{
	printf("SKIP [%s]: %s\n", t_case, why);
	exit(77);
}

/* Symbolic errno names make the failure messages comparable. */
static inline const char *t_errname(int err)
{
	static char buf[32];

	switch (err) {
	case 0: return "0";
	case EAGAIN: return "EAGAIN";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case EFAULT: return "EFAULT";
	case ENOTSOCK: return "ENOTSOCK";
	case ENOTCONN: return "ENOTCONN";
	case EISCONN: return "EISCONN";
	case EALREADY: return "EALREADY";
	case EINPROGRESS: return "EINPROGRESS";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNRESET: return "ECONNRESET";
	case ENETUNREACH: return "ENETUNREACH";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case EADDRINUSE: return "EADDRINUSE";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOPROTOOPT: return "ENOPROTOOPT";
	case EMSGSIZE: return "EMSGSIZE";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EDESTADDRREQ: return "EDESTADDRREQ";
	case EPIPE: return "EPIPE";
	case EMFILE: return "EMFILE";
	case ENOSYS: return "ENOSYS";
	default:
		snprintf(buf, sizeof(buf), "errno %d", err);
		return buf;
	}
}

static inline const char *t_env(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static inline unsigned short t_env_port(const char *name, const char *def)
{
	const char *v = t_env(name, def);
	char *end;
	long p = strtol(v, &end, 10);

	if (*end || p <= 0 || p > 65535)
		T_FAIL("bad port in %s: '%s'", name, v);
	return (unsigned short)p;
}

static inline const char *t_dst(void) { return t_env("T_DST", "203.0.113.10"); }
static inline unsigned short t_tcp_port(void) { return t_env_port("T_TCP", "7001"); }
static inline unsigned short t_udp_port(void) { return t_env_port("T_UDP", "7002"); }
static inline unsigned short t_closed_port(void) { return t_env_port("T_CLOSED", "7009"); }
static inline unsigned short t_bind_port(void) { return t_env_port("T_BINDPORT", "7050"); }
static inline const char *t_local(void) { return t_env("T_LOCAL", "192.0.0.4"); }
static inline const char *t_peer_fam(void) { return t_env("T_PEER_FAM", "6"); }

static inline struct sockaddr_in t_sin(const char *addr, unsigned short port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		T_FAIL("bad IPv4 address '%s'", addr);
	return sin;
}

static inline struct sockaddr_in6 t_sin6(const char *addr, unsigned short port)
{
	struct sockaddr_in6 sin6;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(port);
	if (inet_pton(AF_INET6, addr, &sin6.sin6_addr) != 1)
		T_FAIL("bad IPv6 address '%s'", addr);
	return sin6;
}

/* "a.b.c.d:port" or "[v6]:port" or "family N" for a returned name. */
static inline const char *t_fmt_sa(const void *sa, socklen_t len)
{
	static _Thread_local char buf[2][96]; /* per thread: t_fdlife's threads */
	static _Thread_local int which;
	char *out = buf[which++ & 1];
	char a[INET6_ADDRSTRLEN];
	sa_family_t fam;

	if (len < sizeof(sa_family_t)) {
		snprintf(out, 96, "(len %u)", (unsigned)len);
		return out;
	}
	memcpy(&fam, sa, sizeof(fam));
	if (fam == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s = sa;
		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		snprintf(out, 96, "%s:%u", a, ntohs(s->sin_port));
	} else if (fam == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s = sa;
		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		snprintf(out, 96, "[%s]:%u", a, ntohs(s->sin6_port));
	} else {
		snprintf(out, 96, "(family %u, len %u)", fam, (unsigned)len);
	}
	return out;
}

/* Checks that a returned name is AF_INET addr (unless addr is "-") and, if
 * port >= 0, that port; returns the port found. */
static inline unsigned short t_expect_in(const char *what, const void *sa,
					 socklen_t len, const char *addr, int port)
{
	struct sockaddr_in sin;
	char a[INET_ADDRSTRLEN];

	T_CHECK(len == sizeof(struct sockaddr_in),
		"%s: length %u, want %zu (sockaddr_in); got %s", what,
		(unsigned)len, sizeof(struct sockaddr_in), t_fmt_sa(sa, len));
	memcpy(&sin, sa, sizeof(sin));
	T_CHECK(sin.sin_family == AF_INET, "%s: family %u, want AF_INET; got %s",
		what, sin.sin_family, t_fmt_sa(sa, len));
	inet_ntop(AF_INET, &sin.sin_addr, a, sizeof(a));
	T_CHECK(strcmp(addr, "-") == 0 || strcmp(a, addr) == 0,
		"%s: address %s, want %s", what, a, addr);
	T_CHECK(port < 0 || ntohs(sin.sin_port) == port, "%s: port %u, want %d",
		what, ntohs(sin.sin_port), port);
	return ntohs(sin.sin_port);
}

static inline unsigned short t_expect_peer(int fd, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	T_SYS(getpeername(fd, (struct sockaddr *)&ss, &len));
	return t_expect_in("getpeername", &ss, len, addr, port);
}

static inline unsigned short t_expect_sock(int fd, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	T_SYS(getsockname(fd, (struct sockaddr *)&ss, &len));
	return t_expect_in("getsockname", &ss, len, addr, port);
}

static inline int t_getint(int fd, int level, int opt, const char *name)
{
	int v = 0;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, level, opt, &v, &len) == -1)
		T_FAIL("getsockopt(%s): %s", name, t_errname(errno));
	return v;
}

static inline void t_setint(int fd, int level, int opt, int v, const char *name)
{
	if (setsockopt(fd, level, opt, &v, sizeof(v)) == -1)
		T_FAIL("setsockopt(%s, %d): %s", name, v, t_errname(errno));
}

static inline void t_expect_domain(int fd, int fam)
{
	int d = t_getint(fd, SOL_SOCKET, SO_DOMAIN, "SO_DOMAIN");

	T_CHECK(d == fam, "SO_DOMAIN = %d, want %d", d, fam);
}

static inline void t_wait_fd(int fd, short events, const char *what)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r = poll(&p, 1, T_IO_TIMEOUT_MS);

	if (r == -1)
		T_FAIL("poll(%s): %s", what, t_errname(errno));
	T_CHECK(r == 1, "poll(%s): timed out after %d ms", what, T_IO_TIMEOUT_MS);
}

/* Reads one '\n'-terminated line (without the newline) within the timeout. */
static inline void t_read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		ssize_t r;

		t_wait_fd(fd, POLLIN, "read line");
		r = read(fd, buf + n, 1);
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r == -1)
			T_FAIL("read: %s", t_errname(errno));
		T_CHECK(r == 1, "read: EOF after %zu bytes", n);
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
}

static inline void t_write_all(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t w = write(fd, s, len);

		if (w == -1 && (errno == EAGAIN || errno == EINTR)) {
			t_wait_fd(fd, POLLOUT, "write");
			continue;
		}
		if (w == -1)
			T_FAIL("write: %s", t_errname(errno));
		s += w;
		len -= (size_t)w;
	}
}

/* What t_server saw of a TCP connection: "PEER fam addr port LOCAL addr port". */
struct t_seen {
	char fam[8];
	char addr[INET6_ADDRSTRLEN];
	unsigned port;
	char local[INET6_ADDRSTRLEN];
	unsigned lport;
};

static inline void t_parse_seen(const char *line, struct t_seen *seen)
{
	if (sscanf(line, "PEER %7s %45s %u LOCAL %45s %u", seen->fam, seen->addr,
		   &seen->port, seen->local, &seen->lport) != 5)
		T_FAIL("unexpected server reply '%s'", line);
}

/* Asks t_server over a connected TCP socket who it thinks we are, checks the
 * family (T_PEER_FAM) and server-side address (T_SYNTH), and that the data
 * path works both ways (an echo). */
static inline void t_tcp_query(int fd, struct t_seen *seen)
{
	char line[256];
	const char *synth = getenv("T_SYNTH");

	t_write_all(fd, "PEER\n");
	t_read_line(fd, line, sizeof(line));
	t_parse_seen(line, seen);
	T_CHECK(strcmp(seen->fam, t_peer_fam()) == 0,
		"server saw the client as IPv%s (%s), want IPv%s", seen->fam,
		seen->addr, t_peer_fam());
	T_CHECK(!synth || !*synth || strcmp(seen->local, synth) == 0,
		"server-side address %s, want the synthesised %s", seen->local, synth);
	t_write_all(fd, "echo-check\n");
	t_read_line(fd, line, sizeof(line));
	T_CHECK(strcmp(line, "echo-check") == 0, "echo: got '%s'", line);
}

/* The common end state of a translated TCP socket: the program's view is
 * IPv4 and the ports agree with what the server saw. */
static inline void t_tcp_verify(int fd, unsigned short dport)
{
	struct t_seen seen;
	unsigned short lport;

	t_tcp_query(fd, &seen);
	t_expect_domain(fd, AF_INET);
	t_expect_peer(fd, t_dst(), dport);
	lport = t_expect_sock(fd, t_local(), -1);
	T_CHECK(lport == seen.port,
		"getsockname port %u but the server saw port %u", lport, seen.port);
}

static inline int t_socket(int type)
{
	int fd = socket(AF_INET, type, 0);

	if (fd == -1)
		T_FAIL("socket(AF_INET, %d): %s", type, t_errname(errno));
	return fd;
}

/* Blocking connect of a fresh AF_INET TCP socket to T_DST:T_TCP. */
static inline int t_tcp_connected(void)
{
	int fd = t_socket(SOCK_STREAM);
	struct sockaddr_in sin = t_sin(t_dst(), t_tcp_port());

	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		T_FAIL("connect(%s): %s", t_fmt_sa(&sin, sizeof(sin)), t_errname(errno));
	return fd;
}

/* Dispatch table for the CASE argument. */
struct t_case_entry {
	const char *name;
	void (*fn)(void);
};

static inline int t_main(int argc, char **argv, const struct t_case_entry *cases)
{
	const struct t_case_entry *c;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc != 2) {
		fprintf(stderr, "usage: %s CASE\ncases:", argv[0]);
		for (c = cases; c->name; c++)
			fprintf(stderr, " %s", c->name);
		fputc('\n', stderr);
		return 2;
	}
	for (c = cases; c->name; c++) {
		if (strcmp(c->name, argv[1]) == 0) {
			t_case = c->name;
			c->fn();
			return 0;
		}
	}
	fprintf(stderr, "%s: unknown case '%s'\n", argv[0], argv[1]);
	return 2;
}

#endif
