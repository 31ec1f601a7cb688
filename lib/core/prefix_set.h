/* An ordered set of NAT64 prefixes: what discovery found (RFC 7050 answers
 * in received order, a PREF64 option, the cache) and what synthesis uses,
 * in that order. */
#ifndef CLAT_PREFIX_SET_H
#define CLAT_PREFIX_SET_H

#include <stdbool.h>

#include "rfc6052.h"

/* Several prefixes are used in the order received (RFC 7050 s3, s3.4). */
#define CLAT_MAX_PREFIXES 4

struct clat_prefix_set {
	unsigned count;
	struct clat_prefix prefix[CLAT_MAX_PREFIXES];
};

/* Appends p unless already present; false when the set is full. */
bool clat_prefix_set_add(struct clat_prefix_set *set, const struct clat_prefix *p);

#endif
