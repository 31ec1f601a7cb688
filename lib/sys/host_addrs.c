#include <arpa/inet.h>
#include <ifaddrs.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "sys/host_addrs.h"
#include "sys/lazy_libc.h" /* last: see there */

bool clat_host_ipv4_in(struct in_addr net, unsigned len, char *ifname, size_t ifname_len)
{
	uint32_t mask = len == 0 ? 0 : 0xffffffffu << (32 - len);
	struct ifaddrs *list;
	bool found = false;
	if (getifaddrs(&list) != 0)
		return false;
	for (struct ifaddrs *i = list; i != NULL && !found; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET)
			continue;
		uint32_t a = ntohl(((const struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
		if ((a & mask) == ntohl(net.s_addr)) {
			snprintf(ifname, ifname_len, "%s", i->ifa_name);
			found = true;
		}
	}
	freeifaddrs(list);
	return found;
}
