/* Control-message translation, both directions. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* struct in6_pktinfo */
#endif

#include <netinet/udp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/cmsg.h"
#include "suites.h"
#include "test_util.h"

#define BUF_MAX 1024

/* Aligned control buffer, as programs declare them. */
union cbuf {
	struct cmsghdr align;
	unsigned char b[BUF_MAX];
};

/* Appends one message at off (padded); returns the next offset. */
static size_t add(void *buf, size_t off, int level, int type, const void *data, size_t n)
{
	unsigned char *p = buf;
	struct cmsghdr h;

	memset(&h, 0, sizeof(h));
	h.cmsg_len = CMSG_LEN(n);
	h.cmsg_level = level;
	h.cmsg_type = type;
	memset(p + off, 0, CMSG_SPACE(n));
	memcpy(p + off, &h, sizeof(h));
	memcpy(p + off + CMSG_LEN(0), data, n);
	return off + CMSG_SPACE(n);
}

static size_t add_int(void *buf, size_t off, int level, int type, int value)
{
	return add(buf, off, level, type, &value, sizeof(value));
}

/* Walks translated output with glibc's own macros, an independent reader. */
static size_t collect(union cbuf *buf, size_t len, struct cmsghdr **out, size_t max)
{
	struct msghdr msg;
	size_t n = 0;

	memset(&msg, 0, sizeof(msg));
	msg.msg_control = buf->b;
	msg.msg_controllen = len;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		ck_assert_uint_lt(n, max);
		out[n++] = c;
	}
	return n;
}

static int data_int(const struct cmsghdr *c)
{
	int v;

	ck_assert_uint_eq(c->cmsg_len, CMSG_LEN(sizeof(v)));
	memcpy(&v, CMSG_DATA(c), sizeof(v));
	return v;
}

static void assert_msg(const struct cmsghdr *c, int level, int type)
{
	ck_assert_int_eq(c->cmsg_level, level);
	ck_assert_int_eq(c->cmsg_type, type);
}

/* Bytes between cmsg_len and the next message are zero, not stale. */
static void assert_padding_zero(const struct cmsghdr *c)
{
	const unsigned char *p = (const unsigned char *)c;

	for (size_t i = c->cmsg_len; i < CMSG_ALIGN(c->cmsg_len); i++)
		ck_assert_uint_eq(p[i], 0);
}

static struct in6_pktinfo make_pi6(const char *addr, unsigned ifindex)
{
	struct in6_pktinfo pi6;

	memset(&pi6, 0, sizeof(pi6));
	pi6.ipi6_addr = clat_test_v6(addr);
	pi6.ipi6_ifindex = ifindex;
	return pi6;
}

/* ---- received (IPv6 -> IPv4) ---- */

START_TEST(recv_empty)
{
	union cbuf dst;
	bool trunc = true;

	ck_assert_uint_eq(clat_cmsg_to_ipv4(NULL, 0, dst.b, sizeof(dst), clat_test_v4("192.0.0.4"),
					    &trunc), 0);
	ck_assert(!trunc);
	trunc = true;
	ck_assert_uint_eq(clat_cmsg_to_ipv4(dst.b, 0, NULL, 0, clat_test_v4("192.0.0.4"), &trunc), 0);
	ck_assert(!trunc);
}
END_TEST

