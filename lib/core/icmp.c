/* ICMP translation for a socket-level CLAT: ICMPv6 -> ICMPv4 (RFC 7915
 * s5.2, s5.3), echo both ways (s4.2, s5.2) and IP_RECVERR reports. */

#include "icmp.h"

#include <errno.h>
#include <string.h>

/* Header sizes: RFC 791 s3.1 (no options), RFC 8200 s3, RFC 792 / 4443
 * s2.1 (type, code, checksum and one 32-bit word). */
#define CLAT_IPV4_HDR 20u
#define CLAT_IPV6_HDR 40u
#define CLAT_ICMP_HDR 8u
/* RFC 7915 s5.3: what a quoted packet needs to be translated, the IPv6
 * header and the first 8 bytes of the transport header (ports, or the
 * ICMP type, code, checksum, id and sequence). */
#define CLAT_INNER_MIN (CLAT_IPV6_HDR + 8u)
#define CLAT_IPV4_MAX 65535u
/* RFC 791 s3.1: every IPv4 module must forward 68-octet datagrams. */
#define CLAT_IPV4_MIN_MTU 68u
/* RFC 7915 s5.2: IPv6 header (40) minus IPv4 header (20). */
#define CLAT_HDR_DIFF (CLAT_IPV6_HDR - CLAT_IPV4_HDR)

/* ICMPv4 types and codes (RFC 792, RFC 1122 s3.2.2.1, RFC 1812 s5.2.7.1). */
#define CLAT_ICMP4_ECHO_REPLY 0
#define CLAT_ICMP4_UNREACH 3
#define CLAT_ICMP4_ECHO 8
#define CLAT_ICMP4_TIME_EXCEEDED 11
#define CLAT_ICMP4_PARAM_PROBLEM 12
#define CLAT_ICMP4_HOST_UNREACH 1
#define CLAT_ICMP4_PROTO_UNREACH 2
#define CLAT_ICMP4_PORT_UNREACH 3
#define CLAT_ICMP4_FRAG_NEEDED 4
#define CLAT_ICMP4_HOST_PROHIBITED 10
#define CLAT_ICMP4_UNREACH_CODES 16 /* codes 0-15 */

/* ICMPv6 types and codes (RFC 4443 s3, s4). */
#define CLAT_ICMP6_UNREACH 1
#define CLAT_ICMP6_PACKET_TOO_BIG 2
#define CLAT_ICMP6_TIME_EXCEEDED 3
#define CLAT_ICMP6_PARAM_PROBLEM 4
#define CLAT_ICMP6_ECHO 128
#define CLAT_ICMP6_ECHO_REPLY 129
#define CLAT_ICMP6_NO_ROUTE 0
#define CLAT_ICMP6_PROHIBITED 1
#define CLAT_ICMP6_BEYOND_SCOPE 2
#define CLAT_ICMP6_ADDR_UNREACH 3
#define CLAT_ICMP6_PORT_UNREACH 4
#define CLAT_ICMP6_HEADER_FIELD 0
#define CLAT_ICMP6_NEXT_HEADER 1

/* Next Header / Protocol values (IANA protocol numbers). */
#define CLAT_PROTO_ICMP 1
#define CLAT_PROTO_TCP 6
#define CLAT_PROTO_UDP 17
#define CLAT_PROTO_ICMPV6 58

static uint16_t clat_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t clat_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void clat_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 1071 s4.1, with a 64-bit accumulator so that no carry is lost
 * before the fold whatever the length. */
uint16_t clat_inet_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t sum = 0;

	for (; len >= 2; p += 2, len -= 2)
		sum += clat_get16(p);
	if (len == 1)
		sum += (uint32_t)p[0] << 8; /* pad with a zero byte */
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Zeroes the checksum field of the ICMPv4 message and fills it in. */
static void clat_icmp4_fill_checksum(uint8_t *msg, size_t len)
{
	msg[2] = 0;
	msg[3] = 0;
	clat_put16(msg + 2, clat_inet_checksum(msg, len));
}

