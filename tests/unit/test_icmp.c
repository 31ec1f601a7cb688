/* ICMP translation (RFC 7915 s4.2, s5.2, s5.3), IP_RECVERR reports and the
 * classic BPF machine. */
#include <errno.h>
#include <linux/filter.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/bpf.h"
#include "core/icmp.h"
#include "suites.h"
#include "test_util.h"

#define CANARY 0xa5
#define GUARD 16

/* Reference RFC 1071 checksum, byte by byte with a fold at every step: an
 * independent way of getting the value the library must produce. */
static uint16_t ref_checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		sum += i % 2 == 0 ? (uint32_t)p[i] << 8 : p[i];
		sum = (sum & 0xffffu) + (sum >> 16);
	}
	return (uint16_t)~sum;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* ---- checksum */

START_TEST(checksum_rfc1071_example)
{
	/* RFC 1071 s3: 0001 f203 f4f5 f6f7 sums to ddf2, checksum 220d. */
	static const uint8_t data[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t with[10];

	ck_assert_uint_eq(clat_inet_checksum(data, sizeof(data)), 0x220d);
	memcpy(with, data, sizeof(data));
	put16(with + 8, 0x220d);
	ck_assert_uint_eq(clat_inet_checksum(with, sizeof(with)), 0);
}
END_TEST

START_TEST(checksum_odd_and_edges)
{
	static const uint8_t three[] = { 0x00, 0x01, 0xf2 };
	static const uint8_t one[] = { 0x01 };
	static const uint8_t carry[] = { 0xff, 0xff, 0x00, 0x01 };
	static const uint8_t ones[] = { 0xff, 0xff, 0xff, 0xff };
	uint8_t buf[32];

	ck_assert_uint_eq(clat_inet_checksum(three, 3), 0x0dfe); /* 0001 + f200 */
	ck_assert_uint_eq(clat_inet_checksum(one, 1), 0xfeff);
	ck_assert_uint_eq(clat_inet_checksum(NULL, 0), 0xffff);
	ck_assert_uint_eq(clat_inet_checksum(carry, 4), 0xfffe); /* end-around carry */
	ck_assert_uint_eq(clat_inet_checksum(ones, 4), 0);
	/* An odd length is the same as one more zero byte. */
	for (size_t n = 1; n < sizeof(buf); n += 2) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)(0x9d * i + 0x31);
		buf[n] = 0;
		ck_assert_uint_eq(clat_inet_checksum(buf, n), clat_inet_checksum(buf, n + 1));
		ck_assert_uint_eq(clat_inet_checksum(buf, n), ref_checksum(buf, n));
	}
}
END_TEST

START_TEST(checksum_long_buffers)
{
	static uint8_t big[200000];

	/* 100000 words of ffff: a 32-bit sum without folding would overflow. */
	memset(big, 0xff, sizeof(big));
	ck_assert_uint_eq(clat_inet_checksum(big, sizeof(big)), 0);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(0xf0 | (i * 7));
	ck_assert_uint_eq(clat_inet_checksum(big, sizeof(big)), ref_checksum(big, sizeof(big)));
	ck_assert_uint_eq(clat_inet_checksum(big, 65535), ref_checksum(big, 65535));
}
END_TEST

/* ---- echo */

START_TEST(echo_request_to_v6)
{
	uint8_t msg[] = { 8, 0, 0xab, 0xcd, 0x12, 0x34, 0x00, 0x07, 'h', 'i', '!' };
	static const uint8_t want[] = { 128, 0, 0, 0, 0x12, 0x34, 0x00, 0x07, 'h', 'i', '!' };

	ck_assert(clat_icmp_echo_request_to_v6(msg, sizeof(msg)));
	ck_assert_mem_eq(msg, want, sizeof(want));
}
END_TEST

START_TEST(echo_request_to_v6_rejects)
{
	static const uint8_t types[] = { 0, 3, 11, 13, 128, 129 };
	uint8_t msg[12], copy[12];

	for (size_t i = 0; i < CLAT_TEST_COUNT(types); i++) {
		memset(msg, 0x5a, sizeof(msg));
		msg[0] = types[i];
		msg[1] = 0;
		memcpy(copy, msg, sizeof(msg));
		ck_assert(!clat_icmp_echo_request_to_v6(msg, sizeof(msg)));
		ck_assert_mem_eq(msg, copy, sizeof(msg));
	}
	/* code != 0 is no echo request (RFC 792) */
	memset(msg, 0, sizeof(msg));
	msg[0] = 8;
	msg[1] = 1;
	memcpy(copy, msg, sizeof(msg));
	ck_assert(!clat_icmp_echo_request_to_v6(msg, sizeof(msg)));
	ck_assert_mem_eq(msg, copy, sizeof(msg));
	/* shorter than the 8-byte header */
	msg[1] = 0;
	msg[2] = 0x77;
	for (size_t n = 0; n < 8; n++) {
		ck_assert(!clat_icmp_echo_request_to_v6(msg, n));
		ck_assert_uint_eq(msg[0], 8);
		ck_assert_uint_eq(msg[2], 0x77);
	}
	ck_assert(!clat_icmp_echo_request_to_v6(NULL, 0));
	ck_assert(clat_icmp_echo_request_to_v6(msg, 8));
	ck_assert_uint_eq(msg[0], 128);
	ck_assert_uint_eq(msg[2], 0);
}
END_TEST

START_TEST(echo_reply_to_v4_vector)
{
	/* 0000 + 1234 + 0001 + 6162 + 6364 = d6fb: checksum 2904. The ICMPv6
	 * checksum (beef) is not reused. */
	uint8_t msg[] = { 129, 0, 0xbe, 0xef, 0x12, 0x34, 0x00, 0x01, 'a', 'b', 'c', 'd' };
	static const uint8_t want[] = { 0, 0, 0x29, 0x04, 0x12, 0x34, 0x00, 0x01,
					'a', 'b', 'c', 'd' };

	ck_assert(clat_icmp_echo_to_v4(msg, sizeof(msg)));
	ck_assert_mem_eq(msg, want, sizeof(want));
}
END_TEST

/* Both echo types, odd and even lengths, against the reference checksum. */
START_TEST(echo_to_v4_both_types)
{
	static const uint8_t in_type[] = { 129, 128 };
	static const uint8_t out_type[] = { 0, 8 };
	uint8_t msg[64], want[64];

	for (size_t t = 0; t < 2; t++) {
		for (size_t len = 8; len <= sizeof(msg); len++) {
			for (size_t i = 0; i < len; i++)
				msg[i] = (uint8_t)(i * 29 + 3);
			msg[0] = in_type[t];
			msg[1] = 0;
			memcpy(want, msg, len);
			want[0] = out_type[t];
			want[2] = 0;
			want[3] = 0;
			put16(want + 2, ref_checksum(want, len));
			ck_assert(clat_icmp_echo_to_v4(msg, len));
			ck_assert_mem_eq(msg, want, len);
			ck_assert_uint_eq(ref_checksum(msg, len), 0);
		}
	}
}
END_TEST

START_TEST(echo_to_v4_rejects)
{
	static const uint8_t types[] = { 0, 1, 2, 3, 4, 8, 127, 130, 133, 135, 255 };
	uint8_t msg[16], copy[16];

	for (size_t i = 0; i < CLAT_TEST_COUNT(types); i++) {
		memset(msg, 0x3c, sizeof(msg));
		msg[0] = types[i];
		memcpy(copy, msg, sizeof(msg));
		ck_assert(!clat_icmp_echo_to_v4(msg, sizeof(msg)));
		ck_assert_mem_eq(msg, copy, sizeof(msg));
	}
	memset(msg, 0x3c, sizeof(msg));
	msg[0] = 129;
	memcpy(copy, msg, sizeof(msg));
	for (size_t n = 0; n < 8; n++) {
		ck_assert(!clat_icmp_echo_to_v4(msg, n));
		ck_assert_mem_eq(msg, copy, sizeof(msg));
	}
}
END_TEST

/* ---- ICMPv6 error -> ICMPv4 error (RFC 7915 s5.2) */

struct error_row {
	uint8_t type6, code6;
	uint32_t info6;
	bool ok;
	uint8_t type4, code4;
	uint32_t info4;
};

static const struct error_row error_rows[] = {
	/* Destination Unreachable */
	{ 1, 0, 0, true, 3, 1, 0 },
	{ 1, 0, 0xdeadbeef, true, 3, 1, 0 }, /* unused word: not carried */
	{ 1, 1, 0, true, 3, 10, 0 },
	{ 1, 2, 0, true, 3, 1, 0 },
	{ 1, 3, 0, true, 3, 1, 0 },
	{ 1, 4, 0, true, 3, 3, 0 },
	{ 1, 5, 0, false, 0, 0, 0 },
	{ 1, 6, 0, false, 0, 0, 0 },
	{ 1, 7, 0, false, 0, 0, 0 },
	{ 1, 255, 0, false, 0, 0, 0 },
	/* Packet Too Big */
	{ 2, 0, 1500, true, 3, 4, 1480 },
	{ 2, 0, 1280, true, 3, 4, 1260 },
	{ 2, 1, 1400, true, 3, 4, 1380 }, /* code ignored (RFC 4443 s3.2) */
	/* Time Exceeded: code copied */
	{ 3, 0, 0, true, 11, 0, 0 },
	{ 3, 1, 0, true, 11, 1, 0 },
	{ 3, 0, 77, true, 11, 0, 0 },
	/* Parameter Problem */
	{ 4, 0, 6, true, 12, 0, 9 },
	{ 4, 0, 2, false, 0, 0, 0 },
	{ 4, 1, 6, true, 3, 2, 0 },
	{ 4, 1, 40, true, 3, 2, 0 },
	{ 4, 2, 0, false, 0, 0, 0 },
	{ 4, 3, 0, false, 0, 0, 0 },
	/* informational, single-hop, unknown */
	{ 0, 0, 0, false, 0, 0, 0 },
	{ 5, 0, 0, false, 0, 0, 0 },
	{ 100, 0, 0, false, 0, 0, 0 },
	{ 127, 0, 0, false, 0, 0, 0 },
	{ 128, 0, 0, false, 0, 0, 0 },
	{ 129, 0, 0, false, 0, 0, 0 },
	{ 130, 0, 0, false, 0, 0, 0 },
	{ 131, 0, 0, false, 0, 0, 0 },
	{ 132, 0, 0, false, 0, 0, 0 },
	{ 133, 0, 0, false, 0, 0, 0 },
	{ 134, 0, 0, false, 0, 0, 0 },
	{ 135, 0, 0, false, 0, 0, 0 },
	{ 136, 0, 0, false, 0, 0, 0 },
	{ 137, 0, 0, false, 0, 0, 0 },
	{ 143, 0, 0, false, 0, 0, 0 },
	{ 255, 0, 0, false, 0, 0, 0 },
};