START_TEST(recv_full_set)
{
	struct in_addr local = clat_test_v4("192.0.0.4");
	struct in6_pktinfo pi6 = make_pi6("2001:db8::5", 3);
	struct timeval tv = { 1234, 5678 };
	unsigned char err_payload[32] = { 1, 2, 3 };
	union cbuf src, dst;
	struct cmsghdr *m[8];
	struct in_pktinfo pi;
	size_t off = 0, used, expected;
	bool trunc = true;

	off = add(src.b, off, IPPROTO_IPV6, IPV6_PKTINFO, &pi6, sizeof(pi6));
	off = add_int(src.b, off, IPPROTO_IPV6, IPV6_TCLASS, 0xb8);
	off = add_int(src.b, off, IPPROTO_IPV6, IPV6_HOPLIMIT, 57);
	off = add(src.b, off, IPPROTO_IPV6, IPV6_RECVERR, err_payload, sizeof(err_payload));
	off = add(src.b, off, SOL_SOCKET, SO_TIMESTAMP, &tv, sizeof(tv));
	off = add_int(src.b, off, IPPROTO_UDP, UDP_GRO, 1200);
	off = add_int(src.b, off, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1); /* unknown: dropped */

	memset(dst.b, 0xee, sizeof(dst));
	used = clat_cmsg_to_ipv4(src.b, off, dst.b, sizeof(dst), local, &trunc);
	expected = CMSG_SPACE(sizeof(pi)) + CMSG_SPACE(1) + CMSG_SPACE(sizeof(int)) +
		   CMSG_SPACE(sizeof(tv)) + CMSG_SPACE(sizeof(int));
	ck_assert(!trunc);
	ck_assert_uint_eq(used, expected);
	ck_assert_uint_eq(collect(&dst, used, m, 8), 5);
	for (size_t i = 0; i < 5; i++)
		assert_padding_zero(m[i]);

	assert_msg(m[0], IPPROTO_IP, IP_PKTINFO);
	ck_assert_uint_eq(m[0]->cmsg_len, CMSG_LEN(sizeof(pi)));
	memcpy(&pi, CMSG_DATA(m[0]), sizeof(pi));
	ck_assert_int_eq(pi.ipi_ifindex, 3);
	ck_assert_uint_eq(pi.ipi_addr.s_addr, local.s_addr);
	ck_assert_uint_eq(pi.ipi_spec_dst.s_addr, local.s_addr);

	assert_msg(m[1], IPPROTO_IP, IP_TOS); /* one byte, as IPv4 delivers it */
	ck_assert_uint_eq(m[1]->cmsg_len, CMSG_LEN(1));
	ck_assert_uint_eq(CMSG_DATA(m[1])[0], 0xb8);

	assert_msg(m[2], IPPROTO_IP, IP_TTL);
	ck_assert_int_eq(data_int(m[2]), 57);

	assert_msg(m[3], SOL_SOCKET, SO_TIMESTAMP);
	ck_assert_uint_eq(m[3]->cmsg_len, CMSG_LEN(sizeof(tv)));
	ck_assert_mem_eq(CMSG_DATA(m[3]), &tv, sizeof(tv));

	assert_msg(m[4], IPPROTO_UDP, UDP_GRO);
	ck_assert_int_eq(data_int(m[4]), 1200);
}
END_TEST

START_TEST(recv_v4mapped_pktinfo)
{
	struct in6_pktinfo pi6 = make_pi6("::ffff:127.0.0.1", 1);
	union cbuf src, dst;
	struct cmsghdr *m[2];
	struct in_pktinfo pi;
	bool trunc;
	size_t off = add(src.b, 0, IPPROTO_IPV6, IPV6_PKTINFO, &pi6, sizeof(pi6));
	size_t used = clat_cmsg_to_ipv4(src.b, off, dst.b, sizeof(dst),
					clat_test_v4("192.0.0.4"), &trunc);

	ck_assert_uint_eq(collect(&dst, used, m, 2), 1);
	memcpy(&pi, CMSG_DATA(m[0]), sizeof(pi));
	ck_assert_uint_eq(pi.ipi_addr.s_addr, clat_test_v4("127.0.0.1").s_addr);
	ck_assert_uint_eq(pi.ipi_spec_dst.s_addr, clat_test_v4("127.0.0.1").s_addr);
	ck_assert_int_eq(pi.ipi_ifindex, 1);
}
END_TEST

START_TEST(recv_origdstaddr)
{
	struct sockaddr_in6 a, b;
	struct sockaddr_in sin;
	union cbuf src, dst;
	struct cmsghdr *m[3];
	bool trunc;
	size_t off, used;

	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_port = htons(5353);
	a.sin6_addr = clat_test_v6("2001:db8::5");
	b = a;
	b.sin6_port = htons(53);
	b.sin6_addr = clat_test_v6("::ffff:10.0.0.1");
	off = add(src.b, 0, IPPROTO_IPV6, IPV6_ORIGDSTADDR, &a, sizeof(a));
	off = add(src.b, off, IPPROTO_IPV6, IPV6_ORIGDSTADDR, &b, sizeof(b));
	used = clat_cmsg_to_ipv4(src.b, off, dst.b, sizeof(dst), clat_test_v4("192.0.0.4"), &trunc);
	ck_assert_uint_eq(collect(&dst, used, m, 3), 2);

	assert_msg(m[0], IPPROTO_IP, IP_ORIGDSTADDR);
	ck_assert_uint_eq(m[0]->cmsg_len, CMSG_LEN(sizeof(sin)));
	memcpy(&sin, CMSG_DATA(m[0]), sizeof(sin));
	ck_assert_int_eq(sin.sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(sin.sin_port), 5353);
	ck_assert_uint_eq(sin.sin_addr.s_addr, clat_test_v4("192.0.0.4").s_addr);
	memcpy(&sin, CMSG_DATA(m[1]), sizeof(sin));
	ck_assert_uint_eq(ntohs(sin.sin_port), 53);
	ck_assert_uint_eq(sin.sin_addr.s_addr, clat_test_v4("10.0.0.1").s_addr);
}
END_TEST

