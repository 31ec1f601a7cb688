/* RFC 6052: prefix parsing, synthesis and extraction. */
#include <string.h>

#include "core/rfc6052.h"
#include "suites.h"
#include "test_util.h"

/* RFC 6052 s2.4 Table 1, plus the well-known prefix. */
static const struct {
	const char *prefix;
	const char *embedded;
} vectors[] = {
	{ "2001:db8::/32", "2001:db8:c000:221::" },
	{ "2001:db8:100::/40", "2001:db8:1c0:2:21::" },
	{ "2001:db8:122::/48", "2001:db8:122:c000:2:2100::" },
	{ "2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::" },
	{ "2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100::" },
	{ "2001:db8:122:344::/96", "2001:db8:122:344::192.0.2.33" },
	{ "64:ff9b::/96", "64:ff9b::192.0.2.33" },
};

static const unsigned lengths[] = { 32, 40, 48, 56, 64, 96 };

START_TEST(vector_synthesize)
{
	struct clat_prefix prefix = clat_test_prefix(vectors[_i].prefix);
	struct in6_addr expected = clat_test_v6(vectors[_i].embedded);
	struct in6_addr out;

	memset(&out, 0xee, sizeof(out));
	clat_synthesize(&prefix, clat_test_v4("192.0.2.33"), &out);
	ck_assert_mem_eq(out.s6_addr, expected.s6_addr, 16);
}
END_TEST

START_TEST(vector_extract)
{
	struct clat_prefix prefix = clat_test_prefix(vectors[_i].prefix);
	struct in6_addr addr = clat_test_v6(vectors[_i].embedded);
	struct in_addr v4 = { 0 };

	ck_assert(clat_extract(&prefix, &addr, &v4));
	ck_assert_uint_eq(v4.s_addr, clat_test_v4("192.0.2.33").s_addr);
}
END_TEST

START_TEST(vector_format_round_trip)
{
	struct clat_prefix prefix = clat_test_prefix(vectors[_i].prefix);
	char text[64];

	ck_assert(clat_prefix_format(&prefix, text, sizeof(text)));
	ck_assert_str_eq(text, vectors[_i].prefix);
}
END_TEST

/* Every octet value in every position survives the round trip, and the u
 * octet and the suffix stay zero (6052 s2.2). */
START_TEST(round_trip_all_lengths)
{
	static const char *const addrs[] = { "0.0.0.0", "255.255.255.255", "1.2.3.4",
					     "128.64.32.16", "10.0.0.1" };
	struct clat_prefix prefix = { { 0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78 }, 0 };

	prefix.len = (uint8_t)lengths[_i];
	memset(prefix.addr + prefix.len / 8, 0, 16 - prefix.len / 8);
	ck_assert_int_eq(clat_prefix_check(&prefix), CLAT_PREFIX_OK);
	for (size_t i = 0; i < CLAT_TEST_COUNT(addrs); i++) {
		struct in_addr v4 = clat_test_v4(addrs[i]), back = { 0 };
		struct in6_addr out;

		clat_synthesize(&prefix, v4, &out);
		ck_assert_mem_eq(out.s6_addr, prefix.addr, prefix.len / 8);
		if (prefix.len < 96) {
			ck_assert_uint_eq(out.s6_addr[8], 0);
			for (unsigned b = prefix.len / 8 + 5; b < 16; b++)
				ck_assert_uint_eq(out.s6_addr[b], 0);
		}
		ck_assert(clat_extract(&prefix, &out, &back));
		ck_assert_uint_eq(back.s_addr, v4.s_addr);
	}
}
END_TEST