START_TEST(error_table_rows)
{
	const struct error_row *row = &error_rows[_i];
	struct clat_icmp_error v6 = { row->type6, row->code6, row->info6 };
	struct clat_icmp_error v4 = { 0xee, 0xee, 0xeeeeeeee };

	ck_assert_msg(clat_icmp6_error_to_v4(&v6, &v4) == row->ok, "row %d: %u/%u", _i,
		      row->type6, row->code6);
	if (!row->ok)
		return;
	ck_assert_uint_eq(v4.type, row->type4);
	ck_assert_uint_eq(v4.code, row->code4);
	ck_assert_uint_eq(v4.info, row->info4);
}
END_TEST

/* Every type and code: exactly the accepted set of s5.2 translates. */
START_TEST(error_table_sweep)
{
	for (unsigned type = 0; type < 256; type++) {
		unsigned accepted = 0;

		for (unsigned code = 0; code < 256; code++) {
			struct clat_icmp_error v6 = { (uint8_t)type, (uint8_t)code, 0 };
			struct clat_icmp_error v4;

			if (!clat_icmp6_error_to_v4(&v6, &v4))
				continue;
			accepted++;
			if (type == 3) {
				ck_assert_uint_eq(v4.type, 11);
				ck_assert_uint_eq(v4.code, code);
			} else {
				ck_assert_uint_eq(v4.type, type == 2 || type == 1 || code == 1 ? 3 : 12);
			}
		}
		switch (type) {
		case 1:
			ck_assert_uint_eq(accepted, 5); /* codes 0-4 */
			break;
		case 2:
		case 3:
			ck_assert_uint_eq(accepted, 256);
			break;
		case 4:
			ck_assert_uint_eq(accepted, 2); /* 0 (pointer 0 maps) and 1 */
			break;
		default:
			ck_assert_msg(accepted == 0, "type %u translated", type);
		}
	}
}
END_TEST

START_TEST(ptb_mtu_arithmetic)
{
	static const uint32_t rows[][2] = {
		{ 1280, 1260 }, { 1281, 1261 }, { 1500, 1480 }, { 9000, 8980 },
		{ 89, 69 }, { 88, 68 }, { 87, 68 }, { 68, 68 }, { 21, 68 }, { 20, 68 },
		{ 19, 68 }, { 1, 68 }, { 0, 68 },
		{ 65555, 65535 }, { 65556, 65535 }, { 0x7fffffff, 65535 }, { 0xffffffff, 65535 },
	};

	for (size_t i = 0; i < CLAT_TEST_COUNT(rows); i++) {
		struct clat_icmp_error v6 = { 2, 0, rows[i][0] };
		struct clat_icmp_error v4;

		ck_assert(clat_icmp6_error_to_v4(&v6, &v4));
		ck_assert_uint_eq(v4.type, 3);
		ck_assert_uint_eq(v4.code, 4);
		ck_assert_msg(v4.info == rows[i][1], "MTU %u -> %u, want %u", rows[i][0], v4.info,
			      rows[i][1]);
	}
}
END_TEST

/* RFC 7915 Figure 6, v6 -> v4; -1: no IPv4 counterpart (dropped). */
static const int pointer_map[40] = {
	0, 1, -1, -1, 2, 2, 9, 8,
	12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
};

START_TEST(pointer_map_rows)
{
	static const uint32_t beyond[] = { 40, 41, 63, 64, 255, 256, 0x10000, 0x80000006,
					   0xffffffff };

	for (uint32_t p = 0; p < 40; p++) {
		struct clat_icmp_error v6 = { 4, 0, p };
		struct clat_icmp_error v4 = { 0, 0, 0xeeee };
		bool ok = clat_icmp6_error_to_v4(&v6, &v4);

		ck_assert_msg(ok == (pointer_map[p] >= 0), "pointer %u", p);
		if (ok) {
			ck_assert_uint_eq(v4.type, 12);
			ck_assert_uint_eq(v4.code, 0);
			ck_assert_msg(v4.info == (uint32_t)pointer_map[p], "pointer %u -> %u", p,
				      v4.info);
		}
	}
	for (size_t i = 0; i < CLAT_TEST_COUNT(beyond); i++) {
		struct clat_icmp_error v6 = { 4, 0, beyond[i] };
		struct clat_icmp_error v4;

		ck_assert_msg(!clat_icmp6_error_to_v4(&v6, &v4), "pointer %u", beyond[i]);
	}
}
END_TEST

/* ---- errno and IP_RECVERR */

START_TEST(errno_per_type_code)
{
	/* Linux net/ipv4/icmp.c icmp_err_convert[], codes 0-15. */
	static const int unreach[16] = {
		ENETUNREACH, EHOSTUNREACH, ENOPROTOOPT, ECONNREFUSED, EMSGSIZE, EOPNOTSUPP,
		ENETUNREACH, EHOSTDOWN, ENONET, ENETUNREACH, EHOSTUNREACH, ENETUNREACH,
		EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH,
	};

	for (unsigned code = 0; code < 16; code++)
		ck_assert_msg(clat_icmp4_errno(3, (uint8_t)code, -1) == unreach[code], "3/%u",
			      code);
	ck_assert_int_eq(clat_icmp4_errno(3, 16, -1), EHOSTUNREACH);
	ck_assert_int_eq(clat_icmp4_errno(3, 255, -1), EHOSTUNREACH);
	ck_assert_int_eq(clat_icmp4_errno(11, 0, -1), EHOSTUNREACH);
	ck_assert_int_eq(clat_icmp4_errno(11, 1, -1), EHOSTUNREACH);
	ck_assert_int_eq(clat_icmp4_errno(12, 0, -1), EPROTO);
	ck_assert_int_eq(clat_icmp4_errno(12, 2, -1), EPROTO);
	ck_assert_int_eq(clat_icmp4_errno(0, 0, 1234), 1234);
	ck_assert_int_eq(clat_icmp4_errno(4, 0, 1234), 1234);
	ck_assert_int_eq(clat_icmp4_errno(5, 1, 1234), 1234);
}
END_TEST

struct ee_row {
	uint8_t type6, code6;
	uint32_t info6, errno6; /* as the IPv6 stack reports it */
	bool ok;
	uint8_t type4, code4;
	uint32_t info4, errno4;
};

static const struct ee_row ee_rows[] = {
	{ 1, 0, 0, ENETUNREACH, true, 3, 1, 0, EHOSTUNREACH },
	{ 1, 1, 0, EACCES, true, 3, 10, 0, EHOSTUNREACH },
	{ 1, 2, 0, EHOSTUNREACH, true, 3, 1, 0, EHOSTUNREACH },
	{ 1, 3, 0, EHOSTUNREACH, true, 3, 1, 0, EHOSTUNREACH },
	{ 1, 4, 0, ECONNREFUSED, true, 3, 3, 0, ECONNREFUSED },
	{ 2, 0, 1500, EMSGSIZE, true, 3, 4, 1480, EMSGSIZE },
	{ 2, 0, 1280, EMSGSIZE, true, 3, 4, 1260, EMSGSIZE },
	{ 3, 0, 0, EHOSTUNREACH, true, 11, 0, 0, EHOSTUNREACH },
	{ 3, 1, 0, EHOSTUNREACH, true, 11, 1, 0, EHOSTUNREACH },
	{ 4, 0, 7, EPROTO, true, 12, 0, 8, EPROTO },
	{ 4, 0, 24, EPROTO, true, 12, 0, 16, EPROTO },
	{ 4, 1, 6, EPROTO, true, 3, 2, 0, ENOPROTOOPT },
	{ 4, 0, 2, EPROTO, false, 0, 0, 0, 0 },
	{ 4, 2, 0, EPROTO, false, 0, 0, 0, 0 },
	{ 1, 5, 0, EACCES, false, 0, 0, 0, 0 },
	{ 129, 0, 0, 0, false, 0, 0, 0, 0 },
	{ 135, 0, 0, 0, false, 0, 0, 0, 0 },
};

START_TEST(extended_err_icmp6)
{
	const struct ee_row *row = &ee_rows[_i];
	struct sock_extended_err in, out;

	memset(&in, 0, sizeof(in));
	in.ee_errno = row->errno6;
	in.ee_origin = SO_EE_ORIGIN_ICMP6;
	in.ee_type = row->type6;
	in.ee_code = row->code6;
	in.ee_pad = 0x5a;
	in.ee_info = row->info6;
	in.ee_data = 0x01020304;
	memset(&out, 0xee, sizeof(out));
	ck_assert_msg(clat_extended_err_to_v4(&in, &out) == row->ok, "row %d", _i);
	if (!row->ok)
		return;
	ck_assert_uint_eq(out.ee_origin, SO_EE_ORIGIN_ICMP);
	ck_assert_uint_eq(out.ee_type, row->type4);
	ck_assert_uint_eq(out.ee_code, row->code4);
	ck_assert_uint_eq(out.ee_info, row->info4);
	ck_assert_uint_eq(out.ee_errno, row->errno4);
	ck_assert_uint_eq(out.ee_pad, 0x5a);
	ck_assert_uint_eq(out.ee_data, 0x01020304);
}
END_TEST

