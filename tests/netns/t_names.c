/* Address buffers handed back to the program: getpeername, getsockname,
 * recvfrom, recvmsg with short, zero, exact, large and NULL buffers. POSIX
 * (and Linux for IPv4): copy min(len, 16) bytes of the sockaddr_in, set the
 * length to 16, never write past it. See tcommon.h for the environment. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tcommon.h"

#define CANARY 0xa5

enum which { PEER, SOCK };

static int name_call(enum which w, int fd, void *buf, socklen_t *len)
{
	return w == PEER ? getpeername(fd, buf, len) : getsockname(fd, buf, len);
}

/* The canonical full answer, for comparing truncated copies against. */
static struct sockaddr_in full_name(enum which w, int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	T_SYS(name_call(w, fd, &sin, &len));
	T_CHECK(len == sizeof(sin) && sin.sin_family == AF_INET,
		"%s: %s, want AF_INET", w == PEER ? "getpeername" : "getsockname",
		t_fmt_sa(&sin, len));
	return sin;
}

/* Checks buf holds the first min(given, 16) bytes of want followed by the
 * canary up to total bytes, and that the returned length is 16. */
static void check_copy(const char *what, const unsigned char *buf, size_t total,
		       socklen_t given, socklen_t returned, const struct sockaddr_in *want)
{
	size_t n = given < sizeof(*want) ? given : sizeof(*want), i;

	T_CHECK(returned == sizeof(*want), "%s with length %u: returned length %u, want %zu",
		what, (unsigned)given, (unsigned)returned, sizeof(*want));
	T_CHECK(memcmp(buf, want, n) == 0,
		"%s with length %u: the first %zu bytes differ from the full answer %s",
		what, (unsigned)given, n, t_fmt_sa(want, sizeof(*want)));
	for (i = n; i < total; i++)
		T_CHECK(buf[i] == CANARY,
			"%s with length %u: byte %zu written (0x%02x), past the %zu allowed",
			what, (unsigned)given, i, buf[i], n);
}

static void name_lengths(enum which w, int fd)
{
	static const socklen_t lens[] = { 0, 1, 2, 4, 8, 15, 16, 28, 128 };
	const char *what = w == PEER ? "getpeername" : "getsockname";
	struct sockaddr_in want = full_name(w, fd);
	unsigned char buf[sizeof(struct sockaddr_storage)];
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		socklen_t len = lens[i];

		memset(buf, CANARY, sizeof(buf));
		T_SYS(name_call(w, fd, buf, &len));
		check_copy(what, buf, sizeof(buf), lens[i], len, &want);
	}
}

static void c_peer(void)
{
	int fd = t_tcp_connected();

	t_tcp_verify(fd, t_tcp_port());
	name_lengths(PEER, fd);
	close(fd);
}

static void c_sock(void)
{
	int fd = t_tcp_connected();

	t_tcp_verify(fd, t_tcp_port());
	name_lengths(SOCK, fd);
	close(fd);
}

static int udp_switched(void)
{
	int fd = t_socket(SOCK_DGRAM);
	struct sockaddr_in dst = t_sin(t_dst(), t_udp_port());
	char buf[16];

	T_CHECK(sendto(fd, "x", 1, 0, (struct sockaddr *)&dst, sizeof(dst)) == 1,
		"sendto: %s", t_errname(errno));
	t_wait_fd(fd, POLLIN, "reply");
	T_CHECK(recv(fd, buf, sizeof(buf), 0) == 1, "recv: %s", t_errname(errno));
	return fd;
}

static void send_ping(int fd)
{
	struct sockaddr_in dst = t_sin(t_dst(), t_udp_port());

	T_CHECK(sendto(fd, "p", 1, 0, (struct sockaddr *)&dst, sizeof(dst)) == 1,
		"sendto: %s", t_errname(errno));
	t_wait_fd(fd, POLLIN, "reply");
}

static void c_recvfrom(void)
{
	static const socklen_t lens[] = { 0, 2, 4, 8, 16, 28, 128 };
	int fd = udp_switched();
	struct sockaddr_in want = t_sin(t_dst(), t_udp_port());
	unsigned char buf[sizeof(struct sockaddr_storage)];
	char data[16];
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		socklen_t len = lens[i];

		send_ping(fd);
		memset(buf, CANARY, sizeof(buf));
		T_CHECK(recvfrom(fd, data, sizeof(data), 0, (struct sockaddr *)buf, &len) == 1,
			"recvfrom: %s", t_errname(errno));
		check_copy("recvfrom", buf, sizeof(buf), lens[i], len, &want);
	}
	/* NULL address and length: just the data. */
	send_ping(fd);
	T_CHECK(recvfrom(fd, data, sizeof(data), 0, NULL, NULL) == 1,
		"recvfrom(NULL, NULL): %s", t_errname(errno));
	send_ping(fd);
	T_CHECK(recv(fd, data, sizeof(data), 0) == 1, "recv: %s", t_errname(errno));
	send_ping(fd);
	T_CHECK(read(fd, data, sizeof(data)) == 1, "read: %s", t_errname(errno));
	close(fd);
}

