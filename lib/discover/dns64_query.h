/* One RFC 7050 query ("ipv4only.arpa. IN AAAA", RD=1, CD=0) to the
 * system's resolvers through c-ares, within a time bound. c-ares is loaded
 * with dlopen on first use, never at start: a process that never needs a
 * prefix never maps it. */
#ifndef CLAT_DNS64_QUERY_H
#define CLAT_DNS64_QUERY_H

#include "core/prefix_cache.h"
#include "core/rfc7050.h"

struct ares_socket_functions;

struct clat_dns64_answer {
	struct clat_dns_result result;  /* outcome FAILURE when nothing usable came */
	char resolver[CLAT_CACHE_RESOLVER_MAX]; /* first configured server, "" if none */
	char error[160];                /* plain words, for FAILURE */
};

/* Blocks at most timeout_ms. socket_fns routes c-ares' own sockets (the
 * library passes the real libc calls so they never enter its hooks); NULL
 * keeps c-ares' defaults. */
void clat_dns64_query(unsigned timeout_ms, const struct ares_socket_functions *socket_fns,
		      struct clat_dns64_answer *out);

#endif
