/* What an IPv4 destination becomes: the one decision the library's hooks,
 * its staggered connect and clatrun's supervisor share. Pure: the caller
 * supplies the prefixes and the address mapper's answer. */
#ifndef CLAT_DESTINATION_H
#define CLAT_DESTINATION_H

#include <netinet/in.h>
#include <stdbool.h>

#include "policy.h"
#include "prefix_set.h"

enum clat_dest_kind {
	CLAT_DEST_KEEP,         /* the real call with the IPv4 destination */
	CLAT_DEST_V4MAPPED,     /* ::ffff:a.b.c.d, kept on IPv4 by an IPv6 socket */
	CLAT_DEST_NEEDS_PREFIX, /* decided again with the prefixes (below) */
	CLAT_DEST_SYNTHESIZED,  /* Pref64::a.b.c.d, one candidate per prefix */
	CLAT_DEST_MAPPED,       /* an RFC 6535 pool address: its IPv6 host */
};

/* Why a destination is kept on IPv4 (KEEP or V4MAPPED). */
enum clat_dest_reason {
	CLAT_DEST_BECAUSE_TRANSLATED = 0, /* not kept */
	CLAT_DEST_BECAUSE_SPECIAL,        /* never-translate set (RFC 6890) */
	CLAT_DEST_BECAUSE_WKP_PRIVATE,    /* non-global behind 64:ff9b::/96 */
	CLAT_DEST_BECAUSE_UNMAPPED_POOL,  /* pool address with no mapping */
	CLAT_DEST_BECAUSE_NO_PREFIX,      /* no NAT64 prefix known */
};

/* The address mapper's answer for a destination. */
enum clat_map_answer {
	CLAT_MAP_OUTSIDE_POOL, /* not a pool address (or the mapper is off) */
	CLAT_MAP_FOUND,        /* *host is the IPv6 address it stands for */
	CLAT_MAP_UNMAPPED,     /* a pool address that stands for nothing */
};

struct clat_dest_inputs {
	/* The known prefixes in order, or NULL when they have not been looked
	 * up yet: then a destination that needs them is NEEDS_PREFIX, so the
	 * caller looks them up (discovery may block) only for such ones. */
	const struct clat_prefix_set *prefixes;
	bool translate_private_wkp;
	/* The socket is already AF_INET6: a kept destination goes out as
	 * ::ffff:a.b.c.d on it (V4MAPPED) instead of the real IPv4 call. */
	bool socket_is_ipv6;
	/* NULL when the mapper is off. Asked only for destinations outside
	 * the never-translate set. */
	enum clat_map_answer (*map_lookup)(void *arg, struct in_addr addr, struct in6_addr *host);
	void *map_arg;
};

struct clat_destination {
	enum clat_dest_kind kind;
	enum clat_dest_reason reason;
	unsigned count; /* candidates: 1 for MAPPED and V4MAPPED, 0 for KEEP */
	struct sockaddr_in6 candidate[CLAT_MAX_PREFIXES];
};

/* The decision for dst (an AF_INET address with its port), in the order
 * RFC 6535 and RFC 6052 need it: the never-translate set stays on IPv4
 * (docs/requirements.md B.8); a pool address goes to its IPv6 host, an
 * unmapped one is not translated (RFC 6535 s2.1, D.30); otherwise one
 * synthesised address per prefix that policy allows, in the prefixes'
 * order without duplicates (RFC 7050 s3, RFC 8305 s5; E.42). */
void clat_destination_decide(const struct clat_dest_inputs *in, const struct sockaddr_in *dst,
			     struct clat_destination *out);
const char *clat_dest_reason_text(enum clat_dest_reason reason);

#endif
