#include <string.h>

#include "attempts.h"
#include "destination.h"
#include "sockaddr.h"

static void keep(const struct clat_dest_inputs *in, const struct sockaddr_in *dst,
		 enum clat_dest_reason reason, struct clat_destination *out)
{
	out->reason = reason;
	if (in->socket_is_ipv6) {
		out->kind = CLAT_DEST_V4MAPPED;
		out->count = 1;
		clat_sockaddr_v4mapped(dst, &out->candidate[0]);
	} else {
		out->kind = CLAT_DEST_KEEP;
		out->count = 0;
	}
}

static enum clat_dest_reason reason_of(enum clat_verdict verdict)
{
	return verdict == CLAT_VERDICT_SPECIAL ? CLAT_DEST_BECAUSE_SPECIAL
					       : CLAT_DEST_BECAUSE_WKP_PRIVATE;
}

void clat_destination_decide(const struct clat_dest_inputs *in, const struct sockaddr_in *dst,
			     struct clat_destination *out)
{
	memset(out, 0, sizeof(*out));
	if (clat_ipv4_is_special(dst->sin_addr)) {
		keep(in, dst, CLAT_DEST_BECAUSE_SPECIAL, out);
		return;
	}
	struct in6_addr host;
	switch (in->map_lookup == NULL ? CLAT_MAP_OUTSIDE_POOL
				       : in->map_lookup(in->map_arg, dst->sin_addr, &host)) {
	case CLAT_MAP_FOUND:
		out->kind = CLAT_DEST_MAPPED;
		out->count = 1;
		out->candidate[0].sin6_family = AF_INET6;
		out->candidate[0].sin6_port = dst->sin_port;
		out->candidate[0].sin6_addr = host;
		return;
	case CLAT_MAP_UNMAPPED:
		keep(in, dst, CLAT_DEST_BECAUSE_UNMAPPED_POOL, out);
		return;
	case CLAT_MAP_OUTSIDE_POOL:
		break;
	}
	if (in->prefixes == NULL) {
		out->kind = CLAT_DEST_NEEDS_PREFIX;
		return;
	}
	if (in->prefixes->count == 0) {
		keep(in, dst, CLAT_DEST_BECAUSE_NO_PREFIX, out);
		return;
	}
	out->count = clat_attempt_destinations(in->prefixes, in->translate_private_wkp, dst,
					       out->candidate, CLAT_MAX_PREFIXES);
	if (out->count > 0) {
		out->kind = CLAT_DEST_SYNTHESIZED;
		return;
	}
	/* Every prefix refused it: the first one's verdict says why. */
	keep(in, dst,
	     reason_of(clat_policy_decide(&in->prefixes->prefix[0], in->translate_private_wkp,
					  dst->sin_addr)),
	     out);
}

const char *clat_dest_reason_text(enum clat_dest_reason reason)
{
	switch (reason) {
	case CLAT_DEST_BECAUSE_TRANSLATED:
		return "translated";
	case CLAT_DEST_BECAUSE_SPECIAL:
		return clat_verdict_text(CLAT_VERDICT_SPECIAL);
	case CLAT_DEST_BECAUSE_WKP_PRIVATE:
		return clat_verdict_text(CLAT_VERDICT_WKP_PRIVATE);
	case CLAT_DEST_BECAUSE_UNMAPPED_POOL:
		return "address mapper pool address with no mapping (RFC 6535 s2.1)";
	case CLAT_DEST_BECAUSE_NO_PREFIX:
		return "no NAT64 prefix";
	}
	return "?";
}