static struct sock_extended_err make_ee(uint8_t origin, uint32_t err, uint8_t type,
					uint8_t code, uint32_t info)
{
	struct sock_extended_err ee;

	memset(&ee, 0, sizeof(ee));
	ee.ee_origin = origin;
	ee.ee_errno = err;
	ee.ee_type = type;
	ee.ee_code = code;
	ee.ee_info = info;
	ee.ee_data = 99;
	return ee;
}

START_TEST(extended_err_local_and_others)
{
	static const uint32_t mtus[][2] = { { 1500, 1480 }, { 1280, 1260 }, { 50, 68 }, { 0, 68 } };
	struct sock_extended_err in, out, want;

	/* A local EMSGSIZE carries the IPv6 path MTU. */
	for (size_t i = 0; i < CLAT_TEST_COUNT(mtus); i++) {
		in = make_ee(SO_EE_ORIGIN_LOCAL, EMSGSIZE, 0, 0, mtus[i][0]);
		want = in;
		want.ee_info = mtus[i][1];
		ck_assert(clat_extended_err_to_v4(&in, &out));
		ck_assert_mem_eq(&out, &want, sizeof(want));
	}
	/* Copied unchanged: other local errors, ICMP already (v4-mapped peer),
	 * transmit timestamps and zerocopy notifications, origin none. */
	{
		const struct sock_extended_err same[] = {
			make_ee(SO_EE_ORIGIN_LOCAL, ENOBUFS, 0, 0, 1234),
			make_ee(SO_EE_ORIGIN_LOCAL, ETIMEDOUT, 0, 0, 0),
			make_ee(SO_EE_ORIGIN_ICMP, EMSGSIZE, 3, 4, 1400),
			make_ee(SO_EE_ORIGIN_ICMP, EHOSTUNREACH, 11, 0, 0),
			make_ee(SO_EE_ORIGIN_TXSTATUS, ENOMSG, 0, 0, 5),
			make_ee(SO_EE_ORIGIN_ZEROCOPY, 0, 0, 0, 17),
			make_ee(SO_EE_ORIGIN_NONE, 0, 0, 0, 0),
		};

		for (size_t i = 0; i < CLAT_TEST_COUNT(same); i++) {
			memset(&out, 0xee, sizeof(out));
			ck_assert(clat_extended_err_to_v4(&same[i], &out));
			ck_assert_msg(memcmp(&out, &same[i], sizeof(out)) == 0, "row %zu", i);
		}
	}
}
END_TEST

/* ---- addresses and IPv4 headers */

static struct clat_prefix_set three_prefixes(void)
{
	struct clat_prefix_set set;

	memset(&set, 0, sizeof(set));
	set.prefix[0] = clat_test_prefix("2001:db8:42::/96");
	set.prefix[1] = clat_test_prefix("2001:db8:100::/40");
	set.prefix[2] = clat_test_prefix("64:ff9b::/96");
	set.count = 3;
	return set;
}

static void assert_v4_for(const struct clat_prefix_set *set, const char *v6, const char *v4)
{
	struct in6_addr a = clat_test_v6(v6);
	struct in_addr got = clat_ipv4_for(set, &a);

	ck_assert_msg(got.s_addr == clat_test_v4(v4).s_addr, "%s -> %08x, want %s", v6,
		      ntohl(got.s_addr), v4);
}

START_TEST(ipv4_for_addresses)
{
	struct clat_prefix_set set = three_prefixes();

	assert_v4_for(&set, "2001:db8:42::c000:221", "192.0.2.33");
	assert_v4_for(&set, "2001:db8:1c0:2:21::", "192.0.2.33"); /* RFC 6052 s2.4, /40 */
	assert_v4_for(&set, "64:ff9b::198.51.100.7", "198.51.100.7");
	assert_v4_for(&set, "::ffff:203.0.113.5", "203.0.113.5");
	assert_v4_for(&set, "2001:db8:1c0:2:121::", "192.0.0.8"); /* u octet set */
	assert_v4_for(&set, "2001:db8:99::1", "192.0.0.8");
	assert_v4_for(&set, "::c000:221", "192.0.0.8"); /* IPv4-compatible: not mapped */
	assert_v4_for(&set, "::", "192.0.0.8");
	ck_assert_uint_eq(CLAT_IPV4_DUMMY, ntohl(clat_test_v4("192.0.0.8").s_addr));
	/* Only count prefixes are used. */
	set.count = 2;
	assert_v4_for(&set, "64:ff9b::198.51.100.7", "192.0.0.8");
	assert_v4_for(&set, "2001:db8:1c0:2:21::", "192.0.2.33");
	set.count = 0;
	assert_v4_for(&set, "2001:db8:42::c000:221", "192.0.0.8");
	assert_v4_for(&set, "::ffff:10.1.2.3", "10.1.2.3");
	assert_v4_for(NULL, "64:ff9b::198.51.100.7", "192.0.0.8");
	assert_v4_for(NULL, "::ffff:10.1.2.3", "10.1.2.3");
}
END_TEST

START_TEST(ipv4_header_vector)
{
	/* The usual textbook header without DF: 4500 0073 0000 0000 4011 f861
	 * c0a8 0001 c0a8 00c7. */
	static const uint8_t want[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x00, 0x00,
					0x40, 0x11, 0xf8, 0x61, 0xc0, 0xa8, 0x00, 0x01,
					0xc0, 0xa8, 0x00, 0xc7 };
	uint8_t out[20 + GUARD];

	memset(out, CANARY, sizeof(out));
	ck_assert_uint_eq(clat_ipv4_header_build(out, 20, clat_test_v4("192.168.0.1"),
						 clat_test_v4("192.168.0.199"), 17, 64, 0, 0,
						 0x73 - 20),
			  20);
	ck_assert_mem_eq(out, want, sizeof(want));
	for (size_t i = 20; i < sizeof(out); i++)
		ck_assert_uint_eq(out[i], CANARY);
}
END_TEST

START_TEST(ipv4_header_fields)
{
	uint8_t out[64];

	memset(out, 0xff, sizeof(out));
	ck_assert_uint_eq(clat_ipv4_header_build(out, sizeof(out), clat_test_v4("192.0.0.8"),
						 clat_test_v4("192.0.0.4"), 1, 255, 0xb8, 0xabcd,
						 1000),
			  20);
	ck_assert_uint_eq(out[0], 0x45);
	ck_assert_uint_eq(out[1], 0xb8);
	ck_assert_uint_eq(get16(out + 2), 1020);
	ck_assert_uint_eq(get16(out + 4), 0xabcd);
	ck_assert_uint_eq(get16(out + 6), 0); /* DF, MF, offset clear */
	ck_assert_uint_eq(out[8], 255);
	ck_assert_uint_eq(out[9], 1);
	ck_assert_mem_eq(out + 12, "\xc0\x00\x00\x08\xc0\x00\x00\x04", 8);
	ck_assert_uint_eq(ref_checksum(out, 20), 0);
	ck_assert_uint_eq(out[20], 0xff); /* nothing past the header */
	/* The largest total length, then one more. */
	ck_assert_uint_eq(clat_ipv4_header_build(out, 20, clat_test_v4("1.2.3.4"),
						 clat_test_v4("5.6.7.8"), 6, 1, 0, 0, 65515),
			  20);
	ck_assert_uint_eq(get16(out + 2), 65535);
	ck_assert_uint_eq(ref_checksum(out, 20), 0);
}
END_TEST

START_TEST(ipv4_header_refusals)
{
	uint8_t out[20 + GUARD];
	struct in_addr a = clat_test_v4("1.2.3.4");

	memset(out, CANARY, sizeof(out));
	for (size_t n = 0; n < 20; n++)
		ck_assert_uint_eq(clat_ipv4_header_build(out, n, a, a, 6, 1, 0, 0, 0), 0);
	ck_assert_uint_eq(clat_ipv4_header_build(out, sizeof(out), a, a, 6, 1, 0, 0, 65516), 0);
	ck_assert_uint_eq(clat_ipv4_header_build(out, sizeof(out), a, a, 6, 1, 0, 0, SIZE_MAX),
			  0);
	ck_assert_uint_eq(clat_ipv4_header_build(NULL, 0, a, a, 6, 1, 0, 0, 0), 0);
	for (size_t i = 0; i < sizeof(out); i++)
		ck_assert_uint_eq(out[i], CANARY);
}
END_TEST

/* ---- whole packets (clat_icmp6_packet_to_v4) */

#define ROUTER6 "2001:db8:ffff::1"
#define SELF6 "2001:db8:1::100"
#define PEER6 "64:ff9b::198.51.100.7"
#define LOCAL4 "192.0.0.4"

/* IPv6 header (RFC 8200 s3). */
static size_t put_ipv6(uint8_t *p, uint8_t tclass, uint32_t flow, uint16_t payload_len,
		       uint8_t next_header, uint8_t hop_limit, const char *src, const char *dst)
{
	struct in6_addr s = clat_test_v6(src), d = clat_test_v6(dst);

	put32(p, 6u << 28 | (uint32_t)tclass << 20 | (flow & 0xfffff));
	put16(p + 4, payload_len);
	p[6] = next_header;
	p[7] = hop_limit;
	memcpy(p + 8, &s, 16);
	memcpy(p + 24, &d, 16);
	return 40;
}

static size_t put_icmp6_error(uint8_t *p, uint8_t type, uint8_t code, uint32_t word)
{
	p[0] = type;
	p[1] = code;
	put16(p + 2, 0x7777); /* the ICMPv6 checksum: must not survive */
	put32(p + 4, word);
	return 8;
}

static void assert_ipv4(const uint8_t *h, size_t total, uint8_t tos, uint8_t ttl, uint8_t proto,
			const char *src, const char *dst)
{
	struct in_addr s = clat_test_v4(src), d = clat_test_v4(dst);

	ck_assert_uint_eq(h[0], 0x45);
	ck_assert_uint_eq(h[1], tos);
	ck_assert_uint_eq(get16(h + 2), total);
	ck_assert_uint_eq(get16(h + 4), 0);
	ck_assert_uint_eq(get16(h + 6), 0);
	ck_assert_uint_eq(h[8], ttl);
	ck_assert_uint_eq(h[9], proto);
	ck_assert_uint_eq(ref_checksum(h, 20), 0);
	ck_assert_mem_eq(h + 12, &s.s_addr, 4);
	ck_assert_mem_eq(h + 16, &d.s_addr, 4);
}

