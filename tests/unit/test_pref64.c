/* RFC 8781 PREF64 option: one option, and a block of ND options. */
#include <stdlib.h>
#include <string.h>

#include "core/pref64.h"
#include "suites.h"
#include "test_util.h"

/* Writes a PREF64 option: the top 96 bits of addr as given (so bits past
 * the length can be set on purpose). */
static void make_opt(uint8_t opt[16], unsigned length_units, unsigned scaled, unsigned plc,
		     const char *addr)
{
	struct in6_addr a = clat_test_v6(addr);
	unsigned field = scaled << 3 | plc;

	opt[0] = CLAT_ND_OPT_PREF64;
	opt[1] = (uint8_t)length_units;
	opt[2] = (uint8_t)(field >> 8);
	opt[3] = (uint8_t)field;
	memcpy(opt + 4, a.s6_addr, 12);
}

/* Parses from an exact-size heap copy (ASan sees over-reads). */
static bool parse(const uint8_t *opt, size_t len, struct clat_pref64 *out)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	bool ok;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, opt, len);
	ok = clat_pref64_parse(copy, len, out);
	free(copy);
	return ok;
}

static void assert_prefix(const struct clat_prefix *got, const char *expected)
{
	struct clat_prefix want = clat_test_prefix(expected);
	char text[64] = "?";

	clat_prefix_format(got, text, sizeof(text));
	ck_assert_msg(got->len == want.len && memcmp(got->addr, want.addr, 16) == 0,
		      "got %s, expected %s", text, expected);
}

/* 8781 s4: PLC 0..5 -> /96 /64 /56 /48 /40 /32. The address field is
 * filled with set bits past the length: they are not part of the prefix. */
START_TEST(each_plc)
{
	static const struct {
		const char *prefix;
	} plc[] = {
		{ "2001:db8:122:344:0:1::/96" }, { "2001:db8:122:344::/64" },
		{ "2001:db8:122:300::/56" },     { "2001:db8:122::/48" },
		{ "2001:db8:100::/40" },         { "2001:db8::/32" },
	};
	uint8_t opt[16];
	struct clat_pref64 out;

	/* Byte 8 (u) stays zero for the /96 row; the others mask it away. */
	make_opt(opt, 2, 225, (unsigned)_i,
		 _i == 0 ? "2001:db8:122:344:0:1::" : "2001:db8:122:344:ff00:1::");
	memset(&out, 0x5a, sizeof(out));
	ck_assert(parse(opt, sizeof(opt), &out));
	assert_prefix(&out.prefix, plc[_i].prefix);
	ck_assert_uint_eq(out.lifetime, 1800);
	ck_assert_int_eq(clat_prefix_check(&out.prefix), CLAT_PREFIX_OK);
}
END_TEST

/* 8781 s4: PLC 6 and 7 are invalid; the option is ignored. */
START_TEST(bad_plc)
{
	uint8_t opt[16];
	struct clat_pref64 out, before;

	memset(&out, 0x5a, sizeof(out));
	before = out;
	for (unsigned plc = 6; plc <= 7; plc++) {
		make_opt(opt, 2, 100, plc, "64:ff9b::");
		ck_assert(!parse(opt, sizeof(opt), &out));
		ck_assert_mem_eq(&out, &before, sizeof(out)); /* untouched */
	}
}
END_TEST

/* 8781 s4: Length must be 2. A longer buffer does not make Length 3 good. */
START_TEST(bad_length_field)
{
	uint8_t opt[32] = { 0 };
	struct clat_pref64 out;

	for (unsigned units = 0; units <= 4; units++) {
		if (units == 2)
			continue;
		make_opt(opt, units, 100, 0, "64:ff9b::");
		ck_assert_msg(!parse(opt, sizeof(opt), &out), "Length %u", units);
	}
	make_opt(opt, 2, 100, 0, "64:ff9b::");
	ck_assert(parse(opt, sizeof(opt), &out)); /* extra bytes after: fine */
}
END_TEST

START_TEST(bad_type)
{
	uint8_t opt[16];
	struct clat_pref64 out;

	make_opt(opt, 2, 100, 0, "64:ff9b::");
	opt[0] = 25; /* RDNSS */
	ck_assert(!parse(opt, sizeof(opt), &out));
	opt[0] = 39;
	ck_assert(!parse(opt, sizeof(opt), &out));
}
END_TEST