/* TCLASS then HOPLIMIT into buffers of every interesting size. */
START_TEST(recv_truncation)
{
	struct in_addr local = clat_test_v4("192.0.0.4");
	const size_t first = CMSG_SPACE(1), second = CMSG_LEN(sizeof(int));
	union cbuf src, dst;
	size_t off, used;
	bool trunc;
	int ttl;

	off = add_int(src.b, 0, IPPROTO_IPV6, IPV6_TCLASS, 4);
	off = add_int(src.b, off, IPPROTO_IPV6, IPV6_HOPLIMIT, 9);

	ck_assert_uint_eq(clat_cmsg_to_ipv4(src.b, off, NULL, 100, local, &trunc), 0);
	ck_assert(trunc);
	ck_assert_uint_eq(clat_cmsg_to_ipv4(src.b, off, dst.b, 0, local, &trunc), 0);
	ck_assert(trunc);
	ck_assert_uint_eq(clat_cmsg_to_ipv4(src.b, off, dst.b, CMSG_LEN(1) - 1, local, &trunc), 0);
	ck_assert(trunc);

	/* The first fits without its padding and, being cut short, is the last. */
	ck_assert_uint_eq(clat_cmsg_to_ipv4(src.b, off, dst.b, CMSG_LEN(1), local, &trunc),
			  CMSG_LEN(1));
	ck_assert(trunc);
	ck_assert_uint_eq(clat_cmsg_to_ipv4(src.b, off, dst.b, first, local, &trunc), first);
	ck_assert(trunc);
	ck_assert_uint_eq(clat_cmsg_to_ipv4(src.b, off, dst.b, first + second - 1, local, &trunc),
			  first);
	ck_assert(trunc);

	/* Exactly enough: the last message keeps no padding (as put_cmsg). */
	memset(dst.b, 0xee, sizeof(dst));
	used = clat_cmsg_to_ipv4(src.b, off, dst.b, first + second, local, &trunc);
	ck_assert(!trunc);
	ck_assert_uint_eq(used, first + second);
	memcpy(&ttl, dst.b + first + CMSG_LEN(0), sizeof(ttl));
	ck_assert_int_eq(ttl, 9);
	ck_assert_uint_eq(dst.b[first + second], 0xee); /* nothing past dstlen */
}
END_TEST

START_TEST(recv_dropped_only)
{
	union cbuf src;
	size_t off = add_int(src.b, 0, IPPROTO_IPV6, IPV6_RECVERR, 1);
	bool trunc = true;

	ck_assert_uint_eq(clat_cmsg_to_ipv4(src.b, off, NULL, 0, clat_test_v4("192.0.0.4"),
					    &trunc), 0);
	ck_assert(!trunc); /* dropped messages are not a truncation */
}
END_TEST

START_TEST(recv_short_payloads_dropped)
{
	uint16_t two = 7;
	uint32_t four = 1;
	union cbuf src, dst;
	size_t off;
	bool trunc = true;

	off = add(src.b, 0, IPPROTO_IPV6, IPV6_TCLASS, &two, sizeof(two));
	off = add(src.b, off, IPPROTO_IPV6, IPV6_HOPLIMIT, &two, sizeof(two));
	off = add(src.b, off, IPPROTO_IPV6, IPV6_PKTINFO, &four, sizeof(four));
	off = add(src.b, off, IPPROTO_IPV6, IPV6_ORIGDSTADDR, &four, sizeof(four));
	ck_assert_uint_eq(clat_cmsg_to_ipv4(src.b, off, dst.b, sizeof(dst),
					    clat_test_v4("192.0.0.4"), &trunc), 0);
	ck_assert(!trunc);
}
END_TEST

