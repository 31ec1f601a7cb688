/* Trust rules for discovered prefixes: special ranges, the host's own
 * addresses, lifetimes. */

#include "prefix_trust.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

struct clat_special {
	uint8_t addr[16];
	unsigned len;
	const char *text;
	const char *why;
};

/* IANA IPv6 Special-Purpose Address Registry entries a NAT64 prefix could
 * otherwise be taken from (RFC 6890; the rest are refused by
 * clat_prefix_check or allowed, see the header). */
static const struct clat_special clat_specials[] = {
	{ { 0x01, 0x00 }, 64, "100::/64", "the discard-only prefix (RFC 6666)" },
	{ { 0x01, 0x00, 0, 0, 0, 0, 0, 0x01 }, 64, "100:0:0:1::/64",
	  "the dummy IPv6 prefix (RFC 9780)" },
	{ { 0x20, 0x01 }, 23, "2001::/23",
	  "IETF protocol assignments: Teredo, benchmarking, ORCHID, AMT (RFC 2928)" },
	{ { 0x20, 0x02 }, 16, "2002::/16", "6to4 (RFC 3056)" },
	{ { 0x26, 0x20, 0x00, 0x4f, 0x80 }, 48, "2620:4f:8000::/48",
	  "AS112 direct delegation (RFC 7534)" },
	{ { 0x5f, 0x00 }, 16, "5f00::/16", "SRv6 SIDs (RFC 9602)" },
	{ { 0xfe, 0xc0 }, 10, "fec0::/10", "deprecated site-local (RFC 3879)" },
};

#define CLAT_SPECIAL_COUNT (sizeof(clat_specials) / sizeof(clat_specials[0]))

int64_t clat_answer_lifetime(int64_t ttl, bool negative)
{
	int64_t cap = negative ? CLAT_NEGATIVE_TTL_CAP : CLAT_POSITIVE_TTL_CAP;
	if (ttl > cap)
		ttl = cap;
	if (!negative)
		ttl -= CLAT_REFRESH_MARGIN; /* 7050 s3: rediscover at T - 10 s */
	return ttl < CLAT_MIN_CACHE_SECONDS ? CLAT_MIN_CACHE_SECONDS : ttl;
}

int64_t clat_entry_expiry(int64_t fetched, int64_t expires, bool negative, int64_t now)
{
	int64_t cap = negative ? CLAT_NEGATIVE_TTL_CAP : CLAT_POSITIVE_TTL_CAP;
	if (fetched > now)
		return now; /* over at once */
	if (expires - fetched > cap)
		return fetched + cap;
	return expires;
}

bool clat_ranges_overlap(const uint8_t a[16], unsigned alen, const uint8_t b[16],
			 unsigned blen)
{
	unsigned bits = alen < blen ? alen : blen;
	if (bits > 128)
		bits = 128;
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff00u >> rest);
	return (a[whole] & mask) == (b[whole] & mask);
}

static const struct clat_special *clat_special_of(const struct clat_prefix *prefix)
{
	for (size_t i = 0; i < CLAT_SPECIAL_COUNT; i++)
		if (clat_ranges_overlap(prefix->addr, prefix->len, clat_specials[i].addr,
					clat_specials[i].len))
			return &clat_specials[i];
	return NULL;
}

const char *clat_prefix_special_range(const struct clat_prefix *prefix)
{
	const struct clat_special *s = clat_special_of(prefix);
	return s == NULL ? NULL : s->text;
}

const struct clat_netid_item *clat_prefix_local_conflict(const struct clat_prefix *prefix,
							 const struct clat_netinfo *info)
{
	for (unsigned i = 0; info != NULL && i < info->count; i++) {
		const struct clat_netid_item *it = &info->item[i];
		if ((it->kind == CLAT_NETID_ONLINK || it->kind == CLAT_NETID_ADDRESS) &&
		    clat_ranges_overlap(prefix->addr, prefix->len, it->addr, it->len))
			return it;
	}
	return NULL;
}

bool clat_prefix_refused(const struct clat_prefix *prefix, const struct clat_netinfo *info,
			 char *why, size_t whylen)
{
	char text[INET6_ADDRSTRLEN + 4], local[INET6_ADDRSTRLEN];
	if (!clat_prefix_format(prefix, text, sizeof(text)))
		snprintf(text, sizeof(text), "?");
	enum clat_prefix_status status = clat_prefix_check(prefix);
	if (status != CLAT_PREFIX_OK) {
		snprintf(why, whylen, "%s refused: %s", text, clat_prefix_status_text(status));
		return true;
	}
	const struct clat_special *special = clat_special_of(prefix);
	if (special != NULL) {
		snprintf(why, whylen, "%s refused: it overlaps %s, %s", text, special->text,
			 special->why);
		return true;
	}
	const struct clat_netid_item *it = clat_prefix_local_conflict(prefix, info);
	if (it != NULL) {
		inet_ntop(AF_INET6, it->addr, local, sizeof(local));
		snprintf(why, whylen, "%s refused: it overlaps this host's own %s %s/%u "
			 "(RFC 7050 s3.1)", text,
			 it->kind == CLAT_NETID_ADDRESS ? "address" : "on-link prefix", local,
			 (unsigned)it->len);
		return true;
	}
	return false;
}