/* RFC 7915 s4.2: echo request 8 -> 128; the code is 0 for an echo. */
bool clat_icmp_echo_request_to_v6(uint8_t *msg, size_t len)
{
	if (len < CLAT_ICMP_HDR || msg[0] != CLAT_ICMP4_ECHO || msg[1] != 0)
		return false;
	msg[0] = CLAT_ICMP6_ECHO;
	msg[2] = 0; /* the kernel fills the ICMPv6 checksum (RFC 3542 s3.1) */
	msg[3] = 0;
	return true;
}

/* RFC 7915 s5.2: echo 128 -> 8, 129 -> 0; the ICMPv4 checksum has no
 * pseudo-header (RFC 792), so it is recomputed rather than adjusted. */
bool clat_icmp_echo_to_v4(uint8_t *msg, size_t len)
{
	if (len < CLAT_ICMP_HDR)
		return false;
	if (msg[0] == CLAT_ICMP6_ECHO_REPLY)
		msg[0] = CLAT_ICMP4_ECHO_REPLY;
	else if (msg[0] == CLAT_ICMP6_ECHO)
		msg[0] = CLAT_ICMP4_ECHO;
	else
		return false;
	clat_icmp4_fill_checksum(msg, len);
	return true;
}

/* RFC 7915 s5.2 PTB: minimum(advertised MTU - 20, MTU of the IPv4 link,
 * MTU of the IPv6 link - 20); the link terms are unknown to a socket-level
 * shim, which leaves MTU - 20. Never under 68 (RFC 791 s3.1), never over
 * what the 16-bit ICMPv4 Next-Hop MTU field (RFC 1191 s4) can carry. */
static uint32_t clat_mtu_to_v4(uint32_t mtu6)
{
	if (mtu6 < CLAT_IPV4_MIN_MTU + CLAT_HDR_DIFF)
		return CLAT_IPV4_MIN_MTU;
	if (mtu6 - CLAT_HDR_DIFF > CLAT_IPV4_MAX)
		return CLAT_IPV4_MAX;
	return mtu6 - CLAT_HDR_DIFF;
}

/* RFC 7915 s5.2 Figure 6: IPv6 header field -> IPv4 header field. The
 * flow label (2, 3) and anything past the fixed header have no IPv4
 * counterpart: false, and the message is dropped. */
static bool clat_pointer_to_v4(uint32_t ptr6, uint32_t *ptr4)
{
	if (ptr6 <= 1)
		*ptr4 = ptr6; /* version/traffic class -> version/IHL, TOS */
	else if (ptr6 == 4 || ptr6 == 5)
		*ptr4 = 2; /* payload length -> total length */
	else if (ptr6 == 6)
		*ptr4 = 9; /* next header -> protocol */
	else if (ptr6 == 7)
		*ptr4 = 8; /* hop limit -> TTL */
	else if (ptr6 >= 8 && ptr6 <= 23)
		*ptr4 = 12; /* source address */
	else if (ptr6 >= 24 && ptr6 <= 39)
		*ptr4 = 16; /* destination address */
	else
		return false;
	return true;
}

/* RFC 7915 s5.2 Destination Unreachable: codes 0, 2, 3 -> host
 * unreachable; 1 -> host administratively prohibited; 4 -> port
 * unreachable; other codes (5 policy, 6 reject route, ...) are dropped. */
static bool clat_unreach_to_v4(uint8_t code6, uint8_t *code4)
{
	switch (code6) {
	case CLAT_ICMP6_NO_ROUTE:
	case CLAT_ICMP6_BEYOND_SCOPE:
	case CLAT_ICMP6_ADDR_UNREACH:
		*code4 = CLAT_ICMP4_HOST_UNREACH;
		return true;
	case CLAT_ICMP6_PROHIBITED:
		*code4 = CLAT_ICMP4_HOST_PROHIBITED;
		return true;
	case CLAT_ICMP6_PORT_UNREACH:
		*code4 = CLAT_ICMP4_PORT_UNREACH;
		return true;
	default:
		return false;
	}
}

