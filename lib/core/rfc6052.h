/* RFC 6052 IPv4-embedded IPv6 addresses: prefix parsing, synthesis, extraction.
 * Pure functions: no I/O, no globals. */
#ifndef CLAT_RFC6052_H
#define CLAT_RFC6052_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A NAT64 prefix (Pref64::/n). Bits past len are zero, and for n < 96
 * the "u" octet (byte 8) is zero too. */
struct clat_prefix {
	uint8_t addr[16];
	uint8_t len; /* one of 32, 40, 48, 56, 64, 96 (RFC 6052 section 2.2) */
};

enum clat_prefix_status {
	CLAT_PREFIX_OK = 0,
	CLAT_PREFIX_SYNTAX,    /* not "ipv6-address/length" */
	CLAT_PREFIX_LENGTH,    /* length not in {32,40,48,56,64,96}: 6052 s2.2 */
	CLAT_PREFIX_U_OCTET,   /* bits 64-71 not zero: 6052 s2.2 */
	CLAT_PREFIX_HOST_BITS, /* bits set past the prefix length */
	CLAT_PREFIX_UNUSABLE,  /* ::/n, ::ffff:0:0/96, link-local or multicast */
};

/* Parses "2001:db8:64::/96". A missing "/len" is a syntax error. */
enum clat_prefix_status clat_prefix_parse(const char *text, struct clat_prefix *out);
/* Plain-words reason for a status, for log lines and clatrun errors. */
const char *clat_prefix_status_text(enum clat_prefix_status status);
/* Validates an already-binary prefix with the same rules as the parser. */
enum clat_prefix_status clat_prefix_check(const struct clat_prefix *prefix);
/* Writes "2001:db8:64::/96"; returns false if buf is too small. */
bool clat_prefix_format(const struct clat_prefix *prefix, char *buf, size_t buflen);
bool clat_prefix_equal(const struct clat_prefix *a, const struct clat_prefix *b);
/* True for the Well-Known Prefix 64:ff9b::/96 (RFC 6052 section 2.1). */
bool clat_prefix_is_wkp(const struct clat_prefix *prefix);

/* Pref64 + IPv4 -> IPv4-embedded IPv6 address (RFC 6052 section 2.2). */
void clat_synthesize(const struct clat_prefix *prefix, struct in_addr v4,
		     struct in6_addr *out);
/* The reverse (section 2.3). False when addr is not inside the prefix or,
 * for n < 96, the u octet or the suffix is not zero (docs/requirements.md A.5). */
bool clat_extract(const struct clat_prefix *prefix, const struct in6_addr *addr,
		  struct in_addr *v4_out);

#endif
