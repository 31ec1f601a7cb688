/* libFuzzer target: systemd-networkd's Describe JSON -> PREF64 prefixes
 * (lib/core/networkd_json.c).
 *
 * Input: the first 8 bytes are the CLOCK_BOOTTIME "now" (microseconds); the
 * rest is the reply (exact-size heap copy), parsed as given.
 * Invariants: the result is one of the three outcomes; FOUND has 1..max
 * prefixes, each passing clat_prefix_check, no two equal, and a remaining
 * lifetime in 1..65528 s; NONE and MALFORMED leave the set empty; parsing
 * the same bytes twice gives the same answer (no hidden state). */
#include "fuzz_util.h"
#include "networkd_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	uint64_t now = 0;
	for (int i = 0; i < 8; i++)
		now = now << 8 | fuzz_u8(&in);
	size_t len;
	uint8_t *json = fuzz_rest_copy(&in, &len);
	struct clat_prefix_set set, again;
	int64_t left, left2;
	enum clat_networkd_result r = clat_networkd_pref64((const char *)json, len, now, &set, &left);
	FUZZ_CHECK(r == CLAT_NETWORKD_FOUND || r == CLAT_NETWORKD_NONE || r == CLAT_NETWORKD_MALFORMED,
		   "result %d", (int)r);
	if (r == CLAT_NETWORKD_FOUND) {
		FUZZ_CHECK(set.count >= 1 && set.count <= CLAT_MAX_PREFIXES, "count %u", set.count);
		FUZZ_CHECK(left >= 1 && left <= 65528, "lifetime %lld", (long long)left);
		for (unsigned i = 0; i < set.count; i++) {
			FUZZ_CHECK(clat_prefix_check(&set.prefix[i]) == CLAT_PREFIX_OK, "prefix %u", i);
			for (unsigned j = 0; j < i; j++)
				FUZZ_CHECK(!clat_prefix_equal(&set.prefix[i], &set.prefix[j]),
					   "duplicate %u %u", i, j);
		}
	} else {
		FUZZ_CHECK(set.count == 0, "%u prefixes with result %d", set.count, (int)r);
	}
	enum clat_networkd_result r2 =
		clat_networkd_pref64((const char *)json, len, now, &again, &left2);
	FUZZ_CHECK(r2 == r && again.count == set.count &&
		   memcmp(again.prefix, set.prefix, set.count * sizeof(set.prefix[0])) == 0 &&
		   (r != CLAT_NETWORKD_FOUND || left2 == left), "second parse differs");
	free(json);
	return 0;
}
