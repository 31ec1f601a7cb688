/* PREF64 (RFC 8781) as systemd-networkd reports it: the JSON of its
 * io.systemd.Network.Describe varlink method (networkctl status --json),
 * where every link that accepted a Router Advertisement with a PREF64
 * option carries
 *   "NDisc": { "PREF64": [ { "Prefix": [16 bytes], "PrefixString": "...",
 *                            "PrefixLength": 96, "LifetimeUSec": T, ... } ] }
 * with T the option's end of life on CLOCK_BOOTTIME, in microseconds.
 * Pure: the caller passes the text and the current CLOCK_BOOTTIME time. */
#ifndef CLAT_NETWORKD_JSON_H
#define CLAT_NETWORKD_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "prefix_set.h"

#define CLAT_NETWORKD_MAX_DEPTH 64 /* deeper JSON is refused, not recursed into */

enum clat_networkd_result {
	CLAT_NETWORKD_FOUND = 0,  /* at least one live, valid prefix */
	CLAT_NETWORKD_NONE,       /* valid JSON, no live PREF64 (or only bad ones) */
	CLAT_NETWORKD_MALFORMED,  /* not JSON, too deep, or an "error" reply */
};

/* Collects the live, valid prefixes (RFC 6052 lengths, u octet zero, usable;
 * lifetime in the future: RFC 8781 s4.1, expired ones are not used) in the
 * order they appear, duplicates dropped. *seconds_left is the shortest
 * remaining lifetime among them. */
enum clat_networkd_result clat_networkd_pref64(const char *json, size_t len,
					       uint64_t now_boottime_usec,
					       struct clat_prefix_set *out,
					       int64_t *seconds_left);

#endif
