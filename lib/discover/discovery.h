/* Finding the NAT64 prefix when none is configured: the shared cache
 * first, then an RFC 7050 query whose answer is cached for the next
 * process. Used by the library (lazily, on the first translation that
 * needs a prefix) and by clatrun (before exec, --status, --refresh). */
#ifndef CLAT_PREFIX_LOOKUP_H
#define CLAT_PREFIX_LOOKUP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/netid.h"
#include "core/prefix_cache.h"
#include "core/rfc7050.h"
#include "core/prefix_trust.h"
#include "discover/cache_file.h"

struct ares_socket_functions;

/* The whole discovery must not hold up a first connect for long
 * (README: about a second). */
#define CLAT_DISCOVERY_TIMEOUT_MS 1000

struct clat_lookup {
	struct clat_cache_entry entry;    /* source NONE: nothing found */
	enum clat_cache_state cache_state; /* of the first cache looked at */
	char cache_path[PATH_MAX];        /* the cache read or written */
	bool queried;                     /* a DNS query was sent */
	bool cache_ignored;               /* a cache file was untrusted or broken */
	uint64_t network;                 /* the network looked up on (netid) */
	char note[512];                   /* plain words: what was tried, what failed */
};

/* force: skip the cache (clatrun --refresh, a rediscovery after a path
 * error). net: what the host sees of its network now (network_probe.h):
 * a cache entry learned on another network is not used, and a discovered
 * prefix overlapping the host's own addresses or a special-purpose range
 * is refused (core/prefix_trust.h), the reason in note. */
void clat_prefix_lookup(bool secure, bool force, int64_t now, const struct clat_netinfo *net,
			const struct ares_socket_functions *socket_fns,
			struct clat_lookup *out);
/* Stores an entry learned elsewhere (PREF64) in the cache this process
 * writes; false with why when it cannot. */
bool clat_prefix_remember(bool secure, const struct clat_cache_entry *entry,
			  char *why, size_t whylen);
/* A refresh found nothing: the entry in the cache this process writes, if
 * any, is marked over (fetched = expires = now), so that neither it nor an
 * older per-user entry is used as fresh. True when one was marked. */
bool clat_prefix_forget(bool secure, int64_t now);

#endif
