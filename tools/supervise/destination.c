/* What an IPv4 destination becomes: the shared core's decision
 * (core/destination.c), the one the library's hooks use: the
 * never-translate set, the RFC 6052 s3.1 private-address rule, synthesis
 * under each prefix in order. The IPv4 view of an IPv6 peer comes from
 * core/sockaddr.c (6052 s2.3). */
#include "core/destination.h"
#include "core/sockaddr.h"
#include "supervise.h"

enum clat_sv_dest clat_sv_destination(const struct clat_sv_settings *s,
				      const struct sockaddr_in *dst, bool socket_is_ipv6,
				      struct sockaddr_in6 *out, const char **why)
{
	/* No mapper lookup: the address mapper's pool is the library's
	 * (its names come from libc's resolver, which the supervisor does
	 * not see). */
	struct clat_dest_inputs in = { .prefixes = &s->prefixes,
				       .translate_private_wkp = s->translate_private_wkp,
				       .socket_is_ipv6 = socket_is_ipv6 };
	struct clat_destination d;
	clat_destination_decide(&in, dst, &d);
	*why = clat_dest_reason_text(d.reason);
	switch (d.kind) {
	case CLAT_DEST_SYNTHESIZED:
		/* The first prefix only: no staggered attempts (RFC 8305)
		 * across several prefixes here. */
		*out = d.candidate[0];
		return CLAT_SV_DEST_SYNTHESIZED;
	case CLAT_DEST_V4MAPPED:
		*out = d.candidate[0];
		return CLAT_SV_DEST_V4MAPPED;
	case CLAT_DEST_KEEP:
	case CLAT_DEST_NEEDS_PREFIX:
	case CLAT_DEST_MAPPED:
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
	return false;
}
