/* Which UDP destinations look timed out: UDP reports no path error, so a
 * destination sent to (or connected to) again UNANSWERED_SECONDS or more
 * after the first send that got no answer is taken as a program retrying
 * after a timeout. A destination that never answered and got more than
 * UNANSWERED_MAX sends in its window is a one-way stream (syslog, metrics),
 * not a retry. A few destinations are watched; the oldest window gives way.
 * Pure: the caller supplies the time and serialises the calls
 * (translate/datagram_heal.c). */
#ifndef CLAT_DATAGRAM_WATCH_H
#define CLAT_DATAGRAM_WATCH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* Longer than a retransmission of the same query would come (a resolver
 * retries after 1 to 5 s: resolv.conf(5) "timeout", dig +time), shorter
 * than a program gives up. */
#define CLAT_UNANSWERED_SECONDS 2
#define CLAT_UNANSWERED_MAX 8
#define CLAT_WATCH_SLOTS 8

struct clat_datagram_watch {
	struct {
		in_addr_t v4;   /* network order; 0: free */
		int64_t since;  /* time of the oldest unanswered send; 0: none */
		unsigned count; /* sends since then */
		bool answered;  /* something came from v4 once */
	} slot[CLAT_WATCH_SLOTS];
	unsigned open; /* slots with since != 0 */
};

/* A send to v4 at now (seconds, > 0): true when v4 looks timed out. */
bool clat_watch_sent(struct clat_datagram_watch *w, in_addr_t v4, int64_t now);
/* Something arrived from v4: its window closes. */
void clat_watch_answered(struct clat_datagram_watch *w, in_addr_t v4);
/* The sends to v4 go another way from now (a new prefix): a new window. */
void clat_watch_restart(struct clat_datagram_watch *w, in_addr_t v4, int64_t now);

#endif
