/* Small helpers shared by the unit suites. */
#ifndef CLAT_TEST_UTIL_H
#define CLAT_TEST_UTIL_H

#include <arpa/inet.h>
#include <check.h>

#include "core/rfc6052.h"

#define CLAT_TEST_COUNT(array) (sizeof(array) / sizeof((array)[0]))

static inline struct in_addr clat_test_v4(const char *text)
{
	struct in_addr addr;

	ck_assert_msg(inet_pton(AF_INET, text, &addr) == 1, "bad test IPv4 '%s'", text);
	return addr;
}

static inline struct in6_addr clat_test_v6(const char *text)
{
	struct in6_addr addr;

	ck_assert_msg(inet_pton(AF_INET6, text, &addr) == 1, "bad test IPv6 '%s'", text);
	return addr;
}

static inline struct clat_prefix clat_test_prefix(const char *text)
{
	struct clat_prefix prefix;

	ck_assert_msg(clat_prefix_parse(text, &prefix) == CLAT_PREFIX_OK,
		      "bad test prefix '%s'", text);
	return prefix;
}

#endif
