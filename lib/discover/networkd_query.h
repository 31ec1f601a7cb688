/* PREF64 learned by systemd-networkd from Router Advertisements (RFC 8781),
 * asked over its varlink socket (io.systemd.Network.Describe). The kernel
 * keeps no PREF64 to ask for later; networkd, where it runs, does. */
#ifndef CLAT_NETWORKD_PREF64_H
#define CLAT_NETWORKD_PREF64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/prefix_cache.h"

#define CLAT_NETWORKD_SOCKET "/run/systemd/netif/io.systemd.Network"
/* A local daemon answers in milliseconds; this bounds a hung one. */
#define CLAT_NETWORKD_TIMEOUT_MS 250
#define CLAT_NETWORKD_REPLY_MAX (4u << 20)

enum clat_networkd_outcome {
	CLAT_NETWORKD_ABSENT,   /* no socket: networkd does not run here */
	CLAT_NETWORKD_NO_PREF64,/* it answered; no live PREF64 on any link */
	CLAT_NETWORKD_PREFIX,   /* out holds the prefixes (source PREF64) */
	CLAT_NETWORKD_FAILED,   /* it did not answer properly (note says why) */
};

/* Asks networkd (CLAT_NETWORKD_SOCKET, or $CLAT_NETWORKD_SOCKET unless
 * secure). now is Unix time for out's fetched/expires. */
enum clat_networkd_outcome clat_networkd_lookup(bool secure, int64_t now,
						struct clat_cache_entry *out,
						char *note, size_t notelen);

#endif