START_TEST(recv_malformed)
{
	struct in_addr local = clat_test_v4("192.0.0.4");
	union cbuf src, dst;
	struct cmsghdr h;
	size_t off;
	bool trunc;

	/* cmsg_len shorter than a header */
	off = add_int(src.b, 0, IPPROTO_IPV6, IPV6_HOPLIMIT, 5);
	memcpy(&h, src.b, sizeof(h));
	h.cmsg_len = sizeof(h) - 1;
	memcpy(src.b, &h, sizeof(h));
	ck_assert_uint_eq(clat_cmsg_to_ipv4(src.b, off, dst.b, sizeof(dst), local, &trunc), 0);
	ck_assert(!trunc);
	h.cmsg_len = 0;
	memcpy(src.b, &h, sizeof(h));
	ck_assert_uint_eq(clat_cmsg_to_ipv4(src.b, off, dst.b, sizeof(dst), local, &trunc), 0);

	/* cmsg_len past srclen; a good message before it is kept */
	off = add_int(src.b, 0, IPPROTO_IPV6, IPV6_HOPLIMIT, 5);
	off = add_int(src.b, off, IPPROTO_IPV6, IPV6_HOPLIMIT, 6);
	ck_assert_uint_eq(clat_cmsg_to_ipv4(src.b, off - 5, dst.b, sizeof(dst), local, &trunc),
			  CMSG_SPACE(sizeof(int)));
	ck_assert(!trunc);

	/* exactly srclen without the last padding is fine */
	ck_assert_uint_eq(clat_cmsg_to_ipv4(src.b, CMSG_LEN(sizeof(int)), dst.b, sizeof(dst),
					    local, &trunc), CMSG_SPACE(sizeof(int)));

	/* trailing bytes shorter than a header are ignored */
	ck_assert_uint_eq(clat_cmsg_to_ipv4(src.b, CMSG_SPACE(sizeof(int)) + sizeof(h) - 1,
					    dst.b, sizeof(dst), local, &trunc),
			  CMSG_SPACE(sizeof(int)));
}
END_TEST

START_TEST(recv_unaligned)
{
	union cbuf src, dst, aligned;
	unsigned char odd_src[BUF_MAX], odd_dst[BUF_MAX];
	struct cmsghdr *m[2];
	size_t off, used;
	bool trunc;

	off = add_int(src.b, 0, IPPROTO_IPV6, IPV6_HOPLIMIT, 77);
	memcpy(odd_src + 1, src.b, off);
	used = clat_cmsg_to_ipv4(odd_src + 1, off, odd_dst + 3, sizeof(dst) - 3,
				 clat_test_v4("192.0.0.4"), &trunc);
	memcpy(aligned.b, odd_dst + 3, used);
	ck_assert_uint_eq(collect(&aligned, used, m, 2), 1);
	assert_msg(m[0], IPPROTO_IP, IP_TTL);
	ck_assert_int_eq(data_int(m[0]), 77);
}
END_TEST

/* ---- sent (IPv4 -> IPv6) ---- */

START_TEST(send_empty)
{
	union cbuf dst;

	ck_assert_uint_eq(clat_cmsg_to_ipv6(NULL, 0, dst.b, sizeof(dst)), 0);
	ck_assert_uint_eq(clat_cmsg_to_ipv6(dst.b, 0, NULL, 0), 0);
}
END_TEST

