/* RFC 7050: finding Pref64::/n in AAAA answers, and parsing the DNS
 * response to "ipv4only.arpa. IN AAAA". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rfc7050.h"
#include "suites.h"
#include "test_util.h"

/* ---- find_prefix ------------------------------------------------------ */

/* The RFC 6052 s2.4 prefixes with 192.0.0.170 / .171 embedded (the way
 * RFC 7050 s3's DNS64 synthesizes the well-known name). Written out by
 * hand; the synthesis check below keeps them honest. */
static const struct {
	const char *prefix;
	const char *wka1;
	const char *wka2;
} lengths[] = {
	{ "2001:db8::/32", "2001:db8:c000:aa::", "2001:db8:c000:ab::" },
	{ "2001:db8:100::/40", "2001:db8:1c0:0:aa::", "2001:db8:1c0:0:ab::" },
	{ "2001:db8:122::/48", "2001:db8:122:c000:0:aa00::", "2001:db8:122:c000:0:ab00::" },
	{ "2001:db8:122:300::/56", "2001:db8:122:3c0:0:aa::", "2001:db8:122:3c0:0:ab::" },
	{ "2001:db8:122:344::/64", "2001:db8:122:344:c0:0:aa00::",
	  "2001:db8:122:344:c0:0:ab00::" },
	{ "2001:db8:122:344::/96", "2001:db8:122:344::192.0.0.170",
	  "2001:db8:122:344::192.0.0.171" },
};

static void assert_prefix(const struct clat_prefix *got, const char *expected)
{
	struct clat_prefix want = clat_test_prefix(expected);
	char text[64] = "?";

	clat_prefix_format(got, text, sizeof(text));
	ck_assert_msg(clat_prefix_equal(got, &want) && got->len == want.len,
		      "got %s, expected %s", text, expected);
	ck_assert_mem_eq(got->addr, want.addr, 16); /* host bits zero too */
	ck_assert_int_eq(clat_prefix_check(got), CLAT_PREFIX_OK);
}

START_TEST(table_matches_synthesis)
{
	struct clat_prefix prefix = clat_test_prefix(lengths[_i].prefix);
	struct in6_addr a1 = clat_test_v6(lengths[_i].wka1), a2 = clat_test_v6(lengths[_i].wka2);
	struct in6_addr out;

	clat_synthesize(&prefix, clat_test_v4("192.0.0.170"), &out);
	ck_assert_mem_eq(out.s6_addr, a1.s6_addr, 16);
	clat_synthesize(&prefix, clat_test_v4("192.0.0.171"), &out);
	ck_assert_mem_eq(out.s6_addr, a2.s6_addr, 16);
}
END_TEST

START_TEST(find_each_length)
{
	struct in6_addr a1 = clat_test_v6(lengths[_i].wka1), a2 = clat_test_v6(lengths[_i].wka2);
	struct clat_prefix out;

	memset(&out, 0x5a, sizeof(out));
	ck_assert_int_eq(clat_rfc7050_find_prefix(&a1, CLAT_RFC7050_WKA1, &out), CLAT_FIND_OK);
	assert_prefix(&out, lengths[_i].prefix);
	memset(&out, 0x5a, sizeof(out));
	ck_assert_int_eq(clat_rfc7050_find_prefix(&a2, CLAT_RFC7050_WKA2, &out), CLAT_FIND_OK);
	assert_prefix(&out, lengths[_i].prefix);
	/* The other WKA is not in there. */
	ck_assert_int_eq(clat_rfc7050_find_prefix(&a1, CLAT_RFC7050_WKA2, &out), CLAT_FIND_NONE);
	ck_assert_int_eq(clat_rfc7050_find_prefix(&a2, CLAT_RFC7050_WKA1, &out), CLAT_FIND_NONE);
	/* prefix_of takes either. */
	memset(&out, 0x5a, sizeof(out));
	ck_assert(clat_rfc7050_prefix_of(&a1, &out));
	assert_prefix(&out, lengths[_i].prefix);
	memset(&out, 0x5a, sizeof(out));
	ck_assert(clat_rfc7050_prefix_of(&a2, &out));
	assert_prefix(&out, lengths[_i].prefix);
}
END_TEST

/* 6052 s2.2: the u octet is zero; an answer with it set is not
 * IPv4-embedded at any length (for /96 the prefix itself is invalid). */
START_TEST(find_u_octet_set)
{
	struct in6_addr a = clat_test_v6(lengths[_i].wka1);
	struct clat_prefix out, before;

	a.s6_addr[8] = 0x01;
	memset(&out, 0x5a, sizeof(out));
	before = out;
	ck_assert_int_eq(clat_rfc7050_find_prefix(&a, CLAT_RFC7050_WKA1, &out), CLAT_FIND_NONE);
	ck_assert(!clat_rfc7050_prefix_of(&a, &out));
	ck_assert_mem_eq(&out, &before, sizeof(out)); /* untouched */
}
END_TEST

/* A non-zero suffix (past the embedded address) is not a hit: rfc-
 * requirements A.5 via clat_extract. For /96 there is no suffix. */
START_TEST(find_suffix_set)
{
	struct in6_addr a = clat_test_v6(lengths[_i].wka1);
	struct clat_prefix out;

	if (lengths[_i].prefix[strlen(lengths[_i].prefix) - 1] == '6')
		return; /* /96 */
	a.s6_addr[15] = 0x01;
	ck_assert_int_eq(clat_rfc7050_find_prefix(&a, CLAT_RFC7050_WKA1, &out), CLAT_FIND_NONE);
	ck_assert(!clat_rfc7050_prefix_of(&a, &out));
}
END_TEST

START_TEST(find_nothing)
{
	static const char *const addrs[] = {
		"2001:db8::1", "::", "64:ff9b::192.0.0.172", "64:ff9b::192.0.0.169",
		"64:ff9b::192.0.2.170", "64:ff9b::aa:c000",
		"2001:db8:c000:ab:1::", /* /32 position, suffix set */
	};
	struct clat_prefix out;

	for (size_t i = 0; i < CLAT_TEST_COUNT(addrs); i++) {
		struct in6_addr a = clat_test_v6(addrs[i]);

		ck_assert_msg(!clat_rfc7050_prefix_of(&a, &out), "%s", addrs[i]);
		ck_assert_int_eq(clat_rfc7050_find_prefix(&a, CLAT_RFC7050_WKA1, &out),
				 CLAT_FIND_NONE);
	}
}
END_TEST