/* Every short buffer is refused without reading past it. */
START_TEST(short_buffer)
{
	uint8_t opt[16];
	struct clat_pref64 out;

	make_opt(opt, 2, 100, 0, "64:ff9b::");
	for (size_t len = 0; len < sizeof(opt); len++)
		ck_assert_msg(!parse(opt, len, &out), "len %zu", len);
	ck_assert(parse(opt, sizeof(opt), &out));
	ck_assert(!clat_pref64_parse(NULL, 16, &out));
}
END_TEST

/* 8781 s4.1: lifetime 0 parses (the prefix is withdrawn); the largest is
 * 8191 * 8 = 65528. */
START_TEST(lifetimes)
{
	static const struct {
		unsigned scaled;
		uint32_t seconds;
	} cases[] = { { 0, 0 }, { 1, 8 }, { 225, 1800 }, { 4096, 32768 }, { 8191, 65528 } };
	uint8_t opt[16];

	for (size_t i = 0; i < CLAT_TEST_COUNT(cases); i++) {
		for (unsigned plc = 0; plc <= 5; plc++) {
			struct clat_pref64 out;

			make_opt(opt, 2, cases[i].scaled, plc, "64:ff9b::");
			ck_assert(parse(opt, sizeof(opt), &out));
			ck_assert_uint_eq(out.lifetime, cases[i].seconds);
		}
	}
	/* PLC bits do not leak into the lifetime, nor lifetime into PLC. */
	make_opt(opt, 2, 8191, 5, "64:ff9b::");
	{
		struct clat_pref64 out;

		ck_assert(parse(opt, sizeof(opt), &out));
		ck_assert_uint_eq(out.prefix.len, 32);
		ck_assert_uint_eq(out.lifetime, 65528);
	}
}
END_TEST

/* 6052 s2.2: a /96 with the u octet set is refused; for shorter lengths
 * byte 8 is past the prefix and ignored. */
START_TEST(u_octet)
{
	uint8_t opt[16];
	struct clat_pref64 out;

	make_opt(opt, 2, 100, 0, "2001:db8:122:344:ff00::");
	ck_assert(!parse(opt, sizeof(opt), &out));
	make_opt(opt, 2, 100, 1, "2001:db8:122:344:ff00::");
	ck_assert(parse(opt, sizeof(opt), &out));
	assert_prefix(&out.prefix, "2001:db8:122:344::/64");
}
END_TEST

/* A block of ND options as in an RA: source link-layer address, MTU,
 * RDNSS, PREF64s. */
struct block {
	uint8_t b[256];
	size_t len;
};

static void add_opt(struct block *blk, unsigned type, unsigned units)
{
	ck_assert(blk->len + units * 8 <= sizeof(blk->b) || units == 0);
	memset(blk->b + blk->len, 0x11, units * 8);
	blk->b[blk->len] = (uint8_t)type;
	blk->b[blk->len + 1] = (uint8_t)units;
	blk->len += units * 8;
}

static void add_pref64(struct block *blk, unsigned scaled, unsigned plc, const char *addr)
{
	make_opt(blk->b + blk->len, 2, scaled, plc, addr);
	blk->len += 16;
}

static size_t scan(const struct block *blk, size_t len, struct clat_pref64 *out, size_t max)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	size_t n;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, blk->b, len);
	n = clat_pref64_scan(copy, len, out, max);
	free(copy);
	return n;
}

