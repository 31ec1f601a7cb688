/* RFC 8781 PREF64 Router Advertisement option. Pure. */
#ifndef CLAT_PREF64_H
#define CLAT_PREF64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rfc6052.h"

#define CLAT_ND_OPT_PREF64 38

struct clat_pref64 {
	struct clat_prefix prefix;
	uint32_t lifetime; /* seconds: ScaledLifetime * 8, at most 65528 */
};

/* One option starting at its Type byte: type 38, Length 2 (16 bytes),
 * PLC 0..5 -> /96 /64 /56 /48 /40 /32, prefix = the top 96 bits masked to
 * the length (8781 s4). False for another type, Length != 2, PLC 6/7
 * (8781 s4: ignore the option), a short buffer, or a prefix RFC 6052
 * rejects (u octet set). A zero lifetime parses: it withdraws the prefix
 * (8781 s4.1). */
bool clat_pref64_parse(const uint8_t *opt, size_t len, struct clat_pref64 *out);
/* Walks a block of ND options (e.g. the payload of a netlink
 * RTM_NEWNDUSEROPT message, or an RA after its 16-byte header) and stores
 * up to max valid PREF64 options in order; returns how many. Stops at an
 * option of Length 0 or one that overruns len (RFC 4861 s4.6). */
size_t clat_pref64_scan(const uint8_t *opts, size_t len, struct clat_pref64 *out, size_t max);

#endif