/* The WKA's bytes at two of the six positions. Only one of them can be
 * followed by a zero suffix (the WKA's last octet is not zero), so only
 * that one is an RFC 6052 address: it wins, and nothing is ambiguous.
 * Taking every raw match (RFC 7050 s3 read literally) would report these as
 * ambiguous, or find the wrong /32. */
START_TEST(find_wka_bytes_twice)
{
	static const struct {
		const char *addr;
		uint32_t wka;
		const char *prefix;
	} cases[] = {
		/* bytes 4-7 and 12-15: the /96 prefix 2001:db8:c000:aa::/96 */
		{ "2001:db8:c000:aa::c000:aa", CLAT_RFC7050_WKA1, "2001:db8:c000:aa::/96" },
		/* bytes 4-7 and 9-12: the /64 prefix 2001:db8:c000:aa::/64 */
		{ "2001:db8:c000:aa:c0:0:aa00:0", CLAT_RFC7050_WKA1, "2001:db8:c000:aa::/64" },
		/* bytes 6,7,9,10 and 12-15: the /96 prefix 2001:db8:122:c000:0:aa00::/96 */
		{ "2001:db8:122:c000:0:aa00:c000:aa", CLAT_RFC7050_WKA1,
		  "2001:db8:122:c000:0:aa00::/96" },
		/* .171 synthesized under a prefix that contains .170 */
		{ "2001:db8:c000:aa::c000:ab", CLAT_RFC7050_WKA2, "2001:db8:c000:aa::/96" },
	};

	for (size_t i = 0; i < CLAT_TEST_COUNT(cases); i++) {
		struct in6_addr a = clat_test_v6(cases[i].addr);
		struct clat_prefix out;

		ck_assert_msg(clat_rfc7050_find_prefix(&a, cases[i].wka, &out) == CLAT_FIND_OK, "%s",
			      cases[i].addr);
		assert_prefix(&out, cases[i].prefix);
		ck_assert(clat_rfc7050_prefix_of(&a, &out));
		assert_prefix(&out, cases[i].prefix);
	}
}
END_TEST

/* 7050 s3: 192.0.0.170 at no clean position, so 192.0.0.171 decides. The
 * .170 bytes sit at the /32 position but the suffix after them is not zero,
 * so a search for .170 alone must not claim 2001:db8::/32. */
START_TEST(find_falls_back_to_171)
{
	struct in6_addr a = clat_test_v6("2001:db8:c000:aa::c000:ab");
	struct clat_prefix out;

	ck_assert_int_eq(clat_rfc7050_find_prefix(&a, CLAT_RFC7050_WKA1, &out), CLAT_FIND_NONE);
	ck_assert(clat_rfc7050_prefix_of(&a, &out));
	assert_prefix(&out, "2001:db8:c000:aa::/96");
}
END_TEST

/* The well-known prefix and the RFC 8215 local-use prefix. */
START_TEST(find_wkp)
{
	struct in6_addr a = clat_test_v6("64:ff9b::192.0.0.170");
	struct clat_prefix out;

	ck_assert(clat_rfc7050_prefix_of(&a, &out));
	ck_assert(clat_prefix_is_wkp(&out));
	a = clat_test_v6("64:ff9b:1:c000:0:aa00::");
	ck_assert(clat_rfc7050_prefix_of(&a, &out));
	assert_prefix(&out, "64:ff9b:1::/48");
}
END_TEST

START_TEST(set_add)
{
	struct clat_prefix_set set;
	struct clat_prefix p[5] = {
		clat_test_prefix("2001:db8:42::/96"), clat_test_prefix("2001:db8:43::/96"),
		clat_test_prefix("64:ff9b::/96"), clat_test_prefix("2001:db8:42::/64"),
		clat_test_prefix("2001:db8:44::/96"),
	};

	memset(&set, 0, sizeof(set));
	ck_assert(clat_prefix_set_add(&set, &p[0]));
	ck_assert(clat_prefix_set_add(&set, &p[1]));
	ck_assert(clat_prefix_set_add(&set, &p[0])); /* present: no-op */
	ck_assert_uint_eq(set.count, 2);
	ck_assert(clat_prefix_set_add(&set, &p[2]));
	ck_assert(clat_prefix_set_add(&set, &p[3])); /* same bits, other length */
	ck_assert_uint_eq(set.count, 4);
	ck_assert(!clat_prefix_set_add(&set, &p[4])); /* full */
	ck_assert(clat_prefix_set_add(&set, &p[2]));  /* present, even when full */
	ck_assert_uint_eq(set.count, CLAT_MAX_PREFIXES);
	for (unsigned i = 0; i < 4; i++)
		ck_assert(clat_prefix_equal(&set.prefix[i], &p[i]));
}
END_TEST

/* ---- DNS messages ----------------------------------------------------- */

/* A small DNS message writer (RFC 1035 s4.1). */
struct msg {
	uint8_t b[2048];
	size_t len;
};

#define FLAGS_RESPONSE 0x8180u /* QR, RD, RA, NOERROR */
#define QNAME_AT 12             /* where the question name starts */
#define TYPE_A 1
#define TYPE_CNAME 5
#define TYPE_SOA 6
#define TYPE_AAAA 28
#define TYPE_RRSIG 46
#define CLASS_IN 1
#define CLASS_CH 3

static void put8(struct msg *m, unsigned v)
{
	ck_assert(m->len < sizeof(m->b));
	m->b[m->len++] = (uint8_t)v;
}