START_TEST(scan_mixed)
{
	struct block blk = { { 0 }, 0 };
	struct clat_pref64 out[4];

	add_opt(&blk, 1, 1);              /* source link-layer address */
	add_pref64(&blk, 225, 0, "64:ff9b::");
	add_opt(&blk, 5, 1);              /* MTU */
	add_pref64(&blk, 100, 7, "2001:db8:1::"); /* PLC 7: skipped */
	add_opt(&blk, 25, 3);             /* RDNSS with one address */
	add_pref64(&blk, 0, 3, "2001:db8:122::");
	add_opt(&blk, 38, 3);             /* PREF64 with Length 3: skipped */
	add_opt(&blk, 31, 2);             /* DNSSL */
	memset(out, 0x5a, sizeof(out));
	ck_assert_uint_eq(scan(&blk, blk.len, out, 4), 2);
	assert_prefix(&out[0].prefix, "64:ff9b::/96");
	ck_assert_uint_eq(out[0].lifetime, 1800);
	assert_prefix(&out[1].prefix, "2001:db8:122::/48");
	ck_assert_uint_eq(out[1].lifetime, 0);
	/* max is respected, in order. */
	memset(out, 0x5a, sizeof(out));
	ck_assert_uint_eq(scan(&blk, blk.len, out, 1), 1);
	assert_prefix(&out[0].prefix, "64:ff9b::/96");
	ck_assert_uint_eq(out[1].lifetime, 0x5a5a5a5au); /* not written */
	ck_assert_uint_eq(scan(&blk, blk.len, out, 0), 0);
	/* Nothing in an empty block. */
	ck_assert_uint_eq(scan(&blk, 0, out, 4), 0);
	ck_assert_uint_eq(clat_pref64_scan(NULL, 0, out, 4), 0);
}
END_TEST

/* RFC 4861 s4.6: an option with Length 0 ends the walk. */
START_TEST(scan_length_zero)
{
	struct block blk = { { 0 }, 0 };
	struct clat_pref64 out[4];

	add_pref64(&blk, 10, 0, "2001:db8:1::");
	blk.b[blk.len] = 5; /* MTU with Length 0 */
	blk.b[blk.len + 1] = 0;
	blk.len += 8;
	add_pref64(&blk, 10, 0, "2001:db8:2::");
	ck_assert_uint_eq(scan(&blk, blk.len, out, 4), 1);
	assert_prefix(&out[0].prefix, "2001:db8:1::/96");

	/* A PREF64 type octet with Length 0 stops it too. */
	blk.len = 0;
	blk.b[0] = CLAT_ND_OPT_PREF64;
	blk.b[1] = 0;
	blk.len = 16;
	ck_assert_uint_eq(scan(&blk, blk.len, out, 4), 0);
}
END_TEST

/* An option running past the block ends the walk: a cut PREF64 is not
 * read, and nothing after an overrun is either. */
START_TEST(scan_overrun)
{
	struct block blk = { { 0 }, 0 };
	struct clat_pref64 out[4];
	size_t first_end;

	add_pref64(&blk, 10, 0, "2001:db8:1::");
	first_end = blk.len;
	add_pref64(&blk, 10, 0, "2001:db8:2::");
	for (size_t len = 0; len <= blk.len; len++) {
		size_t expected = len >= blk.len ? 2 : len >= first_end ? 1 : 0;

		ck_assert_msg(scan(&blk, len, out, 4) == expected, "len %zu", len);
	}

	/* An option claiming 255 units in a short block. */
	blk.len = 0;
	add_opt(&blk, 1, 1);
	blk.b[blk.len] = 25;
	blk.b[blk.len + 1] = 255;
	blk.len += 8;
	add_pref64(&blk, 10, 0, "2001:db8:3::");
	ck_assert_uint_eq(scan(&blk, blk.len, out, 4), 0);

	/* A stray octet at the end (no room for Type and Length). */
	blk.len = 0;
	add_pref64(&blk, 10, 0, "2001:db8:4::");
	blk.b[blk.len++] = CLAT_ND_OPT_PREF64;
	ck_assert_uint_eq(scan(&blk, blk.len, out, 4), 1);
}
END_TEST

Suite *clat_pref64_suite(void)
{
	Suite *s = suite_create("pref64");
	TCase *tc = tcase_create("option");

	tcase_add_loop_test(tc, each_plc, 0, 6);
	tcase_add_test(tc, bad_plc);
	tcase_add_test(tc, bad_length_field);
	tcase_add_test(tc, bad_type);
	tcase_add_test(tc, short_buffer);
	tcase_add_test(tc, lifetimes);
	tcase_add_test(tc, u_octet);
	suite_add_tcase(s, tc);

	tc = tcase_create("scan");
	tcase_add_test(tc, scan_mixed);
	tcase_add_test(tc, scan_length_zero);
	tcase_add_test(tc, scan_overrun);
	suite_add_tcase(s, tc);
	return s;
}
