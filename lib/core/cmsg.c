/* Control-message translation between IPv4 and IPv6 sockets. */

#include "cmsg.h"

#include <stdint.h>
#include <string.h>

/* Offset of the payload: the aligned header. */
#define CLAT_CMSG_HDR CMSG_LEN(0)

/* Reads messages the way the kernel does (net/core/scm.c, CMSG_OK and
 * __CMSG_NXTHDR): a header needs cmsg_len >= its own size and within the
 * buffer; the last message may omit its padding (glibc's CMSG_NXTHDR would
 * skip such a message, the kernel does not); trailing bytes shorter than a
 * header are ignored. Headers are copied out: buffers may be unaligned. */
struct clat_cmsg_reader {
	const unsigned char *buf;
	size_t len;
	size_t off;
};

enum clat_cmsg_next { CLAT_CMSG_END, CLAT_CMSG_ONE, CLAT_CMSG_BAD };

struct clat_cmsg {
	int level;
	int type;
	const unsigned char *data;
	size_t data_len;
};

static enum clat_cmsg_next clat_cmsg_read(struct clat_cmsg_reader *r, struct clat_cmsg *msg)
{
	struct cmsghdr hdr;
	size_t left = r->off < r->len ? r->len - r->off : 0;

	if (left < sizeof(hdr))
		return CLAT_CMSG_END;
	memcpy(&hdr, r->buf + r->off, sizeof(hdr));
	if (hdr.cmsg_len < CLAT_CMSG_HDR || hdr.cmsg_len > left)
		return CLAT_CMSG_BAD;
	msg->level = hdr.cmsg_level;
	msg->type = hdr.cmsg_type;
	msg->data = r->buf + r->off + CLAT_CMSG_HDR;
	msg->data_len = hdr.cmsg_len - CLAT_CMSG_HDR;
	r->off += CMSG_ALIGN(hdr.cmsg_len);
	return CLAT_CMSG_ONE;
}

struct clat_cmsg_writer {
	unsigned char *buf;
	size_t len;
	size_t off;
};

/* Appends one message, padding zeroed. Like the kernel's put_cmsg() the
 * last one may lose its padding; false when even the message does not fit. */
static bool clat_cmsg_put(struct clat_cmsg_writer *w, int level, int type,
			  const void *data, size_t data_len)
{
	size_t left = w->len - w->off;
	size_t space = CMSG_SPACE(data_len);
	struct cmsghdr hdr;

	if (CMSG_LEN(data_len) > left) /* also when there is no buffer */
		return false;
	if (space > left)
		space = left;
	memset(&hdr, 0, sizeof(hdr));
	hdr.cmsg_len = CMSG_LEN(data_len);
	hdr.cmsg_level = level;
	hdr.cmsg_type = type;
	memset(w->buf + w->off, 0, space);
	memcpy(w->buf + w->off, &hdr, sizeof(hdr));
	memcpy(w->buf + w->off + CLAT_CMSG_HDR, data, data_len);
	w->off += space;
	return true;
}

static int clat_cmsg_int(const struct clat_cmsg *msg)
{
	int value;

	memcpy(&value, msg->data, sizeof(value));
	return value;
}

/* The IPv4 address the program sees as the packet's destination: the
 * embedded one for ::ffff:a.b.c.d (traffic kept on IPv4 through a
 * dual-stack socket), else the local IPv4 of the translated socket. */
static struct in_addr local_ipv4_of(const struct in6_addr *addr, struct in_addr local_v4)
{
	if (IN6_IS_ADDR_V4MAPPED(addr))
		memcpy(&local_v4.s_addr, &addr->s6_addr[12], sizeof(local_v4.s_addr));
	return local_v4;
}

static bool clat_put_in_pktinfo(struct clat_cmsg_writer *w, const struct clat_cmsg *msg,
				struct in_addr local_v4)
{
	struct in6_pktinfo pi6;
	struct in_pktinfo pi;

	if (msg->data_len < sizeof(pi6))
		return true; /* short payload: dropped */
	memcpy(&pi6, msg->data, sizeof(pi6));
	memset(&pi, 0, sizeof(pi));
	pi.ipi_ifindex = pi6.ipi6_ifindex;
	pi.ipi_addr = local_ipv4_of(&pi6.ipi6_addr, local_v4);
	pi.ipi_spec_dst = pi.ipi_addr;
	return clat_cmsg_put(w, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
}

static bool clat_put_origdst(struct clat_cmsg_writer *w, const struct clat_cmsg *msg,
			     struct in_addr local_v4)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;

	if (msg->data_len < sizeof(sin6))
		return true;
	memcpy(&sin6, msg->data, sizeof(sin6));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = sin6.sin6_port;
	sin.sin_addr = local_ipv4_of(&sin6.sin6_addr, local_v4);
	return clat_cmsg_put(w, IPPROTO_IP, IP_ORIGDSTADDR, &sin, sizeof(sin));
}

/* One received message in its IPv4 form. Returns false only when it
 * does not fit; unknown IPv6-level messages are dropped. */
static bool clat_put_ipv4(struct clat_cmsg_writer *w, const struct clat_cmsg *msg,
			  struct in_addr local_v4)
{
	unsigned char tos;
	int ttl;

