/* What the host sees of its network now (for core/netid.h): the resolvers
 * of resolv.conf, and from one netlink dump each the IPv6 default routers
 * and the global IPv6 addresses with their on-link prefixes. */
#ifndef CLAT_NETWORK_PROBE_H
#define CLAT_NETWORK_PROBE_H

#include "core/netid.h"

/* The file c-ares reads its resolvers from too. */
#define CLAT_RESOLV_CONF "/etc/resolv.conf"

/* Fills out; what cannot be read (no resolv.conf, netlink refused by a
 * seccomp filter) is left out, so the identity is made of what remains
 * and stays the same from call to call. Bounded: about 250 ms at worst. */
void clat_network_probe(struct clat_netinfo *out);

#endif