/* Runs the translation into a buffer with a guard zone behind outlen. */
static size_t translate(const uint8_t *msg, size_t len, const char *src6, size_t outlen,
			uint8_t *out)
{
	struct clat_prefix_set set = three_prefixes();
	struct in6_addr s = clat_test_v6(src6);
	size_t r;

	memset(out, CANARY, outlen + GUARD);
	r = clat_icmp6_packet_to_v4(msg, len, &s, clat_test_v4(LOCAL4), 57, 0x20, &set, out,
				    outlen);
	for (size_t i = outlen; i < outlen + GUARD; i++)
		ck_assert_msg(out[i] == CANARY, "write past outlen at %zu", i);
	ck_assert_uint_le(r, outlen);
	return r;
}

START_TEST(packet_echo_reply_bytes)
{
	static const uint8_t msg[] = { 129, 0, 0xbe, 0xef, 0x12, 0x34, 0x00, 0x01,
				       'a', 'b', 'c', 'd' };
	static const uint8_t want[] = {
		0x45, 0x20, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x39, 0x01, 0xff, 0x97,
		0xc0, 0x00, 0x02, 0x21, 0xc0, 0x00, 0x00, 0x04,
		0x00, 0x00, 0x29, 0x04, 0x12, 0x34, 0x00, 0x01, 'a', 'b', 'c', 'd',
	};
	uint8_t out[64 + GUARD];

	ck_assert_uint_eq(translate(msg, sizeof(msg), "64:ff9b::192.0.2.33", 64, out),
			  sizeof(want));
	ck_assert_mem_eq(out, want, sizeof(want));
}
END_TEST

START_TEST(packet_echo_both_types)
{
	uint8_t msg[100], icmp4[100], out[200 + GUARD];

	for (int t = 0; t < 2; t++) {
		for (size_t i = 0; i < sizeof(msg); i++)
			msg[i] = (uint8_t)(i * 13 + 1);
		msg[0] = t == 0 ? 129 : 128;
		msg[1] = 0;
		memcpy(icmp4, msg, sizeof(msg));
		icmp4[0] = t == 0 ? 0 : 8;
		put16(icmp4 + 2, 0);
		put16(icmp4 + 2, ref_checksum(icmp4, sizeof(icmp4)));
		ck_assert_uint_eq(translate(msg, sizeof(msg), ROUTER6, 200, out), 120);
		assert_ipv4(out, 120, 0x20, 57, 1, "192.0.0.8", LOCAL4);
		ck_assert_mem_eq(out + 20, icmp4, sizeof(icmp4));
	}
}
END_TEST

/* What traceroute gets back: Time Exceeded from a router, quoting the UDP
 * probe (flow label set, hop limit 1). */
static size_t build_time_exceeded_udp(uint8_t *p)
{
	size_t n = put_icmp6_error(p, 3, 0, 0);

	n += put_ipv6(p + n, 0, 0x12345, 40, 17, 1, SELF6, PEER6);
	put16(p + n, 0x8000);      /* source port */
	put16(p + n + 2, 33434);   /* destination port */
	put16(p + n + 4, 40);      /* length */
	put16(p + n + 6, 0xabcd);  /* checksum */
	for (size_t i = 8; i < 40; i++)
		p[n + i] = (uint8_t)(0x40 + i);
	return n + 40;
}

START_TEST(packet_time_exceeded_udp)
{
	static const uint8_t inner4[] = { 0x45, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x00, 0x01,
					  0x11 };
	uint8_t msg[128], out[256 + GUARD];
	size_t len = build_time_exceeded_udp(msg);

	ck_assert_uint_eq(len, 88);
	ck_assert_uint_eq(translate(msg, len, ROUTER6, 256, out), 88);
	assert_ipv4(out, 88, 0x20, 57, 1, "192.0.0.8", LOCAL4);
	ck_assert_uint_eq(out[20], 11);
	ck_assert_uint_eq(out[21], 0);
	ck_assert_mem_eq(out + 24, "\0\0\0\0", 4);
	ck_assert_uint_eq(ref_checksum(out + 20, 68), 0);
	/* Inner header: total 60 from the payload length, TTL 1, UDP; the
	 * source is our own IPv6, outside the prefixes: 192.0.0.8. */
	ck_assert_mem_eq(out + 28, inner4, sizeof(inner4));
	assert_ipv4(out + 28, 60, 0, 1, 17, "192.0.0.8", "198.51.100.7");
	ck_assert_mem_eq(out + 48, msg + 48, 40); /* UDP untouched */
}
END_TEST

START_TEST(packet_time_exceeded_quote_short)
{
	uint8_t msg[128], out[256 + GUARD];

	build_time_exceeded_udp(msg);
	/* Only the UDP header quoted: translated as far as it goes. */
	ck_assert_uint_eq(translate(msg, 56, ROUTER6, 256, out), 56);
	assert_ipv4(out, 56, 0x20, 57, 1, "192.0.0.8", LOCAL4);
	assert_ipv4(out + 28, 60, 0, 1, 17, "192.0.0.8", "198.51.100.7");
	ck_assert_mem_eq(out + 48, msg + 48, 8);
	ck_assert_uint_eq(ref_checksum(out + 20, 36), 0);
}
END_TEST

/* Port unreachable from the peer, quoting an ICMPv6 echo request of
 * icmp_len bytes (quoted: quote_len of them). */
static size_t build_unreach_echo(uint8_t *p, uint8_t inner_type, size_t icmp_len,
				 size_t quote_len)
{
	size_t n = put_icmp6_error(p, 1, 4, 0);

	n += put_ipv6(p + n, 0x48, 0, (uint16_t)icmp_len, 58, 64, SELF6, PEER6);
	for (size_t i = 0; i < quote_len; i++)
		p[n + i] = (uint8_t)(0x61 + i);
	p[n] = inner_type;
	p[n + 1] = 0;
	put16(p + n + 2, 0x5555); /* the ICMPv6 checksum as sent */
	put16(p + n + 4, 0x0bad);
	put16(p + n + 6, 3);
	return n + quote_len;
}

START_TEST(packet_unreach_port_echo)
{
	uint8_t msg[128], out[256 + GUARD], inner[16];
	size_t len = build_unreach_echo(msg, 128, 16, 16);

	memcpy(inner, msg + 48, 16);
	inner[0] = 8;
	put16(inner + 2, 0);
	put16(inner + 2, ref_checksum(inner, 16));
	ck_assert_uint_eq(translate(msg, len, PEER6, 256, out), len);
	assert_ipv4(out, len, 0x20, 57, 1, "198.51.100.7", LOCAL4);
	ck_assert_uint_eq(out[20], 3);
	ck_assert_uint_eq(out[21], 3);
	ck_assert_mem_eq(out + 24, "\0\0\0\0", 4);
	ck_assert_uint_eq(ref_checksum(out + 20, len - 20), 0);
	assert_ipv4(out + 28, 36, 0x48, 64, 1, "192.0.0.8", "198.51.100.7");
	ck_assert_mem_eq(out + 48, inner, sizeof(inner));
	ck_assert_uint_eq(ref_checksum(out + 48, 16), 0);

	/* An echo reply quoted: 129 -> 0. */
	len = build_unreach_echo(msg, 129, 16, 16);
	ck_assert_uint_eq(translate(msg, len, PEER6, 256, out), len);
	ck_assert_uint_eq(out[48], 0);
	ck_assert_uint_eq(ref_checksum(out + 48, 16), 0);
}
END_TEST

START_TEST(packet_unreach_echo_truncated)
{
	uint8_t msg[128], out[256 + GUARD];
	/* The echo was 64 bytes, 16 of them quoted: type translated, the
	 * checksum (over bytes not there) left as sent. */
	size_t len = build_unreach_echo(msg, 128, 64, 16);

	ck_assert_uint_eq(translate(msg, len, PEER6, 256, out), len);
	assert_ipv4(out + 28, 84, 0x48, 64, 1, "192.0.0.8", "198.51.100.7");
	ck_assert_uint_eq(out[48], 8);
	ck_assert_uint_eq(get16(out + 50), 0x5555);
	ck_assert_mem_eq(out + 52, msg + 52, 12);
	ck_assert_uint_eq(ref_checksum(out + 20, len - 20), 0);
}
END_TEST

START_TEST(packet_unreach_echo_extra_bytes)
{
	uint8_t msg[128], out[256 + GUARD], inner[16];
	/* A 16-byte echo followed by 8 more bytes (an RFC 4884 extension, or
	 * padding): the inner checksum covers the 16 bytes of the message. */
	size_t len = build_unreach_echo(msg, 128, 16, 24);

	memcpy(inner, msg + 48, 16);
	inner[0] = 8;
	put16(inner + 2, 0);
	put16(inner + 2, ref_checksum(inner, 16));
	ck_assert_uint_eq(translate(msg, len, PEER6, 256, out), len);
	assert_ipv4(out + 28, 36, 0x48, 64, 1, "192.0.0.8", "198.51.100.7");
	ck_assert_mem_eq(out + 48, inner, 16);
	ck_assert_mem_eq(out + 64, msg + 64, 8);
	ck_assert_uint_eq(ref_checksum(out + 20, len - 20), 0);
}
END_TEST

