/* The prefix cache file format: source names, format, strict parse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/prefix_cache.h"
#include "suites.h"
#include "test_util.h"

static const char example[] =
	"version 2\n"
	"source dns64\n"
	"negative no\n"
	"prefix 2001:db8:64::/96\n"
	"fetched 1764130000\n"
	"expires 1764133600\n"
	"resolver 2001:db8:1::1\n"
	"network 0123456789abcdef\n";

static struct clat_cache_entry example_entry(void)
{
	struct clat_cache_entry e;

	memset(&e, 0, sizeof(e));
	e.source = CLAT_SOURCE_DNS64;
	e.negative = false;
	e.prefixes.count = 1;
	e.prefixes.prefix[0] = clat_test_prefix("2001:db8:64::/96");
	e.fetched = 1764130000;
	e.expires = 1764133600;
	strcpy(e.resolver, "2001:db8:1::1");
	e.network = 0x0123456789abcdefULL;
	return e;
}

/* Parses from an exact-size heap copy without a NUL (ASan sees reads past
 * len). */
static bool parse_len(const char *text, size_t len, struct clat_cache_entry *out)
{
	char *copy = malloc(len > 0 ? len : 1);
	bool ok;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, text, len);
	ok = clat_cache_parse(copy, len, out);
	free(copy);
	return ok;
}

static bool parse(const char *text, struct clat_cache_entry *out)
{
	return parse_len(text, strlen(text), out);
}

static void assert_entry_eq(const struct clat_cache_entry *a, const struct clat_cache_entry *b)
{
	ck_assert_int_eq(a->source, b->source);
	ck_assert_int_eq(a->negative, b->negative);
	ck_assert_uint_eq(a->prefixes.count, b->prefixes.count);
	for (unsigned i = 0; i < a->prefixes.count; i++) {
		ck_assert_uint_eq(a->prefixes.prefix[i].len, b->prefixes.prefix[i].len);
		ck_assert_mem_eq(a->prefixes.prefix[i].addr, b->prefixes.prefix[i].addr, 16);
	}
	ck_assert(a->fetched == b->fetched);
	ck_assert(a->expires == b->expires);
	ck_assert_str_eq(a->resolver, b->resolver);
	ck_assert(a->network == b->network);
}

START_TEST(source_names)
{
	static const struct {
		enum clat_prefix_source source;
		const char *name;
	} names[] = {
		{ CLAT_SOURCE_CONFIG, "config" }, { CLAT_SOURCE_PREF64, "pref64" },
		{ CLAT_SOURCE_DNS64, "dns64" },   { CLAT_SOURCE_FALLBACK, "fallback" },
	};
	enum clat_prefix_source s = CLAT_SOURCE_NONE;

	for (size_t i = 0; i < CLAT_TEST_COUNT(names); i++) {
		ck_assert_str_eq(clat_source_name(names[i].source), names[i].name);
		ck_assert(clat_source_parse(names[i].name, &s));
		ck_assert_int_eq(s, names[i].source);
	}
	ck_assert_str_eq(clat_source_name(CLAT_SOURCE_NONE), "none");
	ck_assert_str_eq(clat_source_name((enum clat_prefix_source)99), "unknown");
	s = CLAT_SOURCE_PREF64;
	ck_assert(!clat_source_parse("none", &s)); /* not a source an entry can have */
	ck_assert(!clat_source_parse("unknown", &s));
	ck_assert(!clat_source_parse("", &s));
	ck_assert(!clat_source_parse("DNS64", &s));
	ck_assert(!clat_source_parse("dns64 ", &s));
	ck_assert(!clat_source_parse("dns", &s));
	ck_assert_int_eq(s, CLAT_SOURCE_PREF64); /* untouched */
}
END_TEST

START_TEST(format_example)
{
	struct clat_cache_entry e = example_entry();
	char buf[512];

	memset(buf, 'Z', sizeof(buf));
	ck_assert_uint_eq(clat_cache_format(&e, buf, sizeof(buf)), strlen(example));
	ck_assert_str_eq(buf, example);
}
END_TEST

START_TEST(parse_example)
{
	struct clat_cache_entry want = example_entry(), got;

	memset(&got, 0x5a, sizeof(got));
	ck_assert(parse(example, &got));
	assert_entry_eq(&got, &want);
}
END_TEST

