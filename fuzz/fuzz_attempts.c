/* libFuzzer target: connection attempts over several NAT64 prefixes
 * (lib/core/attempts.c; RFC 8305 s5 with NAT64, docs/requirements.md E.42).
 *
 * Input: a count byte (0..CLAT_MAX_PREFIXES prefixes, modulo), then per
 * prefix 16 address bytes and a length byte (one of the RFC 6052 lengths,
 * low bits cleared; kept when clat_prefix_check accepts it); then a flag byte
 * (translate-private-wkp, and max = 0..CLAT_MAX_PREFIXES), an IPv4 address
 * and a port; then three 64-bit times for clat_attempt_wait_ms.
 * Invariants: at most max and at most one per prefix; every destination is
 * AF_INET6 with the asked port, flow info and scope zero, and is exactly
 * the synthesis of the address under a prefix whose policy verdict is
 * TRANSLATE, those prefixes taken in set order; no two are equal; nothing
 * is written past max (canary); the wait is -1 only with neither a next
 * start nor a deadline, 0 when one is due, else the time to the earlier
 * one (at most an hour). */
#include <arpa/inet.h>

#include "attempts.h"
#include "fuzz_util.h"
#include "policy.h"
#include "sockaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	struct clat_prefix_set set;
	memset(&set, 0, sizeof(set));
	unsigned count = fuzz_u8(&in) % (CLAT_MAX_PREFIXES + 1);
	for (unsigned i = 0; i < count; i++) {
		fuzz_prefix_of_length(&in, &set.prefix[set.count]);
		if (clat_prefix_check(&set.prefix[set.count]) == CLAT_PREFIX_OK)
			set.count++;
	}
	uint8_t flags = fuzz_u8(&in);
	bool wkp_private = flags & 1;
	unsigned max = (flags >> 1) % (CLAT_MAX_PREFIXES + 1);
	struct sockaddr_in dst = { .sin_family = AF_INET };
	dst.sin_addr.s_addr = htonl(fuzz_u32(&in));
	dst.sin_port = htons(fuzz_u16(&in));

	struct sockaddr_in6 out[CLAT_MAX_PREFIXES + 1];
	memset(out, 0xa5, sizeof(out));
	unsigned n = clat_attempt_destinations(&set, wkp_private, &dst, out, max);
	FUZZ_CHECK(n <= max && n <= set.count, "%u destinations, max %u, %u prefixes", n, max,
		   set.count);
	const uint8_t *canary = (const uint8_t *)&out[n];
	for (size_t b = 0; b < sizeof(out) - n * sizeof(out[0]); b++)
		FUZZ_CHECK(canary[b] == 0xa5, "written past the %u destinations", n);

	/* Independent reference: walk the prefixes in order. */
	unsigned want = 0;
	for (unsigned i = 0; i < set.count && want < n; i++) {
		if (clat_policy_decide(&set.prefix[i], wkp_private, dst.sin_addr) !=
		    CLAT_VERDICT_TRANSLATE)
			continue;
		struct in6_addr addr;
		clat_synthesize(&set.prefix[i], dst.sin_addr, &addr);
		bool seen = false;
		for (unsigned j = 0; j < want; j++)
			seen |= memcmp(&out[j].sin6_addr, &addr, sizeof(addr)) == 0;
		if (seen)
			continue;
		FUZZ_CHECK(memcmp(&out[want].sin6_addr, &addr, sizeof(addr)) == 0,
			   "destination %u is not the synthesis under prefix %u", want, i);
		want++;
	}
	FUZZ_CHECK(want == n, "%u destinations, the reference makes %u", n, want);
	for (unsigned j = 0; j < n; j++) {
		FUZZ_CHECK(out[j].sin6_family == AF_INET6 && out[j].sin6_port == dst.sin_port &&
				   out[j].sin6_flowinfo == 0 && out[j].sin6_scope_id == 0,
			   "destination %u fields", j);
		for (unsigned k = j + 1; k < n; k++)
			FUZZ_CHECK(memcmp(&out[j].sin6_addr, &out[k].sin6_addr, 16) != 0,
				   "destinations %u and %u are the same", j, k);
	}

	int64_t now = (int64_t)(fuzz_u32(&in) & 0x7fffffff);
	int64_t next = (int64_t)fuzz_u32(&in) - (1 << 30);
	int64_t deadline = (int64_t)fuzz_u32(&in) - (1 << 30);
	if (next < -1)
		next = -1;
	if (deadline < -1)
		deadline = -1;
	int wait = clat_attempt_wait_ms(now, next, deadline);
	int64_t until = next < 0 ? deadline : deadline < 0 ? next : next < deadline ? next : deadline;
	if (until < 0)
		FUZZ_CHECK(wait == -1, "wait %d with nothing to wait for", wait);
	else if (until <= now)
		FUZZ_CHECK(wait == 0, "wait %d for something due", wait);
	else
		FUZZ_CHECK(wait == (until - now > 3600000 ? 3600000 : until - now),
			   "wait %d, want %lld", wait, (long long)(until - now));
	return 0;
}
