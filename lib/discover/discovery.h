/* Finding the NAT64 prefix when none is configured: the shared cache
 * first, then an RFC 7050 query whose answer is cached for the next
 * process. Used by the library (lazily, on the first translation that
 * needs a prefix) and by clatrun (before exec, --status, --refresh). */
#ifndef CLAT_PREFIX_LOOKUP_H
#define CLAT_PREFIX_LOOKUP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/prefix_cache.h"
#include "core/rfc7050.h"
#include "discover/cache_file.h"

struct ares_socket_functions;

/* The whole discovery must not hold up a first connect for long
 * (README: about a second). */
#define CLAT_DISCOVERY_TIMEOUT_MS 1000
/* RFC 7050 s3: refresh 10 s before the TTL ends; floors keep a zero TTL
 * from turning into a query per connection. */
#define CLAT_REFRESH_MARGIN 10
#define CLAT_MIN_CACHE_SECONDS 10

struct clat_lookup {
	struct clat_cache_entry entry;    /* source NONE: nothing found */
	enum clat_cache_state cache_state; /* of the first cache looked at */
	char cache_path[PATH_MAX];        /* the cache read or written */
	bool queried;                     /* a DNS query was sent */
	bool cache_ignored;               /* a cache file was untrusted or broken */
	char note[512];                   /* plain words: what was tried, what failed */
};

/* force: skip the cache (clatrun --refresh). */
void clat_prefix_lookup(bool secure, bool force, int64_t now,
			const struct ares_socket_functions *socket_fns,
			struct clat_lookup *out);
/* Stores an entry learned elsewhere (PREF64) in the cache this process
 * writes; false with why when it cannot. */
bool clat_prefix_remember(bool secure, const struct clat_cache_entry *entry,
			  char *why, size_t whylen);
/* Expiry for a DNS64 answer with TTL ttl fetched at now. */
int64_t clat_dns_expiry(const struct clat_dns_result *result, int64_t now);

#endif
