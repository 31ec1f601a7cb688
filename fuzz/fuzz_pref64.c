/* libFuzzer target: RFC 8781 PREF64 options and ND option blocks
 * (lib/core/pref64.c).
 *
 * Input: byte 0 is the most options scan may store (0..7); the rest is an
 * ND option block (exact-size heap copy), also parsed as one option.
 * Invariants: scan stores at most max entries (a canary after out[max]
 * stays) and never more than the block has room for; every stored
 * prefix passes clat_prefix_check and has the PLC's length; the lifetime
 * is a multiple of 8 up to 65528; an accepted option re-encoded from what
 * was parsed gives the same result (round trip), and scan over a block of
 * just that option finds it. */
#include "fuzz_util.h"
#include "pref64.h"

#define FUZZ_MAX_OUT 8

static unsigned plc_of(uint8_t len)
{
	switch (len) {
	case 96: return 0;
	case 64: return 1;
	case 56: return 2;
	case 48: return 3;
	case 40: return 4;
	case 32: return 5;
	}
	FUZZ_CHECK(0, "PREF64 prefix of length %u", len);
	return 7;
}

static void check_entry(const struct clat_pref64 *e)
{
	FUZZ_CHECK(clat_prefix_check(&e->prefix) == CLAT_PREFIX_OK, "invalid prefix");
	FUZZ_CHECK(e->lifetime % 8 == 0 && e->lifetime <= 65528, "lifetime %u", e->lifetime);
}

static void encode(const struct clat_pref64 *e, uint8_t opt[16])
{
	unsigned field = (e->lifetime / 8u) << 3 | plc_of(e->prefix.len);

	memset(opt, 0, 16);
	opt[0] = CLAT_ND_OPT_PREF64;
	opt[1] = 2;
	opt[2] = (uint8_t)(field >> 8);
	opt[3] = (uint8_t)field;
	memcpy(opt + 4, e->prefix.addr, 12);
}

static bool same(const struct clat_pref64 *a, const struct clat_pref64 *b)
{
	return a->lifetime == b->lifetime && a->prefix.len == b->prefix.len &&
	       memcmp(a->prefix.addr, b->prefix.addr, 16) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	struct clat_pref64 out[FUZZ_MAX_OUT + 1], one, back;
	size_t max = fuzz_u8(&in) % FUZZ_MAX_OUT, len, found;
	uint8_t *opts = fuzz_rest_copy(&in, &len);
	uint8_t opt[16];

	memset(out, 0xa5, sizeof(out));
	found = clat_pref64_scan(opts, len, out, max);
	FUZZ_CHECK(found <= max, "%zu found, max %zu", found, max);
	FUZZ_CHECK(found <= len / 16, "%zu options in %zu bytes", found, len);
	for (size_t i = found; i <= FUZZ_MAX_OUT; i++) {
		const uint8_t *b = (const uint8_t *)&out[i];
		for (size_t j = 0; j < sizeof(out[i]); j++)
			FUZZ_CHECK(b[j] == 0xa5, "scan wrote entry %zu (found %zu)", i, found);
	}
	for (size_t i = 0; i < found; i++)
		check_entry(&out[i]);

	if (clat_pref64_parse(opts, len, &one)) {
		FUZZ_CHECK(len >= 16 && opts[0] == CLAT_ND_OPT_PREF64 && opts[1] == 2,
			   "accepted a non-PREF64 option");
		check_entry(&one);
		FUZZ_CHECK(plc_of(one.prefix.len) == (opts[3] & 7u), "PLC %u gave /%u", opts[3] & 7u,
			   one.prefix.len);
		FUZZ_CHECK(one.lifetime == (unsigned)(fuzz_get16(opts + 2) >> 3) * 8u, "lifetime");
		FUZZ_CHECK(memcmp(one.prefix.addr, opts + 4, one.prefix.len / 8u) == 0,
			   "prefix bits differ from the option");
		encode(&one, opt);
		FUZZ_CHECK(clat_pref64_parse(opt, sizeof(opt), &back) && same(&one, &back),
			   "re-encoded option parses differently");
		FUZZ_CHECK(clat_pref64_scan(opt, sizeof(opt), &back, 1) == 1 && same(&one, &back),
			   "scan misses a valid option");
		/* An option is 16 bytes: what follows it must not matter. */
		if (max > 0 && found > 0)
			FUZZ_CHECK(same(&out[0], &one), "scan's first entry is not the first option");
	}
	free(opts);
	return 0;
}