/* Format then parse gives the same entry, for every shape. */
START_TEST(round_trip)
{
	static const char *const prefixes[] = { "2001:db8:42::/96", "2001:db8:43::/96",
						"64:ff9b::/96", "2001:db8:100::/40" };
	struct clat_cache_entry entries[6];
	char buf[1024];

	for (size_t i = 0; i < CLAT_TEST_COUNT(entries); i++)
		entries[i] = example_entry();
	/* Four prefixes, in order; IPv4 resolver. */
	entries[1].prefixes.count = 4;
	for (unsigned i = 0; i < 4; i++)
		entries[1].prefixes.prefix[i] = clat_test_prefix(prefixes[i]);
	strcpy(entries[1].resolver, "192.0.2.53");
	/* Negative, no resolver. */
	entries[2].negative = true;
	entries[2].prefixes.count = 0;
	entries[2].resolver[0] = '\0';
	/* Other sources; a zero-length validity. */
	entries[3].source = CLAT_SOURCE_PREF64;
	entries[3].resolver[0] = '\0';
	entries[3].expires = entries[3].fetched;
	entries[4].source = CLAT_SOURCE_CONFIG;
	entries[4].fetched = 0;
	entries[4].expires = INT64_MAX;
	entries[5].source = CLAT_SOURCE_FALLBACK;
	entries[5].prefixes.prefix[0] = clat_test_prefix("2001:db8::/32");
	strcpy(entries[5].resolver, "fe80::1");

	for (size_t i = 0; i < CLAT_TEST_COUNT(entries); i++) {
		struct clat_cache_entry back;
		size_t n;

		n = clat_cache_format(&entries[i], buf, sizeof(buf));
		ck_assert_msg(n > 0 && n == strlen(buf), "entry %zu", i);
		memset(&back, 0x5a, sizeof(back));
		ck_assert_msg(parse_len(buf, n, &back), "entry %zu:\n%s", i, buf);
		assert_entry_eq(&back, &entries[i]);
	}
	ck_assert(strstr(buf, "resolver fe80::1\n") != NULL);
	clat_cache_format(&entries[2], buf, sizeof(buf));
	ck_assert(strstr(buf, "resolver -\n") != NULL);
	ck_assert(strstr(buf, "negative yes\n") != NULL);
	ck_assert(strstr(buf, "prefix") == NULL);
}
END_TEST

/* Too small a buffer: 0, at every size; exactly enough: the text. */
START_TEST(format_buffer_size)
{
	struct clat_cache_entry e = example_entry();
	size_t need = strlen(example) + 1;
	char buf[512];

	for (size_t size = 0; size < need; size++) {
		memset(buf, 'Z', sizeof(buf));
		ck_assert_msg(clat_cache_format(&e, buf, size) == 0, "size %zu", size);
		ck_assert_int_eq(buf[size], 'Z'); /* nothing past the buffer */
	}
	ck_assert_uint_eq(clat_cache_format(&e, buf, need), need - 1);
	ck_assert_str_eq(buf, example);
	ck_assert_uint_eq(clat_cache_format(&e, NULL, 0), 0);
}
END_TEST

/* An entry parse would refuse is not written. */
START_TEST(format_refuses_invalid)
{
	struct clat_cache_entry e;
	char buf[512];

	for (int variant = 0; variant < 13; variant++) {
		e = example_entry();
		switch (variant) {
		case 0: e.source = CLAT_SOURCE_NONE; break;
		case 1: e.source = (enum clat_prefix_source)42; break;
		case 2: e.negative = true; break;                  /* with a prefix */
		case 3: e.prefixes.count = 0; break;               /* positive, none */
		case 4: e.prefixes.count = CLAT_MAX_PREFIXES + 1; break;
		case 5: e.prefixes.prefix[0].len = 33; break;
		case 6: e.prefixes.prefix[0].addr[15] = 1; break;  /* host bits */
		case 7: e.expires = e.fetched - 1; break;
		case 8: e.fetched = -5; e.expires = 0; break;
		case 9: strcpy(e.resolver, "resolver.example"); break;
		case 10: strcpy(e.resolver, "-"); break;
		case 11: memset(e.resolver, '1', sizeof(e.resolver)); break; /* no NUL */
		case 12:
			e.prefixes.count = 2;
			e.prefixes.prefix[1] = e.prefixes.prefix[0]; /* duplicate */
			break;
		}
		ck_assert_msg(clat_cache_format(&e, buf, sizeof(buf)) == 0, "variant %d", variant);
	}
}
END_TEST

