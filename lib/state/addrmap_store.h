/* Where the RFC 6535 address mapper's table lives and how processes share
 * it: a file per user and pool, allocated, mapped MAP_SHARED and guarded by
 * an open-file-description lock on the file, so that mappings survive fork
 * and exec and a script that resolves in one process can connect in
 * another. Every call checks that the euid is still the one the table was
 * opened for (else the table is unmapped and the new user's opened) and
 * that the file is still whole (else the mapper is off for the call).
 * Secure-mode processes (setuid) and any failure to use the file get a
 * table of their own, private to the process.
 *
 * Everything is lazy: nothing is opened or mapped until a lookup needs the
 * pool, and every function fails closed (returns false) when the mapper is
 * off, the settings are broken, or the table cannot be had. */
#ifndef CLAT_ADDRMAP_STORE_H
#define CLAT_ADDRMAP_STORE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

/* Mappings are kept at least this long after their last use before the
 * pool recycles them: getaddrinfo does not reveal DNS TTLs, so this stands
 * in for "at least the TTL" (RFC 6535 s2.3.4), above common TTLs. */
#define CLAT_MAP_MIN_AGE 3600

/* The mapper is on: settings enabled and map-pool not off. */
bool clat_addrmap_enabled(void);
/* The mapper is on (settings enabled, map-pool not off) and addr is one of
 * its pool addresses (mapped or not). Does not open the table. */
bool clat_addrmap_in_pool(struct in_addr addr);
/* The IPv6 address addr was handed out for; refreshes its last use. False
 * for addresses outside the pool and pool addresses with no mapping
 * (RFC 6535 s2.1: those are not translated). */
bool clat_addrmap_to_ipv6(struct in_addr addr, struct in6_addr *out);
/* The pool address for ipv6: its mapping, or (allocate) a new one made for
 * name (may be NULL). False when none can be had (logged). */
bool clat_addrmap_for_ipv6(const struct in6_addr *ipv6, bool allocate, const char *name,
			   struct in_addr *out);
/* For reverse lookups: the IPv6 address and name behind a pool address. */
bool clat_addrmap_reverse(struct in_addr addr, struct in6_addr *ipv6, char *name,
			  size_t name_len);

#endif
