/* Socket options across the family switch: SO_* replayed, IP_TOS/IP_TTL
 * mapped to IPV6_TCLASS/IPV6_UNICAST_HOPS (RFC 7915 4.1, 5.1) in both
 * directions, IP_PKTINFO/IP_RECVTOS/IP_RECVTTL control messages delivered as
 * IPv4 ones. See tcommon.h for the environment. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tcommon.h"

#include <netinet/tcp.h>
#include <sys/time.h>

/* t_server marks its replies with these (see t_server.c). */
#define SERVER_TCLASS 0x10
#define SERVER_HOPS 33
/* What IP_PKTINFO + IP_TOS + IP_TTL take (the IPv6 twins take more). */
#define IPV4_CMSG_SPACE \
	(CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(1) + CMSG_SPACE(sizeof(int)))

static struct sockaddr_in dst_udp(void)
{
	return t_sin(t_dst(), t_udp_port());
}

/* Sends INFO; returns the traffic class and hop limit t_server received. */
static void udp_info(int fd, int *tclass, int *hops)
{
	struct sockaddr_in dst = dst_udp();
	char buf[256], fam[8], addr[64], local[64];
	unsigned port;
	ssize_t n;

	T_CHECK(sendto(fd, "INFO", 4, 0, (struct sockaddr *)&dst, sizeof(dst)) == 4,
		"sendto: %s", t_errname(errno));
	t_wait_fd(fd, POLLIN, "INFO reply");
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	T_CHECK(n > 0, "recv: %s", t_errname(errno));
	buf[n] = '\0';
	if (sscanf(buf, "INFO %7s %63s %u LOCAL %63s %d %d", fam, addr, &port, local,
		   tclass, hops) != 6)
		T_FAIL("bad INFO reply '%s'", buf);
	T_CHECK(strcmp(fam, t_peer_fam()) == 0, "server saw IPv%s %s, want IPv%s", fam,
		addr, t_peer_fam());
}

struct sockopt_case {
	int level, opt;
	const char *name;
	int value;
};