START_TEST(send_full_set)
{
	struct in_pktinfo pi = { 7, { 0 }, { 0 } };
	struct in6_pktinfo pi6;
	unsigned char tos_byte = 0x2e;
	uint16_t gso = 1200;
	union cbuf src, dst;
	struct cmsghdr *m[8];
	size_t off = 0, used;

	pi.ipi_spec_dst = clat_test_v4("192.0.0.4");
	pi.ipi_addr = clat_test_v4("203.0.113.9");
	off = add(src.b, off, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	off = add(src.b, off, IPPROTO_IP, IP_TOS, &tos_byte, 1);
	off = add_int(src.b, off, IPPROTO_IP, IP_TOS, 0x10);
	off = add_int(src.b, off, IPPROTO_IP, IP_TTL, 64);
	off = add_int(src.b, off, IPPROTO_IP, IP_RETOPTS, 0);      /* dropped */
	off = add_int(src.b, off, IPPROTO_IPV6, IPV6_TCLASS, 1);   /* ignored by IPv4 */
	off = add_int(src.b, off, SOL_SOCKET, SO_MARK, 42);
	off = add(src.b, off, IPPROTO_UDP, UDP_SEGMENT, &gso, sizeof(gso));

	memset(dst.b, 0xee, sizeof(dst));
	used = clat_cmsg_to_ipv6(src.b, off, dst.b, sizeof(dst));
	ck_assert_uint_eq(used, CMSG_SPACE(sizeof(pi6)) + 4 * CMSG_SPACE(sizeof(int)) +
					CMSG_SPACE(sizeof(gso)));
	ck_assert_uint_eq(collect(&dst, used, m, 8), 6);
	for (size_t i = 0; i < 6; i++)
		assert_padding_zero(m[i]);

	assert_msg(m[0], IPPROTO_IPV6, IPV6_PKTINFO);
	ck_assert_uint_eq(m[0]->cmsg_len, CMSG_LEN(sizeof(pi6)));
	memcpy(&pi6, CMSG_DATA(m[0]), sizeof(pi6));
	ck_assert_uint_eq(pi6.ipi6_ifindex, 7);
	ck_assert(IN6_IS_ADDR_UNSPECIFIED(&pi6.ipi6_addr)); /* the kernel picks */

	assert_msg(m[1], IPPROTO_IPV6, IPV6_TCLASS);
	ck_assert_int_eq(data_int(m[1]), 0x2e);
	assert_msg(m[2], IPPROTO_IPV6, IPV6_TCLASS);
	ck_assert_int_eq(data_int(m[2]), 0x10);
	assert_msg(m[3], IPPROTO_IPV6, IPV6_HOPLIMIT);
	ck_assert_int_eq(data_int(m[3]), 64);
	assert_msg(m[4], SOL_SOCKET, SO_MARK);
	ck_assert_int_eq(data_int(m[4]), 42);
	assert_msg(m[5], IPPROTO_UDP, UDP_SEGMENT);
	ck_assert_uint_eq(m[5]->cmsg_len, CMSG_LEN(sizeof(gso)));
	ck_assert_mem_eq(CMSG_DATA(m[5]), &gso, sizeof(gso));
}
END_TEST

START_TEST(send_only_dropped)
{
	union cbuf src;
	size_t off = add_int(src.b, 0, IPPROTO_IP, IP_RETOPTS, 0);

	ck_assert_uint_eq(clat_cmsg_to_ipv6(src.b, off, NULL, 0), 0);
}
END_TEST

/* Values the Linux IPv4 stack refuses (ip_cmsg_send) are refused here too. */
START_TEST(send_bad_values)
{
	static const struct {
		int type;
		int value;
		size_t len;
	} bad[] = {
		{ IP_TOS, 256, sizeof(int) }, { IP_TOS, -1, sizeof(int) },
		{ IP_TOS, 0, 2 }, { IP_TOS, 0, 0 },
		{ IP_TTL, 0, sizeof(int) }, { IP_TTL, 256, sizeof(int) },
		{ IP_TTL, -1, sizeof(int) }, { IP_TTL, 64, 1 },
		{ IP_PKTINFO, 0, sizeof(int) },
		{ IP_PKTINFO, 0, sizeof(struct in_pktinfo) + 4 },
	};
	unsigned char payload[64] = { 0 };
	union cbuf src, dst;

	for (size_t i = 0; i < CLAT_TEST_COUNT(bad); i++) {
		size_t off;

		memset(payload, 0, sizeof(payload));
		memcpy(payload, &bad[i].value, sizeof(int));
		off = add(src.b, 0, IPPROTO_IP, bad[i].type, payload, bad[i].len);
		ck_assert_msg(clat_cmsg_to_ipv6(src.b, off, dst.b, sizeof(dst)) == (size_t)-1,
			      "row %zu", i);
	}
}
END_TEST

START_TEST(send_good_edges)
{
	union cbuf src, dst;
	struct cmsghdr *m[4];
	size_t off = 0, used;
	unsigned char tos = 255;

	off = add_int(src.b, off, IPPROTO_IP, IP_TTL, 1);
	off = add_int(src.b, off, IPPROTO_IP, IP_TTL, 255);
	off = add(src.b, off, IPPROTO_IP, IP_TOS, &tos, 1);
	off = add_int(src.b, off, IPPROTO_IP, IP_TOS, 0);
	used = clat_cmsg_to_ipv6(src.b, off, dst.b, sizeof(dst));
	ck_assert_uint_eq(collect(&dst, used, m, 4), 4);
	ck_assert_int_eq(data_int(m[0]), 1);
	ck_assert_int_eq(data_int(m[1]), 255);
	ck_assert_int_eq(data_int(m[2]), 255);
	ck_assert_int_eq(data_int(m[3]), 0);
}
END_TEST

START_TEST(send_dst_too_small)
{
	union cbuf src, dst;
	size_t off = add_int(src.b, 0, IPPROTO_IP, IP_TTL, 64);
	size_t need = CMSG_LEN(sizeof(int)); /* the last may omit its padding */

	off = add_int(src.b, off, SOL_SOCKET, SO_MARK, 1);
	need += CMSG_SPACE(sizeof(int));
	ck_assert_uint_eq(clat_cmsg_to_ipv6(src.b, off, NULL, 0), (size_t)-1);
	ck_assert_uint_eq(clat_cmsg_to_ipv6(src.b, off, NULL, 100), (size_t)-1);
	ck_assert_uint_eq(clat_cmsg_to_ipv6(src.b, off, dst.b, need - 1), (size_t)-1);
	ck_assert_uint_eq(clat_cmsg_to_ipv6(src.b, off, dst.b, need), need);
	ck_assert_uint_eq(clat_cmsg_to_ipv6(src.b, off, dst.b, sizeof(dst)),
			  2 * CMSG_SPACE(sizeof(int)));
}
END_TEST

START_TEST(send_malformed)
{
	union cbuf src, dst;
	struct cmsghdr h;
	size_t off = add_int(src.b, 0, IPPROTO_IP, IP_TTL, 64);

	/* Linux accepts an unpadded last message (CMSG_OK) */
	ck_assert_uint_eq(clat_cmsg_to_ipv6(src.b, CMSG_LEN(sizeof(int)), dst.b, sizeof(dst)),
			  CMSG_SPACE(sizeof(int)));
	/* ... and ignores trailing bytes shorter than a header */
	ck_assert_uint_eq(clat_cmsg_to_ipv6(src.b, off + sizeof(h) - 1, dst.b, sizeof(dst)),
			  CMSG_SPACE(sizeof(int)));
	/* cmsg_len past the buffer */
	ck_assert_uint_eq(clat_cmsg_to_ipv6(src.b, CMSG_LEN(sizeof(int)) - 1, dst.b, sizeof(dst)),
			  (size_t)-1);
	/* cmsg_len shorter than a header, zero */
	memcpy(&h, src.b, sizeof(h));
	h.cmsg_len = sizeof(h) - 1;
	memcpy(src.b, &h, sizeof(h));
	ck_assert_uint_eq(clat_cmsg_to_ipv6(src.b, off, dst.b, sizeof(dst)), (size_t)-1);
	h.cmsg_len = 0;
	memcpy(src.b, &h, sizeof(h));
	ck_assert_uint_eq(clat_cmsg_to_ipv6(src.b, off, dst.b, sizeof(dst)), (size_t)-1);
	/* a bad second message spoils the whole call */
	off = add_int(src.b, 0, IPPROTO_IP, IP_TTL, 64);
	h.cmsg_len = 1000;
	memcpy(src.b + off, &h, sizeof(h));
	ck_assert_uint_eq(clat_cmsg_to_ipv6(src.b, off + sizeof(h), dst.b, sizeof(dst)),
			  (size_t)-1);
}
END_TEST

/* ---- space and robustness ---- */

/* Random valid IPv4 control data always fits in clat_cmsg_ipv6_space(). */
START_TEST(space_is_enough)
{
	unsigned seed = 12345;

	ck_assert_uint_eq(clat_cmsg_ipv6_space(0), 0);
	ck_assert_uint_eq(clat_cmsg_ipv6_space(SIZE_MAX), SIZE_MAX);
	for (int round = 0; round < 5000; round++) {
		union cbuf src, dst;
		struct in_pktinfo pi = { 2, { 0 }, { 0 } };
		unsigned char junk[40] = { 0 };
		size_t off = 0, last = 0, len, space;
		int n = (int)(rand_r(&seed) % 12);

		for (int i = 0; i < n; i++) {
			last = off;
			switch (rand_r(&seed) % 6) {
			case 0: off = add(src.b, off, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi)); break;
			case 1: off = add(src.b, off, IPPROTO_IP, IP_TOS, junk, 1); break;
			case 2: off = add_int(src.b, off, IPPROTO_IP, IP_TOS, 3); break;
			case 3: off = add_int(src.b, off, IPPROTO_IP, IP_TTL, 9); break;
			case 4: off = add(src.b, off, SOL_SOCKET, SO_MARK, junk,
					  rand_r(&seed) % sizeof(junk)); break;
			default: off = add(src.b, off, IPPROTO_IP, IP_RETOPTS, junk,
					   rand_r(&seed) % sizeof(junk)); break;
			}
		}
		len = off;
		if (n > 0 && rand_r(&seed) % 2 == 0) { /* last message unpadded */
			struct cmsghdr h;

			memcpy(&h, src.b + last, sizeof(h));
			len = last + h.cmsg_len;
		}
		space = clat_cmsg_ipv6_space(len);
		ck_assert_uint_le(space, sizeof(dst));
		ck_assert_msg(clat_cmsg_to_ipv6(src.b, len, dst.b, space) != (size_t)-1,
			      "round %d: %zu bytes did not fit in %zu", round, len, space);
	}
}
END_TEST

