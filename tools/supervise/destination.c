/* What an IPv4 destination becomes, from the shared core (the same
 * functions the library's connect uses): the never-translate rules and the
 * RFC 6052 s3.1 private-address rule (core/policy.c), synthesis under each
 * prefix in order (core/attempts.c), the IPv4 view of an IPv6 peer
 * (core/sockaddr.c, 6052 s2.3). */
#include "core/attempts.h"
#include "core/policy.h"
#include "core/sockaddr.h"
#include "supervise.h"

enum clat_sv_dest clat_sv_destination(const struct clat_sv_settings *s,
				      const struct sockaddr_in *dst, bool socket_is_ipv6,
				      struct sockaddr_in6 *out, const char **why)
{
	struct sockaddr_in6 candidates[CLAT_MAX_PREFIXES];
	if (s->prefixes.count == 0) {
		*why = "no NAT64 prefix";
	} else if (clat_attempt_destinations(&s->prefixes, s->translate_private_wkp, dst,
					     candidates, CLAT_MAX_PREFIXES) > 0) {
		/* The supervisor tries the first prefix only (no staggered
		 * attempts across several prefixes, RFC 8305). */
		*out = candidates[0];
		*why = "translated";
		return CLAT_SV_DEST_SYNTHESIZED;
	} else {
		*why = clat_verdict_text(clat_policy_decide(&s->prefixes.prefix[0],
							    s->translate_private_wkp,
							    dst->sin_addr));
	}
	if (!socket_is_ipv6)
		return CLAT_SV_DEST_KEEP;
	clat_sockaddr_v4mapped(dst, out);
	return CLAT_SV_DEST_V4MAPPED;
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