static void c_recvmsg(void)
{
	static const socklen_t lens[] = { 0, 2, 4, 8, 16, 28, 128 };
	int fd = udp_switched();
	struct sockaddr_in want = t_sin(t_dst(), t_udp_port());
	unsigned char buf[sizeof(struct sockaddr_storage)];
	char data[16];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr msg;
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		send_ping(fd);
		memset(buf, CANARY, sizeof(buf));
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = buf;
		msg.msg_namelen = lens[i];
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		T_CHECK(recvmsg(fd, &msg, 0) == 1, "recvmsg: %s", t_errname(errno));
		check_copy("recvmsg", buf, sizeof(buf), lens[i], msg.msg_namelen, &want);
	}
	/* msg_name NULL: fine, no name. */
	send_ping(fd);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	T_CHECK(recvmsg(fd, &msg, 0) == 1, "recvmsg(msg_name NULL): %s", t_errname(errno));
	close(fd);
}

/* Pointers into the first page (NULL plus an offset, a common bug) get
 * the kernel's EFAULT, on a translated socket and on a fresh AF_INET one,
 * never a crash in the library; the socket keeps working. */
#define BAD_POINTER ((void *)8)

static void expect_efault(long rc, const char *call)
{
	T_CHECK(rc == -1 && errno == EFAULT, "%s with a pointer into page 0: %ld (%s), want EFAULT",
		call, rc, t_errname(errno));
}

static void bad_pointers_on(int fd, bool connected)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int one = 1;

	expect_efault(connect(fd, BAD_POINTER, sizeof(struct sockaddr_in)), "connect");
	expect_efault(bind(fd, BAD_POINTER, sizeof(struct sockaddr_in)), "bind");
	expect_efault(sendto(fd, "x", 1, MSG_DONTWAIT, BAD_POINTER, sizeof(struct sockaddr_in)),
		      "sendto");
	expect_efault(sendmsg(fd, BAD_POINTER, MSG_DONTWAIT), "sendmsg");
	/* An unconnected socket has no peer to copy out (ENOTCONN first). */
	if (connected)
		expect_efault(getpeername(fd, BAD_POINTER, &len), "getpeername (name)");
	/* Name pointers only: the sanitizers' own interceptors read a length
	 * pointer before the call (ASan and TSan die on one in page 0). */
	len = sizeof(ss);
	expect_efault(getsockname(fd, BAD_POINTER, &len), "getsockname (name)");
	expect_efault(setsockopt(fd, IPPROTO_IP, IP_TOS, BAD_POINTER, sizeof(int)),
		      "setsockopt(IP_TOS)");
	len = sizeof(one);
	expect_efault(getsockopt(fd, IPPROTO_IP, IP_TOS, BAD_POINTER, &len), "getsockopt(IP_TOS)");
}

/* A raw ICMP socket (root) translated by an echo request to T_DST: the
 * kernel answers the ICMPv6 echo on lo, and a receive whose name pointers
 * lie in page 0 is EFAULT, never a crash in the ICMP path. */
static void bad_pointers_icmp(void)
{
	unsigned char echo[8] = { 8, 0, 0, 0, 0x12, 0x34, 0, 1 }, reply[64];
	struct sockaddr_in dst = t_sin(t_dst(), 0);
	socklen_t len = sizeof(struct sockaddr_in);
	unsigned sum = 0;
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);

	T_SYS(fd);
	for (size_t i = 0; i < sizeof(echo); i += 2) /* RFC 792 checksum */
		sum += (unsigned)(echo[i] << 8 | echo[i + 1]);
	sum = ~((sum & 0xffff) + (sum >> 16)) & 0xffff;
	echo[2] = (unsigned char)(sum >> 8), echo[3] = (unsigned char)sum;
	T_CHECK(sendto(fd, echo, sizeof(echo), 0, (struct sockaddr *)&dst, sizeof(dst)) ==
			(ssize_t)sizeof(echo), "ICMP echo to %s: %s", t_dst(), t_errname(errno));
	t_wait_fd(fd, POLLIN, "ICMP echo reply");
	/* A name pointer only, as above for the sanitizers' sake. */
	expect_efault(recvfrom(fd, reply, sizeof(reply), MSG_DONTWAIT, BAD_POINTER, &len),
		      "recvfrom on an ICMP socket (name)");
	{
		struct iovec iov = { reply, sizeof(reply) };
		struct msghdr msg = { .msg_name = BAD_POINTER, .msg_namelen = 16,
				      .msg_iov = &iov, .msg_iovlen = 1 };

		expect_efault(recvmsg(fd, &msg, MSG_DONTWAIT), "recvmsg on an ICMP socket (name)");
	}
	close(fd);
}

static void c_bad_pointers(void)
{
	int fd = t_tcp_connected(), fresh = t_socket(SOCK_DGRAM);

	bad_pointers_on(fd, true);
	t_tcp_verify(fd, t_tcp_port());
	close(fd);
	bad_pointers_on(fresh, false);
	t_expect_domain(fresh, AF_INET);
	close(fresh);
	bad_pointers_icmp();
}

int main(int argc, char **argv)
{
	static const struct t_case_entry cases[] = {
		{ "peer", c_peer },
		{ "sock", c_sock },
		{ "recvfrom", c_recvfrom },
		{ "recvmsg", c_recvmsg },
		{ "bad-pointers", c_bad_pointers },
		{ NULL, NULL },
	};

	return t_main(argc, argv, cases);
}
