/* Control-message translation for sendmsg/recvmsg on translated sockets. */
#ifndef CLAT_CMSG_H
#define CLAT_CMSG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Received IPv6 ancillary data -> what an IPv4 socket would have delivered:
 * IPV6_PKTINFO -> IP_PKTINFO (ipi_addr and ipi_spec_dst = local_v4),
 * IPV6_TCLASS -> IP_TOS (one byte), IPV6_HOPLIMIT -> IP_TTL; SOL_SOCKET
 * messages are copied; other IPv6-level messages are dropped.
 * Writes into dst (dstlen bytes, may be NULL/0). Returns the bytes used;
 * sets *truncated when a message did not fit (the caller sets MSG_CTRUNC). */
size_t clat_cmsg_to_ipv4(const void *src, size_t srclen, void *dst, size_t dstlen,
			 struct in_addr local_v4, bool *truncated);
/* Program's IPv4 ancillary data for sendmsg -> IPv6: IP_PKTINFO ->
 * IPV6_PKTINFO (ifindex kept, source left to the kernel), IP_TOS ->
 * IPV6_TCLASS, IP_TTL -> IPV6_HOPLIMIT; SOL_SOCKET copied. Returns the
 * bytes used, or (size_t)-1 when dst is too small or src is malformed. */
size_t clat_cmsg_to_ipv6(const void *src, size_t srclen, void *dst, size_t dstlen);
/* Room needed in an IPv6 control buffer for srclen bytes of IPv4 ones. */
size_t clat_cmsg_ipv6_space(size_t ipv4_len);

#endif