static void put16(struct msg *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void put_bytes(struct msg *m, const void *p, size_t n)
{
	ck_assert(m->len + n <= sizeof(m->b));
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

/* Uncompressed: "a.b.c" or "a.b.c." -> 1a1b1c0; "." or "" is the root. */
static void put_name(struct msg *m, const char *name)
{
	while (*name != '\0' && strcmp(name, ".") != 0) {
		const char *dot = strchr(name, '.');
		size_t n = dot != NULL ? (size_t)(dot - name) : strlen(name);

		put8(m, (unsigned)n);
		put_bytes(m, name, n);
		name += n;
		if (*name == '.')
			name++;
	}
	put8(m, 0);
}

static void put_ptr(struct msg *m, size_t offset)
{
	put16(m, 0xc000u | (unsigned)offset);
}

static void header(struct msg *m, unsigned flags, unsigned qd, unsigned an, unsigned ns,
		   unsigned ar)
{
	m->len = 0;
	put16(m, 0x1234);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

static void question(struct msg *m, const char *name, unsigned type, unsigned qclass)
{
	put_name(m, name);
	put16(m, type);
	put16(m, qclass);
}

/* Owner: a pointer to the question name when compress, else written out. */
static void rr_head(struct msg *m, bool compress, unsigned type, unsigned rclass, uint32_t ttl)
{
	if (compress)
		put_ptr(m, QNAME_AT);
	else
		put_name(m, "ipv4only.arpa");
	put16(m, type);
	put16(m, rclass);
	put32(m, ttl);
}

static void rr_aaaa(struct msg *m, bool compress, uint32_t ttl, const char *v6)
{
	struct in6_addr a = clat_test_v6(v6);

	rr_head(m, compress, TYPE_AAAA, CLASS_IN, ttl);
	put16(m, 16);
	put_bytes(m, a.s6_addr, 16);
}

/* An SOA for arpa., as the root servers send for ipv4only.arpa NXDOMAIN. */
static void rr_soa(struct msg *m, bool compress, uint32_t ttl, uint32_t minimum)
{
	size_t rdlen_at;

	if (compress)
		put_ptr(m, QNAME_AT + 9); /* "arpa." inside the question */
	else
		put_name(m, "arpa");
	put16(m, TYPE_SOA);
	put16(m, CLASS_IN);
	put32(m, ttl);
	rdlen_at = m->len;
	put16(m, 0);
	if (compress) {
		put8(m, 1);
		put8(m, 'a');
		put_ptr(m, QNAME_AT + 9); /* a.arpa. */
	} else {
		put_name(m, "a.root-servers.net");
	}
	put_name(m, "nstld.verisign-grs.com");
	put32(m, 2024010100); /* serial */
	put32(m, 1800);       /* refresh */
	put32(m, 900);        /* retry */
	put32(m, 604800);     /* expire */
	put32(m, minimum);
	m->b[rdlen_at] = (uint8_t)((m->len - rdlen_at - 2) >> 8);
	m->b[rdlen_at + 1] = (uint8_t)(m->len - rdlen_at - 2);
}

/* A response header + the right question. */
static void response(struct msg *m, unsigned flags, unsigned an, unsigned ns, unsigned ar)
{
	header(m, flags, 1, an, ns, ar);
	question(m, "ipv4only.arpa", TYPE_AAAA, CLASS_IN);
}

/* A positive answer holding the given AAAA records, each with ttl. */
static void answer(struct msg *m, bool compress, const char *const *aaaa, size_t n, uint32_t ttl)
{
	response(m, FLAGS_RESPONSE, (unsigned)n, 0, 0);
	for (size_t i = 0; i < n; i++)
		rr_aaaa(m, compress, ttl, aaaa[i]);
}

/* Parses from an exact-size heap copy, so that ASan sees any read past
 * len; checks that the return value and the outcome agree. */
static bool parse(const struct msg *m, size_t len, struct clat_dns_result *out)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	bool ok;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, m->b, len);
	memset(out, 0x5a, sizeof(*out));
	ok = clat_rfc7050_parse_response(copy, len, out);
	free(copy);
	ck_assert_msg(ok == (out->outcome != CLAT_DNS_FAILURE), "ok %d outcome %d", ok,
		      (int)out->outcome);
	ck_assert_uint_le(out->prefixes.count, CLAT_MAX_PREFIXES);
	if (out->outcome != CLAT_DNS_POSITIVE)
		ck_assert_uint_eq(out->prefixes.count, 0);
	return ok;
}

static void assert_failure(const struct msg *m, const char *what)
{
	struct clat_dns_result r;

	ck_assert_msg(!parse(m, m->len, &r), "accepted: %s", what);
	ck_assert_int_eq(r.outcome, CLAT_DNS_FAILURE);
}

/* Each of the six lengths as a whole response, with both AAAA records a
 * DNS64 gives (ipv4only.arpa has two A records), owner names compressed
 * or written out. */
START_TEST(response_each_length)
{
	const char *aaaa[] = { lengths[_i].wka1, lengths[_i].wka2 };

	for (int compress = 0; compress <= 1; compress++) {
		struct clat_dns_result r;
		struct msg m;

		answer(&m, compress, aaaa, 2, 3600);
		ck_assert(parse(&m, m.len, &r));
		ck_assert_int_eq(r.outcome, CLAT_DNS_POSITIVE);
		ck_assert_int_eq(r.rcode, 0);
		ck_assert_uint_eq(r.prefixes.count, 1); /* the same prefix twice: once */
		assert_prefix(&r.prefixes.prefix[0], lengths[_i].prefix);
		ck_assert_uint_eq(r.ttl, 3600);

		/* Only the 192.0.0.171 record (7050 s3). */
		answer(&m, compress, &aaaa[1], 1, 1800);
		ck_assert(parse(&m, m.len, &r));
		ck_assert_int_eq(r.outcome, CLAT_DNS_POSITIVE);
		ck_assert_uint_eq(r.prefixes.count, 1);
		assert_prefix(&r.prefixes.prefix[0], lengths[_i].prefix);
		ck_assert_uint_eq(r.ttl, 1800);
	}
}
END_TEST

/* docs/requirements.md C.17, the RFC 7050 s3 example: three prefixes, kept in
 * the order received; TTL the smallest of the records used. */
START_TEST(response_several_in_order)
{
	static const char *const addrs[] = { "2001:db8:42::192.0.0.170",
					     "2001:db8:43::192.0.0.170", "64:ff9b::192.0.0.170" };
	static const uint32_t ttls[] = { 600, 300, 900 };
	static const char *const prefixes[] = { "2001:db8:42::/96", "2001:db8:43::/96",
						"64:ff9b::/96" };
	struct clat_dns_result r;
	struct msg m;

	response(&m, FLAGS_RESPONSE, 3, 0, 0);
	for (size_t i = 0; i < 3; i++)
		rr_aaaa(&m, true, ttls[i], addrs[i]);
	ck_assert(parse(&m, m.len, &r));
	ck_assert_int_eq(r.outcome, CLAT_DNS_POSITIVE);
	ck_assert_uint_eq(r.prefixes.count, 3);
	for (size_t i = 0; i < 3; i++)
		assert_prefix(&r.prefixes.prefix[i], prefixes[i]);
	ck_assert_uint_eq(r.ttl, 300);

	/* Reversed answer order: reversed prefixes. */
	response(&m, FLAGS_RESPONSE, 3, 0, 0);
	for (size_t i = 3; i-- > 0;)
		rr_aaaa(&m, false, ttls[i], addrs[i]);
	ck_assert(parse(&m, m.len, &r));
	for (size_t i = 0; i < 3; i++)
		assert_prefix(&r.prefixes.prefix[i], prefixes[2 - i]);
}
END_TEST

/* Duplicates collapse to the first position; answers without a WKA are
 * passed over and do not count towards the TTL. */
START_TEST(response_duplicates_and_strays)
{
	struct clat_dns_result r;
	struct msg m;

	response(&m, FLAGS_RESPONSE, 6, 0, 0);
	rr_aaaa(&m, true, 500, "2001:db8:43::192.0.0.171");
	rr_aaaa(&m, true, 10, "2001:db8::1");          /* no WKA: ignored */
	rr_aaaa(&m, true, 400, "64:ff9b::192.0.0.170");
	rr_aaaa(&m, true, 700, "2001:db8:43::192.0.0.170"); /* duplicate */
	rr_aaaa(&m, false, 20, "2001:db8:122:344:1c0:0:aa00::"); /* u octet set */
	rr_aaaa(&m, true, 800, "64:ff9b::192.0.0.171"); /* duplicate */
	ck_assert(parse(&m, m.len, &r));
	ck_assert_int_eq(r.outcome, CLAT_DNS_POSITIVE);
	ck_assert_uint_eq(r.prefixes.count, 2);
	assert_prefix(&r.prefixes.prefix[0], "2001:db8:43::/96");
	assert_prefix(&r.prefixes.prefix[1], "64:ff9b::/96");
	ck_assert_uint_eq(r.ttl, 400);
}
END_TEST

/* More distinct prefixes than the set holds: the first ones, in order. */
START_TEST(response_too_many)
{
	struct clat_dns_result r;
	struct msg m;
	char text[64];

	response(&m, FLAGS_RESPONSE, CLAT_MAX_PREFIXES + 2, 0, 0);
	for (unsigned i = 0; i < CLAT_MAX_PREFIXES + 2; i++) {
		snprintf(text, sizeof(text), "2001:db8:%x::192.0.0.170", 0x40 + i);
		rr_aaaa(&m, true, 100 + i, text);
	}
	ck_assert(parse(&m, m.len, &r));
	ck_assert_uint_eq(r.prefixes.count, CLAT_MAX_PREFIXES);
	for (unsigned i = 0; i < CLAT_MAX_PREFIXES; i++) {
		snprintf(text, sizeof(text), "2001:db8:%x::/96", 0x40 + i);
		assert_prefix(&r.prefixes.prefix[i], text);
	}
	ck_assert_uint_eq(r.ttl, 100);
}
END_TEST

/* Records of other types and classes are skipped by RDLENGTH: a CNAME
 * chain, an RRSIG, an AAAA in class CH; an EDNS OPT in the additional
 * section. */
START_TEST(response_skips_others)
{
	static const uint8_t sig[40] = { 0, TYPE_AAAA, 13, 2 };
	struct in6_addr ch = clat_test_v6("2001:db8:99::192.0.0.170");
	struct clat_dns_result r;
	struct msg m;
	size_t target;

	response(&m, FLAGS_RESPONSE, 5, 0, 1);
	rr_head(&m, true, TYPE_CNAME, CLASS_IN, 60);
	put16(&m, 6);
	target = m.len;
	put8(&m, 3);
	put_bytes(&m, "x64", 3);
	put_ptr(&m, QNAME_AT + 9); /* x64.arpa. */
	put_ptr(&m, target);        /* x64.arpa. AAAA */
	put16(&m, TYPE_AAAA);
	put16(&m, CLASS_IN);
	put32(&m, 120);
	put16(&m, 16);
	put_bytes(&m, clat_test_v6("2001:db8:64::c000:aa").s6_addr, 16);
	rr_head(&m, true, TYPE_RRSIG, CLASS_IN, 60);
	put16(&m, sizeof(sig));
	put_bytes(&m, sig, sizeof(sig));
	rr_head(&m, true, TYPE_AAAA, CLASS_CH, 60);
	put16(&m, 16);
	put_bytes(&m, ch.s6_addr, 16);
	rr_head(&m, true, TYPE_A, CLASS_IN, 5);
	put16(&m, 4);
	put32(&m, 0xc00000aa);
	put8(&m, 0); /* OPT: root owner, UDP size 1232, no options */
	put16(&m, 41);
	put16(&m, 1232);
	put32(&m, 0);
	put16(&m, 0);
	ck_assert(parse(&m, m.len, &r));
	ck_assert_int_eq(r.outcome, CLAT_DNS_POSITIVE);
	ck_assert_uint_eq(r.prefixes.count, 1);
	assert_prefix(&r.prefixes.prefix[0], "2001:db8:64::/96");
	ck_assert_uint_eq(r.ttl, 120); /* only the AAAA that gave the prefix */
}
END_TEST

/* The question name in any letter case; trailing data after the
 * records is not looked at. */
START_TEST(response_question_case)
{
	struct clat_dns_result r;
	struct msg m;

	header(&m, FLAGS_RESPONSE, 1, 1, 0, 0);
	question(&m, "IPv4Only.ARPA.", TYPE_AAAA, CLASS_IN);
	rr_aaaa(&m, true, 60, "64:ff9b::192.0.0.170");
	put8(&m, 0xff);
	ck_assert(parse(&m, m.len, &r));
	ck_assert(clat_prefix_is_wkp(&r.prefixes.prefix[0]));
}
END_TEST

/* RFC 2181 s8: a TTL with the top bit set counts as zero. */
START_TEST(response_ttl_top_bit)
{
	struct clat_dns_result r;
	struct msg m;

	response(&m, FLAGS_RESPONSE, 2, 0, 0);
	rr_aaaa(&m, true, 0x80000000u, "64:ff9b::192.0.0.170");
	rr_aaaa(&m, true, 100, "64:ff9b::192.0.0.171");
	ck_assert(parse(&m, m.len, &r));
	ck_assert_uint_eq(r.ttl, 0);
	response(&m, FLAGS_RESPONSE, 1, 0, 0);
	rr_aaaa(&m, true, 0x7fffffffu, "64:ff9b::192.0.0.170");
	ck_assert(parse(&m, m.len, &r));
	ck_assert_uint_eq(r.ttl, 0x7fffffffu);
}
END_TEST

/* 7050 s3: AAAA answers, none with a WKA: a DNS64 that does not follow
 * RFC 6052. */
START_TEST(response_no_prefix)
{
	static const char *const aaaa[] = { "2001:db8::1", "2001:db8::c000:aa00" };
	struct clat_dns_result r;
	struct msg m;

	answer(&m, true, aaaa, 2, 250);
	ck_assert(parse(&m, m.len, &r));
	ck_assert_int_eq(r.outcome, CLAT_DNS_NO_PREFIX);
	ck_assert_uint_eq(r.prefixes.count, 0);
	ck_assert_uint_eq(r.ttl, 250);
}
END_TEST

/* RFC 2308 s5: negative TTL = min(SOA TTL, SOA MINIMUM), both ways, for
 * NXDOMAIN and NODATA; 0 without an SOA (docs/requirements.md C.18). */
START_TEST(response_negative)
{
	static const struct {
		unsigned rcode;
		bool soa;
		uint32_t soa_ttl, minimum, expected;
	} cases[] = {
		{ 3, true, 86400, 3600, 3600 }, /* MINIMUM smaller */
		{ 3, true, 900, 86400, 900 },   /* SOA TTL smaller */
		{ 0, true, 600, 1200, 600 },    /* NODATA */
		{ 0, true, 1200, 60, 60 },
		{ 0, false, 0, 0, 0 },          /* NODATA, no SOA */
		{ 3, false, 0, 0, 0 },
		{ 3, true, 0x80000001u, 50, 0 }, /* RFC 2181 s8 */
		{ 3, true, 50, 0xffffffffu, 0 },
	};

	for (size_t i = 0; i < CLAT_TEST_COUNT(cases); i++) {
		for (int compress = 0; compress <= 1; compress++) {
			struct clat_dns_result r;
			struct msg m;

			response(&m, FLAGS_RESPONSE | cases[i].rcode, 0, cases[i].soa ? 2 : 0, 0);
			if (cases[i].soa) {
				/* An NS record first: only the SOA counts. */
				put_ptr(&m, QNAME_AT + 9);
				put16(&m, 2);
				put16(&m, CLASS_IN);
				put32(&m, 5);
				put16(&m, 2);
				put_ptr(&m, QNAME_AT);
				rr_soa(&m, compress, cases[i].soa_ttl, cases[i].minimum);
			}
			ck_assert_msg(parse(&m, m.len, &r), "case %zu", i);
			ck_assert_int_eq(r.outcome, CLAT_DNS_NEGATIVE);
			ck_assert_int_eq(r.rcode, (int)cases[i].rcode);
			ck_assert_msg(r.ttl == cases[i].expected, "case %zu: ttl %u", i,
				      (unsigned)r.ttl);
		}
	}
}
END_TEST

/* NXDOMAIN wins over any answer records; an SOA in the answer section is
 * not the negative-caching SOA. */
START_TEST(response_negative_odd)
{
	struct clat_dns_result r;
	struct msg m;

	response(&m, FLAGS_RESPONSE | 3, 1, 0, 0);
	rr_aaaa(&m, true, 60, "64:ff9b::192.0.0.170");
	ck_assert(parse(&m, m.len, &r));
	ck_assert_int_eq(r.outcome, CLAT_DNS_NEGATIVE);
	ck_assert_uint_eq(r.ttl, 0);

	response(&m, FLAGS_RESPONSE, 1, 0, 0);
	rr_soa(&m, true, 100, 100);
	ck_assert(parse(&m, m.len, &r));
	ck_assert_int_eq(r.outcome, CLAT_DNS_NEGATIVE);
	ck_assert_uint_eq(r.ttl, 0);
}
END_TEST

/* An SOA whose RDATA is short, long, or has names running out of it. */
START_TEST(response_bad_soa)
{
	for (int variant = 0; variant < 4; variant++) {
		struct msg m;
		size_t rdlen_at;
		unsigned rdlen;

		response(&m, FLAGS_RESPONSE | 3, 0, 1, 0);
		rr_soa(&m, variant % 2 == 0, 60, 60);
		/* RDLENGTH sits after the owner, type, class and TTL. */
		rdlen_at = 12 + 19 + (variant % 2 == 0 ? 2 : 6) + 8;
		rdlen = (unsigned)m.b[rdlen_at] << 8 | m.b[rdlen_at + 1];
		ck_assert_uint_eq(rdlen_at + 2 + rdlen, m.len);
		if (variant < 2) {
			rdlen--; /* MINIMUM cut short */
			m.len--;
		} else {
			rdlen++; /* a stray octet after MINIMUM */
			put8(&m, 0);
		}
		m.b[rdlen_at] = (uint8_t)(rdlen >> 8);
		m.b[rdlen_at + 1] = (uint8_t)rdlen;
		assert_failure(&m, "bad SOA");
	}
}
END_TEST

START_TEST(response_rcodes)
{
	static const unsigned rcodes[] = { 1, 2, 4, 5, 6, 9, 15 };

	for (size_t i = 0; i < CLAT_TEST_COUNT(rcodes); i++) {
		struct clat_dns_result r;
		struct msg m;

		response(&m, FLAGS_RESPONSE | rcodes[i], 1, 0, 0);
		rr_aaaa(&m, true, 60, "64:ff9b::192.0.0.170");
		ck_assert(!parse(&m, m.len, &r));
		ck_assert_int_eq(r.outcome, CLAT_DNS_FAILURE);
		ck_assert_int_eq(r.rcode, (int)rcodes[i]);
		ck_assert_uint_eq(r.prefixes.count, 0);
	}
}
END_TEST

/* Header bits: TC (incomplete), QR clear (a query), other opcodes. */
START_TEST(response_bad_header)
{
	static const unsigned flags[] = {
		FLAGS_RESPONSE | 0x0200, /* TC */
		FLAGS_RESPONSE & ~0x8000u, /* QR clear */
		FLAGS_RESPONSE | 1u << 11, /* IQUERY */
		FLAGS_RESPONSE | 2u << 11, /* STATUS */
		FLAGS_RESPONSE | 5u << 11, /* UPDATE */
	};

	for (size_t i = 0; i < CLAT_TEST_COUNT(flags); i++) {
		struct msg m;

		response(&m, flags[i], 1, 0, 0);
		rr_aaaa(&m, true, 60, "64:ff9b::192.0.0.170");
		assert_failure(&m, "bad header flags");
	}
}
END_TEST

/* Not the answer to our question. */
START_TEST(response_wrong_question)
{
	static const struct {
		unsigned qd;
		const char *name;
		unsigned type, qclass;
	} cases[] = {
		{ 1, "ipv4only.arpb", TYPE_AAAA, CLASS_IN },
		{ 1, "ipv4only.arpa.example", TYPE_AAAA, CLASS_IN },
		{ 1, "x.ipv4only.arpa", TYPE_AAAA, CLASS_IN },
		{ 1, "ipv4only", TYPE_AAAA, CLASS_IN },
		{ 1, "ipv4onl.arpa", TYPE_AAAA, CLASS_IN },
		{ 1, "", TYPE_AAAA, CLASS_IN },
		{ 1, "ipv4only.arpa", TYPE_A, CLASS_IN },
		{ 1, "ipv4only.arpa", 255, CLASS_IN },
		{ 1, "ipv4only.arpa", TYPE_AAAA, CLASS_CH },
		{ 1, "ipv4only.arpa", TYPE_AAAA, 255 },
		{ 0, NULL, 0, 0 },
		{ 2, "ipv4only.arpa", TYPE_AAAA, CLASS_IN },
	};
	struct msg m;

	for (size_t i = 0; i < CLAT_TEST_COUNT(cases); i++) {
		header(&m, FLAGS_RESPONSE, cases[i].qd, 1, 0, 0);
		for (unsigned q = 0; q < cases[i].qd; q++)
			question(&m, cases[i].name, cases[i].type, cases[i].qclass);
		rr_aaaa(&m, false, 60, "64:ff9b::192.0.0.170");
		assert_failure(&m, cases[i].name != NULL ? cases[i].name : "no question");
	}

	/* Two questions, the second followed by what would make it a record
	 * (TTL, RDLENGTH 0) if it were read as one: still refused. */
	header(&m, FLAGS_RESPONSE, 2, 2, 0, 0);
	question(&m, "ipv4only.arpa", TYPE_AAAA, CLASS_IN);
	question(&m, "ipv4only.arpa", TYPE_A, CLASS_IN);
	put32(&m, 60);
	put16(&m, 0);
	rr_aaaa(&m, true, 60, "64:ff9b::192.0.0.170");
	assert_failure(&m, "QDCOUNT 2");
}
END_TEST

/* Records that claim more than is there, or an AAAA of the wrong size. */
START_TEST(response_bad_records)
{
	struct msg m;

	response(&m, FLAGS_RESPONSE, 2, 0, 0); /* ANCOUNT says 2, one present */
	rr_aaaa(&m, true, 60, "64:ff9b::192.0.0.170");
	assert_failure(&m, "missing answer");

	response(&m, FLAGS_RESPONSE, 1, 1, 0); /* NSCOUNT 1, none present */
	rr_aaaa(&m, true, 60, "64:ff9b::192.0.0.170");
	assert_failure(&m, "missing authority");

	response(&m, FLAGS_RESPONSE, 1, 0, 1); /* ARCOUNT 1, none present */
	rr_aaaa(&m, true, 60, "64:ff9b::192.0.0.170");
	assert_failure(&m, "missing additional");

	for (unsigned rdlen = 0; rdlen <= 20; rdlen++) {
		if (rdlen == 16)
			continue;
		response(&m, FLAGS_RESPONSE, 1, 0, 0);
		rr_head(&m, true, TYPE_AAAA, CLASS_IN, 60);
		put16(&m, rdlen);
		for (unsigned i = 0; i < rdlen; i++)
			put8(&m, i == 0 ? 0 : 0x64);
		assert_failure(&m, "AAAA RDLENGTH not 16");
	}

	response(&m, FLAGS_RESPONSE, 1, 0, 0); /* RDLENGTH past the end */
	rr_head(&m, true, TYPE_RRSIG, CLASS_IN, 60);
	put16(&m, 100);
	put_bytes(&m, "0123456789", 10);
	assert_failure(&m, "RDLENGTH overrun");
}
END_TEST

/* Names: label and name length limits, reserved label types. */
START_TEST(response_bad_names)
{
	char label[70];
	struct msg m;

	/* A 64-octet label in an answer owner name. */
	response(&m, FLAGS_RESPONSE, 1, 0, 0);
	memset(label, 'a', sizeof(label));
	put8(&m, 64);
	put_bytes(&m, label, 64);
	put8(&m, 0);
	put16(&m, TYPE_A);
	put16(&m, CLASS_IN);
	put32(&m, 1);
	put16(&m, 0);
	assert_failure(&m, "64-octet label");

	/* 63 is fine. */
	m.len = 0;
	response(&m, FLAGS_RESPONSE, 1, 0, 0);
	put8(&m, 63);
	put_bytes(&m, label, 63);
	put8(&m, 0);
	put16(&m, TYPE_A);
	put16(&m, CLASS_IN);
	put32(&m, 1);
	put16(&m, 0);
	{
		struct clat_dns_result r;

		ck_assert(parse(&m, m.len, &r));
		ck_assert_int_eq(r.outcome, CLAT_DNS_NEGATIVE); /* NODATA */
	}

	/* 255 octets in all is the limit (RFC 1035 s2.3.4): 4 x 63-octet
	 * labels = 256 with the root. 3 x 63 + one of 61 = 255: fine. */
	for (int over = 0; over <= 1; over++) {
		struct clat_dns_result r;

		response(&m, FLAGS_RESPONSE, 1, 0, 0);
		for (int i = 0; i < 3; i++) {
			put8(&m, 63);
			put_bytes(&m, label, 63);
		}
		put8(&m, (unsigned)(61 + over));
		put_bytes(&m, label, (size_t)(61 + over));
		put8(&m, 0);
		put16(&m, TYPE_A);
		put16(&m, CLASS_IN);
		put32(&m, 1);
		put16(&m, 0);
		ck_assert(parse(&m, m.len, &r) == !over);
	}

	/* The same limit across a pointer: 3 x 63 at one place, then a name
	 * of 63 + pointer to it (63 + 1 + 192 + 1 > 255). */
	{
		size_t first;

		header(&m, FLAGS_RESPONSE, 1, 2, 0, 0);
		question(&m, "ipv4only.arpa", TYPE_AAAA, CLASS_IN);
		first = m.len;
		for (int i = 0; i < 3; i++) {
			put8(&m, 63);
			put_bytes(&m, label, 63);
		}
		put8(&m, 0);
		put16(&m, TYPE_A);
		put16(&m, CLASS_IN);
		put32(&m, 1);
		put16(&m, 0);
		put8(&m, 63);
		put_bytes(&m, label, 63);
		put_ptr(&m, first);
		put16(&m, TYPE_A);
		put16(&m, CLASS_IN);
		put32(&m, 1);
		put16(&m, 0);
		assert_failure(&m, "name over 255 through a pointer");
	}

	/* Label types 01 and 10 (RFC 1035 s4.1.4 reserved; RFC 6891 s5). */
	for (unsigned type = 0x40; type <= 0x80; type += 0x40) {
		response(&m, FLAGS_RESPONSE, 1, 0, 0);
		put8(&m, type | 1);
		put8(&m, 'a');
		put8(&m, 0);
		put16(&m, TYPE_A);
		put16(&m, CLASS_IN);
		put32(&m, 1);
		put16(&m, 0);
		assert_failure(&m, "reserved label type");
	}
}
END_TEST

/* Compression pointers: only backwards, never into the header, never in
 * a loop. */
START_TEST(response_pointer_loops)
{
	struct msg m;
	size_t at;

	/* Question name that is a pointer to itself. */
	header(&m, FLAGS_RESPONSE, 1, 0, 0, 0);
	put_ptr(&m, QNAME_AT);
	put16(&m, TYPE_AAAA);
	put16(&m, CLASS_IN);
	assert_failure(&m, "question points at itself");

	/* An owner name that points into the header (at QDCOUNT's high
	 * octet, 0: it would read as the root name). */
	response(&m, FLAGS_RESPONSE, 1, 0, 0);
	put_ptr(&m, 4);
	put16(&m, TYPE_AAAA);
	put16(&m, CLASS_IN);
	put32(&m, 60);
	put16(&m, 16);
	put_bytes(&m, clat_test_v6("64:ff9b::192.0.0.170").s6_addr, 16);
	assert_failure(&m, "pointer into the header");

	/* Question name that points forwards, at a copy of the name. */
	header(&m, FLAGS_RESPONSE, 1, 0, 0, 0);
	put_ptr(&m, QNAME_AT + 6);
	put16(&m, TYPE_AAAA);
	put16(&m, CLASS_IN);
	put_name(&m, "ipv4only.arpa");
	assert_failure(&m, "forward pointer");

	/* Answer owner pointing at itself. */
	response(&m, FLAGS_RESPONSE, 1, 0, 0);
	put_ptr(&m, m.len);
	put16(&m, TYPE_AAAA);
	put16(&m, CLASS_IN);
	put32(&m, 60);
	put16(&m, 16);
	put_bytes(&m, clat_test_v6("64:ff9b::192.0.0.170").s6_addr, 16);
	assert_failure(&m, "owner points at itself");

	/* Label, then a pointer back to that label: a -> a -> ... */
	response(&m, FLAGS_RESPONSE, 1, 0, 0);
	at = m.len;
	put8(&m, 1);
	put8(&m, 'a');
	put_ptr(&m, at);
	put16(&m, TYPE_A);
	put16(&m, CLASS_IN);
	put32(&m, 60);
	put16(&m, 0);
	assert_failure(&m, "label loop");

	/* Two names pointing at each other: the second is backwards, the
	 * first forwards. */
	response(&m, FLAGS_RESPONSE, 2, 0, 0);
	at = m.len;
	put_ptr(&m, at + 12);
	put16(&m, TYPE_A);
	put16(&m, CLASS_IN);
	put32(&m, 60);
	put16(&m, 0);
	put_ptr(&m, at);
	put16(&m, TYPE_A);
	put16(&m, CLASS_IN);
	put32(&m, 60);
	put16(&m, 0);
	assert_failure(&m, "ping-pong");

	/* A loop reached by a good backward jump: the RDATA of an unknown
	 * record holds label "b" and a pointer back to that label, which is
	 * before the pointer itself but not before where the walk jumped
	 * to. A parser that only wants pointers to point backwards of
	 * themselves spins here. */
	response(&m, FLAGS_RESPONSE, 2, 0, 0);
	rr_head(&m, true, 99, CLASS_IN, 60);
	put16(&m, 4);
	at = m.len;
	put8(&m, 1);
	put8(&m, 'b');
	put_ptr(&m, at);
	put_ptr(&m, at); /* owner 2: jumps into the loop */
	put16(&m, TYPE_A);
	put16(&m, CLASS_IN);
	put32(&m, 60);
	put16(&m, 0);
	assert_failure(&m, "loop after a jump");
}
END_TEST

/* Chains of backward pointers are fine, however many. */
START_TEST(response_pointer_chain)
{
	struct clat_dns_result r;
	struct msg m;
	size_t prev = QNAME_AT;

	response(&m, FLAGS_RESPONSE, 40, 0, 0);
	for (int i = 0; i < 39; i++) {
		size_t here = m.len;

		put8(&m, 1); /* owner "x" + previous owner */
		put8(&m, 'x');
		put_ptr(&m, prev);
		put16(&m, TYPE_A);
		put16(&m, CLASS_IN);
		put32(&m, 1);
		put16(&m, 0);
		prev = here;
	}
	/* The AAAA's owner: a pointer to the last one (40 labels deep). */
	put_ptr(&m, prev);
	put16(&m, TYPE_AAAA);
	put16(&m, CLASS_IN);
	put32(&m, 77);
	put16(&m, 16);
	put_bytes(&m, clat_test_v6("64:ff9b::192.0.0.170").s6_addr, 16);
	ck_assert(parse(&m, m.len, &r));
	ck_assert_int_eq(r.outcome, CLAT_DNS_POSITIVE);
	ck_assert_uint_eq(r.ttl, 77);
}
END_TEST

/* Every proper prefix of a complete message is refused, and none is read
 * past its end (the copy is exactly len bytes: run under ASan). */
START_TEST(response_truncated_everywhere)
{
	struct msg msgs[3];

	/* Positive, compressed, with CNAME and OPT. */
	response(&msgs[0], FLAGS_RESPONSE, 3, 0, 1);
	rr_aaaa(&msgs[0], true, 60, "2001:db8:122:344:c0:0:aa00::");
	rr_aaaa(&msgs[0], false, 60, "2001:db8:122:344:c0:0:ab00::");
	rr_head(&msgs[0], true, TYPE_CNAME, CLASS_IN, 60);
	put16(&msgs[0], 2);
	put_ptr(&msgs[0], QNAME_AT);
	put8(&msgs[0], 0);
	put16(&msgs[0], 41);
	put16(&msgs[0], 1232);
	put32(&msgs[0], 0);
	put16(&msgs[0], 0);
	/* NXDOMAIN with SOA, both spellings of the names. */
	response(&msgs[1], FLAGS_RESPONSE | 3, 0, 2, 0);
	rr_soa(&msgs[1], true, 60, 30);
	rr_soa(&msgs[1], false, 60, 30);
	/* NODATA with SOA. */
	response(&msgs[2], FLAGS_RESPONSE, 0, 1, 0);
	rr_soa(&msgs[2], true, 60, 30);

	for (size_t i = 0; i < CLAT_TEST_COUNT(msgs); i++) {
		struct clat_dns_result r;

		ck_assert(parse(&msgs[i], msgs[i].len, &r));
		for (size_t len = 0; len < msgs[i].len; len++) {
			ck_assert_msg(!parse(&msgs[i], len, &r), "message %zu cut at %zu", i,
				      len);
			ck_assert_int_eq(r.outcome, CLAT_DNS_FAILURE);
		}
	}
	{
		struct clat_dns_result r;

		memset(&r, 0x5a, sizeof(r));
		ck_assert(!clat_rfc7050_parse_response(NULL, 0, &r));
		ck_assert_int_eq(r.outcome, CLAT_DNS_FAILURE);
	}
}
END_TEST

/* Deterministic noise, raw and spliced into a valid message: no crash, no
 * read past the end, and a consistent result. */
START_TEST(response_garbage)
{
	uint32_t seed = 0x7050u;
	struct msg base;

	response(&base, FLAGS_RESPONSE, 2, 1, 0);
	rr_aaaa(&base, true, 60, "64:ff9b::192.0.0.170");
	rr_aaaa(&base, true, 60, "2001:db8:1c0:0:aa::");
	rr_soa(&base, true, 60, 60);
	for (int round = 0; round < 20000; round++) {
		struct clat_dns_result r;
		struct msg m = base;
		size_t len;

		seed = seed * 1103515245u + 12345u;
		if (round % 2 == 0) {
			len = (seed >> 16) % 200;
			for (size_t i = 0; i < len; i++) {
				seed = seed * 1103515245u + 12345u;
				m.b[i] = (uint8_t)(seed >> 16);
			}
			if (len > 3)
				m.b[2] |= 0x80; /* QR, to get past the first check */
		} else {
			/* Flip a few bytes after the header. */
			len = m.len;
			for (int k = 0; k < 3; k++) {
				seed = seed * 1103515245u + 12345u;
				m.b[12 + (seed >> 16) % (len - 12)] = (uint8_t)(seed >> 8);
			}
		}
		parse(&m, len, &r);
	}
}
END_TEST

Suite *clat_rfc7050_suite(void)
{
	Suite *s = suite_create("rfc7050");
	TCase *tc = tcase_create("find");
	int nlen = (int)CLAT_TEST_COUNT(lengths);

	tcase_add_loop_test(tc, table_matches_synthesis, 0, nlen);
	tcase_add_loop_test(tc, find_each_length, 0, nlen);
	tcase_add_loop_test(tc, find_u_octet_set, 0, nlen);
	tcase_add_loop_test(tc, find_suffix_set, 0, nlen);
	tcase_add_test(tc, find_nothing);
	tcase_add_test(tc, find_wka_bytes_twice);
	tcase_add_test(tc, find_falls_back_to_171);
	tcase_add_test(tc, find_wkp);
	tcase_add_test(tc, set_add);
	suite_add_tcase(s, tc);

	tc = tcase_create("response");
	tcase_add_loop_test(tc, response_each_length, 0, nlen);
	tcase_add_test(tc, response_several_in_order);
	tcase_add_test(tc, response_duplicates_and_strays);
	tcase_add_test(tc, response_too_many);
	tcase_add_test(tc, response_skips_others);
	tcase_add_test(tc, response_question_case);
	tcase_add_test(tc, response_ttl_top_bit);
	tcase_add_test(tc, response_no_prefix);
	tcase_add_test(tc, response_negative);
	tcase_add_test(tc, response_negative_odd);
	tcase_add_test(tc, response_bad_soa);
	tcase_add_test(tc, response_rcodes);
	tcase_add_test(tc, response_bad_header);
	tcase_add_test(tc, response_wrong_question);
	tcase_add_test(tc, response_bad_records);
	tcase_add_test(tc, response_bad_names);
	tcase_add_test(tc, response_pointer_loops);
	tcase_add_test(tc, response_pointer_chain);
	tcase_add_test(tc, response_truncated_everywhere);
	tcase_add_test(tc, response_garbage);
	suite_add_tcase(s, tc);
	return s;
}
