/* What an IPv4 destination becomes (lib/core/destination.c): the one
 * decision the library's hooks, its staggered connect and clatrun's
 * supervisor share. */
#include <string.h>

#include "core/destination.h"
#include "suites.h"
#include "test_util.h"

/* A mapper stub: 10.170.160.0/20 is the pool, .1 maps to 2001:db8:aa::1,
 * every other pool address is unmapped. Counts its calls. */
static unsigned map_calls;
static enum clat_map_answer stub_map(void *arg, struct in_addr addr, struct in6_addr *host)
{
	(void)arg;
	map_calls++;
	uint32_t a = ntohl(addr.s_addr);
	if ((a & 0xfffff000u) != 0x0aaaa000u)
		return CLAT_MAP_OUTSIDE_POOL;
	if (a != 0x0aaaa001u)
		return CLAT_MAP_UNMAPPED;
	*host = clat_test_v6("2001:db8:aa::1");
	return CLAT_MAP_FOUND;
}

static struct clat_prefix_set prefixes;

static struct clat_dest_inputs inputs(bool with_prefixes, bool socket_is_ipv6)
{
	struct clat_dest_inputs in = {
		.prefixes = with_prefixes ? &prefixes : NULL,
		.socket_is_ipv6 = socket_is_ipv6,
		.map_lookup = stub_map,
	};
	return in;
}

static void set_prefixes(const char *const *texts, unsigned n)
{
	memset(&prefixes, 0, sizeof(prefixes));
	for (unsigned i = 0; i < n; i++) {
		struct clat_prefix p = clat_test_prefix(texts[i]);
		ck_assert(clat_prefix_set_add(&prefixes, &p));
	}
	map_calls = 0;
}

static struct sockaddr_in dest(const char *v4, unsigned port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	sin.sin_addr = clat_test_v4(v4);
	return sin;
}

static void expect_candidate(const struct clat_destination *d, unsigned i, const char *want,
			     unsigned port)
{
	struct in6_addr w = clat_test_v6(want);
	char text[INET6_ADDRSTRLEN];
	ck_assert_uint_gt(d->count, i);
	inet_ntop(AF_INET6, &d->candidate[i].sin6_addr, text, sizeof(text));
	ck_assert_msg(memcmp(&d->candidate[i].sin6_addr, &w, sizeof(w)) == 0, "candidate %u: %s, want %s",
		      i, text, want);
	ck_assert_int_eq(d->candidate[i].sin6_family, AF_INET6);
	ck_assert_int_eq(ntohs(d->candidate[i].sin6_port), port);
}

static const char *const one_nsp[] = { "2001:db8:64::/96" };

START_TEST(synthesised_under_one_prefix)
{
	set_prefixes(one_nsp, 1);
	struct clat_dest_inputs in = inputs(true, false);
	struct sockaddr_in dst = dest("203.0.113.10", 8080);
	struct clat_destination d;

	clat_destination_decide(&in, &dst, &d);
	ck_assert_int_eq(d.kind, CLAT_DEST_SYNTHESIZED);
	ck_assert_int_eq(d.reason, CLAT_DEST_BECAUSE_TRANSLATED);
	ck_assert_uint_eq(d.count, 1);
	expect_candidate(&d, 0, "2001:db8:64::cb00:710a", 8080);
}
END_TEST

START_TEST(candidates_in_prefix_order)
{
	static const char *const three[] = { "2001:db8:42::/96", "64:ff9b::/96", "2001:db8:43::/96" };
	set_prefixes(three, 3);
	struct clat_dest_inputs in = inputs(true, false);
	struct sockaddr_in dst = dest("192.0.2.33", 443);
	struct clat_destination d;

	/* 192.0.2.33 is non-global: the WKP refuses it (RFC 6052 s3.1), the
	 * network-specific prefixes keep their order. */
	clat_destination_decide(&in, &dst, &d);
	ck_assert_int_eq(d.kind, CLAT_DEST_SYNTHESIZED);
	ck_assert_uint_eq(d.count, 2);
	expect_candidate(&d, 0, "2001:db8:42::c000:221", 443);
	expect_candidate(&d, 1, "2001:db8:43::c000:221", 443);

	in.translate_private_wkp = true;
	clat_destination_decide(&in, &dst, &d);
	ck_assert_uint_eq(d.count, 3);
	expect_candidate(&d, 1, "64:ff9b::c000:221", 443);
}
END_TEST

START_TEST(special_kept_without_asking)
{
	set_prefixes(one_nsp, 1);
	static const char *const special[] = { "127.0.0.1", "169.254.169.254", "224.0.0.1",
					       "0.1.2.3", "255.255.255.255", "192.0.0.170" };
	for (unsigned i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		struct clat_dest_inputs in = inputs(false, false);
		struct sockaddr_in dst = dest(special[i], 53);
		struct clat_destination d;

		clat_destination_decide(&in, &dst, &d);
		ck_assert_int_eq(d.kind, CLAT_DEST_KEEP);
		ck_assert_int_eq(d.reason, CLAT_DEST_BECAUSE_SPECIAL);
		ck_assert_uint_eq(d.count, 0);

		/* On a socket already IPv6 it goes out as ::ffff:a.b.c.d. */
		in.socket_is_ipv6 = true;
		clat_destination_decide(&in, &dst, &d);
		ck_assert_int_eq(d.kind, CLAT_DEST_V4MAPPED);
		ck_assert_uint_eq(d.count, 1);
		struct in6_addr want;
		memset(&want, 0, sizeof(want));
		want.s6_addr[10] = want.s6_addr[11] = 0xff;
		memcpy(&want.s6_addr[12], &dst.sin_addr, 4);
		ck_assert(memcmp(&d.candidate[0].sin6_addr, &want, sizeof(want)) == 0);
		ck_assert_int_eq(ntohs(d.candidate[0].sin6_port), 53);
	}
	ck_assert_uint_eq(map_calls, 0); /* the mapper is not asked either */
}
END_TEST

