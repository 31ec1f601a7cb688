/* Network identity and the trust rules for discovered prefixes. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/netid.h"
#include "core/prefix_trust.h"
#include "suites.h"
#include "test_util.h"

static void add(struct clat_netinfo *info, enum clat_netid_kind kind, const char *addr,
		unsigned len, uint32_t ifindex)
{
	uint8_t a[16];
	ck_assert_int_eq(inet_pton(AF_INET6, addr, a), 1);
	ck_assert(clat_netinfo_add(info, kind, a, len, ifindex));
}

/* The lab's client: resolver, router, one global /64. */
static struct clat_netinfo lab_client(void)
{
	struct clat_netinfo info;
	memset(&info, 0, sizeof(info));
	add(&info, CLAT_NETID_RESOLVER, "2001:db8:1::1", 128, 0);
	add(&info, CLAT_NETID_ROUTER, "2001:db8:1::1", 128, 2);
	add(&info, CLAT_NETID_ONLINK, "2001:db8:1::2", 64, 0);
	add(&info, CLAT_NETID_ADDRESS, "2001:db8:1::2", 128, 0);
	return info;
}

START_TEST(netid_stable_and_order_free)
{
	struct clat_netinfo a = lab_client(), b;
	memset(&b, 0, sizeof(b));
	/* Same items, other order, duplicates, another address of the /64. */
	add(&b, CLAT_NETID_ADDRESS, "2001:db8:1::99", 128, 0);
	add(&b, CLAT_NETID_ONLINK, "2001:db8:1::77", 64, 0);
	add(&b, CLAT_NETID_ROUTER, "2001:db8:1::1", 128, 2);
	add(&b, CLAT_NETID_RESOLVER, "2001:db8:1::1", 128, 0);
	add(&b, CLAT_NETID_RESOLVER, "2001:db8:1::1", 128, 0);
	uint64_t id = clat_netid_of(&a);
	ck_assert(id != CLAT_NETID_UNKNOWN);
	ck_assert(clat_netid_of(&b) == id);
	ck_assert(clat_netid_matches(id, clat_netid_of(&b)));
}
END_TEST

/* Each part of the identity changes it: resolver, router (or its link),
 * on-link prefix. */
START_TEST(netid_changes_with_the_network)
{
	struct clat_netinfo base = lab_client();
	uint64_t id = clat_netid_of(&base);
	struct clat_netinfo v = lab_client();
	v.item[0].addr[15] = 0x53; /* another resolver */
	ck_assert(clat_netid_of(&v) != id);
	v = lab_client();
	v.item[1].ifindex = 3; /* the same router address on another link */
	ck_assert(clat_netid_of(&v) != id);
	v = lab_client();
	v.item[2].addr[5] = 2; /* 2001:db8:2::/64 */
	ck_assert(clat_netid_of(&v) != id);
	v = lab_client();
	add(&v, CLAT_NETID_RESOLVER, "::ffff:192.0.2.53", 128, 0); /* one more resolver */
	ck_assert(clat_netid_of(&v) != id);
}
END_TEST

START_TEST(netid_unknown)
{
	struct clat_netinfo info;
	memset(&info, 0, sizeof(info));
	ck_assert(clat_netid_of(&info) == CLAT_NETID_UNKNOWN);
	add(&info, CLAT_NETID_ADDRESS, "2001:db8:1::2", 128, 0);
	ck_assert(clat_netid_of(&info) == CLAT_NETID_UNKNOWN); /* addresses alone say nothing */
	ck_assert(!clat_netid_matches(CLAT_NETID_UNKNOWN, CLAT_NETID_UNKNOWN));
	ck_assert(!clat_netid_matches(5, CLAT_NETID_UNKNOWN));
	ck_assert(!clat_netid_matches(5, 6));
	ck_assert(clat_netid_matches(5, 5));
}
END_TEST

START_TEST(netid_full_list)
{
	struct clat_netinfo info;
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	memset(&info, 0, sizeof(info));
	for (unsigned i = 0; i < CLAT_NETID_MAX_ITEMS; i++) {
		a[7] = (uint8_t)i;
		ck_assert(clat_netinfo_add(&info, CLAT_NETID_ONLINK, a, 64, 0));
	}
	ck_assert(!clat_netinfo_add(&info, CLAT_NETID_ONLINK, a, 64, 0));
	ck_assert(!clat_netinfo_add(&info, CLAT_NETID_ADDRESS, a, 129, 0));
	ck_assert_uint_eq(info.count, CLAT_NETID_MAX_ITEMS);
}
END_TEST

