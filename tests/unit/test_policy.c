/* Never-translate set (RFC 6890) and the WKP rule (RFC 6052 s3.1). */
#include "core/policy.h"
#include "suites.h"
#include "test_util.h"

/* First and last address of each range and the neighbours just outside. */
static const struct {
	const char *addr;
	bool special;
} special_cases[] = {
	{ "0.0.0.0", true }, { "0.255.255.255", true }, { "1.0.0.0", false },
	{ "126.255.255.255", false }, { "127.0.0.0", true }, { "127.0.0.1", true },
	{ "127.255.255.255", true }, { "128.0.0.0", false },
	{ "169.253.255.255", false }, { "169.254.0.0", true },
	{ "169.254.169.254", true }, /* cloud metadata */
	{ "169.254.255.255", true }, { "169.255.0.0", false },
	{ "223.255.255.255", false }, { "224.0.0.0", true }, { "239.255.255.255", true },
	{ "240.0.0.0", true }, { "255.255.255.254", true }, { "255.255.255.255", true },
	{ "191.255.255.255", false }, { "192.0.0.0", true }, { "192.0.0.1", true },
	{ "192.0.0.4", true }, { "192.0.0.7", true }, { "192.0.0.8", true },
	{ "192.0.0.9", false }, { "192.0.0.10", false }, /* PCP, TURN anycast */
	{ "192.0.0.11", true }, { "192.0.0.170", true }, { "192.0.0.171", true },
	{ "192.0.0.255", true }, { "192.0.1.0", false },
	{ "8.8.8.8", false }, { "10.0.0.1", false }, { "192.0.2.33", false },
};

START_TEST(special)
{
	struct in_addr a = clat_test_v4(special_cases[_i].addr);

	ck_assert_msg(clat_ipv4_is_special(a) == special_cases[_i].special, "%s",
		      special_cases[_i].addr);
	if (special_cases[_i].special)
		ck_assert_msg(clat_ipv4_is_non_global(a), "%s", special_cases[_i].addr);
}
END_TEST

static const struct {
	const char *addr;
	bool non_global;
} non_global_cases[] = {
	{ "9.255.255.255", false }, { "10.0.0.0", true }, { "10.255.255.255", true },
	{ "11.0.0.0", false },
	{ "172.15.255.255", false }, { "172.16.0.0", true }, { "172.31.255.255", true },
	{ "172.32.0.0", false },
	{ "192.167.255.255", false }, { "192.168.0.0", true }, { "192.168.255.255", true },
	{ "192.169.0.0", false },
	{ "100.63.255.255", false }, { "100.64.0.0", true }, { "100.127.255.255", true },
	{ "100.128.0.0", false },
	{ "192.0.1.255", false }, { "192.0.2.0", true }, { "192.0.2.255", true },
	{ "192.0.3.0", false },
	{ "198.17.255.255", false }, { "198.18.0.0", true }, { "198.19.255.255", true },
	{ "198.20.0.0", false },
	{ "198.51.99.255", false }, { "198.51.100.0", true }, { "198.51.100.255", true },
	{ "198.51.101.0", false },
	{ "203.0.112.255", false }, { "203.0.113.0", true }, { "203.0.113.255", true },
	{ "203.0.114.0", false },
	{ "192.0.0.9", false }, { "192.0.0.10", false }, { "8.8.8.8", false },
	{ "127.0.0.1", true }, { "169.254.169.254", true },
};

START_TEST(non_global)
{
	struct in_addr a = clat_test_v4(non_global_cases[_i].addr);

	ck_assert_msg(clat_ipv4_is_non_global(a) == non_global_cases[_i].non_global, "%s",
		      non_global_cases[_i].addr);
}
END_TEST

/* One address from each RFC 6052 s3.1 range (first, last, middle). */
static const char *const private_addrs[] = {
	"10.0.0.0", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
	"100.64.0.1", "100.127.255.255", "192.0.2.33", "198.18.0.1", "198.19.255.255",
	"198.51.100.7", "203.0.113.10",
};

