/* The host's own IPv4 addresses (getifaddrs), for the address mapper's
 * pool choice (docs/requirements.md D.26), in the library and in clatrun. */
#ifndef CLAT_HOST_ADDRS_H
#define CLAT_HOST_ADDRS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

/* True when an interface has an IPv4 address inside net/len; ifname
 * (ifname_len bytes) gets that interface's name. */
bool clat_host_ipv4_in(struct in_addr net, unsigned len, char *ifname, size_t ifname_len);

#endif
