/* Connection attempts for one IPv4 destination when several NAT64 prefixes
 * are known (RFC 8305 s5, s7.1; docs/requirements.md E.42). Pure functions. */
#ifndef CLAT_ATTEMPTS_H
#define CLAT_ATTEMPTS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "prefix_set.h"

/* RFC 8305 s8: the Connection Attempt Delay. 250 ms is the recommended
 * default; never less than 100 ms (and never under 10 ms). */
#define CLAT_ATTEMPT_DELAY_MS 250

/* The destinations to try for dst, one per prefix of set in the set's order
 * (the DNS64's answer order, RFC 7050 s3), skipping the prefixes under which
 * policy keeps dst on IPv4 and duplicates. Returns how many it wrote to out
 * (at most max); nothing past them is touched. */
unsigned clat_attempt_destinations(const struct clat_prefix_set *set,
				   bool translate_private_wkp,
				   const struct sockaddr_in *dst,
				   struct sockaddr_in6 *out, unsigned max);

/* How long to wait (ms) before something must happen: the next attempt's
 * start (next_start_ms < 0: no attempt left) or the caller's deadline
 * (deadline_ms < 0: none), from now_ms; -1 waits for ever, 0 means now. */
int clat_attempt_wait_ms(int64_t now_ms, int64_t next_start_ms, int64_t deadline_ms);

/* Whether an attempt's error blames the way to the destination, after
 * which the next prefix may do better (RFC 8305 s5: a failed attempt starts
 * the next at once). Anything else (ECONNREFUSED: the server answered;
 * ECONNRESET; a shutdown from another thread) is the connect's answer. */
bool clat_attempt_error_may_help(int err);

#endif