	/* SOL_SOCKET, UDP (UDP_GRO), ...: the same on both families. */
	if (msg->level != IPPROTO_IPV6)
		return clat_cmsg_put(w, msg->level, msg->type, msg->data, msg->data_len);
	switch (msg->type) {
	case IPV6_PKTINFO:
		return clat_put_in_pktinfo(w, msg, local_v4);
	case IPV6_ORIGDSTADDR:
		return clat_put_origdst(w, msg, local_v4);
	case IPV6_TCLASS: /* int -> the one byte IPv4 delivers (RFC 7915 s5.1) */
		if (msg->data_len < sizeof(int))
			return true;
		tos = (unsigned char)clat_cmsg_int(msg);
		return clat_cmsg_put(w, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	case IPV6_HOPLIMIT: /* int -> int (RFC 7915 s5.1) */
		if (msg->data_len < sizeof(int))
			return true;
		ttl = clat_cmsg_int(msg);
		return clat_cmsg_put(w, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	default: /* IPV6_RECVERR etc.: ICMP errors are translated elsewhere */
		return true;
	}
}

size_t clat_cmsg_to_ipv4(const void *src, size_t srclen, void *dst, size_t dstlen,
			 struct in_addr local_v4, bool *truncated)
{
	struct clat_cmsg_reader r = { src, srclen, 0 };
	struct clat_cmsg_writer w = { dst, dst != NULL ? dstlen : 0, 0 };
	struct clat_cmsg msg;

	*truncated = false;
	/* A malformed kernel answer ends the walk; what came before stays. */
	while (clat_cmsg_read(&r, &msg) == CLAT_CMSG_ONE) {
		if (!clat_put_ipv4(&w, &msg, local_v4)) {
			*truncated = true; /* as put_cmsg(): nothing fits after this */
			break;
		}
	}
	return w.off;
}

/* IP_TOS on sendmsg: an int or one byte, 0..255 (Linux ip_cmsg_send()). */
static bool clat_put_tclass(struct clat_cmsg_writer *w, const struct clat_cmsg *msg)
{
	int tclass;

	if (msg->data_len == sizeof(int))
		tclass = clat_cmsg_int(msg);
	else if (msg->data_len == 1)
		tclass = msg->data[0];
	else
		return false;
	if (tclass < 0 || tclass > 255)
		return false;
	return clat_cmsg_put(w, IPPROTO_IPV6, IPV6_TCLASS, &tclass, sizeof(tclass));
}

/* IP_TTL on sendmsg: an int, 1..255 (Linux ip_cmsg_send()). */
static bool clat_put_hoplimit(struct clat_cmsg_writer *w, const struct clat_cmsg *msg)
{
	int hoplimit;

	if (msg->data_len != sizeof(int))
		return false;
	hoplimit = clat_cmsg_int(msg);
	if (hoplimit < 1 || hoplimit > 255)
		return false;
	return clat_cmsg_put(w, IPPROTO_IPV6, IPV6_HOPLIMIT, &hoplimit, sizeof(hoplimit));
}

/* IP_PKTINFO on sendmsg: keep the interface; the IPv4 source address
 * (ipi_spec_dst) has no IPv6 meaning, so the kernel picks the source. */
static bool clat_put_in6_pktinfo(struct clat_cmsg_writer *w, const struct clat_cmsg *msg)
{
	struct in6_pktinfo pi6;
	struct in_pktinfo pi;

	if (msg->data_len != sizeof(pi))
		return false;
	memcpy(&pi, msg->data, sizeof(pi));
	memset(&pi6, 0, sizeof(pi6));
	pi6.ipi6_ifindex = (unsigned)pi.ipi_ifindex;
	return clat_cmsg_put(w, IPPROTO_IPV6, IPV6_PKTINFO, &pi6, sizeof(pi6));
}

/* One program message in its IPv6 form; false when malformed or no room. */
static bool clat_put_ipv6(struct clat_cmsg_writer *w, const struct clat_cmsg *msg)
{
	/* An AF_INET socket ignores IPv6-level messages (ip_cmsg_send()). */
	if (msg->level == IPPROTO_IPV6)
		return true;
	if (msg->level != IPPROTO_IP)
		return clat_cmsg_put(w, msg->level, msg->type, msg->data, msg->data_len);
	switch (msg->type) {
	case IP_PKTINFO:
		return clat_put_in6_pktinfo(w, msg);
	case IP_TOS: /* RFC 7915 s4.1: Traffic Class = TOS */
		return clat_put_tclass(w, msg);
	case IP_TTL: /* RFC 7915 s4.1: Hop Limit = TTL */
		return clat_put_hoplimit(w, msg);
	default: /* IP_RETOPTS ...: IPv4 options are not translated (s4.1) */
		return true;
	}
}

size_t clat_cmsg_to_ipv6(const void *src, size_t srclen, void *dst, size_t dstlen)
{
	struct clat_cmsg_reader r = { src, srclen, 0 };
	struct clat_cmsg_writer w = { dst, dst != NULL ? dstlen : 0, 0 };
	struct clat_cmsg msg;
	enum clat_cmsg_next next;

	while ((next = clat_cmsg_read(&r, &msg)) == CLAT_CMSG_ONE)
		if (!clat_put_ipv6(&w, &msg))
			return (size_t)-1;
	return next == CLAT_CMSG_BAD ? (size_t)-1 : w.off;
}

size_t clat_cmsg_ipv6_space(size_t ipv4_len)
{
	/* Only IP_PKTINFO grows once aligned: in_pktinfo -> in6_pktinfo. Every
	 * other message keeps its aligned size (IP_TOS's byte or int becomes an
	 * int in the same space); the last may arrive without its padding. */
	const size_t v4_space = CMSG_SPACE(sizeof(struct in_pktinfo));
	const size_t growth = CMSG_SPACE(sizeof(struct in6_pktinfo)) - v4_space;
	size_t aligned;

	if (ipv4_len > SIZE_MAX / 2)
		return SIZE_MAX;
	aligned = CMSG_ALIGN(ipv4_len);
	return aligned + aligned / v4_space * growth;
}