START_TEST(packet_too_big)
{
	static const uint32_t mtus[][2] = { { 1400, 1380 }, { 1280, 1260 }, { 70000, 65535 },
					    { 60, 68 } };
	uint8_t msg[128], out[256 + GUARD];

	for (size_t i = 0; i < CLAT_TEST_COUNT(mtus); i++) {
		size_t n = put_icmp6_error(msg, 2, 0, mtus[i][0]);

		n += put_ipv6(msg + n, 0, 0, 1360, 6, 64, SELF6, PEER6);
		for (size_t j = 0; j < 20; j++) /* the TCP header */
			msg[n + j] = (uint8_t)(0x90 + j);
		n += 20;
		ck_assert_uint_eq(translate(msg, n, ROUTER6, 256, out), n);
		assert_ipv4(out, n, 0x20, 57, 1, "192.0.0.8", LOCAL4);
		ck_assert_uint_eq(out[20], 3);
		ck_assert_uint_eq(out[21], 4);
		ck_assert_uint_eq(get16(out + 24), 0);
		ck_assert_uint_eq(get16(out + 26), mtus[i][1]);
		ck_assert_uint_eq(ref_checksum(out + 20, n - 20), 0);
		assert_ipv4(out + 28, 1380, 0, 64, 6, "192.0.0.8", "198.51.100.7");
		ck_assert_mem_eq(out + 48, msg + 48, 20);
	}
}
END_TEST

START_TEST(packet_param_problem)
{
	uint8_t msg[128], out[256 + GUARD];
	size_t n;

	/* 4/0 pointer 7 (hop limit) -> 12/0 pointer 8 (TTL) */
	n = put_icmp6_error(msg, 4, 0, 7);
	n += put_ipv6(msg + n, 0, 0, 8, 17, 64, SELF6, PEER6);
	memset(msg + n, 0x11, 8);
	n += 8;
	ck_assert_uint_eq(translate(msg, n, PEER6, 256, out), n);
	ck_assert_uint_eq(out[20], 12);
	ck_assert_uint_eq(out[21], 0);
	ck_assert_mem_eq(out + 24, "\x08\0\0\0", 4);
	ck_assert_uint_eq(ref_checksum(out + 20, n - 20), 0);
	/* pointer 2 (flow label): dropped */
	put32(msg + 4, 2);
	ck_assert_uint_eq(translate(msg, n, PEER6, 256, out), 0);
	/* 4/1 -> 3/2, pointer not carried */
	msg[1] = 1;
	put32(msg + 4, 6);
	ck_assert_uint_eq(translate(msg, n, PEER6, 256, out), n);
	ck_assert_uint_eq(out[20], 3);
	ck_assert_uint_eq(out[21], 2);
	ck_assert_mem_eq(out + 24, "\0\0\0\0", 4);
	/* 4/2 dropped */
	msg[1] = 2;
	ck_assert_uint_eq(translate(msg, n, PEER6, 256, out), 0);
}
END_TEST

START_TEST(packet_drops)
{
	static const uint8_t types[] = { 0, 5, 127, 130, 131, 132, 133, 134, 135, 136, 137,
					 143, 200, 255 };
	static const uint8_t next_headers[] = { 0, 43, 44, 50, 51, 59, 60, 132, 4, 41 };
	uint8_t msg[128], out[256 + GUARD];
	size_t len;

	/* informational and unknown types, translatable inner packet */
	for (size_t i = 0; i < CLAT_TEST_COUNT(types); i++) {
		len = build_time_exceeded_udp(msg);
		msg[0] = types[i];
		ck_assert_msg(translate(msg, len, ROUTER6, 256, out) == 0, "type %u", types[i]);
	}
	/* untranslatable codes */
	len = build_time_exceeded_udp(msg);
	msg[0] = 1;
	msg[1] = 5;
	ck_assert_uint_eq(translate(msg, len, ROUTER6, 256, out), 0);
	/* extension headers and other protocols inside */
	for (size_t i = 0; i < CLAT_TEST_COUNT(next_headers); i++) {
		len = build_time_exceeded_udp(msg);
		msg[8 + 6] = next_headers[i];
		ck_assert_msg(translate(msg, len, ROUTER6, 256, out) == 0, "next header %u",
			      next_headers[i]);
	}
	/* not an IPv6 header inside */
	len = build_time_exceeded_udp(msg);
	msg[8] = 0x45;
	ck_assert_uint_eq(translate(msg, len, ROUTER6, 256, out), 0);
	/* an ICMPv6 error or ND message quoted inside */
	len = build_unreach_echo(msg, 1, 16, 16);
	ck_assert_uint_eq(translate(msg, len, PEER6, 256, out), 0);
	len = build_unreach_echo(msg, 135, 16, 16);
	ck_assert_uint_eq(translate(msg, len, PEER6, 256, out), 0);
	/* inner payload length too big for IPv4 (jumbo) */
	len = build_time_exceeded_udp(msg);
	put16(msg + 8 + 4, 65535);
	ck_assert_uint_eq(translate(msg, len, ROUTER6, 256, out), 0);
	put16(msg + 8 + 4, 65515);
	ck_assert_uint_eq(translate(msg, len, ROUTER6, 256, out), len);
	ck_assert_uint_eq(get16(out + 28 + 2), 65535);
}
END_TEST

/* Every prefix of the message, from an exactly sized heap copy (so that
 * ASan sees any read past len): either dropped (too short) or translated
 * with valid checksums; never a crash, never a write past outlen. */
static void truncation_loop(const uint8_t *full, size_t full_len, const char *src6,
			    size_t min_len, size_t grow)
{
	uint8_t out[512 + GUARD];

	for (size_t len = 0; len <= full_len; len++) {
		uint8_t *copy = malloc(len > 0 ? len : 1);
		size_t r;

		ck_assert_ptr_nonnull(copy);
		memcpy(copy, full, len);
		r = translate(copy, len, src6, 512, out);
		if (len < min_len) {
			ck_assert_msg(r == 0, "len %zu translated", len);
		} else {
			ck_assert_msg(r == len + grow, "len %zu -> %zu", len, r);
			ck_assert_uint_eq(get16(out + 2), r);
			ck_assert_uint_eq(ref_checksum(out, 20), 0);
			ck_assert_uint_eq(ref_checksum(out + 20, r - 20), 0);
			/* outlen one short: dropped, nothing written past it */
			ck_assert_uint_eq(translate(copy, len, src6, r - 1, out), 0);
			ck_assert_uint_eq(translate(copy, len, src6, r, out), r);
		}
		free(copy);
	}
}

START_TEST(packet_truncation_every_length)
{
	uint8_t msg[256];
	size_t len;

	len = build_time_exceeded_udp(msg);
	truncation_loop(msg, len, ROUTER6, 56, 0);
	len = build_unreach_echo(msg, 128, 64, 64);
	truncation_loop(msg, len, PEER6, 56, 0);
	len = put_icmp6_error(msg, 2, 0, 1400);
	len += put_ipv6(msg + len, 0, 0, 1360, 6, 64, SELF6, PEER6);
	memset(msg + len, 0x33, 60);
	truncation_loop(msg, len + 60, ROUTER6, 56, 0);
	for (size_t i = 0; i < 40; i++)
		msg[i] = (uint8_t)i;
	msg[0] = 129;
	msg[1] = 0;
	truncation_loop(msg, 40, PEER6, 8, 20);
}
END_TEST

START_TEST(packet_outlen_and_sizes)
{
	uint8_t echo[64] = { 129, 0 }, out[128 + GUARD];
	uint8_t *big;
	struct in6_addr s = clat_test_v6(PEER6);

	/* NULL output, output shorter than the IPv4 header */
	ck_assert_uint_eq(clat_icmp6_packet_to_v4(echo, 64, &s, clat_test_v4(LOCAL4), 1, 0, NULL,
						  NULL, 0),
			  0);
	for (size_t n = 0; n < 84; n++)
		ck_assert_uint_eq(translate(echo, 64, PEER6, n, out), 0);
	ck_assert_uint_eq(translate(echo, 64, PEER6, 84, out), 84);
	/* NULL prefix set: every address is 192.0.0.8 */
	ck_assert_uint_eq(clat_icmp6_packet_to_v4(echo, 64, &s, clat_test_v4(LOCAL4), 1, 0, NULL,
						  out, 128),
			  84);
	ck_assert_mem_eq(out + 12, "\xc0\x00\x00\x08", 4);
	/* An echo so big that the IPv4 packet would pass 65535 bytes. */
	big = calloc(1, 65536 + 40);
	ck_assert_ptr_nonnull(big);
	big[0] = 129;
	ck_assert_uint_eq(clat_icmp6_packet_to_v4(big, 65516, &s, clat_test_v4(LOCAL4), 1, 0,
						  NULL, big + 65516, 65536 + 40 - 65516), 0);
	{
		uint8_t *dst = malloc(65535);

		ck_assert_ptr_nonnull(dst);
		ck_assert_uint_eq(clat_icmp6_packet_to_v4(big, 65515, &s, clat_test_v4(LOCAL4), 1,
							  0, NULL, dst, 65535),
				  65535);
		ck_assert_uint_eq(get16(dst + 2), 65535);
		ck_assert_uint_eq(ref_checksum(dst + 20, 65515), 0);
		free(dst);
	}
	free(big);
}
END_TEST

/* ---- classic BPF */

#define IDENT 0x1234

/* iputils ping's filter for its raw IPv4 ICMP socket (ping4_install_filter),
 * with the identifier patched in: skip the IP header (MSH), pass our echo
 * replies, reject echo replies for other identifiers, pass the rest. */
static const struct sock_filter ping_filter[] = {
	BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
	BPF_STMT(BPF_LD | BPF_H | BPF_IND, 4),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IDENT, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, ~0U),
	BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0 /* ICMP_ECHOREPLY */, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, 0xFFFFFFF),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

static uint32_t run(const struct sock_filter *prog, unsigned count, const uint8_t *pkt,
		    size_t len)
{
	uint32_t r;
	uint8_t *copy = malloc(len > 0 ? len : 1); /* exact size: ASan sees overreads */

	ck_assert_ptr_nonnull(copy);
	if (len > 0)
		memcpy(copy, pkt, len);
	r = clat_bpf_run(prog, count, copy, len);
	free(copy);
	return r;
}

#define RUN(prog, pkt, len) run((prog), CLAT_TEST_COUNT(prog), (pkt), (len))
#define VALID(prog) clat_bpf_valid((prog), CLAT_TEST_COUNT(prog))

