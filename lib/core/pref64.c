/* RFC 8781 PREF64 Router Advertisement option. */

#include "pref64.h"

#include <string.h>

/* 8781 s4: Type, Length (in units of 8 octets, always 2), Scaled Lifetime
 * and PLC in one 16-bit field, then the highest 96 bits of the prefix. */
#define CLAT_PREF64_UNITS 2
#define CLAT_ND_OPT_UNIT 8 /* RFC 4861 s4.6: Length counts 8 octets */
#define CLAT_PREF64_LEN (CLAT_PREF64_UNITS * CLAT_ND_OPT_UNIT)
#define CLAT_PREF64_PLC_MASK 0x0007u
#define CLAT_PREF64_LIFETIME_SHIFT 3
#define CLAT_PREF64_PREFIX_AT 4
#define CLAT_PREF64_PREFIX_BYTES 12

/* 8781 s4 table: PLC 0..5; 6 and 7 are invalid and the option ignored. */
static const uint8_t clat_plc_lengths[] = { 96, 64, 56, 48, 40, 32 };

bool clat_pref64_parse(const uint8_t *opt, size_t len, struct clat_pref64 *out)
{
	struct clat_prefix prefix = { { 0 }, 0 };
	unsigned field, plc;

	if (opt == NULL || len < CLAT_PREF64_LEN || opt[0] != CLAT_ND_OPT_PREF64 ||
	    opt[1] != CLAT_PREF64_UNITS)
		return false; /* 8781 s4: Length other than 2 is ignored */
	field = (unsigned)opt[2] << 8 | opt[3];
	plc = field & CLAT_PREF64_PLC_MASK;
	if (plc >= sizeof(clat_plc_lengths))
		return false;
	prefix.len = clat_plc_lengths[plc];
	/* The top 96 bits, masked to the length: the rest of the field is
	 * not part of the prefix. */
	memcpy(prefix.addr, opt + CLAT_PREF64_PREFIX_AT, prefix.len / 8u);
	if (clat_prefix_check(&prefix) != CLAT_PREFIX_OK)
		return false; /* a /96 with the u octet set (6052 s2.2) */
	out->prefix = prefix;
	/* 8781 s4: seconds in units of 8; 0 withdraws the prefix (s4.1). */
	out->lifetime = (uint32_t)(field >> CLAT_PREF64_LIFETIME_SHIFT) * 8u;
	return true;
}

size_t clat_pref64_scan(const uint8_t *opts, size_t len, struct clat_pref64 *out, size_t max)
{
	size_t pos = 0, found = 0;

	if (opts == NULL)
		return 0;
	/* RFC 4861 s4.6: every option has Type and Length; Length 0 is
	 * invalid and ends the walk, as does one running past the block. */
	while (found < max && len - pos >= 2) {
		size_t opt_len = (size_t)opts[pos + 1] * CLAT_ND_OPT_UNIT;

		if (opt_len == 0 || opt_len > len - pos)
			break;
		if (opts[pos] == CLAT_ND_OPT_PREF64 &&
		    clat_pref64_parse(opts + pos, opt_len, &out[found]))
			found++;
		pos += opt_len;
	}
	return found;
}