/* A page followed by an inaccessible one: reading past the end faults. */
static unsigned char *guarded_end(size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *map = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert(map != MAP_FAILED);
	ck_assert_int_eq(mprotect(map + page, (size_t)page, PROT_NONE), 0);
	return map + page - len;
}

/* Random and corrupted input ending at a guard page: never read past
 * srclen, never write past dstlen. */
START_TEST(fuzz_guarded)
{
	unsigned seed = 777;
	unsigned char *src_page = guarded_end(0), *dst_page = guarded_end(0);
	static const int levels[] = { SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6, IPPROTO_UDP };
	static const int types[] = { IP_TOS, IP_TTL, IP_PKTINFO, IPV6_TCLASS, IPV6_HOPLIMIT,
				     IPV6_PKTINFO, IPV6_ORIGDSTADDR, IP_RETOPTS };

	for (int round = 0; round < 20000; round++) {
		union cbuf src;
		unsigned char payload[48];
		size_t off = 0, len, dstlen = rand_r(&seed) % 200;
		int n = (int)(rand_r(&seed) % 5);
		bool trunc;

		for (size_t i = 0; i < sizeof(payload); i++)
			payload[i] = (unsigned char)rand_r(&seed);
		for (int i = 0; i < n; i++)
			off = add(src.b, off, levels[rand_r(&seed) % 4], types[rand_r(&seed) % 8],
				  payload, rand_r(&seed) % sizeof(payload));
		len = off;
		if (len > 0 && rand_r(&seed) % 2)
			len -= rand_r(&seed) % len;              /* cut anywhere */
		if (len > 0 && rand_r(&seed) % 2)
			src.b[rand_r(&seed) % len] ^= (unsigned char)(1u << (rand_r(&seed) % 8));
		memcpy(src_page - len, src.b, len);
		ck_assert_uint_le(clat_cmsg_to_ipv4(src_page - len, len, dst_page - dstlen, dstlen,
						    clat_test_v4("192.0.0.4"), &trunc), dstlen);
		size_t r = clat_cmsg_to_ipv6(src_page - len, len, dst_page - dstlen, dstlen);
		ck_assert(r == (size_t)-1 || r <= dstlen);
	}
}
END_TEST

