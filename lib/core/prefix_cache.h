/* The shared prefix cache file: its text format. Pure; lib/cache.c does
 * the file handling and trust checks. */
#ifndef CLAT_PREFIX_CACHE_H
#define CLAT_PREFIX_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netid.h"
#include "prefix_set.h"

enum clat_prefix_source {
	CLAT_SOURCE_NONE = 0,
	CLAT_SOURCE_CONFIG,   /* --prefix, CLAT_PREFIX, config file */
	CLAT_SOURCE_PREF64,   /* RFC 8781 Router Advertisement */
	CLAT_SOURCE_DNS64,    /* RFC 7050 */
	CLAT_SOURCE_FALLBACK, /* configured fallback-prefix */
};

const char *clat_source_name(enum clat_prefix_source source);
bool clat_source_parse(const char *text, enum clat_prefix_source *out);

#define CLAT_CACHE_RESOLVER_MAX 64

struct clat_cache_entry {
	enum clat_prefix_source source;
	bool negative;            /* "no DNS64 here", until expires */
	struct clat_prefix_set prefixes; /* empty when negative */
	int64_t fetched;          /* Unix time */
	int64_t expires;          /* Unix time: refresh from then on */
	char resolver[CLAT_CACHE_RESOLVER_MAX]; /* who answered, "" if n/a */
	uint64_t network;         /* clat_netid_of() where it was learned;
				     CLAT_NETID_UNKNOWN: matches no network */
};

/* Text form, one "key value" per line:
 *   version 2
 *   source dns64
 *   negative no
 *   prefix 2001:db8:64::/96      (repeated, in order)
 *   fetched 1764130000
 *   expires 1764133600
 *   resolver 2001:db8:1::1
 *   network 0123456789abcdef     ("-": unknown)
 * Returns the length written (excluding the NUL), 0 if buf is too small. */
size_t clat_cache_format(const struct clat_cache_entry *entry, char *buf, size_t buflen);
/* Strict parse of the above: version 2 with a network line, or version 1
 * (written before networks were recorded) without one, read as network
 * unknown, so that it is stale everywhere; every key known, at most
 * CLAT_MAX_PREFIXES prefixes, each valid under RFC 6052, expires >=
 * fetched, a positive entry has at least one prefix, a negative one none.
 * Any violation: false (the cache is then ignored). */
bool clat_cache_parse(const char *text, size_t len, struct clat_cache_entry *out);

#endif