static const struct {
	const char *text;
	enum clat_prefix_status status;
} bad_prefixes[] = {
	{ "2001:db8::/0", CLAT_PREFIX_LENGTH },
	{ "2001:db8::/33", CLAT_PREFIX_LENGTH },
	{ "2001:db8::/95", CLAT_PREFIX_LENGTH },
	{ "2001:db8::/97", CLAT_PREFIX_LENGTH },
	{ "2001:db8::/128", CLAT_PREFIX_LENGTH },
	{ "2001:db8::/1000", CLAT_PREFIX_LENGTH },
	{ "2001:db8::/99999999999999999999999", CLAT_PREFIX_LENGTH },
	{ "2001:db8::", CLAT_PREFIX_SYNTAX },           /* missing length */
	{ "2001:db8::/", CLAT_PREFIX_SYNTAX },
	{ "garbage", CLAT_PREFIX_SYNTAX },
	{ "garbage/96", CLAT_PREFIX_SYNTAX },
	{ "", CLAT_PREFIX_SYNTAX },
	{ "/96", CLAT_PREFIX_SYNTAX },
	{ "64:ff9b::/96x", CLAT_PREFIX_SYNTAX },        /* trailing junk */
	{ "64:ff9b::/96 ", CLAT_PREFIX_SYNTAX },
	{ "64:ff9b::/96/96", CLAT_PREFIX_SYNTAX },
	{ " 64:ff9b::/96", CLAT_PREFIX_SYNTAX },
	{ "64:ff9b::/+96", CLAT_PREFIX_SYNTAX },
	{ "64:ff9b::/-96", CLAT_PREFIX_SYNTAX },
	{ "64:ff9b::/ 96", CLAT_PREFIX_SYNTAX },
	{ "64:ff9b::/0x60", CLAT_PREFIX_SYNTAX },
	{ "64:ff9b::%lo/96", CLAT_PREFIX_SYNTAX },
	{ "192.0.2.0/24", CLAT_PREFIX_SYNTAX },
	{ "64:ff9b:::/96", CLAT_PREFIX_SYNTAX },
	{ "1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa/96", CLAT_PREFIX_SYNTAX },
	{ "2001:db8:122:344:ff00::/96", CLAT_PREFIX_U_OCTET }, /* 6052 s2.2 */
	{ "2001:db8:122:344:100::/96", CLAT_PREFIX_U_OCTET },
	{ "2001:db8:122:344:100::/64", CLAT_PREFIX_U_OCTET },
	{ "2001:db8:0:0:100::/32", CLAT_PREFIX_U_OCTET },
	{ "2001:db8::1/96", CLAT_PREFIX_HOST_BITS },
	{ "2001:db8:1::/32", CLAT_PREFIX_HOST_BITS },
	{ "2001:db8:0:1::/56", CLAT_PREFIX_HOST_BITS },
	{ "2001:db8::1:0:0/64", CLAT_PREFIX_HOST_BITS },
	{ "64:ff9b::c000:221/96", CLAT_PREFIX_HOST_BITS },
	{ "::/96", CLAT_PREFIX_UNUSABLE },              /* unspecified */
	{ "::/32", CLAT_PREFIX_UNUSABLE },
	{ "::ffff:0:0/96", CLAT_PREFIX_UNUSABLE },      /* v4-mapped: real IPv4 */
	{ "fe80::/64", CLAT_PREFIX_UNUSABLE },          /* link-local */
	{ "febf:ffff::/32", CLAT_PREFIX_UNUSABLE },     /* last of fe80::/10 */
	{ "ff02::/96", CLAT_PREFIX_UNUSABLE },          /* multicast */
};

/* Next to the rejected ones: the usable edges stay usable. */
START_TEST(parse_accepts_usable_edges)
{
	static const char *const good[] = { "64:ff9b::/96", "64:ff9b:1::/48", "fec0::/32",
					    "fe7f:ffff::/32", "0:0:0:1::/64", "2001:db8::/32" };
	struct clat_prefix out;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(clat_prefix_parse(good[i], &out) == CLAT_PREFIX_OK, "%s", good[i]);
}
END_TEST

START_TEST(parse_rejects)
{
	struct clat_prefix out, before;

	memset(&out, 0x5a, sizeof(out));
	before = out;
	ck_assert_msg(clat_prefix_parse(bad_prefixes[_i].text, &out) == bad_prefixes[_i].status,
		      "'%s' gave %d", bad_prefixes[_i].text,
		      (int)clat_prefix_parse(bad_prefixes[_i].text, &out));
	ck_assert_mem_eq(&out, &before, sizeof(out)); /* untouched on failure */
}
END_TEST

START_TEST(parse_null)
{
	struct clat_prefix out;

	ck_assert_int_eq(clat_prefix_parse(NULL, &out), CLAT_PREFIX_SYNTAX);
}
END_TEST