START_TEST(netid_text)
{
	char buf[CLAT_NETID_TEXT];
	uint64_t v = 0;
	ck_assert(clat_netid_format(0xfedcba9876543210ULL, buf, sizeof(buf)));
	ck_assert_str_eq(buf, "fedcba9876543210");
	ck_assert(clat_netid_parse(buf, &v));
	ck_assert(v == 0xfedcba9876543210ULL);
	ck_assert(!clat_netid_format(1, buf, sizeof(buf) - 1));
	ck_assert(!clat_netid_parse("0000000000000000", &v));
	ck_assert(!clat_netid_parse("", &v));
	ck_assert(!clat_netid_parse("-", &v));
	ck_assert(!clat_netid_parse("FEDCBA9876543210", &v));
	ck_assert(v == 0xfedcba9876543210ULL); /* untouched */
}
END_TEST

/* TTL 2^31-1 (a forged answer) lasts the cap; honest TTLs keep RFC 7050
 * s3's 10 s margin; negatives are bounded too; the floor stays. */
START_TEST(lifetimes)
{
	ck_assert_int_eq(clat_answer_lifetime(2147483647, false), CLAT_POSITIVE_TTL_CAP - 10);
	ck_assert_int_eq(clat_answer_lifetime(3600, false), 3590);
	ck_assert_int_eq(clat_answer_lifetime(300, false), 290);
	ck_assert_int_eq(clat_answer_lifetime(5, false), CLAT_MIN_CACHE_SECONDS);
	ck_assert_int_eq(clat_answer_lifetime(0, false), CLAT_MIN_CACHE_SECONDS);
	ck_assert_int_eq(clat_answer_lifetime(86400, true), CLAT_NEGATIVE_TTL_CAP);
	ck_assert_int_eq(clat_answer_lifetime(300, true), 300);
	ck_assert_int_eq(clat_answer_lifetime(0, true), CLAT_MIN_CACHE_SECONDS);
	ck_assert_int_le(CLAT_POSITIVE_TTL_CAP, 86400);
}
END_TEST

/* A stored expiry is held to the cap after fetched, and a fetch time in
 * the future makes the entry over. */
START_TEST(entry_expiry)
{
	int64_t now = 1764130000;
	ck_assert(clat_entry_expiry(now - 100, 3881000000LL, false, now) ==
		  now - 100 + CLAT_POSITIVE_TTL_CAP);
	ck_assert(clat_entry_expiry(now - 100, now + 3000, false, now) == now + 3000);
	ck_assert(clat_entry_expiry(now - 100, now + 3000, true, now) ==
		  now - 100 + CLAT_NEGATIVE_TTL_CAP);
	ck_assert(clat_entry_expiry(now + 1000, now + 2000, false, now) <= now);
	ck_assert(clat_entry_expiry(now, now, false, now) == now);
}
END_TEST

static const char *const refused_prefixes[] = {
	"100::/64", "100:0:0:1::/64", "2002::/32", "2002:c000:204::/48", "2001::/32",
	"2001:2::/48", "2001:20::/32", "2620:4f:8000::/48", "5f00::/32", "fec0::/32",
	"2001:1::/64",
};

START_TEST(special_ranges_refused)
{
	struct clat_prefix p = clat_test_prefix(refused_prefixes[_i]);
	char why[256];
	ck_assert_ptr_nonnull(clat_prefix_special_range(&p));
	ck_assert(clat_prefix_refused(&p, NULL, why, sizeof(why)));
	ck_assert_msg(strstr(why, "refused: it overlaps") != NULL, "%s", why);
}
END_TEST

START_TEST(usable_prefixes_kept)
{
	static const char *const good[] = {
		"64:ff9b::/96", "64:ff9b:1::/48", "2001:db8:64::/96", "2001:db8:6400::/40",
		"3fff:1::/96", "fd00:64::/96", "2001:200::/32", "2a00:1450::/96", "2003::/32",
	};
	char why[256];
	struct clat_netinfo lab = lab_client();
	for (size_t i = 0; i < CLAT_TEST_COUNT(good); i++) {
		struct clat_prefix p = clat_test_prefix(good[i]);
		ck_assert_msg(clat_prefix_special_range(&p) == NULL, "%s", good[i]);
		ck_assert_msg(!clat_prefix_refused(&p, &lab, why, sizeof(why)), "%s: %s", good[i], why);
	}
}
END_TEST

