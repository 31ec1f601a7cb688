/* Socket-option equivalence between an IPv4 socket and the IPv6 socket that
 * replaces it (RFC 7915 s4.1/s5.1 for TOS/TTL). Pure. */
#ifndef CLAT_SOCKOPT_H
#define CLAT_SOCKOPT_H

#include <stdbool.h>

enum clat_sockopt_class {
	CLAT_SOCKOPT_COPY = 0,   /* same level/name on IPv6 (SOL_SOCKET, TCP, UDP) */
	CLAT_SOCKOPT_MAP,        /* IPPROTO_IP option with an IPPROTO_IPV6 twin */
	CLAT_SOCKOPT_PINS_IPV4,  /* SO_BROADCAST, IPv4 multicast: socket stays IPv4 (6535 s4.1, s4.6) */
	CLAT_SOCKOPT_DROP,       /* IPv4-only option with no meaning after the switch */
};

/* Classifies (level, optname) as set on an AF_INET socket. For MAP, stores
 * the IPv6 level and name. */
enum clat_sockopt_class clat_sockopt_classify(int level, int optname,
					      int *v6_level, int *v6_optname);
/* For getsockopt on a translated socket: the IPv6 option that answers an
 * IPPROTO_IP query, false when there is none. */
bool clat_sockopt_query_v6(int optname, int *v6_level, int *v6_optname);

#endif
