#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "discover/network_probe.h"
#include "sys/realcalls.h"
#include "sys/sysfile.h"

/* resolv.conf is small; a longer one is read up to here (glibc and c-ares
 * use the first three nameservers anyway). */
#define RESOLV_CONF_MAX 4096
#define LOOPBACK_IFINDEX 1
/* A dump reply never needs more than a page per message; 32 KiB holds
 * several, and a longer dump simply takes more reads. */
#define DUMP_BUFFER 32768
/* Bounds a dump even if the kernel were slow to answer (it never blocks
 * in practice: the dump is built as it is read). */
#define DUMP_TIMEOUT_US 250000
/* A dump has a few messages per address or route; this many reads is far
 * beyond any real table and keeps a broken reply from looping forever. */
#define DUMP_MAX_READS 256

static void take_resolver(const char *line, struct clat_netinfo *out)
{
	char word[16], addr[64]; /* %63s: an address, maybe with %scope */
	uint8_t bin[16] = { 0 };
	if (sscanf(line, "%15s %63s", word, addr) != 2 || strcmp(word, "nameserver") != 0)
		return;
	char *scope = strchr(addr, '%');
	if (scope != NULL)
		*scope = '\0';
	if (inet_pton(AF_INET6, addr, bin) != 1) {
		/* IPv4 resolvers as ::ffff:a.b.c.d */
		if (inet_pton(AF_INET, addr, bin + 12) != 1)
			return;
		bin[10] = bin[11] = 0xff;
	}
	clat_netinfo_add(out, CLAT_NETID_RESOLVER, bin, 128, 0);
}

static void read_resolvers(struct clat_netinfo *out)
{
	char *text = malloc(RESOLV_CONF_MAX + 1);
	int fd = text == NULL ? -1 : clat_sys_open(CLAT_RESOLV_CONF, O_RDONLY | O_CLOEXEC, 0);
	ssize_t len = fd < 0 ? -1 : clat_sys_read(fd, text, RESOLV_CONF_MAX);
	if (fd >= 0)
		clat_sys_close(fd);
	if (len > 0) {
		text[len] = '\0';
		for (char *save = NULL, *line = strtok_r(text, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save))
			take_resolver(line, out);
	}
	free(text);
}

static void take_address(const struct nlmsghdr *h, struct clat_netinfo *out)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	/* Addresses on the loopback device (ifindex 1 in every network
	 * namespace) are the host's own services, not a network it is on. */
	if (ifa->ifa_family != AF_INET6 || ifa->ifa_scope != RT_SCOPE_UNIVERSE ||
	    ifa->ifa_index == LOOPBACK_IFINDEX)
		return;
	uint32_t flags = ifa->ifa_flags;
	const uint8_t *addr = NULL;
	int len = (int)IFA_PAYLOAD(h);
	for (const struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if ((a->rta_type == IFA_ADDRESS || a->rta_type == IFA_LOCAL) &&
		    RTA_PAYLOAD(a) == 16)
			addr = RTA_DATA(a);
		else if (a->rta_type == IFA_FLAGS && RTA_PAYLOAD(a) == sizeof(uint32_t))
			memcpy(&flags, RTA_DATA(a), sizeof(flags));
	}
	/* An address still in DAD, or one that failed it, is not the host's yet. */
	if (addr == NULL || (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)))
		return;
	clat_netinfo_add(out, CLAT_NETID_ADDRESS, addr, 128, 0);
	clat_netinfo_add(out, CLAT_NETID_ONLINK, addr, ifa->ifa_prefixlen, 0);
}

static void take_route(const struct nlmsghdr *h, struct clat_netinfo *out)
{
	const struct rtmsg *rt = NLMSG_DATA(h);
	if (rt->rtm_family != AF_INET6 || rt->rtm_dst_len != 0 || rt->rtm_table != RT_TABLE_MAIN ||
	    rt->rtm_type != RTN_UNICAST)
		return;
	const uint8_t *gateway = NULL;
	uint32_t oif = 0;
	int len = (int)RTM_PAYLOAD(h);
	for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_GATEWAY && RTA_PAYLOAD(a) == 16)
			gateway = RTA_DATA(a);
		else if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) == sizeof(uint32_t))
			memcpy(&oif, RTA_DATA(a), sizeof(oif));
	}
	if (gateway != NULL)
		clat_netinfo_add(out, CLAT_NETID_ROUTER, gateway, 128, oif);
}

/* One RTM_GETADDR or RTM_GETROUTE dump of AF_INET6, each message handed
 * to take. */
static void dump(int fd, uint16_t type, char *buf,
		 void (*take)(const struct nlmsghdr *, struct clat_netinfo *),
		 struct clat_netinfo *out)
{
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
	} req = { .h = { .nlmsg_len = sizeof(req), .nlmsg_type = type,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = type },
		  .g = { .rtgen_family = AF_INET6 } };
	if (CLAT_REAL(send)(fd, &req, sizeof(req), 0) != (ssize_t)sizeof(req))
		return;
	for (unsigned reads = 0; reads < DUMP_MAX_READS; reads++) {
		ssize_t n = CLAT_REAL(recv)(fd, buf, DUMP_BUFFER, 0);
		if (n <= 0)
			return;
		int left = (int)n;
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)(const void *)buf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
				return;
			if (h->nlmsg_seq == type)
				take(h, out);
		}
	}
}

void clat_network_probe(struct clat_netinfo *out)
{
	memset(out, 0, sizeof(*out));
	read_resolvers(out);
	/* On the heap: a program's thread may have a small stack. */
	char *buf = malloc(DUMP_BUFFER);
	int fd = buf == NULL ? -1 : CLAT_REAL(socket)(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd >= 0) {
		struct timeval tv = { .tv_sec = 0, .tv_usec = DUMP_TIMEOUT_US };
		CLAT_REAL(setsockopt)(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		dump(fd, RTM_GETROUTE, buf, take_route, out);
		dump(fd, RTM_GETADDR, buf, take_address, out);
		CLAT_REAL(close)(fd);
	}
	free(buf);
}
