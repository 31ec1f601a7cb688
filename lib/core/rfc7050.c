/* RFC 7050 NAT64 prefix discovery: the answer to "ipv4only.arpa. IN AAAA". */

#include "rfc7050.h"

#include <string.h>

/* RFC 1035 s4.1.1: the fixed header. */
#define CLAT_DNS_HEADER_LEN 12
#define CLAT_DNS_FLAG_QR 0x8000u
#define CLAT_DNS_OPCODE_SHIFT 11
#define CLAT_DNS_OPCODE_MASK 0xfu
#define CLAT_DNS_FLAG_TC 0x0200u
#define CLAT_DNS_RCODE_MASK 0xfu
#define CLAT_DNS_RCODE_NOERROR 0
#define CLAT_DNS_RCODE_NXDOMAIN 3
/* RFC 1035 s3.2.2, s3.2.4; RFC 3596 s2.1 (AAAA). */
#define CLAT_DNS_TYPE_SOA 6
#define CLAT_DNS_TYPE_AAAA 28
#define CLAT_DNS_CLASS_IN 1
#define CLAT_DNS_AAAA_LEN 16
/* RFC 1035 s2.3.4: labels of 63 octets, names of 255 (wire form). */
#define CLAT_DNS_LABEL_MAX 63
#define CLAT_DNS_NAME_MAX 255
/* RFC 1035 s4.1.4: the top two bits of a length octet: 00 label, 11 pointer
 * (01 and 10 are reserved: RFC 6891 s5 retired the only use). */
#define CLAT_DNS_LABEL_TYPE 0xc0u
#define CLAT_DNS_POINTER 0xc0u
/* Each jump goes strictly backwards, so this is only a second fence: a
 * 255-octet name has at most 127 labels, hence at most 127 useful jumps. */
#define CLAT_DNS_JUMPS_MAX 127
/* TYPE, CLASS, TTL, RDLENGTH after an owner name (RFC 1035 s4.1.3). */
#define CLAT_DNS_RR_FIXED 10
/* SOA RDATA after MNAME and RNAME: SERIAL REFRESH RETRY EXPIRE MINIMUM
 * (RFC 1035 s3.3.13). */
#define CLAT_DNS_SOA_FIXED 20

/* The question name, "ipv4only.arpa." in wire form (7050 s2.2). */
static const uint8_t clat_wkn_wire[] = "\x08" "ipv4only" "\x04" "arpa";

static const uint8_t clat_lengths[] = { 32, 40, 48, 56, 64, 96 }; /* 6052 s2.2 */

enum clat_find_status clat_rfc7050_find_prefix(const struct in6_addr *aaaa, uint32_t wka,
					       struct clat_prefix *out)
{
	struct clat_prefix hit = { { 0 }, 0 };
	unsigned hits = 0;

	for (size_t i = 0; i < sizeof(clat_lengths); i++) {
		struct clat_prefix candidate = { { 0 }, clat_lengths[i] };
		struct in_addr v4;

		/* The prefix is the answer masked to n bits (7050 s3). */
		memcpy(candidate.addr, aaaa->s6_addr, candidate.len / 8u);
		/* clat_prefix_check rejects a /96 with u != 0 (6052 s2.2);
		 * clat_extract rejects u != 0 for n < 96 and a non-zero suffix
		 * (docs/requirements.md A.5), so only a clean RFC 6052 address is a
		 * hit. */
		if (clat_prefix_check(&candidate) != CLAT_PREFIX_OK ||
		    !clat_extract(&candidate, aaaa, &v4) || ntohl(v4.s_addr) != wka)
			continue;
		hit = candidate;
		hits++;
	}
	if (hits > 1)
		return CLAT_FIND_AMBIGUOUS; /* 7050 s3: the address is ignored */
	if (hits == 0)
		return CLAT_FIND_NONE;
	*out = hit;
	return CLAT_FIND_OK;
}