START_TEST(prefixes_asked_only_when_needed)
{
	set_prefixes(one_nsp, 1);
	struct clat_dest_inputs in = inputs(false, false);
	struct sockaddr_in dst = dest("198.51.100.7", 80);
	struct clat_destination d;

	clat_destination_decide(&in, &dst, &d);
	ck_assert_int_eq(d.kind, CLAT_DEST_NEEDS_PREFIX);
	ck_assert_uint_eq(d.count, 0);
}
END_TEST

START_TEST(no_prefix_keeps)
{
	set_prefixes(NULL, 0);
	struct clat_dest_inputs in = inputs(true, false);
	struct sockaddr_in dst = dest("198.51.100.7", 80);
	struct clat_destination d;

	clat_destination_decide(&in, &dst, &d);
	ck_assert_int_eq(d.kind, CLAT_DEST_KEEP);
	ck_assert_int_eq(d.reason, CLAT_DEST_BECAUSE_NO_PREFIX);
	in.socket_is_ipv6 = true;
	clat_destination_decide(&in, &dst, &d);
	ck_assert_int_eq(d.kind, CLAT_DEST_V4MAPPED);
	ck_assert_int_eq(d.reason, CLAT_DEST_BECAUSE_NO_PREFIX);
}
END_TEST

START_TEST(wkp_private_keeps_with_reason)
{
	static const char *const wkp[] = { "64:ff9b::/96" };
	set_prefixes(wkp, 1);
	struct clat_dest_inputs in = inputs(true, false);
	struct sockaddr_in dst = dest("10.1.2.3", 80);
	struct clat_destination d;

	clat_destination_decide(&in, &dst, &d);
	ck_assert_int_eq(d.kind, CLAT_DEST_KEEP);
	ck_assert_int_eq(d.reason, CLAT_DEST_BECAUSE_WKP_PRIVATE);
	ck_assert_str_eq(clat_dest_reason_text(d.reason),
			 clat_verdict_text(CLAT_VERDICT_WKP_PRIVATE));
}
END_TEST

START_TEST(mapper_pool)
{
	set_prefixes(one_nsp, 1);
	struct clat_dest_inputs in = inputs(false, false);
	struct sockaddr_in mapped = dest("10.170.160.1", 22), unmapped = dest("10.170.160.9", 22);
	struct clat_destination d;

	/* A mapped pool address goes to its IPv6 host, prefixes or not. */
	clat_destination_decide(&in, &mapped, &d);
	ck_assert_int_eq(d.kind, CLAT_DEST_MAPPED);
	expect_candidate(&d, 0, "2001:db8:aa::1", 22);
	ck_assert_uint_eq(d.count, 1);

	/* An unmapped one is not translated (RFC 6535 s2.1). */
	in.prefixes = &prefixes;
	clat_destination_decide(&in, &unmapped, &d);
	ck_assert_int_eq(d.kind, CLAT_DEST_KEEP);
	ck_assert_int_eq(d.reason, CLAT_DEST_BECAUSE_UNMAPPED_POOL);

	/* Mapper off: a pool address is an ordinary IPv4 destination. */
	in.map_lookup = NULL;
	clat_destination_decide(&in, &mapped, &d);
	ck_assert_int_eq(d.kind, CLAT_DEST_SYNTHESIZED);
	expect_candidate(&d, 0, "2001:db8:64::aaa:a001", 22);
}
END_TEST

START_TEST(output_fully_written)
{
	set_prefixes(one_nsp, 1);
	struct clat_dest_inputs in = inputs(true, false);
	struct sockaddr_in dst = dest("203.0.113.10", 80);
	struct clat_destination d;

	memset(&d, 0xa5, sizeof(d));
	clat_destination_decide(&in, &dst, &d);
	for (unsigned i = d.count; i < CLAT_MAX_PREFIXES; i++) {
		struct sockaddr_in6 zero;
		memset(&zero, 0, sizeof(zero));
		ck_assert(memcmp(&d.candidate[i], &zero, sizeof(zero)) == 0);
	}
}
END_TEST

Suite *clat_destination_suite(void)
{
	Suite *s = suite_create("destination");
	TCase *tc = tcase_create("decide");

	tcase_add_test(tc, synthesised_under_one_prefix);
	tcase_add_test(tc, candidates_in_prefix_order);
	tcase_add_test(tc, special_kept_without_asking);
	tcase_add_test(tc, prefixes_asked_only_when_needed);
	tcase_add_test(tc, no_prefix_keeps);
	tcase_add_test(tc, wkp_private_keeps_with_reason);
	tcase_add_test(tc, mapper_pool);
	tcase_add_test(tc, output_fully_written);
	suite_add_tcase(s, tc);
	return s;
}
