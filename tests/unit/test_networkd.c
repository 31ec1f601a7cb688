/* PREF64 out of systemd-networkd's Describe JSON (lib/core/networkd_json.c).
 * The samples follow networkd-json.c's link_build_json: per link
 * "NDisc": {"PREF64": [{"Prefix": [16 bytes], "PrefixString", "PrefixLength",
 * "LifetimeUSec" (CLOCK_BOOTTIME end of life), "ConfigProvider"}]}. */
#include <string.h>

#include "core/networkd_json.h"
#include "suites.h"
#include "test_util.h"

#define NOW 5000000000ull /* CLOCK_BOOTTIME, microseconds */

static enum clat_networkd_result parse(const char *json, struct clat_prefix_set *set,
				       int64_t *left)
{
	return clat_networkd_pref64(json, strlen(json), NOW, set, left);
}

static const char *text(const struct clat_prefix *p)
{
	static char buf[64];
	ck_assert(clat_prefix_format(p, buf, sizeof(buf)));
	return buf;
}

START_TEST(describe_reply)
{
	/* A varlink reply as networkd sends it, NUL-terminated. */
	static const char reply[] =
		"{\"parameters\":{\"Interfaces\":[{\"Index\":1,\"Name\":\"lo\",\"Type\":\"loopback\"},"
		"{\"Index\":2,\"Name\":\"eth0\",\"Addresses\":[{\"Family\":10,\"Address\":[32,1,13,184,0,1,0,0,0,0,0,0,0,0,0,2],"
		"\"PrefixLength\":64}],\"DNS\":[],\"NDisc\":{\"PREF64\":[{\"Prefix\":[32,1,13,184,0,100,0,0,0,0,0,0,0,0,0,0],"
		"\"PrefixString\":\"2001:db8:64::\",\"PrefixLength\":96,\"LifetimeUSec\":5600000000,"
		"\"ConfigProvider\":[254,128,0,0,0,0,0,0,0,0,0,0,0,0,0,1],\"ConfigProviderString\":\"fe80::1\"}]},"
		"\"Flags\":69699,\"Escaped\":\"a\\\"b\\\\c\\u00e9\\n\",\"Ratio\":-1.5e3,\"On\":true,\"Off\":false,\"Nothing\":null}]}}";
	struct clat_prefix_set set;
	int64_t left;
	ck_assert_int_eq(clat_networkd_pref64(reply, sizeof(reply), NOW, &set, &left),
			 CLAT_NETWORKD_FOUND);
	ck_assert_uint_eq(set.count, 1);
	ck_assert_str_eq(text(&set.prefix[0]), "2001:db8:64::/96");
	ck_assert_int_eq(left, 600);
}
END_TEST

START_TEST(several_links_and_lengths)
{
	struct clat_prefix_set set;
	int64_t left;
	/* Two links, /64 then /40 (bits past the length ignored: RFC 8781 s4),
	 * a duplicate, and the text form only (older networkd had no bytes). */
	ck_assert_int_eq(parse("{\"Interfaces\":["
			       "{\"NDisc\":{\"PREF64\":[{\"Prefix\":[32,1,13,184,0,100,0,1,0,0,0,0,0,0,0,0],"
			       "\"PrefixLength\":64,\"LifetimeUSec\":5100000000}]}},"
			       "{\"NDisc\":{\"PREF64\":[{\"PrefixString\":\"2001:db8:6400:ff00::\","
			       "\"PrefixLength\":40,\"LifetimeUSec\":5300000000},"
			       "{\"PrefixString\":\"2001:db8:64:1::\",\"PrefixLength\":64,"
			       "\"LifetimeUSec\":5200000000}]}}]}", &set, &left),
			 CLAT_NETWORKD_FOUND);
	ck_assert_uint_eq(set.count, 2);
	ck_assert_str_eq(text(&set.prefix[0]), "2001:db8:64:1::/64");
	ck_assert_str_eq(text(&set.prefix[1]), "2001:db8:6400::/40");
	ck_assert_int_eq(left, 100); /* the shortest lifetime */
}
END_TEST