/* Each text is the example with one thing wrong. */
static const char *const bad_texts[] = {
	/* version */
	"source dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version 2\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version 01\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version 1.0\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version \nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	/* missing keys */
	"version 1\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version 1\nsource dns64\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\n",
	"",
	/* duplicates of single keys */
	"version 1\nversion 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version 1\nsource dns64\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nfetched 1\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\nresolver -\nresolver -\n",
	/* unknown keys */
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\nttl 5\n",
	"version 1\nSource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nprefixes 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"# comment\nversion 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	/* source */
	"version 1\nsource none\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version 1\nsource dns\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version 1\nsource DNS64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	/* negative */
	"version 1\nsource dns64\nnegative maybe\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version 1\nsource dns64\nnegative No\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version 1\nsource dns64\nnegative 0\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version 1\nsource dns64\nnegative yes\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nfetched 1\nexpires 2\n",
	/* prefixes */
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/95\nfetched 1\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nprefix 2001:db8:122:344:ff00::/96\nfetched 1\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::1/96\nfetched 1\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::\nfetched 1\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96 \nfetched 1\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nprefix 2001:db8:1::/96\nprefix 2001:db8:2::/96\n"
	"prefix 2001:db8:3::/96\nprefix 2001:db8:4::/96\nprefix 2001:db8:5::/96\nfetched 1\nexpires 2\n",
	/* times */
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 3\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched -1\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched +1\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 01\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1x\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 0x1\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched \nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 9223372036854775808\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 99999999999999999999\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2 3\n",
	/* resolver */
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\nresolver \n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\nresolver dns.example\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\nresolver 192.0.2.256\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\nresolver --\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\nresolver fe80::1%eth0\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\nresolver 192.0.2.1:53\n",
	/* layout */
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2",
	"version 1\r\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version 1\nsource dns64\n\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version  1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	" version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version\t1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version 1 \nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\njunk\n",
	"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\nfetched 1\nexpires 2\n\n",
};

START_TEST(parse_rejects)
{
	struct clat_cache_entry out, before;

	memset(&out, 0x5a, sizeof(out));
	before = out;
	ck_assert_msg(!parse(bad_texts[_i], &out), "accepted:\n%s", bad_texts[_i]);
	ck_assert_mem_eq(&out, &before, sizeof(out)); /* untouched */
}
END_TEST

/* The skeleton the rejections start from is itself good. */
START_TEST(parse_minimal)
{
	struct clat_cache_entry out;

	ck_assert(parse("version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\n"
			"fetched 1\nexpires 2\n", &out));
	ck_assert_str_eq(out.resolver, "");
	ck_assert(clat_prefix_is_wkp(&out.prefixes.prefix[0]));
	/* Keys in any order. */
	ck_assert(parse("expires 2\nprefix 2001:db8:1::/96\nresolver -\nfetched 0\n"
			"negative no\nprefix 2001:db8:2::/96\nsource pref64\nversion 1\n", &out));
	ck_assert_uint_eq(out.prefixes.count, 2);
	ck_assert_uint_eq(out.prefixes.prefix[0].addr[5], 1);
	ck_assert_uint_eq(out.prefixes.prefix[1].addr[5], 2);
	ck_assert(out.fetched == 0 && out.expires == 2);
	ck_assert_int_eq(out.source, CLAT_SOURCE_PREF64);
	ck_assert(parse("version 1\nsource dns64\nnegative yes\nfetched 1\n"
			"expires 9223372036854775807\nresolver 192.0.2.53\n", &out));
	ck_assert(out.negative && out.prefixes.count == 0 && out.expires == INT64_MAX);
}
END_TEST

/* Only len bytes count: a NUL or junk after them is not read, and a NUL
 * inside them is refused. Every proper prefix of the text is refused (the
 * network line, last, is required in version 2). */
