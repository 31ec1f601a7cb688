/* The sources of the NAT64 prefix and the order they are tried in, for
 * the library and clatrun alike (docs/requirements.md C.14 and its
 * Decisions): the first source that has a prefix wins. Pure: each side
 * supplies its own way of asking a source. */
#ifndef CLAT_PREFIX_ORDER_H
#define CLAT_PREFIX_ORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "prefix_cache.h"
#include "prefix_set.h"

enum clat_prefix_step {
	CLAT_STEP_EXPLICIT,  /* the prefix setting: option, CLAT_PREFIX, config */
	CLAT_STEP_PREF64,    /* a PREF64 option clatrun heard (--wait-pref64) */
	CLAT_STEP_CLATRUN,   /* what clatrun found before exec (CLAT_DISCOVERED) */
	CLAT_STEP_DISCOVERY, /* the cache, networkd's PREF64, an RFC 7050 query */
	CLAT_STEP_FALLBACK,  /* the fallback-prefix setting */
	CLAT_STEP_COUNT,     /* none had one */
};

struct clat_prefix_choice {
	struct clat_prefix_set set;
	enum clat_prefix_source source;
	int64_t expires; /* INT64_MAX for settings */
};

/* Asks one source: true with *out filled when it has a prefix. */
typedef bool (*clat_prefix_step_fn)(void *ctx, struct clat_prefix_choice *out);

/* Asks steps[0], steps[1], ... (NULL: the caller has no such source) until
 * one has a prefix, and returns that step; CLAT_STEP_COUNT with *out empty
 * when none has. Later sources are not asked at all (a query may block). */
enum clat_prefix_step clat_prefix_choose(const clat_prefix_step_fn steps[CLAT_STEP_COUNT],
					 void *ctx, struct clat_prefix_choice *out);
const char *clat_prefix_step_name(enum clat_prefix_step step);

#endif