/* Inside the client's own /64, containing it, or containing one of its
 * addresses: refused, naming what it overlaps (RFC 7050 s3.1). */
START_TEST(local_overlap_refused)
{
	struct clat_netinfo lab = lab_client();
	char why[256];
	struct clat_prefix p = clat_test_prefix("2001:db8:1::/96");
	ck_assert(clat_prefix_refused(&p, &lab, why, sizeof(why)));
	ck_assert_str_eq(why, "2001:db8:1::/96 refused: it overlaps this host's own on-link "
			      "prefix 2001:db8:1::/64 (RFC 7050 s3.1)");
	p = clat_test_prefix("2001:db8::/32");
	ck_assert(clat_prefix_refused(&p, &lab, why, sizeof(why)));
	p = clat_test_prefix("2001:db8:1:0:64::/96"); /* u octet 0, still in the /64 */
	ck_assert_ptr_nonnull(clat_prefix_local_conflict(&p, &lab));
	struct clat_netinfo only_addr;
	memset(&only_addr, 0, sizeof(only_addr));
	add(&only_addr, CLAT_NETID_ADDRESS, "2001:db8:77::5", 128, 0);
	p = clat_test_prefix("2001:db8:77::/96");
	ck_assert(clat_prefix_refused(&p, &only_addr, why, sizeof(why)));
	ck_assert_msg(strstr(why, "own address 2001:db8:77::5/128") != NULL, "%s", why);
	/* Resolvers and routers are not the host's own. */
	struct clat_netinfo other;
	memset(&other, 0, sizeof(other));
	add(&other, CLAT_NETID_RESOLVER, "2001:db8:64::1", 128, 0);
	add(&other, CLAT_NETID_ROUTER, "2001:db8:64::1", 128, 1);
	p = clat_test_prefix("2001:db8:64::/96");
	ck_assert(!clat_prefix_refused(&p, &other, why, sizeof(why)));
}
END_TEST

START_TEST(overlap_bits)
{
	uint8_t a[16] = { 0xfe, 0xc0 }, b[16] = { 0xfe, 0xff };
	ck_assert(clat_ranges_overlap(a, 10, b, 64));
	ck_assert(!clat_ranges_overlap(a, 11, b, 64));
	ck_assert(clat_ranges_overlap(a, 0, b, 128));
	ck_assert(clat_ranges_overlap(a, 8, b, 8));
	b[0] = 0xff;
	ck_assert(!clat_ranges_overlap(a, 8, b, 8));
	ck_assert(clat_ranges_overlap(a, 7, b, 7));
}
END_TEST

/* The old refusals still hold through the same entry point. */
START_TEST(old_refusals_kept)
{
	struct clat_prefix p = { .len = 96 };
	char why[256];
	ck_assert(clat_prefix_refused(&p, NULL, why, sizeof(why))); /* ::/96 */
	p.addr[0] = 0xfe;
	p.addr[1] = 0x80;
	ck_assert(clat_prefix_refused(&p, NULL, why, sizeof(why)));
	p.addr[0] = 0xff;
	p.addr[1] = 0x02;
	ck_assert(clat_prefix_refused(&p, NULL, why, sizeof(why)));
}
END_TEST

Suite *clat_prefix_trust_suite(void)
{
	Suite *s = suite_create("prefix_trust");
	TCase *tc = tcase_create("netid");
	tcase_add_test(tc, netid_stable_and_order_free);
	tcase_add_test(tc, netid_changes_with_the_network);
	tcase_add_test(tc, netid_unknown);
	tcase_add_test(tc, netid_full_list);
	tcase_add_test(tc, netid_text);
	suite_add_tcase(s, tc);
	tc = tcase_create("rules");
	tcase_add_test(tc, lifetimes);
	tcase_add_test(tc, entry_expiry);
	tcase_add_loop_test(tc, special_ranges_refused, 0, (int)CLAT_TEST_COUNT(refused_prefixes));
	tcase_add_test(tc, usable_prefixes_kept);
	tcase_add_test(tc, local_overlap_refused);
	tcase_add_test(tc, overlap_bits);
	tcase_add_test(tc, old_refusals_kept);
	suite_add_tcase(s, tc);
	return s;
}
