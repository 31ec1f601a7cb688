/* UDP through libclat: sendto/sendmsg/sendmmsg on unconnected sockets,
 * connected UDP, recvfrom/recvmsg/recvmmsg names, bind() replay and the
 * cases that must stay IPv4 (bind to a specific address, SO_BROADCAST,
 * IPv4 multicast options). See tcommon.h for the environment. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tcommon.h"

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/time.h>

static struct sockaddr_in dst_udp(void)
{
	return t_sin(t_dst(), t_udp_port());
}

static void recv_reply_from(int fd, const char *want, const char *from_addr);

/* Waits for one datagram and checks it came from T_DST:T_UDP as AF_INET. */
static void recv_reply(int fd, const char *want)
{
	recv_reply_from(fd, want, t_dst());
}

static void recv_reply_from(int fd, const char *want, const char *from_addr)
{
	char buf[512];
	struct sockaddr_storage from;
	socklen_t len = sizeof(from);
	ssize_t n;

	t_wait_fd(fd, POLLIN, "UDP reply");
	n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &len);
	if (n == -1)
		T_FAIL("recvfrom: %s", t_errname(errno));
	buf[n] = '\0';
	T_CHECK(strcmp(buf, want) == 0, "reply '%s', want '%s'", buf, want);
	t_expect_in("recvfrom", &from, len, from_addr, t_udp_port());
}

/* Sends INFO and checks what the server saw: family, source port, and the
 * synthesised server-side address. Returns the source port it saw. */
static unsigned info_check(int fd, bool connected)
{
	struct sockaddr_in dst = dst_udp();
	char buf[512], fam[8], addr[64], local[64];
	unsigned port;
	int tclass, hops;
	ssize_t n;
	const char *synth = getenv("T_SYNTH");

	if (connected)
		n = send(fd, "INFO", 4, 0);
	else
		n = sendto(fd, "INFO", 4, 0, (struct sockaddr *)&dst, sizeof(dst));
	T_CHECK(n == 4, "send INFO: %s", t_errname(errno));
	t_wait_fd(fd, POLLIN, "INFO reply");
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	T_CHECK(n > 0, "recv INFO reply: %s", t_errname(errno));
	buf[n] = '\0';
	if (sscanf(buf, "INFO %7s %63s %u LOCAL %63s %d %d", fam, addr, &port, local,
		   &tclass, &hops) != 6)
		T_FAIL("bad INFO reply '%s'", buf);
	T_CHECK(strcmp(fam, t_peer_fam()) == 0, "server saw IPv%s %s, want IPv%s", fam,
		addr, t_peer_fam());
	T_CHECK(!synth || !*synth || strcmp(local, synth) == 0,
		"server-side address %s, want the synthesised %s", local, synth);
	return port;
}

/* getsockname() of an unconnected socket bound to the wildcard: IPv4 says
 * 0.0.0.0; a translated one may also say T_LOCAL (both accepted). */
static void expect_sock_unconnected(int fd, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct sockaddr_in sin;
	char a[INET_ADDRSTRLEN];

	T_SYS(getsockname(fd, (struct sockaddr *)&ss, &len));
	t_expect_in("getsockname", &ss, len, "-", port);
	memcpy(&sin, &ss, sizeof(sin));
	inet_ntop(AF_INET, &sin.sin_addr, a, sizeof(a));
	T_CHECK(strcmp(a, "0.0.0.0") == 0 || strcmp(a, t_local()) == 0 ||
			strcmp(t_local(), "-") == 0,
		"getsockname of an unconnected socket: %s, want 0.0.0.0 or %s", a,
		t_local());
}

static void c_sendto(void)
{
	int fd = t_socket(SOCK_DGRAM);
	struct sockaddr_in dst = dst_udp();
	unsigned port;

	T_CHECK(sendto(fd, "hello", 5, 0, (struct sockaddr *)&dst, sizeof(dst)) == 5,
		"sendto(%s): %s", t_fmt_sa(&dst, sizeof(dst)), t_errname(errno));
	recv_reply(fd, "hello");
	t_expect_domain(fd, AF_INET);
	port = info_check(fd, false);
	expect_sock_unconnected(fd, (int)port);
	/* Unconnected: no peer. */
	{
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);

		T_CHECK(getpeername(fd, (struct sockaddr *)&ss, &len) == -1 &&
				errno == ENOTCONN,
			"getpeername on unconnected UDP: %s, want ENOTCONN",
			t_errname(errno));
	}
	close(fd);
}