bool clat_rfc7050_prefix_of(const struct in6_addr *aaaa, struct clat_prefix *out)
{
	/* 7050 s3: when 192.0.0.170 is absent or ambiguous, 192.0.0.171. */
	return clat_rfc7050_find_prefix(aaaa, CLAT_RFC7050_WKA1, out) == CLAT_FIND_OK ||
	       clat_rfc7050_find_prefix(aaaa, CLAT_RFC7050_WKA2, out) == CLAT_FIND_OK;
}

/* A bounded reader over the message: every access checks len. */
struct clat_dns_reader {
	const uint8_t *msg;
	size_t len;
};

static bool clat_dns_u16(const struct clat_dns_reader *r, size_t pos, uint16_t *out)
{
	if (pos > r->len || r->len - pos < 2)
		return false;
	*out = (uint16_t)((unsigned)r->msg[pos] << 8 | r->msg[pos + 1]);
	return true;
}

static bool clat_dns_u32(const struct clat_dns_reader *r, size_t pos, uint32_t *out)
{
	if (pos > r->len || r->len - pos < 4)
		return false;
	*out = (uint32_t)r->msg[pos] << 24 | (uint32_t)r->msg[pos + 1] << 16 |
	       (uint32_t)r->msg[pos + 2] << 8 | (uint32_t)r->msg[pos + 3];
	return true;
}

/* RFC 2181 s8: a TTL with the top bit set is treated as zero. */
static uint32_t clat_dns_ttl(uint32_t ttl)
{
	return ttl > 0x7fffffffu ? 0 : ttl;
}

static uint8_t clat_ascii_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

/* Reads the name at *pos (RFC 1035 s3.1, s4.1.4), leaves *pos after it in
 * the record (after the first pointer, if any). When wire is not NULL the
 * name is copied there lowercased, without the final root octet, and
 * *wire_len set. A pointer must aim before the lowest offset read so far,
 * so every walk ends; the total length (with the root octet) is at most
 * 255 and every label at most 63. */
static bool clat_dns_name(const struct clat_dns_reader *r, size_t *pos, uint8_t *wire,
			  size_t *wire_len)
{
	size_t at = *pos, lowest = *pos, total = 0;
	bool jumped = false;
	unsigned jumps = 0;

	for (;;) {
		uint8_t octet;

		if (at >= r->len)
			return false;
		octet = r->msg[at];
		if ((octet & CLAT_DNS_LABEL_TYPE) == CLAT_DNS_POINTER) {
			uint16_t raw;
			size_t target;

			if (!clat_dns_u16(r, at, &raw))
				return false;
			target = raw & 0x3fffu;
			/* Backwards only (so no loop), and never into the
			 * header, which holds no name. */
			if (target >= lowest || target < CLAT_DNS_HEADER_LEN ||
			    ++jumps > CLAT_DNS_JUMPS_MAX)
				return false;
			if (!jumped)
				*pos = at + 2;
			jumped = true;
			at = lowest = target;
			continue;
		}
		if ((octet & CLAT_DNS_LABEL_TYPE) != 0)
			return false; /* reserved label types */
		if (octet == 0)
			break;
		/* octet <= 63 here: the top two bits are clear. */
		if (total + 1u + octet + 1u > CLAT_DNS_NAME_MAX || r->len - at - 1 < octet)
			return false;
		if (wire != NULL) {
			wire[total] = octet;
			for (size_t i = 1; i <= octet; i++)
				wire[total + i] = clat_ascii_lower(r->msg[at + i]);
		}
		total += 1u + octet;
		at += 1u + octet;
	}
	if (!jumped)
		*pos = at + 1;
	if (wire_len != NULL)
		*wire_len = total;
	return true;
}

/* One resource record (RFC 1035 s4.1.3); *pos moves past it. rdata_pos is
 * where its RDATA starts. */
struct clat_dns_rr {
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	uint16_t rdlength;
	size_t rdata_pos;
};