/* An echo reply with identifier id as the library delivers it. */
static size_t ping_reply(uint8_t *out, size_t outlen, uint16_t id)
{
	uint8_t msg[24] = { 129, 0 };
	struct in6_addr s = clat_test_v6(PEER6);

	put16(msg + 4, id);
	put16(msg + 6, 1);
	return clat_icmp6_packet_to_v4(msg, sizeof(msg), &s, clat_test_v4(LOCAL4), 64, 0, NULL,
				       out, outlen);
}

START_TEST(bpf_ping_filter)
{
	uint8_t pkt[256];
	size_t len;

	ck_assert(VALID(ping_filter));
	len = ping_reply(pkt, sizeof(pkt), IDENT);
	ck_assert_uint_eq(len, 44);
	ck_assert_uint_eq(RUN(ping_filter, pkt, len), ~0U);
	len = ping_reply(pkt, sizeof(pkt), 0x4321);
	ck_assert_uint_eq(RUN(ping_filter, pkt, len), 0);
	/* An error (time exceeded) passes with 0xFFFFFFF. */
	{
		uint8_t msg[128];
		struct clat_prefix_set set = three_prefixes();
		struct in6_addr r6 = clat_test_v6(ROUTER6);

		len = build_time_exceeded_udp(msg);
		len = clat_icmp6_packet_to_v4(msg, len, &r6, clat_test_v4(LOCAL4), 64, 0, &set,
					      pkt, sizeof(pkt));
		ck_assert_uint_ne(len, 0);
		ck_assert_uint_eq(RUN(ping_filter, pkt, len), 0xFFFFFFF);
	}
	/* IP options: IHL 6, the ICMP header 4 bytes further. */
	len = ping_reply(pkt, sizeof(pkt), 0x4321);
	memmove(pkt + 24, pkt + 20, len - 20);
	/* Options; the identifier where X = 16 (the version nibble) would
	 * look, and a non-zero byte where X = 20 would find the type. */
	memset(pkt + 20, 0x01, 4);
	put16(pkt + 20, IDENT);
	pkt[0] = 0x46;
	ck_assert_uint_eq(RUN(ping_filter, pkt, len + 4), 0);
	put16(pkt + 28, IDENT);
	put16(pkt + 20, 0x0101);
	ck_assert_uint_eq(RUN(ping_filter, pkt, len + 4), ~0U);
	/* Too short for the identifier load: 0. */
	len = ping_reply(pkt, sizeof(pkt), IDENT);
	ck_assert_uint_eq(RUN(ping_filter, pkt, 25), 0);
	ck_assert_uint_eq(RUN(ping_filter, pkt, 26), ~0U);
	ck_assert_uint_eq(RUN(ping_filter, pkt, 0), 0);
}
END_TEST

START_TEST(bpf_msh)
{
	static const struct sock_filter msh[] = {
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 1),
		BPF_STMT(BPF_MISC | BPF_TXA, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	static const uint8_t bytes[][2] = { { 0x45, 20 }, { 0x46, 24 }, { 0x4f, 60 },
					    { 0xf3, 12 }, { 0x00, 0 }, { 0x01, 4 } };
	uint8_t pkt[2] = { 0xff, 0 };

	ck_assert(VALID(msh));
	for (size_t i = 0; i < CLAT_TEST_COUNT(bytes); i++) {
		pkt[1] = bytes[i][0];
		ck_assert_uint_eq(RUN(msh, pkt, 2), bytes[i][1]);
	}
	ck_assert_uint_eq(RUN(msh, pkt, 1), 0); /* byte 1 missing */
}
END_TEST

static const uint8_t five[] = { 0x01, 0x02, 0x03, 0x04, 0x05 };

/* One load then RET A, or RET K 99 after it (a load out of bounds must end
 * the filter with 0, not go on). */
static uint32_t load(uint16_t code, uint32_t k, uint32_t x, bool ret_a)
{
	struct sock_filter prog[] = {
		BPF_STMT(BPF_LDX | BPF_IMM, x),
		BPF_STMT(code, k),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};

	if (!ret_a)
		prog[2] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 99);
	ck_assert(VALID(prog) || BPF_MODE(code) == BPF_ABS);
	return RUN(prog, five, sizeof(five));
}

START_TEST(bpf_loads)
{
	ck_assert_uint_eq(load(BPF_LD | BPF_W | BPF_ABS, 0, 0, true), 0x01020304);
	ck_assert_uint_eq(load(BPF_LD | BPF_W | BPF_ABS, 1, 0, true), 0x02030405);
	ck_assert_uint_eq(load(BPF_LD | BPF_H | BPF_ABS, 3, 0, true), 0x0405);
	ck_assert_uint_eq(load(BPF_LD | BPF_B | BPF_ABS, 4, 0, true), 0x05);
	ck_assert_uint_eq(load(BPF_LD | BPF_W | BPF_IND, 1, 0, true), 0x02030405);
	ck_assert_uint_eq(load(BPF_LD | BPF_H | BPF_IND, 2, 1, true), 0x0405);
	ck_assert_uint_eq(load(BPF_LD | BPF_B | BPF_IND, 0, 2, true), 0x03);
	/* X + k wraps at 32 bits, as in the kernel */
	ck_assert_uint_eq(load(BPF_LD | BPF_B | BPF_IND, 2, 0xffffffff, true), 0x02);
	ck_assert_uint_eq(load(BPF_LD | BPF_W | BPF_LEN, 0, 0, true), 5);
	ck_assert_uint_eq(load(BPF_LD | BPF_IMM, 0xcafe, 0, true), 0xcafe);
}
END_TEST

START_TEST(bpf_loads_out_of_bounds)
{
	ck_assert_uint_eq(load(BPF_LD | BPF_W | BPF_ABS, 1, 0, false), 99);
	ck_assert_uint_eq(load(BPF_LD | BPF_W | BPF_ABS, 2, 0, false), 0);
	ck_assert_uint_eq(load(BPF_LD | BPF_H | BPF_ABS, 3, 0, false), 99);
	ck_assert_uint_eq(load(BPF_LD | BPF_H | BPF_ABS, 4, 0, false), 0);
	ck_assert_uint_eq(load(BPF_LD | BPF_B | BPF_ABS, 4, 0, false), 99);
	ck_assert_uint_eq(load(BPF_LD | BPF_B | BPF_ABS, 5, 0, false), 0);
	ck_assert_uint_eq(load(BPF_LD | BPF_W | BPF_ABS, 0x7fffffff, 0, false), 0);
	ck_assert_uint_eq(load(BPF_LD | BPF_W | BPF_ABS, 0xfffffffe, 0, false), 0);
	ck_assert_uint_eq(load(BPF_LD | BPF_B | BPF_IND, 1, 4, false), 0);
	ck_assert_uint_eq(load(BPF_LD | BPF_B | BPF_IND, 0, 4, false), 99);
	ck_assert_uint_eq(load(BPF_LD | BPF_H | BPF_IND, 1, 0xfffffffe, false), 0);
	ck_assert_uint_eq(load(BPF_LD | BPF_W | BPF_IND, 0, 0x80000000, false), 0);
	ck_assert_uint_eq(load(BPF_LDX | BPF_B | BPF_MSH, 5, 0, false), 0);
	ck_assert_uint_eq(load(BPF_LDX | BPF_B | BPF_MSH, 4, 0, false), 99);
	/* An empty packet */
	{
		static const struct sock_filter b0[] = {
			BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
			BPF_STMT(BPF_RET | BPF_K, 99),
		};

		ck_assert_uint_eq(clat_bpf_run(b0, 2, NULL, 0), 0);
		ck_assert_uint_eq(RUN(b0, five, 0), 0);
	}
}
END_TEST