START_TEST(unusable_entries)
{
	struct clat_prefix_set set;
	int64_t left;
	static const char *const none[] = {
		"{}",
		"{\"Interfaces\":[]}",
		"{\"NDisc\":{\"PREF64\":[]}}",
		/* expired, and exactly now: RFC 8781 s4.1, not for new use */
		"{\"PREF64\":[{\"Prefix\":[32,1,13,184,0,100,0,0,0,0,0,0,0,0,0,0],\"PrefixLength\":96,\"LifetimeUSec\":4000000000}]}",
		"{\"PREF64\":[{\"Prefix\":[32,1,13,184,0,100,0,0,0,0,0,0,0,0,0,0],\"PrefixLength\":96,\"LifetimeUSec\":5000000000}]}",
		/* not an RFC 6052 length */
		"{\"PREF64\":[{\"Prefix\":[32,1,13,184,0,100,0,0,0,0,0,0,0,0,0,0],\"PrefixLength\":80}]}",
		/* u octet set at /96 (RFC 6052 s2.2) */
		"{\"PREF64\":[{\"Prefix\":[32,1,13,184,0,100,0,0,1,0,0,0,0,0,0,0],\"PrefixLength\":96}]}",
		/* unusable: ::ffff:0:0/96, link-local */
		"{\"PREF64\":[{\"PrefixString\":\"::ffff:0:0\",\"PrefixLength\":96}]}",
		"{\"PREF64\":[{\"PrefixString\":\"fe80::\",\"PrefixLength\":64}]}",
		/* short or bad bytes, bad numbers, no length */
		"{\"PREF64\":[{\"Prefix\":[32,1,13,184],\"PrefixLength\":96}]}",
		"{\"PREF64\":[{\"Prefix\":[32,1,13,184,0,100,0,0,0,0,0,0,0,0,0,256],\"PrefixLength\":96}]}",
		"{\"PREF64\":[{\"Prefix\":[32,1,13,184,0,100,0,0,0,0,0,0,0,0,0,0],\"PrefixLength\":96.5}]}",
		"{\"PREF64\":[{\"Prefix\":[32,1,13,184,0,100,0,0,0,0,0,0,0,0,0,0],\"PrefixLength\":-96}]}",
		"{\"PREF64\":[{\"Prefix\":[32,1,13,184,0,100,0,0,0,0,0,0,0,0,0,0]}]}",
		"{\"PREF64\":[{\"PrefixString\":\"not-an-address\",\"PrefixLength\":96}]}",
		/* PREF64 that is not a list of objects */
		"{\"PREF64\":[1,\"x\",null]}",
		"{\"PREF64\":{\"Prefix\":[32,1,13,184,0,100,0,0,0,0,0,0,0,0,0,0],\"PrefixLength\":96}}",
	};
	for (size_t i = 0; i < CLAT_TEST_COUNT(none); i++)
		ck_assert_msg(parse(none[i], &set, &left) == CLAT_NETWORKD_NONE && set.count == 0,
			      "case %zu: %s", i, none[i]);
	/* No lifetime at all: the option's longest (65528 s). */
	ck_assert_int_eq(parse("{\"PREF64\":[{\"PrefixString\":\"64:ff9b::\",\"PrefixLength\":96}]}",
			       &set, &left), CLAT_NETWORKD_FOUND);
	ck_assert_int_eq(left, 65528);
}
END_TEST

START_TEST(malformed)
{
	struct clat_prefix_set set;
	int64_t left;
	static const char *const bad[] = {
		"", "   ", "[]", "null", "{", "{\"a\":}", "{\"a\" 1}", "{\"a\":1,}", "{\"a\":[1,]}",
		"{\"a\":tru}", "{\"a\":\"unterminated}", "{\"a\":\"bad \\x escape\"}",
		"{\"a\":\"\\u12\"}", "{\"a\":1} trailing", "{\"a\":01x}", "{\"a\":-}",
		"{\"a\":\"control \x01 char\"}",
		/* a varlink error reply */
		"{\"error\":\"io.systemd.System\",\"parameters\":{\"errno\":13}}",
		/* PREF64 inside an error reply is not believed either */
		"{\"error\":\"x\",\"parameters\":{\"PREF64\":[{\"PrefixString\":\"64:ff9b::\",\"PrefixLength\":96}]}}",
	};
	for (size_t i = 0; i < CLAT_TEST_COUNT(bad); i++) {
		ck_assert_msg(parse(bad[i], &set, &left) == CLAT_NETWORKD_MALFORMED,
			      "case %zu accepted: %s", i, bad[i]);
		ck_assert_uint_eq(set.count, 0);
	}
	/* Depth is bounded: 70 nested arrays are refused, 60 are fine. */
	char deep[200];
	memset(deep, 0, sizeof(deep));
	deep[0] = '{';
	strcat(deep, "\"a\":");
	for (int i = 0; i < 70; i++) strcat(deep, "[");
	for (int i = 0; i < 70; i++) strcat(deep, "]");
	strcat(deep, "}");
	ck_assert_int_eq(parse(deep, &set, &left), CLAT_NETWORKD_MALFORMED);
	memset(deep, 0, sizeof(deep));
	strcat(deep, "{\"a\":");
	for (int i = 0; i < 60; i++) strcat(deep, "[");
	for (int i = 0; i < 60; i++) strcat(deep, "]");
	strcat(deep, "}");
	ck_assert_int_eq(parse(deep, &set, &left), CLAT_NETWORKD_NONE);
	/* The length given is respected: the text past it is not read. */
	static const char cut[] = "{\"PREF64\":[]}GARBAGE";
	ck_assert_int_eq(clat_networkd_pref64(cut, 13, NOW, &set, &left), CLAT_NETWORKD_NONE);
}
END_TEST

Suite *clat_networkd_suite(void)
{
	Suite *s = suite_create("networkd");
	TCase *tc = tcase_create("pref64");
	tcase_add_test(tc, describe_reply);
	tcase_add_test(tc, several_links_and_lengths);
	tcase_add_test(tc, unusable_entries);
	tcase_add_test(tc, malformed);
	suite_add_tcase(s, tc);
	return s;
}