static bool clat_dns_rr_read(const struct clat_dns_reader *r, size_t *pos, struct clat_dns_rr *rr)
{
	size_t at = *pos;

	if (!clat_dns_name(r, &at, NULL, NULL) || !clat_dns_u16(r, at, &rr->type) ||
	    !clat_dns_u16(r, at + 2, &rr->rclass) || !clat_dns_u32(r, at + 4, &rr->ttl) ||
	    !clat_dns_u16(r, at + 8, &rr->rdlength))
		return false;
	at += CLAT_DNS_RR_FIXED;
	if (r->len - at < rr->rdlength)
		return false;
	rr->ttl = clat_dns_ttl(rr->ttl);
	rr->rdata_pos = at;
	*pos = at + rr->rdlength;
	return true;
}

/* RFC 2308 s5: the negative TTL is the smaller of the SOA record's TTL and
 * its MINIMUM field. The names inside must stay within the RDATA. */
static bool clat_dns_soa_ttl(const struct clat_dns_reader *r, const struct clat_dns_rr *rr,
			     uint32_t *out)
{
	struct clat_dns_reader rdata = { r->msg, rr->rdata_pos + rr->rdlength };
	size_t at = rr->rdata_pos;
	uint32_t minimum;

	if (!clat_dns_name(&rdata, &at, NULL, NULL) || !clat_dns_name(&rdata, &at, NULL, NULL) ||
	    rdata.len - at != CLAT_DNS_SOA_FIXED ||
	    !clat_dns_u32(&rdata, at + CLAT_DNS_SOA_FIXED - 4, &minimum))
		return false;
	minimum = clat_dns_ttl(minimum);
	*out = rr->ttl < minimum ? rr->ttl : minimum;
	return true;
}

/* The single question must be "ipv4only.arpa. IN AAAA" (7050 s3). */
static bool clat_dns_question(const struct clat_dns_reader *r, size_t *pos)
{
	uint8_t name[CLAT_DNS_NAME_MAX];
	uint16_t qtype, qclass;
	size_t name_len;

	if (!clat_dns_name(r, pos, name, &name_len) || !clat_dns_u16(r, *pos, &qtype) ||
	    !clat_dns_u16(r, *pos + 2, &qclass))
		return false;
	*pos += 4;
	return name_len == sizeof(clat_wkn_wire) - 1 &&
	       memcmp(name, clat_wkn_wire, name_len) == 0 && qtype == CLAT_DNS_TYPE_AAAA &&
	       qclass == CLAT_DNS_CLASS_IN;
}

/* What the record sections held. */
struct clat_dns_scan {
	bool any_aaaa;       /* an AAAA/IN answer, whether or not it had a WKA */
	uint32_t aaaa_ttl;   /* smallest TTL of those answers */
	bool any_prefix;
	uint32_t prefix_ttl; /* smallest TTL of the answers that gave a prefix */
	bool any_soa;
	uint32_t soa_ttl;    /* of the first SOA in the authority section */
};

static uint32_t clat_min_u32(bool have, uint32_t old, uint32_t value)
{
	return have && old < value ? old : value;
}

static bool clat_dns_answer(const struct clat_dns_reader *r, const struct clat_dns_rr *rr,
			    struct clat_dns_result *out, struct clat_dns_scan *scan)
{
	struct clat_prefix prefix;
	struct in6_addr addr;

	if (rr->type != CLAT_DNS_TYPE_AAAA || rr->rclass != CLAT_DNS_CLASS_IN)
		return true; /* CNAME, RRSIG, ...: skipped */
	if (rr->rdlength != CLAT_DNS_AAAA_LEN)
		return false; /* RFC 3596 s2.2 */
	memcpy(addr.s6_addr, r->msg + rr->rdata_pos, CLAT_DNS_AAAA_LEN);
	scan->aaaa_ttl = clat_min_u32(scan->any_aaaa, scan->aaaa_ttl, rr->ttl);
	scan->any_aaaa = true;
	if (!clat_rfc7050_prefix_of(&addr, &prefix))
		return true;
	/* 7050 s3: every answer is examined; prefixes kept in received
	 * order. Past CLAT_MAX_PREFIXES further distinct ones are dropped. */
	clat_prefix_set_add(&out->prefixes, &prefix);
	scan->prefix_ttl = clat_min_u32(scan->any_prefix, scan->prefix_ttl, rr->ttl);
	scan->any_prefix = true;
	return true;
}