START_TEST(parse_good)
{
	struct clat_prefix out;

	ck_assert_int_eq(clat_prefix_parse("2001:DB8:64::/96", &out), CLAT_PREFIX_OK);
	ck_assert_uint_eq(out.len, 96);
	ck_assert_mem_eq(out.addr, clat_test_v6("2001:db8:64::").s6_addr, 16);
	ck_assert_int_eq(clat_prefix_parse("64:ff9b:1::/48", &out), CLAT_PREFIX_OK);
	ck_assert_uint_eq(out.len, 48);
}
END_TEST

START_TEST(status_text)
{
	static const enum clat_prefix_status all[] = {
		CLAT_PREFIX_OK, CLAT_PREFIX_SYNTAX, CLAT_PREFIX_LENGTH,
		CLAT_PREFIX_U_OCTET, CLAT_PREFIX_HOST_BITS, (enum clat_prefix_status)77,
	};

	for (size_t i = 0; i < CLAT_TEST_COUNT(all); i++) {
		ck_assert_ptr_nonnull(clat_prefix_status_text(all[i]));
		ck_assert(clat_prefix_status_text(all[i])[0] != '\0');
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(clat_prefix_status_text(all[i]),
					 clat_prefix_status_text(all[j]));
	}
	ck_assert(strstr(clat_prefix_status_text(CLAT_PREFIX_LENGTH), "96") != NULL);
}
END_TEST

START_TEST(check_binary)
{
	struct clat_prefix p = clat_test_prefix("2001:db8:122:344::/64");

	ck_assert_int_eq(clat_prefix_check(&p), CLAT_PREFIX_OK);
	p.len = 33;
	ck_assert_int_eq(clat_prefix_check(&p), CLAT_PREFIX_LENGTH);
	p.len = 0;
	ck_assert_int_eq(clat_prefix_check(&p), CLAT_PREFIX_LENGTH);
	p.len = 96;
	p.addr[8] = 1;
	ck_assert_int_eq(clat_prefix_check(&p), CLAT_PREFIX_U_OCTET);
	p.addr[8] = 0;
	p.addr[15] = 1;
	ck_assert_int_eq(clat_prefix_check(&p), CLAT_PREFIX_HOST_BITS);
	p.addr[15] = 0;
	p.len = 32;
	ck_assert_int_eq(clat_prefix_check(&p), CLAT_PREFIX_HOST_BITS); /* 122:344 */
}
END_TEST

START_TEST(format_buffer_size)
{
	struct clat_prefix p = clat_test_prefix("64:ff9b::/96");
	char buf[13];

	ck_assert(clat_prefix_format(&p, buf, 13)); /* "64:ff9b::/96" + NUL */
	ck_assert_str_eq(buf, "64:ff9b::/96");
	ck_assert(!clat_prefix_format(&p, buf, 12));
	ck_assert(!clat_prefix_format(&p, buf, 0));
	ck_assert(!clat_prefix_format(&p, NULL, 0));
}
END_TEST

START_TEST(equal)
{
	struct clat_prefix a = clat_test_prefix("2001:db8:64::/96");
	struct clat_prefix b = clat_test_prefix("2001:db8:64::/96");
	struct clat_prefix c = clat_test_prefix("2001:db8:64::/64");
	struct clat_prefix d = clat_test_prefix("2001:db8:65::/96");

	ck_assert(clat_prefix_equal(&a, &b));
	ck_assert(!clat_prefix_equal(&a, &c));
	ck_assert(!clat_prefix_equal(&a, &d));
}
END_TEST

START_TEST(is_wkp)
{
	struct clat_prefix wkp = clat_test_prefix("64:ff9b::/96");
	struct clat_prefix wkp64 = clat_test_prefix("64:ff9b::/64");
	struct clat_prefix local = clat_test_prefix("64:ff9b:1::/48"); /* RFC 8215 */
	struct clat_prefix local96 = clat_test_prefix("64:ff9b:1::/96");
	struct clat_prefix nsp = clat_test_prefix("2001:db8:64::/96");

	ck_assert(clat_prefix_is_wkp(&wkp));
	ck_assert(!clat_prefix_is_wkp(&wkp64));
	ck_assert(!clat_prefix_is_wkp(&local));
	ck_assert(!clat_prefix_is_wkp(&local96));
	ck_assert(!clat_prefix_is_wkp(&nsp));
}
END_TEST

