/* Which IPv4 destinations may be translated. Pure functions. */
#ifndef CLAT_POLICY_H
#define CLAT_POLICY_H

#include <netinet/in.h>
#include <stdbool.h>

#include "rfc6052.h"

enum clat_verdict {
	CLAT_VERDICT_TRANSLATE = 0,
	CLAT_VERDICT_SPECIAL,     /* never-translate set: loopback, link-local, ... */
	CLAT_VERDICT_WKP_PRIVATE, /* non-global IPv4 behind 64:ff9b::/96 (6052 s3.1) */
};

/* RFC 6890 addresses that are not forwardable or not global and must keep
 * the real IPv4 call: 0/8, 127/8, 169.254/16, 224/4, 240/4 (incl.
 * 255.255.255.255) and 192.0.0.0/24 except 192.0.0.9 and 192.0.0.10. */
bool clat_ipv4_is_special(struct in_addr addr);
/* RFC 6052 section 3.1 non-global ranges: RFC 1918, 100.64/10, 192.0.2/24,
 * 198.18/15, 198.51.100/24, 203.0.113/24 (and the special set above). */
bool clat_ipv4_is_non_global(struct in_addr addr);
/* The decision for one destination under one prefix. */
enum clat_verdict clat_policy_decide(const struct clat_prefix *prefix,
				     bool translate_private_wkp, struct in_addr dst);
const char *clat_verdict_text(enum clat_verdict verdict);

#endif
