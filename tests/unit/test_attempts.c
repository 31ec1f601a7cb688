/* Connection attempts over several NAT64 prefixes (RFC 8305 s5, s7.1;
 * docs/requirements.md E.42): which destinations, in which order, and how long
 * to wait between them. */
#include <errno.h>
#include <string.h>

#include "core/attempts.h"
#include "suites.h"
#include "test_util.h"

static struct clat_prefix_set set_of(const char *const *texts, unsigned n)
{
	struct clat_prefix_set set;

	memset(&set, 0, sizeof(set));
	for (unsigned i = 0; i < n; i++) {
		struct clat_prefix p = clat_test_prefix(texts[i]);

		ck_assert(clat_prefix_set_add(&set, &p));
	}
	return set;
}

static struct sockaddr_in dest(const char *v4, unsigned port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	sin.sin_addr = clat_test_v4(v4);
	return sin;
}

static void expect_addr(const struct sockaddr_in6 *got, const char *want, unsigned port)
{
	struct in6_addr w = clat_test_v6(want);
	char text[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &got->sin6_addr, text, sizeof(text));
	ck_assert_msg(memcmp(&got->sin6_addr, &w, sizeof(w)) == 0, "got %s, want %s", text, want);
	ck_assert_int_eq(got->sin6_family, AF_INET6);
	ck_assert_int_eq(ntohs(got->sin6_port), port);
	ck_assert_uint_eq(got->sin6_flowinfo, 0);
	ck_assert_uint_eq(got->sin6_scope_id, 0);
}

START_TEST(one_per_prefix_in_order)
{
	static const char *const prefixes[] = { "2001:db8:65::/96", "2001:db8:64::/96",
						"2001:db8:122::/48" };
	struct clat_prefix_set set = set_of(prefixes, 3);
	struct sockaddr_in dst = dest("192.0.2.33", 80);
	struct sockaddr_in6 out[4];

	ck_assert_uint_eq(clat_attempt_destinations(&set, false, &dst, out, 4), 3);
	expect_addr(&out[0], "2001:db8:65::c000:221", 80);
	expect_addr(&out[1], "2001:db8:64::c000:221", 80);
	expect_addr(&out[2], "2001:db8:122:c000:2:2100::", 80); /* RFC 6052 s2.4 */
}
END_TEST

START_TEST(bounded_by_max)
{
	static const char *const prefixes[] = { "2001:db8:65::/96", "2001:db8:64::/96" };
	struct clat_prefix_set set = set_of(prefixes, 2);
	struct sockaddr_in dst = dest("192.0.2.33", 443);
	struct sockaddr_in6 out[2];

	memset(out, 0xAA, sizeof(out));
	ck_assert_uint_eq(clat_attempt_destinations(&set, false, &dst, out, 1), 1);
	expect_addr(&out[0], "2001:db8:65::c000:221", 443);
	ck_assert_uint_eq(out[1].sin6_family, 0xAAAA); /* untouched */
	ck_assert_uint_eq(clat_attempt_destinations(&set, false, &dst, out, 0), 0);
}
END_TEST

/* A private destination is not translated under the Well-Known Prefix
 * (RFC 6052 s3.1) but is under a network-specific one: the WKP attempt is
 * dropped, the others keep their order. */
START_TEST(policy_per_prefix)
{
	static const char *const prefixes[] = { "64:ff9b::/96", "2001:db8:64::/96" };
	struct clat_prefix_set set = set_of(prefixes, 2);
	struct sockaddr_in dst = dest("10.1.2.3", 22);
	struct sockaddr_in6 out[2];

	ck_assert_uint_eq(clat_attempt_destinations(&set, false, &dst, out, 2), 1);
	expect_addr(&out[0], "2001:db8:64::a01:203", 22);
	ck_assert_uint_eq(clat_attempt_destinations(&set, true, &dst, out, 2), 2);
	expect_addr(&out[0], "64:ff9b::a01:203", 22);
	dst = dest("127.0.0.1", 22); /* never translated, under any prefix */
	ck_assert_uint_eq(clat_attempt_destinations(&set, true, &dst, out, 2), 0);
}
END_TEST