/* docs/requirements.md A.5: u != 0 inside P (n < 96) is not IPv4-embedded. */
START_TEST(extract_rejects_u_octet)
{
	struct clat_prefix prefix = clat_test_prefix(vectors[_i].prefix);
	struct in6_addr addr = clat_test_v6(vectors[_i].embedded);
	struct in_addr v4 = { 0x12345678 };

	addr.s6_addr[8] = 0x01;
	ck_assert(!clat_extract(&prefix, &addr, &v4));
	ck_assert_uint_eq(v4.s_addr, 0x12345678); /* untouched */
}
END_TEST

START_TEST(extract_rejects_suffix)
{
	struct clat_prefix prefix = clat_test_prefix(vectors[_i].prefix);
	struct in6_addr addr = clat_test_v6(vectors[_i].embedded);
	struct in_addr v4;

	addr.s6_addr[15] ^= 0x01; /* for /96 this is part of the IPv4 */
	ck_assert(clat_extract(&prefix, &addr, &v4) == (prefix.len == 96));
}
END_TEST

START_TEST(extract_rejects_outside)
{
	struct clat_prefix prefix = clat_test_prefix(vectors[_i].prefix);
	struct in6_addr addr = clat_test_v6(vectors[_i].embedded);
	struct in_addr v4;

	addr.s6_addr[prefix.len / 8 - 1] ^= 0x01; /* last prefix byte */
	ck_assert(!clat_extract(&prefix, &addr, &v4));
	addr = clat_test_v6(vectors[_i].embedded);
	addr.s6_addr[0] ^= 0x80;
	ck_assert(!clat_extract(&prefix, &addr, &v4));
}
END_TEST

START_TEST(extract_rejects_bad_prefix)
{
	struct clat_prefix prefix = clat_test_prefix("2001:db8::/32");
	struct in6_addr addr = clat_test_v6("2001:db8:c000:221::");
	struct in_addr v4;

	prefix.len = 33;
	ck_assert(!clat_extract(&prefix, &addr, &v4));
}
END_TEST

/* RFC 8215's 64:ff9b:1::/48 and v4-mapped addresses are not in the WKP. */
START_TEST(extract_wkp_other_addresses)
{
	struct clat_prefix wkp = clat_test_prefix("64:ff9b::/96");
	struct in6_addr addr = clat_test_v6("64:ff9b:1::c000:221");
	struct in_addr v4;

	ck_assert(!clat_extract(&wkp, &addr, &v4));
	addr = clat_test_v6("::ffff:192.0.2.33");
	ck_assert(!clat_extract(&wkp, &addr, &v4));
}
END_TEST

Suite *clat_rfc6052_suite(void)
{
	Suite *s = suite_create("rfc6052");
	TCase *tc = tcase_create("vectors");
	int nvec = (int)CLAT_TEST_COUNT(vectors);

	tcase_add_loop_test(tc, vector_synthesize, 0, nvec);
	tcase_add_loop_test(tc, vector_extract, 0, nvec);
	tcase_add_loop_test(tc, vector_format_round_trip, 0, nvec);
	tcase_add_loop_test(tc, round_trip_all_lengths, 0, (int)CLAT_TEST_COUNT(lengths));
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, parse_rejects, 0, (int)CLAT_TEST_COUNT(bad_prefixes));
	tcase_add_test(tc, parse_accepts_usable_edges);
	tcase_add_test(tc, parse_null);
	tcase_add_test(tc, parse_good);
	tcase_add_test(tc, status_text);
	tcase_add_test(tc, check_binary);
	tcase_add_test(tc, format_buffer_size);
	tcase_add_test(tc, equal);
	tcase_add_test(tc, is_wkp);
	suite_add_tcase(s, tc);

	tc = tcase_create("extract");
	tcase_add_loop_test(tc, extract_rejects_u_octet, 0, nvec - 2); /* n < 96 rows */
	tcase_add_loop_test(tc, extract_rejects_suffix, 0, nvec);
	tcase_add_loop_test(tc, extract_rejects_outside, 0, nvec);
	tcase_add_test(tc, extract_rejects_bad_prefix);
	tcase_add_test(tc, extract_wkp_other_addresses);
	suite_add_tcase(s, tc);
	return s;
}