/* RFC 7915 s5.2 Parameter Problem: code 0 -> 12/0 with the pointer of
 * Figure 6; code 1 (unrecognised Next Header) -> protocol unreachable;
 * code 2 (unrecognised option) and unknown codes are dropped. */
static bool clat_param_problem_to_v4(const struct clat_icmp_error *v6,
				     struct clat_icmp_error *v4)
{
	if (v6->code == CLAT_ICMP6_HEADER_FIELD) {
		v4->type = CLAT_ICMP4_PARAM_PROBLEM;
		v4->code = 0;
		return clat_pointer_to_v4(v6->info, &v4->info);
	}
	if (v6->code == CLAT_ICMP6_NEXT_HEADER) {
		v4->type = CLAT_ICMP4_UNREACH;
		v4->code = CLAT_ICMP4_PROTO_UNREACH;
		return true;
	}
	return false;
}

/* v4 may alias v6: the result is built in a local and copied on success. */
bool clat_icmp6_error_to_v4(const struct clat_icmp_error *v6, struct clat_icmp_error *v4)
{
	struct clat_icmp_error r = { 0, 0, 0 };
	bool ok;

	switch (v6->type) {
	case CLAT_ICMP6_UNREACH:
		r.type = CLAT_ICMP4_UNREACH;
		ok = clat_unreach_to_v4(v6->code, &r.code);
		break;
	case CLAT_ICMP6_PACKET_TOO_BIG: /* code: sent as 0, ignored (4443 s3.2) */
		r.type = CLAT_ICMP4_UNREACH;
		r.code = CLAT_ICMP4_FRAG_NEEDED;
		r.info = clat_mtu_to_v4(v6->info);
		ok = true;
		break;
	case CLAT_ICMP6_TIME_EXCEEDED: /* the code is copied */
		r.type = CLAT_ICMP4_TIME_EXCEEDED;
		r.code = v6->code;
		ok = true;
		break;
	case CLAT_ICMP6_PARAM_PROBLEM:
		ok = clat_param_problem_to_v4(v6, &r);
		break;
	default: /* informational (MLD, ND, ...) and unknown errors */
		ok = false;
		break;
	}
	if (ok)
		*v4 = r;
	return ok;
}

/* Linux net/ipv4/icmp.c icmp_err_convert[], indexed by the type 3 code:
 *  0 net unreachable      ENETUNREACH    8 source host isolated  ENONET
 *  1 host unreachable     EHOSTUNREACH   9 net prohibited        ENETUNREACH
 *  2 protocol unreachable ENOPROTOOPT   10 host prohibited       EHOSTUNREACH
 *  3 port unreachable     ECONNREFUSED  11 net unreachable (TOS) ENETUNREACH
 *  4 fragmentation needed EMSGSIZE      12 host unreachable (TOS) EHOSTUNREACH
 *  5 source route failed  EOPNOTSUPP    13 communication prohibited EHOSTUNREACH
 *  6 net unknown          ENETUNREACH   14 precedence violation  EHOSTUNREACH
 *  7 host unknown         EHOSTDOWN     15 precedence cutoff     EHOSTUNREACH
 * (3/13 is EHOSTUNREACH, not EACCES, in the IPv4 stack.) */
static const int clat_unreach_errno[CLAT_ICMP4_UNREACH_CODES] = {
	ENETUNREACH, EHOSTUNREACH, ENOPROTOOPT, ECONNREFUSED,
	EMSGSIZE, EOPNOTSUPP, ENETUNREACH, EHOSTDOWN,
	ENONET, ENETUNREACH, EHOSTUNREACH, ENETUNREACH,
	EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH,
};

