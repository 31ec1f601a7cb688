/* ICMP translation for a socket-level CLAT (RFC 7915 s4.2, s5.2, and the
 * table in docs/requirements.md section 4). Pure: byte buffers in, byte
 * buffers out; every function checks lengths and never reads or writes past
 * the sizes it is given. */
#ifndef CLAT_ICMP_H
#define CLAT_ICMP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <time.h> /* linux/errqueue.h needs struct timespec */
#include <linux/errqueue.h>

#include "prefix_set.h"

/* RFC 7600 s4: the IPv4 address shown for an IPv6 node outside the prefix
 * (an IPv6 router before the NAT64). */
#define CLAT_IPV4_DUMMY 0xc0000008U /* 192.0.0.8, host order */

/* RFC 1071 Internet checksum of len bytes (odd lengths padded). The
 * 16-bit words are read big-endian, so the result is stored big-endian
 * (byte 0: value >> 8). Over data that holds a correct checksum it is 0. */
uint16_t clat_inet_checksum(const void *data, size_t len);

/* ICMPv4 echo request (type 8, code 0) -> ICMPv6 echo request (128): id,
 * sequence and payload kept; the checksum field is zeroed (the kernel
 * computes ICMPv6 checksums on ICMPv6 sockets, RFC 3542 s3.1). False when
 * msg is shorter than 8 bytes or not an echo request (left unchanged). */
bool clat_icmp_echo_request_to_v6(uint8_t *msg, size_t len);
/* ICMPv6 echo reply (129) -> ICMPv4 echo reply (0), checksum recomputed
 * over the ICMPv4 message (no pseudo-header, RFC 792). Also 128 -> 8 (a
 * request looped back). False (unchanged) for anything else. */
bool clat_icmp_echo_to_v4(uint8_t *msg, size_t len);

struct clat_icmp_error {
	uint8_t type, code;
	uint32_t info; /* MTU for "fragmentation needed" / PTB, pointer for
			* parameter problem, else 0 */
};
/* ICMPv6 error -> ICMPv4 error per RFC 7915 s5.2: 1/0,2,3 -> 3/1;
 * 1/1 -> 3/10; 1/4 -> 3/3; 2 (PTB) -> 3/4 with MTU - 20 (info carries the
 * IPv6 MTU in and the IPv4 one out); 3/x -> 11/x; 4/0 -> 12/0 with the
 * pointer mapped (v6 -> v4 map of section 4: 0->0, 1->1, 4/5->2, 6->9,
 * 7->8, 8-23->12, 24-39->16, others drop); 4/1 -> 3/2; anything else
 * (4/2, informational, unknown) -> false: drop. */
bool clat_icmp6_error_to_v4(const struct clat_icmp_error *v6, struct clat_icmp_error *v4);

/* IP_RECVERR view of an IPV6_RECVERR report: ee_origin
 * SO_EE_ORIGIN_ICMP6 -> SO_EE_ORIGIN_ICMP with type/code/info through
 * clat_icmp6_error_to_v4 (false: drop the report); SO_EE_ORIGIN_LOCAL and
 * others are copied with EMSGSIZE's ee_info (an MTU) minus 20. ee_errno is
 * kept, except that it follows the new ICMPv4 type/code the way the IPv4
 * stack would set it (3/x: EHOSTUNREACH or ECONNREFUSED for 3/3 or
 * EPROTO... see icmp_err_convert in Linux: 3/0 ENETUNREACH, 3/1
 * EHOSTUNREACH, 3/2 ENOPROTOOPT, 3/3 ECONNREFUSED, 3/4 EMSGSIZE, 3/10
 * EHOSTUNREACH (net/host prohibited: EACCES for 3/13), 11/x EHOSTUNREACH,
 * 12 EPROTO). */
bool clat_extended_err_to_v4(const struct sock_extended_err *in, struct sock_extended_err *out);
/* The errno the Linux IPv4 stack reports for an ICMPv4 error (the
 * icmp_err_convert table of net/ipv4/icmp.c for type 3 codes 0-15,
 * EHOSTUNREACH for other type 3 codes and for type 11, EPROTO for type
 * 12); other types give fallback. */
int clat_icmp4_errno(uint8_t type, uint8_t code, int fallback);

/* The IPv4 address an IPv6 address stands for: the embedded IPv4 under
 * any prefix of the set (RFC 6052 s2.3), the IPv4 of ::ffff:a.b.c.d, else
 * 192.0.0.8 (RFC 7600). */
struct in_addr clat_ipv4_for(const struct clat_prefix_set *prefixes, const struct in6_addr *addr);

/* Writes a 20-byte IPv4 header (version 4, IHL 5, no options, DF clear,
 * id, protocol, TTL, TOS, total length = 20 + payload_len, header
 * checksum) as an IPv4 raw socket would deliver it. Returns 20, or 0 when
 * outlen < 20 or the total would exceed 65535. */
size_t clat_ipv4_header_build(uint8_t *out, size_t outlen, struct in_addr src,
			      struct in_addr dst, uint8_t protocol, uint8_t ttl, uint8_t tos,
			      uint16_t id, size_t payload_len);

/* A whole ICMPv6 message as a raw ICMPv6 socket delivers it (no IPv6
 * header) -> the IPv4 packet a raw ICMP socket would have delivered:
 * IPv4 header (src = clat_ipv4_for(src6), dst = local, TTL = hop_limit,
 * TOS = tclass) + ICMPv4 message. Echo request/reply: as above. Errors
 * (types 1-4): the ICMPv4 error per clat_icmp6_error_to_v4, and the
 * invoking IPv6 packet inside (RFC 7915 s5.3) translated to IPv4: its
 * 40-byte IPv6 header becomes a 20-byte IPv4 header (addresses through
 * clat_ipv4_for, protocol from Next Header with 58 -> 1, TTL = hop limit,
 * total length = payload length + 20), and an inner ICMPv6 echo becomes an
 * ICMPv4 echo; the ICMPv4 checksum is recomputed. Returns the length
 * written to out, or 0 to drop (untranslatable, malformed, too short,
 * outlen too small). */
size_t clat_icmp6_packet_to_v4(const uint8_t *msg, size_t len,
			       const struct in6_addr *src6, struct in_addr local,
			       uint8_t hop_limit, uint8_t tclass,
			       const struct clat_prefix_set *prefixes,
			       uint8_t *out, size_t outlen);

#endif
