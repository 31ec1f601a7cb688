/* Never-translate set and the well-known-prefix rule. */
#include "policy.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>

struct clat_v4_range {
	uint32_t net;  /* host byte order */
	uint32_t mask;
};

#define CLAT_V4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | \
			     ((uint32_t)(c) << 8) | (uint32_t)(d))
#define CLAT_MASK(bits) ((uint32_t)(0xffffffffu << (32 - (bits))))
#define CLAT_COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* RFC 6890 registry: not forwardable or not global (docs/requirements.md B.8). */
static const struct clat_v4_range clat_special[] = {
	{ CLAT_V4(0, 0, 0, 0), CLAT_MASK(8) },      /* "this network" (RFC 1122) */
	{ CLAT_V4(127, 0, 0, 0), CLAT_MASK(8) },    /* loopback */
	{ CLAT_V4(169, 254, 0, 0), CLAT_MASK(16) }, /* link-local, incl. metadata */
	{ CLAT_V4(224, 0, 0, 0), CLAT_MASK(4) },    /* multicast (6535 s4.6) */
	{ CLAT_V4(240, 0, 0, 0), CLAT_MASK(4) },    /* reserved + limited broadcast */
	{ CLAT_V4(192, 0, 0, 0), CLAT_MASK(24) },   /* IETF protocol assignments */
};

/* The two globally reachable anycast addresses in 192.0.0.0/24 (RFC 7723
 * PCP, RFC 8155 TURN): docs/requirements.md B.9 lets them be translated. */
static const uint32_t clat_special_exceptions[] = {
	CLAT_V4(192, 0, 0, 9),
	CLAT_V4(192, 0, 0, 10),
};

/* RFC 6052 s3.1: non-global ranges a WKP NAT64 must not reach. */
static const struct clat_v4_range clat_non_global[] = {
	{ CLAT_V4(10, 0, 0, 0), CLAT_MASK(8) },       /* RFC 1918 */
	{ CLAT_V4(172, 16, 0, 0), CLAT_MASK(12) },    /* RFC 1918 */
	{ CLAT_V4(192, 168, 0, 0), CLAT_MASK(16) },   /* RFC 1918 */
	{ CLAT_V4(100, 64, 0, 0), CLAT_MASK(10) },    /* RFC 6598 shared */
	{ CLAT_V4(192, 0, 2, 0), CLAT_MASK(24) },     /* TEST-NET-1 */
	{ CLAT_V4(198, 18, 0, 0), CLAT_MASK(15) },    /* RFC 2544 benchmarking */
	{ CLAT_V4(198, 51, 100, 0), CLAT_MASK(24) },  /* TEST-NET-2 */
	{ CLAT_V4(203, 0, 113, 0), CLAT_MASK(24) },   /* TEST-NET-3 */
};

static bool clat_in_ranges(uint32_t host, const struct clat_v4_range *ranges, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((host & ranges[i].mask) == ranges[i].net)
			return true;
	return false;
}

bool clat_ipv4_is_special(struct in_addr addr)
{
	uint32_t host = ntohl(addr.s_addr);

	for (size_t i = 0; i < CLAT_COUNT(clat_special_exceptions); i++)
		if (host == clat_special_exceptions[i])
			return false;
	return clat_in_ranges(host, clat_special, CLAT_COUNT(clat_special));
}

bool clat_ipv4_is_non_global(struct in_addr addr)
{
	return clat_ipv4_is_special(addr) ||
	       clat_in_ranges(ntohl(addr.s_addr), clat_non_global, CLAT_COUNT(clat_non_global));
}

enum clat_verdict clat_policy_decide(const struct clat_prefix *prefix,
				     bool translate_private_wkp, struct in_addr dst)
{
	if (clat_ipv4_is_special(dst))
		return CLAT_VERDICT_SPECIAL;
	/* 6052 s3.1 restricts only the WKP: an NSP or 64:ff9b:1::/48 (RFC 8215)
	 * reaches private IPv4 (docs/requirements.md A.6, A.7). */
	if (prefix != NULL && clat_prefix_is_wkp(prefix) && !translate_private_wkp &&
	    clat_ipv4_is_non_global(dst))
		return CLAT_VERDICT_WKP_PRIVATE;
	return CLAT_VERDICT_TRANSLATE;
}

const char *clat_verdict_text(enum clat_verdict verdict)
{
	switch (verdict) {
	case CLAT_VERDICT_TRANSLATE:
		return "translate";
	case CLAT_VERDICT_SPECIAL:
		return "special-purpose IPv4 address, never translated (RFC 6890)";
	case CLAT_VERDICT_WKP_PRIVATE:
		return "non-global IPv4 address behind the well-known prefix 64:ff9b::/96 (RFC 6052 section 3.1)";
	}
	return "unknown verdict";
}