static void c_sendmsg(void)
{
	int fd = t_socket(SOCK_DGRAM);
	struct sockaddr_in dst = dst_udp();
	struct sockaddr_storage from;
	char buf[64];
	struct iovec iov = { .iov_base = "msg", .iov_len = 3 };
	struct msghdr msg = { .msg_name = &dst, .msg_namelen = sizeof(dst),
			      .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	T_CHECK(sendmsg(fd, &msg, 0) == 3, "sendmsg: %s", t_errname(errno));
	t_wait_fd(fd, POLLIN, "reply");
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	msg.msg_name = &from;
	msg.msg_namelen = sizeof(from);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	n = recvmsg(fd, &msg, 0);
	T_CHECK(n == 3 && memcmp(buf, "msg", 3) == 0, "recvmsg: %zd bytes (%s)", n,
		t_errname(errno));
	t_expect_in("recvmsg msg_name", &from, msg.msg_namelen, t_dst(), t_udp_port());
	T_CHECK(!(msg.msg_flags & MSG_CTRUNC), "MSG_CTRUNC without control buffer?");
	close(fd);
}

#define MM 3
static void c_sendmmsg(void)
{
	int fd = t_socket(SOCK_DGRAM), i, n, got = 0;
	struct sockaddr_in dst = dst_udp();
	struct mmsghdr out[MM], in[MM];
	struct iovec oiov[MM], iiov[MM];
	struct sockaddr_storage from[MM];
	char payload[MM][8], buf[MM][64];

	memset(out, 0, sizeof(out));
	for (i = 0; i < MM; i++) {
		snprintf(payload[i], sizeof(payload[i]), "mm%d", i);
		oiov[i].iov_base = payload[i];
		oiov[i].iov_len = strlen(payload[i]);
		out[i].msg_hdr.msg_name = &dst;
		out[i].msg_hdr.msg_namelen = sizeof(dst);
		out[i].msg_hdr.msg_iov = &oiov[i];
		out[i].msg_hdr.msg_iovlen = 1;
	}
	n = sendmmsg(fd, out, MM, 0);
	T_CHECK(n == MM, "sendmmsg: %d (%s), want %d", n, t_errname(errno), MM);
	while (got < MM) {
		memset(in, 0, sizeof(in));
		for (i = 0; i < MM; i++) {
			iiov[i].iov_base = buf[i];
			iiov[i].iov_len = sizeof(buf[i]) - 1;
			in[i].msg_hdr.msg_name = &from[i];
			in[i].msg_hdr.msg_namelen = sizeof(from[i]);
			in[i].msg_hdr.msg_iov = &iiov[i];
			in[i].msg_hdr.msg_iovlen = 1;
		}
		t_wait_fd(fd, POLLIN, "recvmmsg");
		n = recvmmsg(fd, in, (unsigned)(MM - got), MSG_DONTWAIT, NULL);
		T_CHECK(n > 0, "recvmmsg: %s", t_errname(errno));
		for (i = 0; i < n; i++) {
			buf[i][in[i].msg_len] = '\0';
			T_CHECK(strncmp(buf[i], "mm", 2) == 0, "recvmmsg payload '%s'", buf[i]);
			t_expect_in("recvmmsg msg_name", &from[i], in[i].msg_hdr.msg_namelen,
				    t_dst(), t_udp_port());
		}
		got += n;
	}
	close(fd);
}

/* connect() then send()/recv(); recvfrom() still names the peer AF_INET. */
static void c_connected(void)
{
	int fd = t_socket(SOCK_DGRAM);
	struct sockaddr_in dst = dst_udp();
	unsigned port;

	T_SYS(connect(fd, (struct sockaddr *)&dst, sizeof(dst)));
	t_expect_peer(fd, t_dst(), t_udp_port());
	T_CHECK(send(fd, "conn", 4, 0) == 4, "send: %s", t_errname(errno));
	recv_reply(fd, "conn");
	T_CHECK(write(fd, "wr", 2) == 2, "write: %s", t_errname(errno));
	{
		char buf[16];
		ssize_t n;

		t_wait_fd(fd, POLLIN, "reply");
		n = read(fd, buf, sizeof(buf));
		T_CHECK(n == 2 && memcmp(buf, "wr", 2) == 0, "read: %zd (%s)", n,
			t_errname(errno));
	}
	port = info_check(fd, true);
	t_expect_sock(fd, t_local(), (int)port);
	t_expect_domain(fd, AF_INET);
	close(fd);
}

/* bind(0.0.0.0:port) before the first sendto() is replayed. */
static void c_bind_any(void)
{
	int fd = t_socket(SOCK_DGRAM);
	struct sockaddr_in any = t_sin("0.0.0.0", t_bind_port());
	unsigned port;

	T_SYS(bind(fd, (struct sockaddr *)&any, sizeof(any)));
	port = info_check(fd, false);
	T_CHECK(port == t_bind_port(), "server saw source port %u, want the bound %u",
		port, t_bind_port());
	expect_sock_unconnected(fd, t_bind_port());
	close(fd);
}

/* A sendto() that must not be translated: fails as without the library. */
static void expect_v4_failure(int fd)
{
	struct sockaddr_in dst = dst_udp();

	errno = 0;
	T_CHECK(sendto(fd, "x", 1, 0, (struct sockaddr *)&dst, sizeof(dst)) == -1 &&
			errno == ENETUNREACH,
		"sendto: %s, want ENETUNREACH (socket must stay IPv4)", t_errname(errno));
	t_expect_domain(fd, AF_INET);
}

static void c_bind_loopback(void)
{
	int fd = t_socket(SOCK_DGRAM);
	struct sockaddr_in lo = t_sin("127.0.0.1", 0);

	T_SYS(bind(fd, (struct sockaddr *)&lo, sizeof(lo)));
	expect_v4_failure(fd);
	t_expect_sock(fd, "127.0.0.1", -1);
	close(fd);
}

static void c_broadcast(void)
{
	int fd = t_socket(SOCK_DGRAM);

	t_setint(fd, SOL_SOCKET, SO_BROADCAST, 1, "SO_BROADCAST");
	expect_v4_failure(fd);
	close(fd);
}

static void c_multicast(void)
{
	int fd = t_socket(SOCK_DGRAM);

	t_setint(fd, IPPROTO_IP, IP_MULTICAST_TTL, 4, "IP_MULTICAST_TTL");
	expect_v4_failure(fd);
	close(fd);
}

/* No translation expected: sendto fails ENETUNREACH. */
static void c_unreach(void)
{
	int fd = t_socket(SOCK_DGRAM);

	expect_v4_failure(fd);
	close(fd);
}

/* A translated non-blocking socket still says EAGAIN when idle. */
static void c_nonblock(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	char buf[8];

	T_SYS(fd);
	info_check(fd, false);
	T_CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK, "O_NONBLOCK lost in the switch");
	T_CHECK(recv(fd, buf, sizeof(buf), 0) == -1 && errno == EAGAIN,
		"recv on an idle non-blocking socket: %s, want EAGAIN", t_errname(errno));
	close(fd);
}