/* Walks answer, authority and additional records: every one must be well
 * formed and inside the message. */
static bool clat_dns_records(const struct clat_dns_reader *r, size_t pos, const uint16_t count[3],
			     struct clat_dns_result *out, struct clat_dns_scan *scan)
{
	for (unsigned section = 0; section < 3; section++) {
		for (unsigned i = 0; i < count[section]; i++) {
			struct clat_dns_rr rr;

			if (!clat_dns_rr_read(r, &pos, &rr))
				return false;
			if (section == 0 && !clat_dns_answer(r, &rr, out, scan))
				return false;
			if (section == 1 && rr.type == CLAT_DNS_TYPE_SOA &&
			    rr.rclass == CLAT_DNS_CLASS_IN && !scan->any_soa) {
				if (!clat_dns_soa_ttl(r, &rr, &scan->soa_ttl))
					return false;
				scan->any_soa = true;
			}
		}
	}
	return true;
}

static bool clat_dns_fail(struct clat_dns_result *out)
{
	memset(&out->prefixes, 0, sizeof(out->prefixes));
	out->outcome = CLAT_DNS_FAILURE;
	out->ttl = 0;
	return false;
}

bool clat_rfc7050_parse_response(const uint8_t *msg, size_t len,
				 struct clat_dns_result *out)
{
	struct clat_dns_reader r = { msg, len };
	struct clat_dns_scan scan = { false, 0, false, 0, false, 0 };
	uint16_t flags, qdcount, count[3];
	size_t pos = CLAT_DNS_HEADER_LEN;

	memset(out, 0, sizeof(*out));
	if (msg == NULL || !clat_dns_u16(&r, 2, &flags) || !clat_dns_u16(&r, 4, &qdcount) ||
	    !clat_dns_u16(&r, 6, &count[0]) || !clat_dns_u16(&r, 8, &count[1]) ||
	    !clat_dns_u16(&r, 10, &count[2]))
		return clat_dns_fail(out);
	out->rcode = (int)(flags & CLAT_DNS_RCODE_MASK);
	/* RFC 1035 s4.1.1: a response (QR) to a standard query (OPCODE 0). A
	 * truncated one (TC) is incomplete: the caller retries over TCP. */
	if ((flags & CLAT_DNS_FLAG_QR) == 0 ||
	    ((flags >> CLAT_DNS_OPCODE_SHIFT) & CLAT_DNS_OPCODE_MASK) != 0 ||
	    (flags & CLAT_DNS_FLAG_TC) != 0)
		return clat_dns_fail(out);
	if (out->rcode != CLAT_DNS_RCODE_NOERROR && out->rcode != CLAT_DNS_RCODE_NXDOMAIN)
		return clat_dns_fail(out); /* SERVFAIL, REFUSED, ...: no answer */
	if (qdcount != 1 || !clat_dns_question(&r, &pos) ||
	    !clat_dns_records(&r, pos, count, out, &scan))
		return clat_dns_fail(out);

	if (out->rcode == CLAT_DNS_RCODE_NOERROR && scan.any_prefix) {
		out->outcome = CLAT_DNS_POSITIVE;
		out->ttl = scan.prefix_ttl;
	} else if (out->rcode == CLAT_DNS_RCODE_NOERROR && scan.any_aaaa) {
		/* No WKA in any answer: not an RFC 7050 DNS64 (7050 s3). The
		 * TTL tells the caller how long that answer stays valid. */
		memset(&out->prefixes, 0, sizeof(out->prefixes));
		out->outcome = CLAT_DNS_NO_PREFIX;
		out->ttl = scan.aaaa_ttl;
	} else {
		/* NXDOMAIN, or NODATA (RFC 2308 s2.2): negative, cached for
		 * the SOA's negative TTL (RFC 2308 s5; 7050 s3). */
		memset(&out->prefixes, 0, sizeof(out->prefixes));
		out->outcome = CLAT_DNS_NEGATIVE;
		out->ttl = scan.any_soa ? scan.soa_ttl : 0;
	}
	return true;
}
