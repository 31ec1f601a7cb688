/* Log escaping (lib/core/log_escape.c): no byte a caller chose can end a
 * log line or reach the reader's terminal as a control sequence. */
#include <string.h>

#include "core/log_escape.h"
#include "suites.h"
#include "test_util.h"

static void expect(const char *in, size_t len, size_t outlen, const char *want)
{
	char out[256];

	memset(out, 0x5a, sizeof(out));
	size_t n = clat_log_escape(in, len, out, outlen);
	ck_assert_str_eq(out, want);
	ck_assert_uint_eq(n, strlen(want));
	ck_assert_msg((unsigned char)out[outlen] == 0x5a, "wrote past outlen %zu", outlen);
}

START_TEST(printable_unchanged)
{
	expect("/tmp/clat debug.log", 19, 64, "/tmp/clat debug.log");
}
END_TEST

START_TEST(newline_forges_no_line)
{
	const char in[] = "/x\nlibclat[1]: forged";
	expect(in, sizeof(in) - 1, 128, "/x\\x0alibclat[1]: forged");
}
END_TEST

START_TEST(controls_and_high_bytes)
{
	const char in[] = { '\x1b', '[', '2', 'J', '\r', '\t', '\x7f', '\x80', '\xff', '\0', 'a' };
	expect(in, sizeof(in), 128, "\\x1b[2J\\x0d\\x09\\x7f\\x80\\xff\\x00a");
}
END_TEST

START_TEST(backslash_doubled)
{
	/* Else "\x0a" typed by a caller would read back as an escaped newline. */
	expect("a\\x0a", 5, 64, "a\\\\x0a");
}
END_TEST

START_TEST(truncation_keeps_sequences_whole)
{
	expect("ab\ncd", 5, 5, "ab");     /* "\x0a" needs 4 bytes, 2 are left */
	expect("ab\ncd", 5, 7, "ab\\x0a");
	expect("abc", 3, 1, "");
	char out[1] = { 'z' };
	ck_assert_uint_eq(clat_log_escape("abc", 3, out, 0), 0);
	ck_assert_int_eq(out[0], 'z');
}
END_TEST

Suite *clat_log_escape_suite(void)
{
	Suite *s = suite_create("log_escape");
	TCase *tc = tcase_create("escape");

	tcase_add_test(tc, printable_unchanged);
	tcase_add_test(tc, newline_forges_no_line);
	tcase_add_test(tc, controls_and_high_bytes);
	tcase_add_test(tc, backslash_doubled);
	tcase_add_test(tc, truncation_keeps_sequences_whole);
	suite_add_tcase(s, tc);
	return s;
}
