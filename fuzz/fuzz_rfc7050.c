/* libFuzzer target: DNS answers for "ipv4only.arpa. IN AAAA" (RFC 7050,
 * lib/core/rfc7050.c).
 *
 * Input: a raw DNS response, handed over in a heap block of exactly its
 * size (AddressSanitizer catches a read past len); its first 16 bytes are
 * also an AAAA address for clat_rfc7050_find_prefix.
 * Invariants: a refused answer says FAILURE with no prefixes; an accepted
 * one is POSITIVE exactly when it carries prefixes, NEGATIVE for NXDOMAIN,
 * holds at most CLAT_MAX_PREFIXES valid and distinct prefixes, and each of
 * them is what find_prefix gives for some answer; parsing is deterministic;
 * a prefix found in an address gives back the well-known IPv4 and
 * re-synthesises the very same address. */
#include <arpa/inet.h>

#include "fuzz_util.h"
#include "rfc7050.h"

static void check_find(const struct in6_addr *aaaa)
{
	static const uint32_t wka[2] = { CLAT_RFC7050_WKA1, CLAT_RFC7050_WKA2 };
	struct clat_prefix p, q;
	bool any = false;

	for (int i = 0; i < 2; i++) {
		enum clat_find_status st;
		struct in6_addr again;
		struct in_addr v4;

		memset(&p, 0x5a, sizeof(p));
		st = clat_rfc7050_find_prefix(aaaa, wka[i], &p);
		FUZZ_CHECK(st == CLAT_FIND_NONE || st == CLAT_FIND_OK || st == CLAT_FIND_AMBIGUOUS,
			   "status %d", (int)st);
		if (st != CLAT_FIND_OK)
			continue;
		any = true;
		FUZZ_CHECK(clat_prefix_check(&p) == CLAT_PREFIX_OK, "found an invalid prefix");
		FUZZ_CHECK(clat_extract(&p, aaaa, &v4) && ntohl(v4.s_addr) == wka[i],
			   "found prefix does not hold the WKA");
		v4.s_addr = htonl(wka[i]);
		clat_synthesize(&p, v4, &again);
		FUZZ_CHECK(memcmp(again.s6_addr, aaaa->s6_addr, 16) == 0,
			   "WKA under the found prefix is another address");
	}
	FUZZ_CHECK(clat_rfc7050_prefix_of(aaaa, &q) == any, "prefix_of disagrees with find_prefix");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *msg = fuzz_xmalloc(size);
	struct clat_dns_result res, again;
	struct in6_addr aaaa;
	bool ok;

	memcpy(msg, data, size);
	memset(&res, 0xa5, sizeof(res));
	ok = clat_rfc7050_parse_response(msg, size, &res);
	FUZZ_CHECK(ok == (res.outcome != CLAT_DNS_FAILURE), "return value vs outcome");
	FUZZ_CHECK(res.prefixes.count <= CLAT_MAX_PREFIXES, "%u prefixes", res.prefixes.count);
	FUZZ_CHECK((res.outcome == CLAT_DNS_POSITIVE) == (res.prefixes.count > 0),
		   "outcome %d with %u prefixes", (int)res.outcome, res.prefixes.count);
	if (!ok) {
		FUZZ_CHECK(res.ttl == 0, "failure with a TTL");
	} else {
		FUZZ_CHECK(size >= 12, "accepted a message shorter than the DNS header");
		FUZZ_CHECK(res.rcode == 0 || res.rcode == 3, "accepted rcode %d", res.rcode);
		FUZZ_CHECK(res.rcode == 0 || res.outcome == CLAT_DNS_NEGATIVE, "NXDOMAIN not negative");
		FUZZ_CHECK((data[2] & 0x80) != 0 && (data[2] & 0x02) == 0, "query or truncated accepted");
		FUZZ_CHECK(res.ttl <= 0x7fffffffu, "TTL %u above 2^31-1 (RFC 2181 s8)", res.ttl);
		for (unsigned i = 0; i < res.prefixes.count; i++) {
			const struct clat_prefix *p = &res.prefixes.prefix[i];
			struct in6_addr a;
			struct clat_prefix f;
			struct in_addr wka;

			FUZZ_CHECK(clat_prefix_check(p) == CLAT_PREFIX_OK, "invalid prefix %u", i);
			for (unsigned j = 0; j < i; j++)
				FUZZ_CHECK(!clat_prefix_equal(p, &res.prefixes.prefix[j]),
					   "duplicate prefix %u", i);
			/* The WKA under that prefix leads back to it. */
			wka.s_addr = htonl(CLAT_RFC7050_WKA1);
			clat_synthesize(p, wka, &a);
			FUZZ_CHECK(clat_rfc7050_prefix_of(&a, &f) && clat_prefix_equal(&f, p) &&
					   f.len == p->len,
				   "prefix %u not found again in its own WKA address", i);
		}
	}
	/* Deterministic, and does not depend on what out held before. */
	memset(&again, 0x00, sizeof(again));
	FUZZ_CHECK(clat_rfc7050_parse_response(msg, size, &again) == ok, "second parse differs");
	FUZZ_CHECK(again.outcome == res.outcome && again.ttl == res.ttl &&
			   again.prefixes.count == res.prefixes.count &&
			   memcmp(again.prefixes.prefix, res.prefixes.prefix,
				  res.prefixes.count * sizeof(res.prefixes.prefix[0])) == 0,
		   "second parse differs");
	free(msg);

	if (size >= 16) {
		memcpy(aaaa.s6_addr, data, 16);
		check_find(&aaaa);
	}
	return 0;
}
