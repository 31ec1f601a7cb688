/* libFuzzer target: what an IPv4 destination becomes
 * (lib/core/destination.c), the decision the hooks, the staggered connect
 * and clatrun's supervisor share.
 *
 * Input: a flag byte (prefixes given or not yet looked up, socket already
 * IPv6, translate-private-wkp, mapper on, mapper answer for pool
 * addresses); a count byte and per prefix 16 address bytes and a length
 * byte (kept when clat_prefix_check accepts it); an IPv4 address, a port
 * and a mapped IPv6 host.
 * Invariants: the never-translate set is kept (V4MAPPED on an IPv6
 * socket) without asking the mapper; a FOUND pool address is MAPPED to
 * its host; an UNMAPPED one is kept; without prefixes the answer is
 * NEEDS_PREFIX; with prefixes, SYNTHESIZED carries exactly the candidates
 * of clat_attempt_destinations, else the destination is kept with
 * NO_PREFIX or the first prefix's policy reason; candidate count and kind
 * agree (0 for KEEP and NEEDS_PREFIX, 1 for MAPPED and V4MAPPED); every
 * candidate has the asked port; the slots past count are zero. */
#include <arpa/inet.h>

#include "attempts.h"
#include "destination.h"
#include "fuzz_util.h"
#include "policy.h"

struct map_state {
	enum clat_map_answer answer;
	struct in6_addr host;
	unsigned calls;
};

static enum clat_map_answer fuzz_map(void *arg, struct in_addr addr, struct in6_addr *host)
{
	struct map_state *m = arg;
	(void)addr;
	m->calls++;
	if (m->answer == CLAT_MAP_FOUND)
		*host = m->host;
	return m->answer;
}

static void check_kept(const struct clat_destination *d, bool ipv6, const struct sockaddr_in *dst)
{
	if (!ipv6) {
		FUZZ_CHECK(d->kind == CLAT_DEST_KEEP && d->count == 0, "kept: kind %d count %u",
			   d->kind, d->count);
		return;
	}
	FUZZ_CHECK(d->kind == CLAT_DEST_V4MAPPED && d->count == 1, "v4-mapped: kind %d count %u",
		   d->kind, d->count);
	const uint8_t *a = d->candidate[0].sin6_addr.s6_addr;
	FUZZ_CHECK(a[10] == 0xff && a[11] == 0xff && memcmp(a + 12, &dst->sin_addr, 4) == 0,
		   "not ::ffff: of the destination");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	uint8_t flags = fuzz_u8(&in);
	struct clat_prefix_set set;
	memset(&set, 0, sizeof(set));
	unsigned count = fuzz_u8(&in) % (CLAT_MAX_PREFIXES + 1);
	for (unsigned i = 0; i < count; i++) {
		fuzz_prefix_of_length(&in, &set.prefix[set.count]);
		if (clat_prefix_check(&set.prefix[set.count]) == CLAT_PREFIX_OK)
			set.count++;
	}
	struct sockaddr_in dst = { .sin_family = AF_INET };
	dst.sin_addr.s_addr = htonl(fuzz_u32(&in));
	dst.sin_port = htons(fuzz_u16(&in));
	struct map_state map = { .answer = (enum clat_map_answer)((flags >> 4) % 3) };
	fuzz_bytes(&in, map.host.s6_addr, 16);

	struct clat_dest_inputs inputs = {
		.prefixes = (flags & 1) ? &set : NULL,
		.socket_is_ipv6 = flags & 2,
		.translate_private_wkp = flags & 4,
		.map_lookup = (flags & 8) ? fuzz_map : NULL,
		.map_arg = &map,
	};
	struct clat_destination d;
	memset(&d, 0xa5, sizeof(d));
	clat_destination_decide(&inputs, &dst, &d);

	FUZZ_CHECK(d.count <= CLAT_MAX_PREFIXES, "count %u", d.count);
	for (unsigned i = 0; i < d.count; i++)
		FUZZ_CHECK(d.candidate[i].sin6_family == AF_INET6 &&
				   d.candidate[i].sin6_port == dst.sin_port,
			   "candidate %u family or port", i);
	static const uint8_t zero[sizeof(struct sockaddr_in6)];
	for (unsigned i = d.count; i < CLAT_MAX_PREFIXES; i++)
		FUZZ_CHECK(memcmp(&d.candidate[i], zero, sizeof(zero)) == 0,
			   "slot %u past the candidates written", i);

	if (clat_ipv4_is_special(dst.sin_addr)) {
		check_kept(&d, inputs.socket_is_ipv6, &dst);
		FUZZ_CHECK(d.reason == CLAT_DEST_BECAUSE_SPECIAL && map.calls == 0,
			   "special: reason %d, mapper asked %u times", d.reason, map.calls);
		return 0;
	}
	enum clat_map_answer answer = inputs.map_lookup ? map.answer : CLAT_MAP_OUTSIDE_POOL;
	if (answer == CLAT_MAP_FOUND) {
		FUZZ_CHECK(d.kind == CLAT_DEST_MAPPED && d.count == 1 &&
				   memcmp(&d.candidate[0].sin6_addr, &map.host, 16) == 0,
			   "mapped: kind %d", d.kind);
		return 0;
	}
	if (answer == CLAT_MAP_UNMAPPED) {
		check_kept(&d, inputs.socket_is_ipv6, &dst);
		FUZZ_CHECK(d.reason == CLAT_DEST_BECAUSE_UNMAPPED_POOL, "reason %d", d.reason);
		return 0;
	}
	if (inputs.prefixes == NULL) {
		FUZZ_CHECK(d.kind == CLAT_DEST_NEEDS_PREFIX && d.count == 0, "kind %d", d.kind);
		return 0;
	}
	struct sockaddr_in6 want[CLAT_MAX_PREFIXES];
	unsigned n = clat_attempt_destinations(&set, inputs.translate_private_wkp, &dst, want,
					       CLAT_MAX_PREFIXES);
	if (n > 0) {
		FUZZ_CHECK(d.kind == CLAT_DEST_SYNTHESIZED && d.count == n &&
				   d.reason == CLAT_DEST_BECAUSE_TRANSLATED,
			   "synthesised: kind %d count %u of %u", d.kind, d.count, n);
		FUZZ_CHECK(memcmp(d.candidate, want, n * sizeof(want[0])) == 0,
			   "candidates differ from the attempt order");
		return 0;
	}
	check_kept(&d, inputs.socket_is_ipv6, &dst);
	if (set.count == 0)
		FUZZ_CHECK(d.reason == CLAT_DEST_BECAUSE_NO_PREFIX, "reason %d", d.reason);
	else
		FUZZ_CHECK(d.reason == (clat_policy_decide(&set.prefix[0], inputs.translate_private_wkp,
							   dst.sin_addr) == CLAT_VERDICT_SPECIAL
						? CLAT_DEST_BECAUSE_SPECIAL
						: CLAT_DEST_BECAUSE_WKP_PRIVATE),
			   "reason %d", d.reason);
	return 0;
}
