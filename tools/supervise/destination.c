/* What an IPv4 destination becomes: the shared core's decision
 * (core/destination.c), the one the library's hooks use: the
 * never-translate set, mapped pool addresses to their IPv6 hosts (RFC
 * 6535), the RFC 6052 s3.1 private-address rule, synthesis under each
 * prefix in order. The IPv4 view of an IPv6 peer comes from
 * core/sockaddr.c (6052 s2.3). */
#include <string.h>

#include "core/destination.h"
#include "core/sockaddr.h"
#include "supervise.h"

static enum clat_map_answer map_lookup(void *arg, struct in_addr addr, struct in6_addr *host)
{
	return clat_sv_map_lookup(arg, addr, host);
}

enum clat_sv_dest clat_sv_destination(const struct clat_sv_settings *s,
				      const struct sockaddr_in *dst, bool socket_is_ipv6,
				      struct sockaddr_in6 *out, struct clat_sv_candidates *all,
				      const char **why)
{
	/* The mapper's pool addresses come from the library's resolver hooks
	 * (a program with cgo, or a script's other programs): mapper.c reads
	 * the table they share. */
	struct clat_dest_inputs in = { .prefixes = &s->prefixes,
				       .translate_private_wkp = s->translate_private_wkp,
				       .socket_is_ipv6 = socket_is_ipv6,
				       .map_lookup = map_lookup, .map_arg = (void *)s };
	struct clat_destination d;
	clat_destination_decide(&in, dst, &d);
	*why = clat_dest_reason_text(d.reason);
	if (all != NULL) {
		all->count = d.kind == CLAT_DEST_KEEP || d.kind == CLAT_DEST_NEEDS_PREFIX ? 0 : d.count;
		memcpy(all->at, d.candidate, all->count * sizeof(d.candidate[0]));
	}
	switch (d.kind) {
	case CLAT_DEST_SYNTHESIZED:
	case CLAT_DEST_MAPPED:
		*out = d.candidate[0];
		return CLAT_SV_DEST_TRANSLATED;
	case CLAT_DEST_V4MAPPED:
		*out = d.candidate[0];
		return CLAT_SV_DEST_V4MAPPED;
	case CLAT_DEST_KEEP:
	case CLAT_DEST_NEEDS_PREFIX:
		break;
	}
	return CLAT_SV_DEST_KEEP;
}

bool clat_sv_peer_view(const struct clat_sv_settings *s, const struct sockaddr_in6 *sin6,
		       struct sockaddr_in *out)
{
	struct sockaddr_in mapped;
	if (clat_sockaddr_from_v4mapped(sin6, &mapped)) {
		*out = mapped;
		return true;
	}
	for (unsigned i = 0; i < s->prefixes.count; i++)
		if (clat_sockaddr_to_ipv4(&s->prefixes.prefix[i], sin6, out))
			return true;
	struct in_addr pool_addr;
	if (!clat_sv_map_reverse(s, &sin6->sin6_addr, &pool_addr))
		return false;
	*out = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = sin6->sin6_port,
				     .sin_addr = pool_addr };
	return true;
}