START_TEST(bpf_registers_and_memory)
{
	static const struct sock_filter ldx_len[] = {
		BPF_STMT(BPF_LDX | BPF_W | BPF_LEN, 0),
		BPF_STMT(BPF_MISC | BPF_TXA, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	static const struct sock_filter st_ldx[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 7),
		BPF_STMT(BPF_ST, 3),
		BPF_STMT(BPF_LD | BPF_IMM, 0),
		BPF_STMT(BPF_LDX | BPF_MEM, 3),
		BPF_STMT(BPF_MISC | BPF_TXA, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	static const struct sock_filter stx_ld[] = {
		BPF_STMT(BPF_LDX | BPF_IMM, 9),
		BPF_STMT(BPF_STX, 15),
		BPF_STMT(BPF_LDX | BPF_IMM, 1),
		BPF_STMT(BPF_STX, 0),
		BPF_STMT(BPF_LD | BPF_MEM, 15),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	static const struct sock_filter tax[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 42),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_IMM, 0),
		BPF_STMT(BPF_MISC | BPF_TXA, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	static const struct sock_filter ret_k[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 42),
		BPF_STMT(BPF_RET | BPF_K, 0x10000),
	};

	ck_assert(VALID(ldx_len) && VALID(st_ldx) && VALID(stx_ld) && VALID(tax) && VALID(ret_k));
	ck_assert_uint_eq(RUN(ldx_len, five, 5), 5);
	ck_assert_uint_eq(RUN(ldx_len, five, 3), 3);
	ck_assert_uint_eq(RUN(st_ldx, five, 5), 7);
	ck_assert_uint_eq(RUN(stx_ld, five, 5), 9);
	ck_assert_uint_eq(RUN(tax, five, 5), 42);
	ck_assert_uint_eq(RUN(ret_k, five, 5), 0x10000);
}
END_TEST

struct alu_row {
	uint16_t op;
	uint32_t a, v, want;
};

static const struct alu_row alu_rows[] = {
	{ BPF_ADD, 5, 3, 8 },
	{ BPF_ADD, 0xffffffff, 2, 1 },
	{ BPF_SUB, 3, 5, 0xfffffffe },
	{ BPF_MUL, 7, 6, 42 },
	{ BPF_MUL, 0x10000, 0x10000, 0 },
	{ BPF_DIV, 100, 7, 14 },
	{ BPF_DIV, 0xffffffff, 2, 0x7fffffff }, /* unsigned */
	{ BPF_MOD, 100, 7, 2 },
	{ BPF_OR, 0xf0, 0x0f, 0xff },
	{ BPF_AND, 0xff, 0x3c, 0x3c },
	{ BPF_XOR, 0xff, 0x0f, 0xf0 },
	{ BPF_LSH, 1, 31, 0x80000000 },
	{ BPF_LSH, 0x3, 4, 0x30 },
	{ BPF_RSH, 0x80000000, 31, 1 }, /* logical */
	{ BPF_RSH, 0xf0, 4, 0xf },
};

START_TEST(bpf_alu)
{
	const struct alu_row *row = &alu_rows[_i];
	struct sock_filter with_k[] = {
		BPF_STMT(BPF_LD | BPF_IMM, row->a),
		BPF_STMT(BPF_ALU | row->op | BPF_K, row->v),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter with_x[] = {
		BPF_STMT(BPF_LD | BPF_IMM, row->a),
		BPF_STMT(BPF_LDX | BPF_IMM, row->v),
		BPF_STMT(BPF_ALU | row->op | BPF_X, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};

	ck_assert(VALID(with_k));
	ck_assert(VALID(with_x));
	ck_assert_uint_eq(RUN(with_k, five, 5), row->want);
	ck_assert_uint_eq(RUN(with_x, five, 5), row->want);
}
END_TEST

START_TEST(bpf_alu_neg_and_div_zero)
{
	static const struct sock_filter neg[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 5),
		BPF_STMT(BPF_ALU | BPF_NEG, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	static const uint16_t ops[] = { BPF_DIV, BPF_MOD };

	ck_assert(VALID(neg));
	ck_assert_uint_eq(RUN(neg, five, 5), 0xfffffffb);
	for (size_t i = 0; i < 2; i++) {
		/* X == 0 at run time: the filter returns 0 (not 7). */
		struct sock_filter by_x[] = {
			BPF_STMT(BPF_LD | BPF_IMM, 10),
			BPF_STMT(BPF_LDX | BPF_IMM, 0),
			BPF_STMT(BPF_ALU | ops[i] | BPF_X, 0),
			BPF_STMT(BPF_RET | BPF_K, 7),
		};
		struct sock_filter by_k[] = {
			BPF_STMT(BPF_LD | BPF_IMM, 10),
			BPF_STMT(BPF_ALU | ops[i] | BPF_K, 0),
			BPF_STMT(BPF_RET | BPF_K, 7),
		};

		ck_assert(VALID(by_x));
		ck_assert_uint_eq(RUN(by_x, five, 5), 0);
		by_x[1].k = 3;
		ck_assert_uint_eq(RUN(by_x, five, 5), 7);
		/* a constant zero divisor is refused up front */
		ck_assert(!VALID(by_k));
		ck_assert_uint_eq(RUN(by_k, five, 5), 0);
	}
}
END_TEST

struct jump_row {
	uint16_t op;
	uint32_t a, v;
	bool taken;
};

static const struct jump_row jump_rows[] = {
	{ BPF_JEQ, 5, 5, true },
	{ BPF_JEQ, 5, 6, false },
	{ BPF_JGT, 6, 5, true },
	{ BPF_JGT, 5, 5, false },
	{ BPF_JGT, 0xffffffff, 1, true }, /* unsigned */
	{ BPF_JGE, 5, 5, true },
	{ BPF_JGE, 4, 5, false },
	{ BPF_JGE, 1, 0xffffffff, false },
	{ BPF_JSET, 0x0c, 0x04, true },
	{ BPF_JSET, 0x0c, 0x03, false },
	{ BPF_JSET, 0x0c, 0x06, true }, /* any common bit */
};

START_TEST(bpf_jumps)
{
	const struct jump_row *row = &jump_rows[_i];
	/* taken: skip 1 to RET 0x22; not taken: RET 0x11, and the other way
	 * round, so that jt and jf are both exercised. */
	for (int swap = 0; swap < 2; swap++) {
		uint8_t jt = swap ? 0 : 1, jf = swap ? 1 : 0;
		uint32_t when_taken = swap ? 0x11 : 0x22, when_not = swap ? 0x22 : 0x11;
		struct sock_filter with_k[] = {
			BPF_STMT(BPF_LD | BPF_IMM, row->a),
			BPF_JUMP(BPF_JMP | row->op | BPF_K, row->v, jt, jf),
			BPF_STMT(BPF_RET | BPF_K, 0x11),
			BPF_STMT(BPF_RET | BPF_K, 0x22),
		};
		struct sock_filter with_x[] = {
			BPF_STMT(BPF_LD | BPF_IMM, row->a),
			BPF_STMT(BPF_LDX | BPF_IMM, row->v),
			BPF_JUMP(BPF_JMP | row->op | BPF_X, 0, jt, jf),
			BPF_STMT(BPF_RET | BPF_K, 0x11),
			BPF_STMT(BPF_RET | BPF_K, 0x22),
		};

		ck_assert(VALID(with_k) && VALID(with_x));
		ck_assert_uint_eq(RUN(with_k, five, 5), row->taken ? when_taken : when_not);
		ck_assert_uint_eq(RUN(with_x, five, 5), row->taken ? when_taken : when_not);
	}
}
END_TEST

START_TEST(bpf_jump_always)
{
	static const struct sock_filter ja[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 1),
		BPF_STMT(BPF_JMP | BPF_JA, 2),
		BPF_STMT(BPF_RET | BPF_K, 0x11),
		BPF_STMT(BPF_RET | BPF_K, 0x22),
		BPF_STMT(BPF_RET | BPF_K, 0x33),
	};

	ck_assert(VALID(ja));
	ck_assert_uint_eq(RUN(ja, five, 5), 0x33);
}
END_TEST

START_TEST(bpf_validity_basics)
{
	static struct sock_filter many[BPF_MAXINSNS + 1];
	static const struct sock_filter ret_a[] = { BPF_STMT(BPF_RET | BPF_A, 0) };
	static const struct sock_filter ret_k[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	static const struct sock_filter no_ret[] = { BPF_STMT(BPF_LD | BPF_IMM, 1) };
	static const struct sock_filter ret_first[] = {
		BPF_STMT(BPF_RET | BPF_K, 1),
		BPF_STMT(BPF_LD | BPF_IMM, 1),
	};

	ck_assert(VALID(ret_a));
	ck_assert(VALID(ret_k));
	ck_assert(!VALID(no_ret));
	ck_assert(!VALID(ret_first));
	ck_assert(!clat_bpf_valid(ret_k, 0));
	ck_assert(!clat_bpf_valid(NULL, 0));
	ck_assert(!clat_bpf_valid(NULL, 1));
	for (size_t i = 0; i < BPF_MAXINSNS + 1; i++)
		many[i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, (uint32_t)i);
	many[BPF_MAXINSNS - 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);
	ck_assert(clat_bpf_valid(many, BPF_MAXINSNS));
	ck_assert_uint_eq(clat_bpf_run(many, BPF_MAXINSNS, five, 5), BPF_MAXINSNS - 2);
	many[BPF_MAXINSNS] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);
	ck_assert(!clat_bpf_valid(many, BPF_MAXINSNS + 1));
	/* The kernel's own ceiling, in case a header ever changes it. */
	ck_assert_int_eq(BPF_MAXINSNS, 4096);
}
END_TEST

/* The opcodes of linux/filter.h the kernel takes from user space. */
static const uint16_t allowed_codes[] = {
	BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_H | BPF_ABS, BPF_LD | BPF_B | BPF_ABS,
	BPF_LD | BPF_W | BPF_IND, BPF_LD | BPF_H | BPF_IND, BPF_LD | BPF_B | BPF_IND,
	BPF_LD | BPF_W | BPF_LEN, BPF_LD | BPF_IMM, BPF_LD | BPF_MEM,
	BPF_LDX | BPF_W | BPF_LEN, BPF_LDX | BPF_B | BPF_MSH, BPF_LDX | BPF_IMM,
	BPF_LDX | BPF_MEM, BPF_ST, BPF_STX,
	BPF_ALU | BPF_ADD | BPF_K, BPF_ALU | BPF_ADD | BPF_X, BPF_ALU | BPF_SUB | BPF_K,
	BPF_ALU | BPF_SUB | BPF_X, BPF_ALU | BPF_MUL | BPF_K, BPF_ALU | BPF_MUL | BPF_X,
	BPF_ALU | BPF_DIV | BPF_K, BPF_ALU | BPF_DIV | BPF_X, BPF_ALU | BPF_MOD | BPF_K,
	BPF_ALU | BPF_MOD | BPF_X, BPF_ALU | BPF_OR | BPF_K, BPF_ALU | BPF_OR | BPF_X,
	BPF_ALU | BPF_AND | BPF_K, BPF_ALU | BPF_AND | BPF_X, BPF_ALU | BPF_XOR | BPF_K,
	BPF_ALU | BPF_XOR | BPF_X, BPF_ALU | BPF_LSH | BPF_K, BPF_ALU | BPF_LSH | BPF_X,
	BPF_ALU | BPF_RSH | BPF_K, BPF_ALU | BPF_RSH | BPF_X, BPF_ALU | BPF_NEG,
	BPF_JMP | BPF_JA, BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JEQ | BPF_X,
	BPF_JMP | BPF_JGT | BPF_K, BPF_JMP | BPF_JGT | BPF_X, BPF_JMP | BPF_JGE | BPF_K,
	BPF_JMP | BPF_JGE | BPF_X, BPF_JMP | BPF_JSET | BPF_K, BPF_JMP | BPF_JSET | BPF_X,
	BPF_RET | BPF_K, BPF_RET | BPF_A, BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA,
};

/* Every 16-bit code as the first of {code k=1, RET}: valid exactly for the
 * allowed ones (k=1: no zero divisor; JA 1 and M[1] read before any store
 * are the two allowed codes invalid for other reasons). */
START_TEST(bpf_validity_opcodes)
{
	for (uint32_t code = 0; code <= 0xffff; code++) {
		struct sock_filter prog[] = {
			BPF_STMT((uint16_t)code, 1),
			BPF_STMT(BPF_RET | BPF_K, 0),
		};
		bool allowed = false;

		for (size_t i = 0; i < CLAT_TEST_COUNT(allowed_codes); i++)
			allowed |= allowed_codes[i] == code;
		if (code == (BPF_JMP | BPF_JA) || code == (BPF_LD | BPF_MEM) ||
		    code == (BPF_LDX | BPF_MEM))
			allowed = false;
		ck_assert_msg(VALID(prog) == allowed, "code %#x", code);
		if (!allowed)
			ck_assert_uint_eq(RUN(prog, five, 5), 0); /* never runs */
	}
}
END_TEST

START_TEST(bpf_validity_operands)
{
	struct sock_filter p[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 1),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	static const uint16_t mem_ops[] = { BPF_ST, BPF_STX };
	static const uint16_t abs_ops[] = { BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_H | BPF_ABS,
					    BPF_LD | BPF_B | BPF_ABS };

	/* shifts by a constant of 32 or more */
	p[0] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 31);
	ck_assert(VALID(p));
	p[0].k = 32;
	ck_assert(!VALID(p));
	p[0] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 32);
	ck_assert(!VALID(p));
	p[0].k = 0;
	ck_assert(VALID(p));
	/* divisors */
	p[0] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 1);
	ck_assert(VALID(p));
	p[0] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 0);
	ck_assert(!VALID(p));
	/* scratch memory has 16 cells */
	for (size_t i = 0; i < 2; i++) {
		p[0] = (struct sock_filter)BPF_STMT(mem_ops[i], 15);
		ck_assert(VALID(p));
		p[0].k = 16;
		ck_assert(!VALID(p));
		ck_assert_uint_eq(RUN(p, five, 5), 0);
	}
	/* special negative offsets: ancillary data, network and link layer */
	for (size_t i = 0; i < CLAT_TEST_COUNT(abs_ops); i++) {
		static const uint32_t special[] = {
			(uint32_t)SKF_AD_OFF + SKF_AD_PROTOCOL, (uint32_t)SKF_AD_OFF + SKF_AD_RANDOM,
			(uint32_t)SKF_AD_OFF, (uint32_t)SKF_NET_OFF, (uint32_t)SKF_NET_OFF + 9,
			(uint32_t)SKF_LL_OFF, 0xffffffff,
		};

		p[0] = (struct sock_filter)BPF_STMT(abs_ops[i], 0);
		ck_assert(VALID(p));
		for (size_t j = 0; j < CLAT_TEST_COUNT(special); j++) {
			p[0].k = special[j];
			ck_assert_msg(!VALID(p), "k %#x", special[j]);
		}
		p[0].k = (uint32_t)SKF_LL_OFF - 1; /* plain out of bounds: valid, 0 */
		ck_assert(VALID(p));
		ck_assert_uint_eq(RUN(p, five, 5), 0);
	}
}
END_TEST

START_TEST(bpf_validity_jumps)
{
	struct sock_filter p[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 1),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, 1),
		BPF_STMT(BPF_RET | BPF_K, 2),
	};

	ck_assert(VALID(p));
	p[1].jt = 2; /* one past the end */
	ck_assert(!VALID(p));
	ck_assert_uint_eq(RUN(p, five, 5), 0); /* lands nowhere: 0, no crash */
	p[1].jt = 255;
	ck_assert(!VALID(p));
	ck_assert_uint_eq(RUN(p, five, 5), 0);
	p[1].jt = 0;
	p[1].jf = 2;
	ck_assert(!VALID(p));
	p[1].jf = 1;
	ck_assert(VALID(p));
	p[1] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 1);
	ck_assert(VALID(p));
	ck_assert_uint_eq(RUN(p, five, 5), 2);
	p[1].k = 2;
	ck_assert(!VALID(p));
	p[1].k = 0xffffffff;
	ck_assert(!VALID(p));
	ck_assert_uint_eq(RUN(p, five, 5), 0);
	/* a conditional jump as the last instruction */
	p[3] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 0);
	p[1] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, 0);
	ck_assert(!VALID(p));
}
END_TEST

