/* The library's NAT64 prefix, by source (docs/requirements.md "Decisions"):
 * explicit setting > what clatrun discovered before exec (CLAT_DISCOVERED)
 * > the shared cache > an RFC 7050 query > the configured fallback.
 * Discovery is lazy: it runs on the first translation that needs a prefix,
 * never at load time, and again once what it found expires. */
#ifndef CLAT_PREFIX_SOURCE_H
#define CLAT_PREFIX_SOURCE_H

#include <netinet/in.h>
#include <stdbool.h>

#include "core/prefix_cache.h"
#include "core/prefix_set.h"

/* The prefix for a new translation, or NULL (logged once, naming the
 * sources tried). May block for up to about a second, once per TTL. */
const struct clat_prefix *clat_active_prefix(void);
/* All of them, in the order synthesis tries them (never NULL; may be
 * empty). Same blocking as clat_active_prefix(). */
const struct clat_prefix_set *clat_active_prefixes(void);
/* The prefixes known now, without discovering (for rewriting names). */
void clat_known_prefixes(struct clat_prefix_set *out);
/* A translated call to failed (an address under the first discovered
 * prefix) met a path error: looks the prefix up again, skipping the cache,
 * at most once per HEAL_INTERVAL_SECONDS per process. True when the first
 * prefix is now another one (then the call may be retried). Never for an
 * explicit prefix (docs/requirements.md, Decisions: explicit > discovered). */
bool clat_prefix_heal(const struct in6_addr *failed);
/* True for the first caller after a discovered prefix was taken into use
 * (from the cache, clatrun or a query), false after: that caller may watch
 * one connection under it (translate/prefix_heal.c). */
bool clat_prefix_probation_claim(void);

#endif