Suite *clat_cmsg_suite(void)
{
	Suite *s = suite_create("cmsg");
	TCase *tc = tcase_create("recv");

	tcase_add_test(tc, recv_empty);
	tcase_add_test(tc, recv_full_set);
	tcase_add_test(tc, recv_v4mapped_pktinfo);
	tcase_add_test(tc, recv_origdstaddr);
	tcase_add_test(tc, recv_truncation);
	tcase_add_test(tc, recv_dropped_only);
	tcase_add_test(tc, recv_short_payloads_dropped);
	tcase_add_test(tc, recv_malformed);
	tcase_add_test(tc, recv_unaligned);
	suite_add_tcase(s, tc);

	tc = tcase_create("send");
	tcase_add_test(tc, send_empty);
	tcase_add_test(tc, send_full_set);
	tcase_add_test(tc, send_only_dropped);
	tcase_add_test(tc, send_bad_values);
	tcase_add_test(tc, send_good_edges);
	tcase_add_test(tc, send_dst_too_small);
	tcase_add_test(tc, send_malformed);
	suite_add_tcase(s, tc);

	tc = tcase_create("robustness");
	tcase_add_test(tc, space_is_enough);
	tcase_add_test(tc, fuzz_guarded);
	suite_add_tcase(s, tc);
	return s;
}