/* Several destinations from one socket: a second sendto() after the switch
 * also goes to the right (translated) place. */
static void c_resend(void)
{
	int fd = t_socket(SOCK_DGRAM), i;
	struct sockaddr_in dst = dst_udp();
	char msg[16];

	for (i = 0; i < 3; i++) {
		snprintf(msg, sizeof(msg), "r%d", i);
		T_CHECK(sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&dst,
			       sizeof(dst)) == (ssize_t)strlen(msg),
			"sendto #%d: %s", i + 1, t_errname(errno));
		recv_reply(fd, msg);
	}
	close(fd);
}

/* After the switch, a never-translated destination (127.0.0.1) from the
 * same socket still works, and its replies are named AF_INET 127.0.0.1. */
static void c_mixed_dst(void)
{
	int fd = t_socket(SOCK_DGRAM);
	struct sockaddr_in dst = dst_udp(), lo = t_sin("127.0.0.1", t_udp_port());

	T_CHECK(sendto(fd, "one", 3, 0, (struct sockaddr *)&dst, sizeof(dst)) == 3,
		"sendto(%s): %s", t_fmt_sa(&dst, sizeof(dst)), t_errname(errno));
	recv_reply(fd, "one");
	T_CHECK(sendto(fd, "two", 3, 0, (struct sockaddr *)&lo, sizeof(lo)) == 3,
		"sendto(127.0.0.1) on the switched socket: %s", t_errname(errno));
	recv_reply_from(fd, "two", "127.0.0.1");
	T_CHECK(sendto(fd, "three", 5, 0, (struct sockaddr *)&dst, sizeof(dst)) == 5,
		"sendto(%s) again: %s", t_fmt_sa(&dst, sizeof(dst)), t_errname(errno));
	recv_reply(fd, "three");
	close(fd);
}

