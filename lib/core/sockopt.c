/* Socket-option equivalence between IPv4 and IPv6 sockets. */
#include "sockopt.h"

#include <linux/icmp.h>

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#define CLAT_COUNT(array) (sizeof(array) / sizeof((array)[0]))

struct clat_sockopt_twin {
	int v4_name;     /* IPPROTO_IP option */
	int v6_level;
	int v6_name;
};

/* IPPROTO_IP options with an equivalent on the IPv6 socket. */
static const struct clat_sockopt_twin clat_sockopt_twins[] = {
	{ IP_TOS, IPPROTO_IPV6, IPV6_TCLASS },          /* RFC 7915 s4.1 */
	{ IP_TTL, IPPROTO_IPV6, IPV6_UNICAST_HOPS },    /* RFC 7915 s4.1 */
	{ IP_RECVTOS, IPPROTO_IPV6, IPV6_RECVTCLASS },
	{ IP_RECVTTL, IPPROTO_IPV6, IPV6_RECVHOPLIMIT },
	{ IP_PKTINFO, IPPROTO_IPV6, IPV6_RECVPKTINFO },
	{ IP_RECVERR, IPPROTO_IPV6, IPV6_RECVERR },
	/* IP_PMTUDISC_* and IPV6_PMTUDISC_* have the same values. */
	{ IP_MTU_DISCOVER, IPPROTO_IPV6, IPV6_MTU_DISCOVER },
	{ IP_FREEBIND, IPPROTO_IPV6, IPV6_FREEBIND },
	{ IP_TRANSPARENT, IPPROTO_IPV6, IPV6_TRANSPARENT },
	{ IP_RECVORIGDSTADDR, IPPROTO_IPV6, IPV6_RECVORIGDSTADDR },
	/* Both take the ifindex in network byte order. */
	{ IP_UNICAST_IF, IPPROTO_IPV6, IPV6_UNICAST_IF },
	{ IP_MINTTL, IPPROTO_IPV6, IPV6_MINHOPCOUNT },  /* RFC 5082 GTSM */
	/* Linux honours this IPv4-level option on IPv6 sockets too. */
	{ IP_BIND_ADDRESS_NO_PORT, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT },
};

/* Multicast options: the socket must stay IPv4 (RFC 6535 s4.6). */
static const int clat_sockopt_pins[] = {
	IP_MULTICAST_IF, IP_MULTICAST_TTL, IP_MULTICAST_LOOP, IP_MULTICAST_ALL,
	IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP,
	IP_ADD_SOURCE_MEMBERSHIP, IP_DROP_SOURCE_MEMBERSHIP,
	IP_BLOCK_SOURCE, IP_UNBLOCK_SOURCE, IP_MSFILTER,
	MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP, MCAST_BLOCK_SOURCE, MCAST_UNBLOCK_SOURCE,
	MCAST_JOIN_SOURCE_GROUP, MCAST_LEAVE_SOURCE_GROUP, MCAST_MSFILTER,
};

static const struct clat_sockopt_twin *clat_sockopt_twin(int optname)
{
	for (size_t i = 0; i < CLAT_COUNT(clat_sockopt_twins); i++)
		if (clat_sockopt_twins[i].v4_name == optname)
			return &clat_sockopt_twins[i];
	return NULL;
}

static bool clat_sockopt_pins_ipv4(int optname)
{
	for (size_t i = 0; i < CLAT_COUNT(clat_sockopt_pins); i++)
		if (clat_sockopt_pins[i] == optname)
			return true;
	return false;
}

static void clat_sockopt_store(int level, int optname, int *v6_level, int *v6_optname)
{
	if (v6_level != NULL)
		*v6_level = level;
	if (v6_optname != NULL)
		*v6_optname = optname;
}

static enum clat_sockopt_class clat_sockopt_classify_ip(int optname, int *v6_level,
							 int *v6_optname)
{
	const struct clat_sockopt_twin *twin = clat_sockopt_twin(optname);

	if (twin != NULL) {
		clat_sockopt_store(twin->v6_level, twin->v6_name, v6_level, v6_optname);
		return CLAT_SOCKOPT_MAP;
	}
	if (clat_sockopt_pins_ipv4(optname))
		return CLAT_SOCKOPT_PINS_IPV4;
	/* IP_OPTIONS, IP_HDRINCL, IP_RECVOPTS, ...: no IPv6 meaning (7915 s4.1
	 * ignores IPv4 options). */
	return CLAT_SOCKOPT_DROP;
}

/* For COPY the same level and name are stored, so callers can use the
 * outputs for every class but PINS_IPV4 and DROP. */
enum clat_sockopt_class clat_sockopt_classify(int level, int optname,
					      int *v6_level, int *v6_optname)
{
	if (level == IPPROTO_IP)
		return clat_sockopt_classify_ip(optname, v6_level, v6_optname);
	/* Broadcast has no IPv6 counterpart (RFC 6535 s4.1). */
	if (level == SOL_SOCKET && optname == SO_BROADCAST)
		return CLAT_SOCKOPT_PINS_IPV4;
	/* SOL_RAW ICMP_FILTER is an ICMPv4 type mask (raw(7)); the switched
	 * ICMPv6 socket gets its own ICMP6_FILTER passing only what has an
	 * ICMPv4 translation (family_switch.c). */
	if (level == SOL_RAW && optname == ICMP_FILTER)
		return CLAT_SOCKOPT_DROP;
	/* SOL_SOCKET, IPPROTO_TCP, IPPROTO_UDP and other protocol levels mean
	 * the same on an IPv6 socket. */
	clat_sockopt_store(level, optname, v6_level, v6_optname);
	return CLAT_SOCKOPT_COPY;
}

bool clat_sockopt_query_v6(int optname, int *v6_level, int *v6_optname)
{
	const struct clat_sockopt_twin *twin;

	/* RFC 7915 s5.2: the caller reports the IPv6 path MTU minus 20. */
	if (optname == IP_MTU) {
		clat_sockopt_store(IPPROTO_IPV6, IPV6_MTU, v6_level, v6_optname);
		return true;
	}
	twin = clat_sockopt_twin(optname);
	if (twin == NULL)
		return false;
	clat_sockopt_store(twin->v6_level, twin->v6_name, v6_level, v6_optname);
	return true;
}
