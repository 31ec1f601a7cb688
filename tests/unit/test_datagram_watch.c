/* Which UDP destinations look timed out (core/datagram_watch.h): the sign
 * the library heals a stale NAT64 prefix by when UDP reports no error. */
#include <stdio.h>
#include <string.h>

#include "core/datagram_watch.h"
#include "suites.h"
#include "test_util.h"

#define T0 1000000

static in_addr_t addr(const char *text) { return clat_test_v4(text).s_addr; }

static struct clat_datagram_watch fresh(void)
{
	struct clat_datagram_watch w;
	memset(&w, 0, sizeof(w));
	return w;
}

/* A watch in which v4 got a send at T0 and then an answer. */
static struct clat_datagram_watch answered_at_t0(in_addr_t v4)
{
	struct clat_datagram_watch w = fresh();
	clat_watch_sent(&w, v4, T0);
	clat_watch_answered(&w, v4);
	return w;
}

START_TEST(first_send_opens_a_window)
{
	struct clat_datagram_watch w = fresh();
	ck_assert(!clat_watch_sent(&w, addr("203.0.113.10"), T0));
	ck_assert_uint_eq(w.open, 1);
}
END_TEST

START_TEST(retry_after_the_window_is_suspect)
{
	struct clat_datagram_watch w = fresh();
	in_addr_t dns = addr("203.0.113.10");
	ck_assert(!clat_watch_sent(&w, dns, T0));
	ck_assert(!clat_watch_sent(&w, dns, T0 + 1));
	ck_assert(clat_watch_sent(&w, dns, T0 + CLAT_UNANSWERED_SECONDS));
}
END_TEST

START_TEST(an_answer_closes_the_window)
{
	in_addr_t dns = addr("203.0.113.10");
	struct clat_datagram_watch w = answered_at_t0(dns);
	ck_assert_uint_eq(w.open, 0);
	/* the next send starts a new window: not suspect 5 s after the first */
	ck_assert(!clat_watch_sent(&w, dns, T0 + 5));
	ck_assert(clat_watch_sent(&w, dns, T0 + 5 + CLAT_UNANSWERED_SECONDS));
}
END_TEST

START_TEST(an_answer_from_another_host_does_not)
{
	struct clat_datagram_watch w = fresh();
	in_addr_t dns = addr("203.0.113.10");
	clat_watch_sent(&w, dns, T0);
	clat_watch_answered(&w, addr("203.0.113.11"));
	ck_assert(clat_watch_sent(&w, dns, T0 + 3));
}
END_TEST

START_TEST(a_one_way_stream_is_not_a_retry)
{
	struct clat_datagram_watch w = fresh();
	in_addr_t syslog = addr("198.51.100.7");
	for (int i = 0; i < CLAT_UNANSWERED_MAX; i++)
		clat_watch_sent(&w, syslog, T0);
	for (int i = 0; i < 100; i++)
		ck_assert(!clat_watch_sent(&w, syslog, T0 + 3 + i));
}
END_TEST

START_TEST(a_host_that_answered_once_may_get_many_sends)
{
	in_addr_t busy = addr("198.51.100.8");
	struct clat_datagram_watch w = answered_at_t0(busy);
	for (int i = 0; i < 50; i++)
		clat_watch_sent(&w, busy, T0 + 1);
	ck_assert(clat_watch_sent(&w, busy, T0 + 1 + CLAT_UNANSWERED_SECONDS));
}
END_TEST

START_TEST(restart_gives_a_new_window)
{
	struct clat_datagram_watch w = fresh();
	in_addr_t dns = addr("203.0.113.10");
	clat_watch_sent(&w, dns, T0);
	ck_assert(clat_watch_sent(&w, dns, T0 + 2));
	clat_watch_restart(&w, dns, T0 + 2);
	ck_assert(!clat_watch_sent(&w, dns, T0 + 3));
	ck_assert(clat_watch_sent(&w, dns, T0 + 4));
}
END_TEST

START_TEST(the_oldest_window_gives_way)
{
	struct clat_datagram_watch w = fresh();
	char text[32];
	for (int i = 0; i < CLAT_WATCH_SLOTS; i++) {
		snprintf(text, sizeof(text), "192.0.2.%d", i + 1);
		clat_watch_sent(&w, addr(text), T0 + i);
	}
	ck_assert_uint_eq(w.open, CLAT_WATCH_SLOTS);
	/* a ninth destination takes 192.0.2.1's slot (the oldest window) */
	clat_watch_sent(&w, addr("192.0.2.100"), T0 + 10);
	ck_assert_uint_eq(w.open, CLAT_WATCH_SLOTS);
	ck_assert(!clat_watch_sent(&w, addr("192.0.2.1"), T0 + 11)); /* new window */
	ck_assert(clat_watch_sent(&w, addr("192.0.2.8"), T0 + 11));  /* kept */
}
END_TEST

START_TEST(nothing_for_zero_address_or_time)
{
	struct clat_datagram_watch w = fresh();
	ck_assert(!clat_watch_sent(&w, 0, T0));
	ck_assert(!clat_watch_sent(&w, addr("203.0.113.10"), 0));
	clat_watch_answered(&w, 0);
	ck_assert_uint_eq(w.open, 0);
}
END_TEST

Suite *clat_datagram_watch_suite(void)
{
	Suite *s = suite_create("datagram_watch");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, first_send_opens_a_window);
	tcase_add_test(tc, retry_after_the_window_is_suspect);
	tcase_add_test(tc, an_answer_closes_the_window);
	tcase_add_test(tc, an_answer_from_another_host_does_not);
	tcase_add_test(tc, a_one_way_stream_is_not_a_retry);
	tcase_add_test(tc, a_host_that_answered_once_may_get_many_sends);
	tcase_add_test(tc, restart_gives_a_new_window);
	tcase_add_test(tc, the_oldest_window_gives_way);
	tcase_add_test(tc, nothing_for_zero_address_or_time);
	suite_add_tcase(s, tc);
	return s;
}
