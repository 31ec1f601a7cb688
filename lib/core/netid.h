/* What identifies the network a prefix was learned on: the resolvers, the
 * IPv6 default routers and the on-link prefixes of the host's global
 * addresses, folded into one 64-bit value. Pure: the caller gathers the
 * items (resolv.conf, netlink). */
#ifndef CLAT_NETID_H
#define CLAT_NETID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 0 means "unknown network": an entry carrying it matches none. */
#define CLAT_NETID_UNKNOWN 0
/* 16 lowercase hex digits and the NUL. */
#define CLAT_NETID_TEXT 17
#define CLAT_NETID_MAX_ITEMS 64

enum clat_netid_kind {
	CLAT_NETID_RESOLVER = 1, /* a nameserver (IPv4 as ::ffff:a.b.c.d/128) */
	CLAT_NETID_ROUTER,       /* an IPv6 default router, with its ifindex */
	CLAT_NETID_ONLINK,       /* the on-link prefix of a global address */
	CLAT_NETID_ADDRESS,      /* one of the host's own addresses (/128);
				    for the overlap rule, not in the identity */
};

struct clat_netid_item {
	uint8_t kind;      /* enum clat_netid_kind */
	uint8_t len;       /* prefix length; 128 for addresses */
	uint32_t ifindex;  /* ROUTER only (fe80::1 is on every link); else 0 */
	uint8_t addr[16];  /* bits past len are ignored */
};

struct clat_netinfo {
	unsigned count;
	struct clat_netid_item item[CLAT_NETID_MAX_ITEMS];
};

/* Adds an item unless the list is full (then false: the identity is
 * computed from what fits, the same way every time). */
bool clat_netinfo_add(struct clat_netinfo *info, enum clat_netid_kind kind,
		      const uint8_t addr[16], unsigned len, uint32_t ifindex);
/* The identity: independent of item order and duplicates; ADDRESS items
 * do not count (privacy addresses rotate while the network stays). A list
 * without resolvers, routers or prefixes gives CLAT_NETID_UNKNOWN. */
uint64_t clat_netid_of(const struct clat_netinfo *info);
/* True when an entry learned on network `learned` may be used on `now`:
 * both known and equal. */
bool clat_netid_matches(uint64_t learned, uint64_t now);
/* 16 hex digits; false if buf is too small. */
bool clat_netid_format(uint64_t id, char *buf, size_t buflen);
/* Exactly 16 lowercase hex digits, not all zero. */
bool clat_netid_parse(const char *text, uint64_t *out);

#endif
