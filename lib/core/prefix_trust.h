/* What a discovered NAT64 prefix must pass before it is used, and how long
 * a discovered answer may be believed. Pure. */
#ifndef CLAT_PREFIX_TRUST_H
#define CLAT_PREFIX_TRUST_H

#include <stdbool.h>
#include <stdint.h>

#include "netid.h"
#include "rfc6052.h"

/* Longest a positive answer is believed, whatever its TTL: RFC 7050 s4
 * asks for at least 60 minutes on ipv4only.arpa, so an honest answer loses
 * nothing, while a forged TTL of 2^31-1 lasts an hour, not 68 years. */
#define CLAT_POSITIVE_TTL_CAP 3600
/* Longest "no DNS64 here" is believed (RFC 2308 s5 leaves the bound to
 * the resolver; ten minutes is the lab's and most zones' SOA minimum). */
#define CLAT_NEGATIVE_TTL_CAP 600
/* RFC 7050 s3: refresh 10 s before the TTL ends; the floor keeps a zero
 * TTL from turning into a query per connection. */
#define CLAT_REFRESH_MARGIN 10
#define CLAT_MIN_CACHE_SECONDS 10

/* Seconds an answer with TTL ttl is used for: capped, minus the refresh
 * margin for a positive one, at least CLAT_MIN_CACHE_SECONDS. */
int64_t clat_answer_lifetime(int64_t ttl, bool negative);
/* The expiry a stored entry is held to: expires, but never more than its
 * cap after fetched (entries written before the cap existed, or forged
 * files), and already over when fetched lies in the future (a clock set
 * back, or a forged file). */
int64_t clat_entry_expiry(int64_t fetched, int64_t expires, bool negative, int64_t now);

/* A special-purpose range of the IANA IPv6 registry (RFC 6890) that no
 * NAT64 prefix may overlap: the range in text and why, or NULL. ::/n,
 * ::ffff:0:0/96, link-local and multicast are refused by clat_prefix_check
 * already. The well-known prefix 64:ff9b::/96 and the local-use
 * 64:ff9b:1::/48 (RFC 8215) are NAT64's own; documentation ranges
 * (2001:db8::/32, 3fff::/20) and ULAs are allowed: test networks and
 * operators use them for NAT64, and they route nowhere else. */
const char *clat_prefix_special_range(const struct clat_prefix *prefix);
/* True when the first min(len) bits of a (length alen) and b (blen) are
 * equal: one range contains the other. */
bool clat_ranges_overlap(const uint8_t a[16], unsigned alen, const uint8_t b[16],
			 unsigned blen);
/* The first of the host's own addresses or on-link prefixes (ADDRESS and
 * ONLINK items of info) that prefix overlaps, or NULL: synthesised
 * addresses there would be the host itself or its neighbours. */
const struct clat_netid_item *clat_prefix_local_conflict(const struct clat_prefix *prefix,
							 const struct clat_netinfo *info);
/* Why a discovered prefix must not be used, in plain words (written to
 * why), or false when it may be. */
bool clat_prefix_refused(const struct clat_prefix *prefix, const struct clat_netinfo *info,
			 char *why, size_t whylen);

#endif