/* As the error handlers of udp.c/raw.c/ping.c do: type 3 through the
 * table (EHOSTUNREACH past code 15), time exceeded EHOSTUNREACH,
 * parameter problem EPROTO. */
int clat_icmp4_errno(uint8_t type, uint8_t code, int fallback)
{
	switch (type) {
	case CLAT_ICMP4_UNREACH:
		return code < CLAT_ICMP4_UNREACH_CODES ? clat_unreach_errno[code] : EHOSTUNREACH;
	case CLAT_ICMP4_TIME_EXCEEDED:
		return EHOSTUNREACH;
	case CLAT_ICMP4_PARAM_PROBLEM:
		return EPROTO;
	default:
		return fallback;
	}
}

/* ee_origin ICMP6 becomes ICMP (RFC 7915 s5.2 on type/code/info, errno
 * as the IPv4 stack sets it). A LOCAL EMSGSIZE report (a send over the
 * path MTU) carries the IPv6 MTU in ee_info: it becomes the IPv4 one.
 * Every other report (LOCAL, ICMP from a v4-mapped peer, TXSTATUS,
 * ZEROCOPY, TXTIME) is copied as is. out may alias in. */
bool clat_extended_err_to_v4(const struct sock_extended_err *in, struct sock_extended_err *out)
{
	struct sock_extended_err ee = *in;

	if (ee.ee_origin == SO_EE_ORIGIN_ICMP6) {
		struct clat_icmp_error v6 = { ee.ee_type, ee.ee_code, ee.ee_info };
		struct clat_icmp_error v4;

		if (!clat_icmp6_error_to_v4(&v6, &v4))
			return false;
		ee.ee_origin = SO_EE_ORIGIN_ICMP;
		ee.ee_type = v4.type;
		ee.ee_code = v4.code;
		ee.ee_info = v4.info;
		ee.ee_errno = (uint32_t)clat_icmp4_errno(v4.type, v4.code, (int)ee.ee_errno);
	} else if (ee.ee_origin == SO_EE_ORIGIN_LOCAL && ee.ee_errno == EMSGSIZE) {
		ee.ee_info = clat_mtu_to_v4(ee.ee_info);
	}
	*out = ee;
	return true;
}

/* RFC 6052 s2.3 under each prefix in order, then ::ffff:0:0/96 (RFC 4291
 * s2.5.5.2), then the RFC 7600 s4 dummy. prefixes may be NULL (none). */
struct in_addr clat_ipv4_for(const struct clat_prefix_set *prefixes, const struct in6_addr *addr)
{
	struct in_addr v4;
	unsigned count = 0;

	if (prefixes != NULL)
		count = prefixes->count < CLAT_MAX_PREFIXES ? prefixes->count : CLAT_MAX_PREFIXES;
	for (unsigned i = 0; i < count; i++)
		if (clat_extract(&prefixes->prefix[i], addr, &v4))
			return v4;
	if (IN6_IS_ADDR_V4MAPPED(addr)) {
		memcpy(&v4.s_addr, &addr->s6_addr[12], sizeof(v4.s_addr));
		return v4;
	}
	v4.s_addr = htonl(CLAT_IPV4_DUMMY);
	return v4;
}

/* RFC 791 s3.1 layout; RFC 7915 s5.1 for the field values (identification
 * and fragment fields of an unfragmented packet are 0 there). */