START_TEST(parse_length)
{
	char text[512];
	size_t n = strlen(example);
	struct clat_cache_entry out;

	memcpy(text, example, n);
	strcpy(text + n, "junk\n");
	ck_assert(parse_len(text, n, &out));
	for (size_t len = 0; len < n; len++)
		ck_assert_msg(!parse_len(example, len, &out), "cut at %zu", len);
	memcpy(text, example, n);
	text[3] = '\0';
	ck_assert(!parse_len(text, n, &out));
	/* A NUL after a good value on the same line. */
	memcpy(text, "version 2\0x\n", 12);
	memcpy(text + 12, example + 10, n - 10);
	ck_assert(!parse_len(text, n + 2, &out));
	text[10] = 'x';
	ck_assert(!parse_len(text, n + 2, &out));
	memcpy(text, "version 2\n", 10); /* and the same without it is good */
	memcpy(text + 10, example + 10, n - 10);
	ck_assert(parse_len(text, n, &out));
	ck_assert(!clat_cache_parse(NULL, 0, &out));
}
END_TEST

/* Version 1 (no network line) is read as learned on an unknown network;
 * version 2 needs the line; "-" is unknown too. */
START_TEST(parse_network)
{
	static const char v1[] = "version 1\nsource dns64\nnegative no\n"
				 "prefix 64:ff9b::/96\nfetched 1\nexpires 2\n";
	static const char *const bad[] = {
		"version 1\nnetwork 0123456789abcdef\n",
		"version 2\nnetwork 0000000000000000\n",
		"version 2\nnetwork 0123456789ABCDEF\n",
		"version 2\nnetwork 0123456789abcde\n",
		"version 2\nnetwork 0123456789abcdef0\n",
		"version 2\nnetwork \n",
		"version 2\nnetwork -\nnetwork -\n",
		"version 2\nnetwork 0123456789abcdeg\n",
	};
	char text[256];
	struct clat_cache_entry out;

	ck_assert(parse(v1, &out));
	ck_assert(out.network == CLAT_NETID_UNKNOWN);
	snprintf(text, sizeof(text), "version 2\nnetwork -\n%s", v1 + 10);
	ck_assert(parse(text, &out));
	ck_assert(out.network == CLAT_NETID_UNKNOWN);
	snprintf(text, sizeof(text), "version 2\nnetwork 00000000000000a1\n%s", v1 + 10);
	ck_assert(parse(text, &out));
	ck_assert(out.network == 0xa1);
	for (size_t i = 0; i < CLAT_TEST_COUNT(bad); i++) {
		snprintf(text, sizeof(text), "%s%s", bad[i], v1 + 10);
		ck_assert_msg(!parse(text, &out), "accepted:\n%s", text);
	}
	/* An unknown network is written as "-" and read back as such. */
	struct clat_cache_entry e = example_entry();
	e.network = CLAT_NETID_UNKNOWN;
	ck_assert_uint_gt(clat_cache_format(&e, text, sizeof(text)), 0);
	ck_assert_ptr_nonnull(strstr(text, "\nnetwork -\n"));
	ck_assert(parse(text, &out));
	assert_entry_eq(&out, &e);
}
END_TEST

/* An overlong line (a corrupt file) is refused, not cut. */
START_TEST(parse_long_line)
{
	char text[1024];
	struct clat_cache_entry out;

	snprintf(text, sizeof(text), "%sresolver %0300d\n", example, 1);
	ck_assert(!parse(text, &out));
	snprintf(text, sizeof(text), "resolver 1111:2222:3333:4444:5555:6666:123.123.123.123%s",
		 "\nversion 1\nsource dns64\nnegative yes\nfetched 1\nexpires 2\n");
	ck_assert(parse(text, &out)); /* the longest address form fits */
	ck_assert_str_eq(out.resolver, "1111:2222:3333:4444:5555:6666:123.123.123.123");
}
END_TEST

Suite *clat_prefix_cache_suite(void)
{
	Suite *s = suite_create("prefix_cache");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, source_names);
	tcase_add_test(tc, format_example);
	tcase_add_test(tc, parse_example);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, format_buffer_size);
	tcase_add_test(tc, format_refuses_invalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, parse_rejects, 0, (int)CLAT_TEST_COUNT(bad_texts));
	tcase_add_test(tc, parse_minimal);
	tcase_add_test(tc, parse_length);
	tcase_add_test(tc, parse_long_line);
	tcase_add_test(tc, parse_network);
	suite_add_tcase(s, tc);
	return s;
}
