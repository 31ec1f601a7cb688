/* Whether this host (its network namespace) has an IPv4 route at all: the
 * condition under which mode auto makes a program's AF_INET socket IPv6
 * from the start (hook_socket.c), since every IPv4 attempt would fail. */
#ifndef CLAT_IPV4_ROUTE_H
#define CLAT_IPV4_ROUTE_H

#include <stdbool.h>

/* True when the main routing table holds no usable IPv4 route (none, or
 * only unreachable/prohibit ones). Read from /proc/net/route at most once
 * per CLAT_IPV4_ROUTE_RECHECK_MS; false when it cannot be read. */
#define CLAT_IPV4_ROUTE_RECHECK_MS 1000
bool clat_ipv4_unrouted(void);
/* True when, besides that, the host has no IPv4 address but loopback ones
 * (SIOCGIFCONF, read with the routes): then a real IPv4 call to anything
 * outside 127/8 fails with ENETUNREACH, and mode auto need not try it.
 * An address without a route (noprefixroute, a /32 on a dummy) or routes
 * in another table come with an address, and keep the try. */
bool clat_ipv4_unreachable(void);
/* True when a new AF_INET6 socket is dual-stack without asking
 * (net.ipv6.bindv6only is 0, the default); read with the routes. */
bool clat_ipv6_sockets_dual_stack(void);

#endif