/* connect(AF_UNSPEC) dissolves the association of a translated socket. */
static void c_disconnect(void)
{
	int fd = t_socket(SOCK_DGRAM);
	struct sockaddr_in dst = dst_udp();
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	T_SYS(connect(fd, (struct sockaddr *)&dst, sizeof(dst)));
	T_CHECK(send(fd, "c", 1, 0) == 1, "send: %s", t_errname(errno));
	recv_reply(fd, "c");
	T_CHECK(connect(fd, &unspec, sizeof(unspec)) == 0, "connect(AF_UNSPEC): %s",
		t_errname(errno));
	T_CHECK(getpeername(fd, (struct sockaddr *)&ss, &len) == -1 && errno == ENOTCONN,
		"getpeername after connect(AF_UNSPEC): %s, want ENOTCONN (got %s)",
		t_errname(errno), t_fmt_sa(&ss, len));
	T_CHECK(sendto(fd, "u", 1, 0, (struct sockaddr *)&dst, sizeof(dst)) == 1,
		"sendto after disconnect: %s", t_errname(errno));
	recv_reply(fd, "u");
	t_expect_domain(fd, AF_INET);
	close(fd);
}

/* Fail open: no fd left for the AF_INET6 socket -> the real ENETUNREACH.
 * A first translated sendto() makes sure the library is active. */
static void c_emfile(void)
{
	struct rlimit rl = { 64, 64 };
	int fd;

	T_SYS(setrlimit(RLIMIT_NOFILE, &rl));
	fd = t_socket(SOCK_DGRAM);
	info_check(fd, false);
	close(fd);
	fd = t_socket(SOCK_DGRAM);
	while (open("/dev/null", O_RDONLY) != -1)
		;
	T_CHECK(errno == EMFILE, "filling the fd table: %s", t_errname(errno));
	expect_v4_failure(fd);
}

/* An event loop registers the UDP socket with epoll first (libuv does:
 * bind, epoll, then sendto); the reply must still wake it up. */
static void c_epoll_before(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), ep, n;
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd }, got;
	struct sockaddr_in dst = dst_udp();

	T_SYS(fd);
	ep = epoll_create1(EPOLL_CLOEXEC);
	T_SYS(ep);
	T_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	T_CHECK(sendto(fd, "ep", 2, 0, (struct sockaddr *)&dst, sizeof(dst)) == 2,
		"sendto: %s", t_errname(errno));
	n = epoll_wait(ep, &got, 1, 3000);
	T_CHECK(n != -1, "epoll_wait: %s", t_errname(errno));
	T_CHECK(n == 1 && got.data.fd == fd,
		"epoll_wait on a socket registered before sendto(): no event in 3 s, want "
		"%s for fd %d (the registration did not follow the family switch)",
		(ev.events & EPOLLIN) ? "EPOLLIN" : "EPOLLOUT", fd);
	recv_reply(fd, "ep");
	close(ep);
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct t_case_entry cases[] = {
		{ "sendto", c_sendto },
		{ "sendmsg", c_sendmsg },
		{ "sendmmsg", c_sendmmsg },
		{ "connected", c_connected },
		{ "bind-any", c_bind_any },
		{ "bind-loopback", c_bind_loopback },
		{ "broadcast", c_broadcast },
		{ "multicast", c_multicast },
		{ "unreach", c_unreach },
		{ "nonblock", c_nonblock },
		{ "resend", c_resend },
		{ "mixed-dst", c_mixed_dst },
		{ "disconnect", c_disconnect },
		{ "emfile", c_emfile },
		{ "epoll-before", c_epoll_before },
		{ NULL, NULL },
	};

	return t_main(argc, argv, cases);
}