/* check_load_and_stores(): M[k] must be stored on every path to a read. */
START_TEST(bpf_validity_memory_flow)
{
	static const struct sock_filter read_first[] = {
		BPF_STMT(BPF_LD | BPF_MEM, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	static const struct sock_filter ldx_other_cell[] = {
		BPF_STMT(BPF_ST, 1),
		BPF_STMT(BPF_LDX | BPF_MEM, 2),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	static const struct sock_filter one_branch[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 1),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
		BPF_STMT(BPF_ST, 0),
		BPF_STMT(BPF_LD | BPF_MEM, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	static const struct sock_filter both_branches[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 1),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2),
		BPF_STMT(BPF_ST, 0),
		BPF_STMT(BPF_JMP | BPF_JA, 1),
		BPF_STMT(BPF_STX, 0),
		BPF_STMT(BPF_LD | BPF_MEM, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	static const struct sock_filter different_cells[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 1),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2),
		BPF_STMT(BPF_ST, 0),
		BPF_STMT(BPF_JMP | BPF_JA, 1),
		BPF_STMT(BPF_STX, 1),
		BPF_STMT(BPF_LD | BPF_MEM, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};

	/* JA jumps over the store: the read is reached without it. */
	static const struct sock_filter jumped_over[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 1),
		BPF_STMT(BPF_JMP | BPF_JA, 1),
		BPF_STMT(BPF_ST, 0),
		BPF_STMT(BPF_LD | BPF_MEM, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};

	ck_assert(!VALID(read_first));
	ck_assert(!VALID(jumped_over));
	ck_assert(!VALID(ldx_other_cell));
	ck_assert(!VALID(one_branch));
	ck_assert(VALID(both_branches));
	ck_assert_uint_eq(RUN(both_branches, five, 5), 1);
	ck_assert(!VALID(different_cells));
}
END_TEST

START_TEST(bpf_run_defensive)
{
	static const struct sock_filter falls_off[] = { BPF_STMT(BPF_LD | BPF_IMM, 1) };

	ck_assert_uint_eq(RUN(falls_off, five, 5), 0);
	ck_assert_uint_eq(clat_bpf_run(NULL, 3, five, 5), 0);
	ck_assert_uint_eq(clat_bpf_run(ping_filter, 0, five, 5), 0);
	/* A valid filter never reads past len, whatever the bytes say. */
	for (size_t len = 0; len <= 64; len++) {
		uint8_t pkt[64];

		memset(pkt, 0xff, sizeof(pkt));
		(void)run(ping_filter, CLAT_TEST_COUNT(ping_filter), pkt, len);
	}
}
END_TEST

Suite *clat_icmp_suite(void)
{
	Suite *s = suite_create("icmp");
	TCase *tc = tcase_create("checksum");

	tcase_add_test(tc, checksum_rfc1071_example);
	tcase_add_test(tc, checksum_odd_and_edges);
	tcase_add_test(tc, checksum_long_buffers);
	suite_add_tcase(s, tc);

	tc = tcase_create("echo");
	tcase_add_test(tc, echo_request_to_v6);
	tcase_add_test(tc, echo_request_to_v6_rejects);
	tcase_add_test(tc, echo_reply_to_v4_vector);
	tcase_add_test(tc, echo_to_v4_both_types);
	tcase_add_test(tc, echo_to_v4_rejects);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, error_table_rows, 0, (int)CLAT_TEST_COUNT(error_rows));
	tcase_add_test(tc, error_table_sweep);
	tcase_add_test(tc, ptb_mtu_arithmetic);
	tcase_add_test(tc, pointer_map_rows);
	tcase_add_test(tc, errno_per_type_code);
	tcase_add_loop_test(tc, extended_err_icmp6, 0, (int)CLAT_TEST_COUNT(ee_rows));
	tcase_add_test(tc, extended_err_local_and_others);
	suite_add_tcase(s, tc);

	tc = tcase_create("headers");
	tcase_add_test(tc, ipv4_for_addresses);
	tcase_add_test(tc, ipv4_header_vector);
	tcase_add_test(tc, ipv4_header_fields);
	tcase_add_test(tc, ipv4_header_refusals);
	suite_add_tcase(s, tc);

	tc = tcase_create("packets");
	tcase_add_test(tc, packet_echo_reply_bytes);
	tcase_add_test(tc, packet_echo_both_types);
	tcase_add_test(tc, packet_time_exceeded_udp);
	tcase_add_test(tc, packet_time_exceeded_quote_short);
	tcase_add_test(tc, packet_unreach_port_echo);
	tcase_add_test(tc, packet_unreach_echo_truncated);
	tcase_add_test(tc, packet_unreach_echo_extra_bytes);
	tcase_add_test(tc, packet_too_big);
	tcase_add_test(tc, packet_param_problem);
	tcase_add_test(tc, packet_drops);
	tcase_add_test(tc, packet_truncation_every_length);
	tcase_add_test(tc, packet_outlen_and_sizes);
	suite_add_tcase(s, tc);

	tc = tcase_create("bpf");
	tcase_add_test(tc, bpf_ping_filter);
	tcase_add_test(tc, bpf_msh);
	tcase_add_test(tc, bpf_loads);
	tcase_add_test(tc, bpf_loads_out_of_bounds);
	tcase_add_test(tc, bpf_registers_and_memory);
	tcase_add_loop_test(tc, bpf_alu, 0, (int)CLAT_TEST_COUNT(alu_rows));
	tcase_add_test(tc, bpf_alu_neg_and_div_zero);
	tcase_add_loop_test(tc, bpf_jumps, 0, (int)CLAT_TEST_COUNT(jump_rows));
	tcase_add_test(tc, bpf_jump_always);
	tcase_add_test(tc, bpf_validity_basics);
	tcase_add_test(tc, bpf_validity_opcodes);
	tcase_add_test(tc, bpf_validity_operands);
	tcase_add_test(tc, bpf_validity_jumps);
	tcase_add_test(tc, bpf_validity_memory_flow);
	tcase_add_test(tc, bpf_run_defensive);
	suite_add_tcase(s, tc);
	return s;
}
