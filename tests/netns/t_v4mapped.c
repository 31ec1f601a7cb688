/* AF_INET6 sockets aimed at v4-mapped addresses (::ffff:a.b.c.d, as Java
 * and dual-stack programs do): only the address is rewritten to the
 * synthesised one, and the program keeps seeing ::ffff:a.b.c.d. Native IPv6
 * destinations are left alone. See tcommon.h for the environment. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tcommon.h"

static char mapped[64];

static const char *mapped_dst(void)
{
	snprintf(mapped, sizeof(mapped), "::ffff:%s", t_dst());
	return mapped;
}

static void expect_in6(const char *what, const void *sa, socklen_t len,
		       const char *addr, int port)
{
	struct sockaddr_in6 s;
	struct in6_addr want;

	T_CHECK(len == sizeof(s), "%s: length %u, want %zu; got %s", what, (unsigned)len,
		sizeof(s), t_fmt_sa(sa, len));
	memcpy(&s, sa, sizeof(s));
	T_CHECK(s.sin6_family == AF_INET6, "%s: %s, want AF_INET6", what, t_fmt_sa(sa, len));
	T_CHECK(inet_pton(AF_INET6, addr, &want) == 1, "bad address %s", addr);
	T_CHECK(memcmp(&want, &s.sin6_addr, sizeof(want)) == 0, "%s: %s, want [%s]:%d",
		what, t_fmt_sa(sa, len), addr, port);
	T_CHECK(port < 0 || ntohs(s.sin6_port) == port, "%s: %s, want port %d", what,
		t_fmt_sa(sa, len), port);
}

static void expect_peer6(int fd, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	T_SYS(getpeername(fd, (struct sockaddr *)&ss, &len));
	expect_in6("getpeername", &ss, len, addr, port);
}

static int socket6(int type)
{
	int fd = socket(AF_INET6, type, 0);

	if (fd == -1)
		T_FAIL("socket(AF_INET6): %s", t_errname(errno));
	return fd;
}

static int connect6(int fd, const char *addr, unsigned short port)
{
	struct sockaddr_in6 sin6 = t_sin6(addr, port);

	return connect(fd, (struct sockaddr *)&sin6, sizeof(sin6));
}

static void c_tcp(void)
{
	int fd = socket6(SOCK_STREAM);
	struct t_seen seen;

	if (connect6(fd, mapped_dst(), t_tcp_port()) == -1)
		T_FAIL("connect([%s]): %s", mapped, t_errname(errno));
	t_tcp_query(fd, &seen);
	expect_peer6(fd, mapped, t_tcp_port());
	t_expect_domain(fd, AF_INET6);
	close(fd);
}

static void c_tcp_nonblock(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0), err;
	struct t_seen seen;

	T_SYS(fd);
	T_CHECK(connect6(fd, mapped_dst(), t_tcp_port()) == -1 && errno == EINPROGRESS,
		"non-blocking connect([%s]): %s, want EINPROGRESS", mapped, t_errname(errno));
	t_wait_fd(fd, POLLOUT, "connect completion");
	err = t_getint(fd, SOL_SOCKET, SO_ERROR, "SO_ERROR");
	T_CHECK(err == 0, "SO_ERROR: %s", t_errname(err));
	t_tcp_query(fd, &seen);
	expect_peer6(fd, mapped, t_tcp_port());
	close(fd);
}

static void c_udp(void)
{
	int fd = socket6(SOCK_DGRAM);
	struct sockaddr_in6 dst = t_sin6(mapped_dst(), t_udp_port());
	struct sockaddr_storage from;
	socklen_t len = sizeof(from);
	char buf[16];

	T_CHECK(sendto(fd, "m6", 2, 0, (struct sockaddr *)&dst, sizeof(dst)) == 2,
		"sendto([%s]): %s", mapped, t_errname(errno));
	t_wait_fd(fd, POLLIN, "reply");
	T_CHECK(recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len) == 2,
		"recvfrom: %s", t_errname(errno));
	expect_in6("recvfrom", &from, len, mapped, t_udp_port());
	close(fd);
}

static void c_udp_connected(void)
{
	int fd = socket6(SOCK_DGRAM);
	char buf[16];

	if (connect6(fd, mapped_dst(), t_udp_port()) == -1)
		T_FAIL("connect([%s]) UDP: %s", mapped, t_errname(errno));
	expect_peer6(fd, mapped, t_udp_port());
	T_CHECK(send(fd, "c6", 2, 0) == 2, "send: %s", t_errname(errno));
	t_wait_fd(fd, POLLIN, "reply");
	T_CHECK(recv(fd, buf, sizeof(buf), 0) == 2, "recv: %s", t_errname(errno));
	close(fd);
}

/* Not translated: ::ffff:127.0.0.1 goes over IPv4 loopback as usual. */
static void c_loopback(void)
{
	int fd = socket6(SOCK_STREAM);
	char line[256];
	struct t_seen seen;

	T_SYS(connect6(fd, "::ffff:127.0.0.1", t_tcp_port()));
	t_write_all(fd, "PEER\n");
	t_read_line(fd, line, sizeof(line));
	t_parse_seen(line, &seen);
	T_CHECK(strcmp(seen.fam, "4") == 0, "::ffff:127.0.0.1 reached the server as IPv%s %s",
		seen.fam, seen.addr);
	expect_peer6(fd, "::ffff:127.0.0.1", t_tcp_port());
	close(fd);
}

/* Native IPv6 destinations are untouched, including the synthesised
 * address itself (T_SYNTH): the program sees what it asked for. */
static void c_native(void)
{
	const char *synth = getenv("T_SYNTH");
	const char *targets[2] = { "::1", synth };
	int i;

	T_CHECK(synth && *synth, "T_SYNTH not set");
	for (i = 0; i < 2; i++) {
		int fd = socket6(SOCK_STREAM);
		char line[256];
		struct t_seen seen;

		if (connect6(fd, targets[i], t_tcp_port()) == -1)
			T_FAIL("connect([%s]): %s", targets[i], t_errname(errno));
		expect_peer6(fd, targets[i], t_tcp_port());
		t_write_all(fd, "PEER\n");
		t_read_line(fd, line, sizeof(line));
		t_parse_seen(line, &seen);
		T_CHECK(strcmp(seen.fam, "6") == 0, "server saw IPv%s", seen.fam);
		close(fd);
	}
}

static void c_unreach(void)
{
	int fd = socket6(SOCK_STREAM);

	T_CHECK(connect6(fd, mapped_dst(), t_tcp_port()) == -1 && errno == ENETUNREACH,
		"connect([%s]): %s, want ENETUNREACH", mapped, t_errname(errno));
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct t_case_entry cases[] = {
		{ "tcp", c_tcp },
		{ "tcp-nonblock", c_tcp_nonblock },
		{ "udp", c_udp },
		{ "udp-connected", c_udp_connected },
		{ "loopback", c_loopback },
		{ "native", c_native },
		{ "unreach", c_unreach },
		{ NULL, NULL },
	};

	return t_main(argc, argv, cases);
}
