/* The library's NAT64 prefix, by source (docs/requirements.md "Decisions"):
 * explicit setting > what clatrun discovered before exec (CLAT_DISCOVERED)
 * > the shared cache > an RFC 7050 query > the configured fallback.
 * Discovery is lazy: it runs on the first translation that needs a prefix,
 * never at load time, and again once what it found expires. */
#ifndef CLAT_PREFIX_SOURCE_H
#define CLAT_PREFIX_SOURCE_H

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

#endif