size_t clat_ipv4_header_build(uint8_t *out, size_t outlen, struct in_addr src,
			      struct in_addr dst, uint8_t protocol, uint8_t ttl, uint8_t tos,
			      uint16_t id, size_t payload_len)
{
	if (outlen < CLAT_IPV4_HDR || payload_len > CLAT_IPV4_MAX - CLAT_IPV4_HDR)
		return 0;
	out[0] = 0x45; /* version 4, IHL 5 words */
	out[1] = tos;
	clat_put16(out + 2, (uint16_t)(CLAT_IPV4_HDR + payload_len));
	clat_put16(out + 4, id);
	out[6] = 0; /* flags (DF, MF clear) and fragment offset */
	out[7] = 0;
	out[8] = ttl;
	out[9] = protocol;
	out[10] = 0;
	out[11] = 0;
	memcpy(out + 12, &src.s_addr, sizeof(src.s_addr));
	memcpy(out + 16, &dst.s_addr, sizeof(dst.s_addr));
	clat_put16(out + 10, clat_inet_checksum(out, CLAT_IPV4_HDR));
	return CLAT_IPV4_HDR;
}

/* RFC 7915 s5.1: Next Header -> Protocol. Only a transport directly after
 * the fixed header is translated; extension headers (hop-by-hop, routing,
 * fragment, destination options, ...) and other protocols are dropped:
 * the library's own sockets send none of them. */
static bool clat_inner_protocol(uint8_t next_header, uint8_t *protocol)
{
	switch (next_header) {
	case CLAT_PROTO_TCP:
	case CLAT_PROTO_UDP:
		*protocol = next_header;
		return true;
	case CLAT_PROTO_ICMPV6:
		*protocol = CLAT_PROTO_ICMP;
		return true;
	default:
		return false;
	}
}

/* The quoted ICMPv6 message of an error (never an error itself, RFC 4443
 * s2.4 (e)): only echoes are translated. quoted bytes are in buf; the
 * checksum is recomputed only when the whole message (msg_len bytes, from
 * the inner payload length) was quoted, else the original stays: a
 * checksum over part of a message would be wrong either way. */
static bool clat_inner_icmp_to_v4(uint8_t *buf, size_t quoted, size_t msg_len)
{
	if (buf[0] == CLAT_ICMP6_ECHO)
		buf[0] = CLAT_ICMP4_ECHO;
	else if (buf[0] == CLAT_ICMP6_ECHO_REPLY)
		buf[0] = CLAT_ICMP4_ECHO_REPLY;
	else
		return false;
	if (msg_len >= CLAT_ICMP_HDR && msg_len <= quoted)
		clat_icmp4_fill_checksum(buf, msg_len);
	return true;
}

/* RFC 7915 s5.3: the invoking IPv6 packet (possibly truncated, len bytes)
 * -> IPv4 header + the same transport bytes. The total length comes from
 * the IPv6 payload length, not from what was quoted; TCP/UDP checksums
 * are left as sent (s5.3 asks for no inner transport update). Returns the
 * length written, 0 to drop. */
static size_t clat_inner_to_v4(const uint8_t *pkt, size_t len,
			       const struct clat_prefix_set *prefixes,
			       uint8_t *out, size_t outlen)
{
	struct in6_addr src6, dst6;
	uint16_t payload_len;
	uint8_t protocol, tclass;
	size_t body;

	if (len < CLAT_INNER_MIN || pkt[0] >> 4 != 6 || !clat_inner_protocol(pkt[6], &protocol))
		return 0;
	body = len - CLAT_IPV6_HDR; /* transport bytes quoted */
	if (outlen < CLAT_IPV4_HDR || outlen - CLAT_IPV4_HDR < body)
		return 0;
	payload_len = clat_get16(pkt + 4);
	tclass = (uint8_t)((pkt[0] & 0x0f) << 4 | pkt[1] >> 4);
	memcpy(&src6, pkt + 8, sizeof(src6));
	memcpy(&dst6, pkt + 24, sizeof(dst6));
	if (clat_ipv4_header_build(out, outlen, clat_ipv4_for(prefixes, &src6),
				   clat_ipv4_for(prefixes, &dst6), protocol, pkt[7], tclass, 0,
				   payload_len) == 0)
		return 0;
	memcpy(out + CLAT_IPV4_HDR, pkt + CLAT_IPV6_HDR, body);
	if (protocol == CLAT_PROTO_ICMP &&
	    !clat_inner_icmp_to_v4(out + CLAT_IPV4_HDR, body, payload_len))
		return 0;
	return CLAT_IPV4_HDR + body;
}

