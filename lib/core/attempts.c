#include <errno.h>
#include <string.h>

#include "attempts.h"
#include "policy.h"
#include "sockaddr.h"

unsigned clat_attempt_destinations(const struct clat_prefix_set *set,
				   bool translate_private_wkp,
				   const struct sockaddr_in *dst,
				   struct sockaddr_in6 *out, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < set->count && n < max; i++) {
		if (clat_policy_decide(&set->prefix[i], translate_private_wkp, dst->sin_addr) !=
		    CLAT_VERDICT_TRANSLATE)
			continue;
		struct sockaddr_in6 candidate;
		clat_sockaddr_synthesize(&set->prefix[i], dst, &candidate);
		bool repeated = false;
		for (unsigned j = 0; j < n; j++)
			repeated |= memcmp(&out[j].sin6_addr, &candidate.sin6_addr,
					   sizeof(candidate.sin6_addr)) == 0;
		if (!repeated)
			out[n++] = candidate;
	}
	return n;
}

int clat_attempt_wait_ms(int64_t now_ms, int64_t next_start_ms, int64_t deadline_ms)
{
	int64_t until = -1;
	if (next_start_ms >= 0)
		until = next_start_ms;
	if (deadline_ms >= 0 && (until < 0 || deadline_ms < until))
		until = deadline_ms;
	if (until < 0)
		return -1;
	if (until <= now_ms)
		return 0;
	int64_t wait = until - now_ms;
	return wait > 3600000 ? 3600000 : (int)wait; /* poll() takes an int */
}

bool clat_attempt_error_may_help(int err)
{
	return err == ENETUNREACH || err == EHOSTUNREACH || err == ENETDOWN || err == EHOSTDOWN ||
	       err == ETIMEDOUT || err == EADDRNOTAVAIL;
}
