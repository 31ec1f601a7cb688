/* libFuzzer target: the prefix cache file's text format
 * (lib/core/prefix_cache.c).
 *
 * Input: byte 0 picks the mode. Even: the rest is a cache file (an
 * exact-size heap block) for clat_cache_parse. Odd: the rest fills a
 * struct clat_cache_entry field by field for clat_cache_format.
 * Invariants: a parsed entry obeys the documented rules (known source,
 * at most CLAT_MAX_PREFIXES valid distinct prefixes, negative exactly when
 * there are none, 0 <= fetched <= expires, resolver "" or an address);
 * format(parse(text)) parses to the same entry and formats to the same
 * text (a fixed point); an entry format accepts parses back to itself;
 * format never writes past buflen (exact-size block) and NUL-terminates
 * what it returns. */
#include <arpa/inet.h>

#include "fuzz_util.h"
#include "prefix_cache.h"

#define FUZZ_TEXT_MAX 2048

static bool entry_equal(const struct clat_cache_entry *a, const struct clat_cache_entry *b)
{
	if (a->source != b->source || a->negative != b->negative ||
	    a->prefixes.count != b->prefixes.count || a->fetched != b->fetched ||
	    a->expires != b->expires || strcmp(a->resolver, b->resolver) != 0)
		return false;
	for (unsigned i = 0; i < a->prefixes.count && i < CLAT_MAX_PREFIXES; i++)
		if (a->prefixes.prefix[i].len != b->prefixes.prefix[i].len ||
		    memcmp(a->prefixes.prefix[i].addr, b->prefixes.prefix[i].addr, 16) != 0)
			return false;
	return true;
}

static void check_entry(const struct clat_cache_entry *e)
{
	enum clat_prefix_source back;
	uint8_t addr[16];

	FUZZ_CHECK(e->source != CLAT_SOURCE_NONE && clat_source_parse(clat_source_name(e->source), &back) &&
			   back == e->source,
		   "source %d", (int)e->source);
	FUZZ_CHECK(e->prefixes.count <= CLAT_MAX_PREFIXES, "%u prefixes", e->prefixes.count);
	FUZZ_CHECK(e->negative == (e->prefixes.count == 0), "negative %d with %u prefixes",
		   e->negative, e->prefixes.count);
	FUZZ_CHECK(e->fetched >= 0 && e->expires >= e->fetched, "times");
	FUZZ_CHECK(memchr(e->resolver, '\0', sizeof(e->resolver)) != NULL, "resolver unterminated");
	FUZZ_CHECK(e->resolver[0] == '\0' || inet_pton(AF_INET, e->resolver, addr) == 1 ||
			   inet_pton(AF_INET6, e->resolver, addr) == 1,
		   "resolver '%s'", e->resolver);
	for (unsigned i = 0; i < e->prefixes.count; i++) {
		FUZZ_CHECK(clat_prefix_check(&e->prefixes.prefix[i]) == CLAT_PREFIX_OK, "prefix %u", i);
		for (unsigned j = 0; j < i; j++)
			FUZZ_CHECK(!clat_prefix_equal(&e->prefixes.prefix[i], &e->prefixes.prefix[j]),
				   "duplicate prefix %u", i);
	}
}

/* Formats into an exact-size block of buflen bytes. */
static size_t format_exact(const struct clat_cache_entry *e, size_t buflen, char *copy)
{
	char *buf = fuzz_xmalloc(buflen);
	size_t n = clat_cache_format(e, buflen ? buf : NULL, buflen);

	if (n > 0) {
		FUZZ_CHECK(n < buflen && buf[n] == '\0' && strlen(buf) == n, "format length %zu", n);
		if (copy != NULL)
			memcpy(copy, buf, n + 1);
	}
	free(buf);
	return n;
}

/* An entry format accepted: parse it back, format again. */
static void check_round_trip(const struct clat_cache_entry *e, size_t small)
{
	char text[FUZZ_TEXT_MAX], again[FUZZ_TEXT_MAX];
	struct clat_cache_entry back;
	size_t n = format_exact(e, sizeof(text), text), m;

	if (n == 0)
		return;
	check_entry(e);
	memset(&back, 0xa5, sizeof(back));
	FUZZ_CHECK(clat_cache_parse(text, n, &back), "formatted entry does not parse:\n%s", text);
	FUZZ_CHECK(entry_equal(e, &back), "round trip changed the entry:\n%s", text);
	m = format_exact(&back, sizeof(again), again);
	FUZZ_CHECK(m == n && memcmp(text, again, n) == 0, "format is not a fixed point");
	/* Smaller buffers: all or nothing, never past the end. */
	m = format_exact(e, small, NULL);
	FUZZ_CHECK(m == 0 || m == n, "small buffer gave %zu of %zu", m, n);
	FUZZ_CHECK((m == n) == (small > n), "buffer of %zu for %zu bytes", small, n);
	/* A file cut anywhere before its end is refused (every line ends in \n). */
	FUZZ_CHECK(!clat_cache_parse(text, n - 1, &back), "file without its last newline parsed");
}

static void parse_mode(struct fuzz_in *in)
{
	struct clat_cache_entry e;
	size_t len;
	uint8_t *text = fuzz_rest_copy(in, &len);

	memset(&e, 0x5a, sizeof(e));
	if (clat_cache_parse((const char *)text, len, &e)) {
		check_entry(&e);
		FUZZ_CHECK(len > 0 && text[len - 1] == '\n', "accepted text not ending in a newline");
		check_round_trip(&e, len % 200);
	}
	free(text);
}

static void format_mode(struct fuzz_in *in)
{
	struct clat_cache_entry e;
	size_t small;

	memset(&e, 0, sizeof(e));
	e.source = (enum clat_prefix_source)(fuzz_u8(in) % 7);
	e.negative = fuzz_u8(in) & 1;
	e.prefixes.count = fuzz_u8(in) % (CLAT_MAX_PREFIXES + 2);
	for (unsigned i = 0; i < CLAT_MAX_PREFIXES; i++) {
		uint8_t how = fuzz_u8(in);
		/* Mostly valid prefixes (table), sometimes raw bytes. */
		if (how & 1) {
			fuzz_bytes(in, e.prefixes.prefix[i].addr, 16);
			e.prefixes.prefix[i].len = fuzz_u8(in);
		} else {
			e.prefixes.prefix[i] = fuzz_table_prefix(how >> 1);
		}
	}
	e.fetched = (int64_t)((uint64_t)fuzz_u32(in) << 32 | fuzz_u32(in));
	e.expires = (int64_t)((uint64_t)fuzz_u32(in) << 32 | fuzz_u32(in));
	if ((fuzz_u8(in) & 1) && e.fetched >= 0 && e.fetched <= INT64_MAX - 65535)
		e.expires = e.fetched + fuzz_u16(in);
	small = fuzz_u8(in);
	/* The resolver: the rest as text, maybe without a NUL in the field. */
	fuzz_bytes(in, e.resolver, fuzz_left(in) < sizeof(e.resolver) ? fuzz_left(in)
								 : sizeof(e.resolver));
	if (format_exact(&e, FUZZ_TEXT_MAX, NULL) > 0)
		check_round_trip(&e, small);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	enum clat_prefix_source s;

	if (fuzz_u8(&in) & 1)
		format_mode(&in);
	else
		parse_mode(&in);
	FUZZ_CHECK(!clat_source_parse("none", &s), "'none' parsed as a source");
	return 0;
}