/* Two prefixes that embed the address at the same place give the same
 * destination: tried once. */
START_TEST(duplicates_dropped)
{
	static const char *const prefixes[] = { "2001:db8:64::/96", "2001:db8:64::/64" };
	struct clat_prefix_set set = set_of(prefixes, 2);
	struct sockaddr_in dst = dest("192.0.2.33", 80);
	struct sockaddr_in6 out[2];

	/* /64 puts the IPv4 at bits 72..103, /96 at 96..127: different. */
	ck_assert_uint_eq(clat_attempt_destinations(&set, false, &dst, out, 2), 2);
	set.prefix[1] = set.prefix[0];
	set.count = 2;
	ck_assert_uint_eq(clat_attempt_destinations(&set, false, &dst, out, 2), 1);
}
END_TEST

START_TEST(empty_set)
{
	struct clat_prefix_set set;
	struct sockaddr_in dst = dest("192.0.2.33", 80);
	struct sockaddr_in6 out[1];

	memset(&set, 0, sizeof(set));
	ck_assert_uint_eq(clat_attempt_destinations(&set, false, &dst, out, 1), 0);
}
END_TEST

START_TEST(wait_times)
{
	ck_assert_int_eq(CLAT_ATTEMPT_DELAY_MS, 250); /* RFC 8305 s8 default */
	ck_assert_int_eq(clat_attempt_wait_ms(1000, -1, -1), -1);
	ck_assert_int_eq(clat_attempt_wait_ms(1000, 1250, -1), 250);
	ck_assert_int_eq(clat_attempt_wait_ms(1000, -1, 1100), 100);
	ck_assert_int_eq(clat_attempt_wait_ms(1000, 1250, 1100), 100);
	ck_assert_int_eq(clat_attempt_wait_ms(1000, 1100, 1250), 100);
	ck_assert_int_eq(clat_attempt_wait_ms(1000, 900, -1), 0);
	ck_assert_int_eq(clat_attempt_wait_ms(1000, -1, 1000), 0);
	ck_assert_int_eq(clat_attempt_wait_ms(0, (int64_t)1 << 40, -1), 3600000);
}
END_TEST

/* Path errors start the next prefix's attempt at once; an answer from the
 * server (or anything else) ends the race. */
START_TEST(which_errors_try_the_next_prefix)
{
	static const int path[] = { ENETUNREACH, EHOSTUNREACH, ENETDOWN, EHOSTDOWN,
				    ETIMEDOUT, EADDRNOTAVAIL };
	static const int answer[] = { 0, ECONNREFUSED, ECONNRESET, EINTR, EINVAL, EACCES,
				      EPERM, EISCONN };
	for (unsigned i = 0; i < sizeof(path) / sizeof(path[0]); i++)
		ck_assert_msg(clat_attempt_error_may_help(path[i]), "errno %d", path[i]);
	for (unsigned i = 0; i < sizeof(answer) / sizeof(answer[0]); i++)
		ck_assert_msg(!clat_attempt_error_may_help(answer[i]), "errno %d", answer[i]);
}
END_TEST

Suite *clat_attempts_suite(void)
{
	Suite *s = suite_create("attempts");
	TCase *tc = tcase_create("destinations");

	tcase_add_test(tc, one_per_prefix_in_order);
	tcase_add_test(tc, bounded_by_max);
	tcase_add_test(tc, policy_per_prefix);
	tcase_add_test(tc, duplicates_dropped);
	tcase_add_test(tc, empty_set);
	tcase_add_test(tc, wait_times);
	tcase_add_test(tc, which_errors_try_the_next_prefix);
	suite_add_tcase(s, tc);
	return s;
}