START_TEST(wkp_private)
{
	struct clat_prefix wkp = clat_test_prefix("64:ff9b::/96");
	struct in_addr a = clat_test_v4(private_addrs[_i]);

	ck_assert_int_eq(clat_policy_decide(&wkp, false, a), CLAT_VERDICT_WKP_PRIVATE);
	ck_assert_int_eq(clat_policy_decide(&wkp, true, a), CLAT_VERDICT_TRANSLATE);
}
END_TEST

/* docs/requirements.md A.7: only the WKP is restricted. */
START_TEST(nsp_translates_private)
{
	static const char *const prefixes[] = {
		"2001:db8:64::/96", "64:ff9b:1::/48", "64:ff9b:1::/96", "2001:db8::/32",
		"64:ff9b::/64",
	};
	struct in_addr a = clat_test_v4(private_addrs[_i]);

	for (size_t i = 0; i < CLAT_TEST_COUNT(prefixes); i++) {
		struct clat_prefix p = clat_test_prefix(prefixes[i]);

		ck_assert_int_eq(clat_policy_decide(&p, false, a), CLAT_VERDICT_TRANSLATE);
		ck_assert_int_eq(clat_policy_decide(&p, true, a), CLAT_VERDICT_TRANSLATE);
	}
}
END_TEST

START_TEST(special_wins)
{
	static const char *const prefixes[] = { "64:ff9b::/96", "2001:db8:64::/96" };

	for (size_t i = 0; i < CLAT_TEST_COUNT(prefixes); i++) {
		struct clat_prefix p = clat_test_prefix(prefixes[i]);

		for (int sw = 0; sw < 2; sw++) {
			struct in_addr a = clat_test_v4(special_cases[_i].addr);
			enum clat_verdict v = clat_policy_decide(&p, sw != 0, a);

			if (special_cases[_i].special)
				ck_assert_int_eq(v, CLAT_VERDICT_SPECIAL);
			else
				ck_assert_int_ne(v, CLAT_VERDICT_SPECIAL);
		}
	}
}
END_TEST

START_TEST(global_translates)
{
	struct clat_prefix wkp = clat_test_prefix("64:ff9b::/96");
	static const char *const addrs[] = { "8.8.8.8", "192.0.0.9", "192.0.0.10",
					     "1.1.1.1", "223.255.255.255" };

	for (size_t i = 0; i < CLAT_TEST_COUNT(addrs); i++)
		ck_assert_int_eq(clat_policy_decide(&wkp, false, clat_test_v4(addrs[i])),
				 CLAT_VERDICT_TRANSLATE);
}
END_TEST

START_TEST(no_prefix)
{
	ck_assert_int_eq(clat_policy_decide(NULL, false, clat_test_v4("127.0.0.1")),
			 CLAT_VERDICT_SPECIAL);
	ck_assert_int_eq(clat_policy_decide(NULL, false, clat_test_v4("10.0.0.1")),
			 CLAT_VERDICT_TRANSLATE);
}
END_TEST

START_TEST(verdict_text)
{
	const char *t = clat_verdict_text(CLAT_VERDICT_TRANSLATE);
	const char *s = clat_verdict_text(CLAT_VERDICT_SPECIAL);
	const char *w = clat_verdict_text(CLAT_VERDICT_WKP_PRIVATE);
	const char *u = clat_verdict_text((enum clat_verdict)99);

	ck_assert(t[0] && s[0] && w[0] && u[0]);
	ck_assert_str_ne(t, s);
	ck_assert_str_ne(s, w);
	ck_assert_str_ne(t, w);
	ck_assert_str_ne(u, t);
}
END_TEST

Suite *clat_policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("ranges");

	tcase_add_loop_test(tc, special, 0, (int)CLAT_TEST_COUNT(special_cases));
	tcase_add_loop_test(tc, non_global, 0, (int)CLAT_TEST_COUNT(non_global_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("decide");
	tcase_add_loop_test(tc, wkp_private, 0, (int)CLAT_TEST_COUNT(private_addrs));
	tcase_add_loop_test(tc, nsp_translates_private, 0, (int)CLAT_TEST_COUNT(private_addrs));
	tcase_add_loop_test(tc, special_wins, 0, (int)CLAT_TEST_COUNT(special_cases));
	tcase_add_test(tc, global_translates);
	tcase_add_test(tc, no_prefix);
	tcase_add_test(tc, verdict_text);
	suite_add_tcase(s, tc);
	return s;
}