/* The second word of the ICMPv4 error header (RFC 792): the Next-Hop MTU
 * in its low 16 bits for 3/4 (RFC 1191 s4), the pointer in its top byte
 * for 12, else unused (0). RFC 4884 lengths are not carried over: an
 * extension structure, if any, stays at the end of the quoted bytes. */
static void clat_error_word(const struct clat_icmp_error *v4, uint8_t *word)
{
	memset(word, 0, 4);
	if (v4->type == CLAT_ICMP4_UNREACH && v4->code == CLAT_ICMP4_FRAG_NEEDED)
		clat_put16(word + 2, (uint16_t)v4->info);
	else if (v4->type == CLAT_ICMP4_PARAM_PROBLEM)
		word[0] = (uint8_t)v4->info;
}

/* RFC 7915 s5.2 + s5.3: ICMPv6 error (len >= 8 checked) -> ICMPv4 error
 * with the translated invoking packet, checksum over all of it. */
static size_t clat_error_to_v4(const uint8_t *msg, size_t len,
			       const struct clat_prefix_set *prefixes, uint8_t *out, size_t outlen)
{
	struct clat_icmp_error v6 = { msg[0], msg[1], clat_get32(msg + 4) };
	struct clat_icmp_error v4;
	size_t inner;

	if (outlen < CLAT_ICMP_HDR || !clat_icmp6_error_to_v4(&v6, &v4))
		return 0;
	inner = clat_inner_to_v4(msg + CLAT_ICMP_HDR, len - CLAT_ICMP_HDR, prefixes,
				 out + CLAT_ICMP_HDR, outlen - CLAT_ICMP_HDR);
	if (inner == 0)
		return 0;
	out[0] = v4.type;
	out[1] = v4.code;
	clat_error_word(&v4, out + 4);
	clat_icmp4_fill_checksum(out, CLAT_ICMP_HDR + inner);
	return CLAT_ICMP_HDR + inner;
}

/* Echo request/reply: copied, then translated in place. */
static size_t clat_echo_packet_to_v4(const uint8_t *msg, size_t len, uint8_t *out,
				     size_t outlen)
{
	if (outlen < len)
		return 0;
	memcpy(out, msg, len);
	return clat_icmp_echo_to_v4(out, len) ? len : 0;
}

size_t clat_icmp6_packet_to_v4(const uint8_t *msg, size_t len,
			       const struct in6_addr *src6, struct in_addr local,
			       uint8_t hop_limit, uint8_t tclass,
			       const struct clat_prefix_set *prefixes,
			       uint8_t *out, size_t outlen)
{
	size_t icmp_len;

	/* The ICMPv4 message is never longer than the ICMPv6 one. */
	if (len < CLAT_ICMP_HDR || len > CLAT_IPV4_MAX - CLAT_IPV4_HDR || outlen < CLAT_IPV4_HDR)
		return 0;
	if (msg[0] == CLAT_ICMP6_ECHO || msg[0] == CLAT_ICMP6_ECHO_REPLY)
		icmp_len = clat_echo_packet_to_v4(msg, len, out + CLAT_IPV4_HDR,
						  outlen - CLAT_IPV4_HDR);
	else
		icmp_len = clat_error_to_v4(msg, len, prefixes, out + CLAT_IPV4_HDR,
					    outlen - CLAT_IPV4_HDR);
	if (icmp_len == 0 ||
	    clat_ipv4_header_build(out, outlen, clat_ipv4_for(prefixes, src6), local,
				   CLAT_PROTO_ICMP, hop_limit, tclass, 0, icmp_len) == 0)
		return 0;
	return CLAT_IPV4_HDR + icmp_len;
}