static const struct sockopt_case so_ints[] = {
	{ SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE", 1 },
	{ SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", 1 },
	{ SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF", 96 * 1024 },
	{ SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF", 80 * 1024 },
	{ SOL_SOCKET, SO_PRIORITY, "SO_PRIORITY", 3 },
	{ SOL_SOCKET, SO_OOBINLINE, "SO_OOBINLINE", 1 },
	{ SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT", 1 },
	{ 0, 0, NULL, 0 },
};

/* SO_* options set before the switch read back the same afterwards. */
static void c_soopts(void)
{
	int fd = t_socket(SOCK_STREAM), before[16], i, mark_ok;
	struct linger lg = { 1, 5 }, lg2;
	struct timeval tv = { 2, 500000 }, tv2;
	struct sockaddr_in dst = t_sin(t_dst(), t_tcp_port());
	socklen_t len;

	for (i = 0; so_ints[i].name; i++) {
		t_setint(fd, so_ints[i].level, so_ints[i].opt, so_ints[i].value,
			 so_ints[i].name);
		/* What the kernel made of it (buffer sizes are doubled). */
		before[i] = t_getint(fd, so_ints[i].level, so_ints[i].opt, so_ints[i].name);
	}
	mark_ok = setsockopt(fd, SOL_SOCKET, SO_MARK, &(int){ 42 }, sizeof(int)) == 0;
	T_SYS(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	T_SYS(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	T_SYS(connect(fd, (struct sockaddr *)&dst, sizeof(dst)));
	t_tcp_verify(fd, t_tcp_port());
	for (i = 0; so_ints[i].name; i++) {
		int after = t_getint(fd, so_ints[i].level, so_ints[i].opt, so_ints[i].name);

		T_CHECK(after == before[i], "%s after the switch: %d, before: %d",
			so_ints[i].name, after, before[i]);
	}
	if (mark_ok)
		T_CHECK(t_getint(fd, SOL_SOCKET, SO_MARK, "SO_MARK") == 42,
			"SO_MARK lost in the switch");
	len = sizeof(lg2);
	T_SYS(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg2, &len));
	T_CHECK(lg2.l_onoff == 1 && lg2.l_linger == 5, "SO_LINGER after: {%d, %d}",
		lg2.l_onoff, lg2.l_linger);
	len = sizeof(tv2);
	T_SYS(getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv2, &len));
	T_CHECK(tv2.tv_sec == 2 && tv2.tv_usec >= 490000 && tv2.tv_usec <= 510000,
		"SO_RCVTIMEO after: %ld.%06ld", (long)tv2.tv_sec, (long)tv2.tv_usec);
	close(fd);
}

/* IPPROTO_TCP options (not named in the spec's list, but a program that set
 * TCP_NODELAY before connect() expects it to hold). */
static void c_tcpopts(void)
{
	int fd = t_socket(SOCK_STREAM);
	struct sockaddr_in dst = t_sin(t_dst(), t_tcp_port());

	t_setint(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
	t_setint(fd, IPPROTO_TCP, TCP_KEEPIDLE, 77, "TCP_KEEPIDLE");
	T_SYS(connect(fd, (struct sockaddr *)&dst, sizeof(dst)));
	t_tcp_verify(fd, t_tcp_port());
	T_CHECK(t_getint(fd, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY") == 1,
		"TCP_NODELAY lost in the switch");
	T_CHECK(t_getint(fd, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE") == 77,
		"TCP_KEEPIDLE lost in the switch");
	close(fd);
}

static void expect_tos_ttl(int fd, int tos, int ttl)
{
	int got_tos = t_getint(fd, IPPROTO_IP, IP_TOS, "IP_TOS");
	int got_ttl = t_getint(fd, IPPROTO_IP, IP_TTL, "IP_TTL");

	T_CHECK(got_tos == tos, "getsockopt(IP_TOS) = 0x%x, want 0x%x", got_tos, tos);
	T_CHECK(got_ttl == ttl, "getsockopt(IP_TTL) = %d, want %d", got_ttl, ttl);
}

/* IP_TOS/IP_TTL set before the switch reach the wire as traffic class and
 * hop limit, and getsockopt() answers from them. */
static void c_tos_ttl_udp(void)
{
	int fd = t_socket(SOCK_DGRAM), tclass, hops;

	t_setint(fd, IPPROTO_IP, IP_TOS, 0x28, "IP_TOS");
	t_setint(fd, IPPROTO_IP, IP_TTL, 7, "IP_TTL");
	udp_info(fd, &tclass, &hops);
	T_CHECK(tclass == 0x28, "server received traffic class 0x%x, want 0x28", tclass);
	T_CHECK(hops == 7, "server received hop limit %d, want 7", hops);
	expect_tos_ttl(fd, 0x28, 7);
	close(fd);
}

/* Set after the switch: the IPv4 option maps to its IPv6 twin. */
static void c_tos_ttl_after(void)
{
	int fd = t_socket(SOCK_DGRAM), tclass, hops;

	udp_info(fd, &tclass, &hops); /* the switch */
	expect_tos_ttl(fd, 0, 64);    /* defaults: TOS 0, TTL 64 (ip_default_ttl) */
	t_setint(fd, IPPROTO_IP, IP_TOS, 0x48, "IP_TOS");
	t_setint(fd, IPPROTO_IP, IP_TTL, 11, "IP_TTL");
	udp_info(fd, &tclass, &hops);
	T_CHECK(tclass == 0x48, "server received traffic class 0x%x, want 0x48", tclass);
	T_CHECK(hops == 11, "server received hop limit %d, want 11", hops);
	expect_tos_ttl(fd, 0x48, 11);
	close(fd);
}

static void c_tos_ttl_tcp(void)
{
	int fd = t_socket(SOCK_STREAM);
	struct sockaddr_in dst = t_sin(t_dst(), t_tcp_port());

	t_setint(fd, IPPROTO_IP, IP_TOS, 0x20, "IP_TOS");
	t_setint(fd, IPPROTO_IP, IP_TTL, 9, "IP_TTL");
	T_SYS(connect(fd, (struct sockaddr *)&dst, sizeof(dst)));
	t_tcp_verify(fd, t_tcp_port());
	expect_tos_ttl(fd, 0x20, 9);
	close(fd);
}

/* Receives one echo with a control buffer of ctrl_size bytes and checks
 * the IPv4 cmsgs. */
static void expect_ipv4_cmsgs_n(int fd, size_t ctrl_size)
{
	char buf[64];
	union {
		char b[512];
		struct cmsghdr align;
	} ctrl;
	struct sockaddr_in dst = dst_udp();
	struct sockaddr_storage from;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from),
			      .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctrl.b, .msg_controllen = ctrl_size };
	struct cmsghdr *c;
	bool pktinfo = false, tos = false, ttl = false;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	T_CHECK(sendto(fd, "cm", 2, 0, (struct sockaddr *)&dst, sizeof(dst)) == 2,
		"sendto: %s", t_errname(errno));
	t_wait_fd(fd, POLLIN, "reply");
	T_CHECK(recvmsg(fd, &msg, 0) == 2, "recvmsg: %s", t_errname(errno));
	t_expect_in("recvmsg msg_name", &from, msg.msg_namelen, t_dst(), t_udp_port());
	T_CHECK(!(msg.msg_flags & MSG_CTRUNC), "MSG_CTRUNC with a %zu-byte control buffer",
		ctrl_size);
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		T_CHECK(c->cmsg_level == IPPROTO_IP,
			"control message of level %d type %d (IPv6 leaking through?)",
			c->cmsg_level, c->cmsg_type);
		if (c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			T_CHECK(c->cmsg_len == CMSG_LEN(sizeof(pi)), "IP_PKTINFO cmsg_len %zu",
				(size_t)c->cmsg_len);
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			inet_ntop(AF_INET, &pi.ipi_addr, a, sizeof(a));
			inet_ntop(AF_INET, &pi.ipi_spec_dst, b, sizeof(b));
			T_CHECK(strcmp(a, t_local()) == 0 || strcmp(t_local(), "-") == 0,
				"IP_PKTINFO ipi_addr %s, want %s", a, t_local());
			T_CHECK(strcmp(b, t_local()) == 0 || strcmp(t_local(), "-") == 0,
				"IP_PKTINFO ipi_spec_dst %s, want %s", b, t_local());
			T_CHECK(pi.ipi_ifindex > 0, "IP_PKTINFO ipi_ifindex %d", pi.ipi_ifindex);
			pktinfo = true;
		} else if (c->cmsg_type == IP_TOS) {
			unsigned char v;

			T_CHECK(c->cmsg_len == CMSG_LEN(1), "IP_TOS cmsg_len %zu, want %zu",
				(size_t)c->cmsg_len, (size_t)CMSG_LEN(1));
			memcpy(&v, CMSG_DATA(c), 1);
			T_CHECK(v == SERVER_TCLASS, "IP_TOS 0x%x, want 0x%x", v, SERVER_TCLASS);
			tos = true;
		} else if (c->cmsg_type == IP_TTL) {
			int v;

			T_CHECK(c->cmsg_len == CMSG_LEN(sizeof(int)), "IP_TTL cmsg_len %zu",
				(size_t)c->cmsg_len);
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			T_CHECK(v == SERVER_HOPS, "IP_TTL %d, want %d", v, SERVER_HOPS);
			ttl = true;
		} else {
			T_FAIL("unexpected IPv4 control message type %d", c->cmsg_type);
		}
	}
	T_CHECK(pktinfo, "no IP_PKTINFO control message");
	T_CHECK(tos, "no IP_TOS control message");
	T_CHECK(ttl, "no IP_TTL control message");
	T_CHECK(msg.msg_controllen == IPV4_CMSG_SPACE, "msg_controllen %zu, want %zu",
		(size_t)msg.msg_controllen, (size_t)IPV4_CMSG_SPACE);
}

static void expect_ipv4_cmsgs(int fd)
{
	expect_ipv4_cmsgs_n(fd, 512);
}

static void enable_recv_opts(int fd)
{
	t_setint(fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO");
	t_setint(fd, IPPROTO_IP, IP_RECVTOS, 1, "IP_RECVTOS");
	t_setint(fd, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL");
}

/* Enabled before the switch (replayed as IPV6_RECV*). */
static void c_recv_cmsg(void)
{
	int fd = t_socket(SOCK_DGRAM);

	enable_recv_opts(fd);
	expect_ipv4_cmsgs(fd);
	expect_ipv4_cmsgs(fd);
	close(fd);
}

/* Enabled after the switch (mapped as IPV6_RECV*). */
static void c_recv_cmsg_after(void)
{
	int fd = t_socket(SOCK_DGRAM), tclass, hops;

	udp_info(fd, &tclass, &hops);
	enable_recv_opts(fd);
	T_CHECK(t_getint(fd, IPPROTO_IP, IP_PKTINFO, "IP_PKTINFO") == 1,
		"getsockopt(IP_PKTINFO) after setting it: 0");
	expect_ipv4_cmsgs(fd);
	close(fd);
}

/* A control buffer sized exactly for the IPv4 messages is enough. */
static void c_recv_cmsg_exact(void)
{
	int fd = t_socket(SOCK_DGRAM);

	enable_recv_opts(fd);
	expect_ipv4_cmsgs_n(fd, IPV4_CMSG_SPACE);
	expect_ipv4_cmsgs_n(fd, IPV4_CMSG_SPACE);
	close(fd);
}

/* IP_TOS / IP_TTL given per datagram as sendmsg() control messages reach
 * the wire as traffic class / hop limit. */
static void c_send_cmsg(void)
{
	int fd = t_socket(SOCK_DGRAM), tclass, hops, i;
	struct sockaddr_in dst = dst_udp();
	union {
		char b[CMSG_SPACE(sizeof(int)) * 2];
		struct cmsghdr align;
	} ctrl;
	struct iovec iov = { .iov_base = "INFO", .iov_len = 4 };
	struct msghdr msg = { .msg_name = &dst, .msg_namelen = sizeof(dst),
			      .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctrl.b, .msg_controllen = sizeof(ctrl.b) };
	struct cmsghdr *c;
	char buf[256], fam[8], addr[64], local[64];
	unsigned port;
	ssize_t n;

	for (i = 0; i < 2; i++) { /* the first sendmsg() switches, the second not */
		int tos = 0x30 + 8 * i, ttl = 5 + i;

		memset(&ctrl, 0, sizeof(ctrl));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_TOS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &tos, sizeof(int));
		c = CMSG_NXTHDR(&msg, c);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_TTL;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &ttl, sizeof(int));
		T_CHECK(sendmsg(fd, &msg, 0) == 4, "sendmsg with IP_TOS/IP_TTL: %s",
			t_errname(errno));
		t_wait_fd(fd, POLLIN, "INFO reply");
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		T_CHECK(n > 0, "recv: %s", t_errname(errno));
		buf[n] = '\0';
		if (sscanf(buf, "INFO %7s %63s %u LOCAL %63s %d %d", fam, addr, &port, local,
			   &tclass, &hops) != 6)
			T_FAIL("bad INFO reply '%s'", buf);
		T_CHECK(strcmp(fam, t_peer_fam()) == 0, "server saw IPv%s", fam);
		T_CHECK(tclass == tos, "sendmsg #%d: server received traffic class 0x%x, "
			"want 0x%x (IP_TOS cmsg)", i + 1, tclass, tos);
		T_CHECK(hops == ttl, "sendmsg #%d: server received hop limit %d, want %d "
			"(IP_TTL cmsg)", i + 1, hops, ttl);
	}
	close(fd);
}

/* SO_DOMAIN, SO_TYPE, SO_PROTOCOL keep describing the program's socket. */
static void c_domain(void)
{
	int t = t_tcp_connected(), u = t_socket(SOCK_DGRAM), tclass, hops;

	udp_info(u, &tclass, &hops);
	t_expect_domain(t, AF_INET);
	t_expect_domain(u, AF_INET);
	T_CHECK(t_getint(t, SOL_SOCKET, SO_TYPE, "SO_TYPE") == SOCK_STREAM, "SO_TYPE");
	T_CHECK(t_getint(u, SOL_SOCKET, SO_TYPE, "SO_TYPE") == SOCK_DGRAM, "SO_TYPE");
	T_CHECK(t_getint(t, SOL_SOCKET, SO_PROTOCOL, "SO_PROTOCOL") == IPPROTO_TCP,
		"SO_PROTOCOL");
	T_CHECK(t_getint(u, SOL_SOCKET, SO_PROTOCOL, "SO_PROTOCOL") == IPPROTO_UDP,
		"SO_PROTOCOL");
	close(t);
	close(u);
}

/* SO_RCVTIMEO replayed: an idle recv() times out instead of blocking. */
static void c_rcvtimeo(void)
{
	int fd = t_socket(SOCK_DGRAM), tclass, hops;
	struct timeval tv = { 0, 300000 }, t0, t1;
	char buf[8];
	long ms;

	T_SYS(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	udp_info(fd, &tclass, &hops);
	gettimeofday(&t0, NULL);
	T_CHECK(recv(fd, buf, sizeof(buf), 0) == -1 && errno == EAGAIN,
		"idle recv with SO_RCVTIMEO: %s, want EAGAIN", t_errname(errno));
	gettimeofday(&t1, NULL);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) / 1000;
	T_CHECK(ms >= 250 && ms < 3000, "recv timed out after %ld ms, want ~300", ms);
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct t_case_entry cases[] = {
		{ "soopts", c_soopts },
		{ "tcpopts", c_tcpopts },
		{ "tos-ttl-udp", c_tos_ttl_udp },
		{ "tos-ttl-after", c_tos_ttl_after },
		{ "tos-ttl-tcp", c_tos_ttl_tcp },
		{ "recv-cmsg", c_recv_cmsg },
		{ "recv-cmsg-after", c_recv_cmsg_after },
		{ "recv-cmsg-exact", c_recv_cmsg_exact },
		{ "send-cmsg", c_send_cmsg },
		{ "domain", c_domain },
		{ "rcvtimeo", c_rcvtimeo },
		{ NULL, NULL },
	};

	return t_main(argc, argv, cases);
}
