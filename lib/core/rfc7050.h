/* RFC 7050 NAT64 prefix discovery: finding Pref64::/n in the AAAA answers
 * for ipv4only.arpa. Pure: the caller does the DNS transport. */
#ifndef CLAT_RFC7050_H
#define CLAT_RFC7050_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prefix_set.h"
#include "rfc6052.h"

/* The well-known name and addresses (7050 s2.2). */
#define CLAT_RFC7050_NAME "ipv4only.arpa"
#define CLAT_RFC7050_WKA1 0xc00000aaU /* 192.0.0.170 */
#define CLAT_RFC7050_WKA2 0xc00000abU /* 192.0.0.171 */

enum clat_find_status {
	CLAT_FIND_NONE = 0,   /* the WKA is at no RFC 6052 position */
	CLAT_FIND_OK,         /* at exactly one: prefix found */
	CLAT_FIND_AMBIGUOUS,  /* at several positions (7050 s3: ignore) */
};

/* Algorithm find_prefix of docs/requirements.md section 3: the positions
 * n in {32,40,48,56,64,96} where extracting under n gives wka, with the
 * u octet zero for n < 96. wka in host byte order. */
enum clat_find_status clat_rfc7050_find_prefix(const struct in6_addr *aaaa, uint32_t wka,
					       struct clat_prefix *out);
/* Tries 192.0.0.170, then 192.0.0.171 when the first gives none or is
 * ambiguous (7050 s3). */
bool clat_rfc7050_prefix_of(const struct in6_addr *aaaa, struct clat_prefix *out);
enum clat_dns_outcome {
	CLAT_DNS_POSITIVE = 0, /* at least one prefix found */
	CLAT_DNS_NEGATIVE,     /* NXDOMAIN or NODATA: no DNS64 here */
	CLAT_DNS_NO_PREFIX,    /* AAAA answers, none with a WKA (non-standard DNS64) */
	CLAT_DNS_FAILURE,      /* SERVFAIL/REFUSED/..., truncated, or malformed */
};

struct clat_dns_result {
	enum clat_dns_outcome outcome;
	struct clat_prefix_set prefixes; /* in answer order, duplicates dropped */
	/* POSITIVE: the smallest TTL of the AAAA records used.
	 * NEGATIVE: RFC 2308 s5, min(SOA TTL, SOA MINIMUM) from the authority
	 * section, or 0 when there is no SOA. */
	uint32_t ttl;
	int rcode;
};

/* Parses a raw DNS response (RFC 1035 s4.1) to "ipv4only.arpa. IN AAAA":
 * QR set, one question for that name (case-insensitive), type and class;
 * answer records of type AAAA class IN are scanned in order, others
 * (CNAME, RRSIG) skipped; names may use compression pointers, which must
 * point backwards (no loops). Never reads past len. Returns false (and
 * outcome FAILURE) for anything malformed or not an answer to that
 * question. */
bool clat_rfc7050_parse_response(const uint8_t *msg, size_t len,
				 struct clat_dns_result *out);

#endif
