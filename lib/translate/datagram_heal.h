/* Self-healing for UDP, which reports no path error: a destination under a
 * discovered NAT64 prefix that looks timed out (core/datagram_watch.h: sent
 * to or connected to again 2 s after a send that got no answer) leads to
 * the rediscovery of prefix_heal.h. When the prefix changed, that send or
 * connect already goes under the new one. A DNS client that retries on a
 * fresh socket each time (dig) is covered: the watch is per destination
 * and process. A connected socket is judged when it connects (send(2) and
 * write(2) on it are not counted). */
#ifndef CLAT_DATAGRAM_HEAL_H
#define CLAT_DATAGRAM_HEAL_H

#include <netinet/in.h>
#include <stdbool.h>

#include "core/destination.h"

/* A UDP send with an address, or a UDP connect, to v4 as decided in d
 * (about to be made). True when d was decided again under a new prefix. */
bool clat_heal_datagram_out(const struct sockaddr_in *v4, struct clat_destination *d);
/* A datagram arrived from v4 (the program's IPv4 view of its sender). */
void clat_heal_datagram_in(const struct sockaddr_in *v4);
/* True while some destination waits for an answer: only then is a
 * sender the caller does not have (recv on a connected socket) worth a
 * getpeername. */
bool clat_heal_datagram_waiting(void);

#endif
