/* RFC 6052 IPv4-embedded IPv6 addresses. */

#include "rfc6052.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* Byte 8 (bits 64-71) is the "u" octet: never carries IPv4 bits (6052 s2.2). */
#define CLAT_U_OCTET 8
/* "2001:db8:122:344::192.0.2.33" fits in INET6_ADDRSTRLEN; anything longer
 * cannot be an IPv6 address. */
#define CLAT_ADDR_TEXT_MAX INET6_ADDRSTRLEN
/* Larger than any prefix length, so a long digit string stays out of range. */
#define CLAT_LEN_OVERFLOW 1000

static const uint8_t clat_wkp_addr[16] = { 0x00, 0x64, 0xff, 0x9b }; /* 6052 s2.1 */

static bool clat_prefix_len_valid(unsigned len)
{
	/* 6052 s2.2: only these lengths are defined. */
	return len == 32 || len == 40 || len == 48 || len == 56 || len == 64 || len == 96;
}

/* Strictly decimal: digits only, no sign, no spaces, at least one digit. */
static bool clat_parse_len(const char *text, unsigned *out)
{
	unsigned value = 0;

	if (*text == '\0')
		return false;
	for (; *text != '\0'; text++) {
		if (*text < '0' || *text > '9')
			return false;
		value = value * 10 + (unsigned)(*text - '0');
		if (value >= CLAT_LEN_OVERFLOW)
			value = CLAT_LEN_OVERFLOW;
	}
	*out = value;
	return true;
}

enum clat_prefix_status clat_prefix_parse(const char *text, struct clat_prefix *out)
{
	char addr_text[CLAT_ADDR_TEXT_MAX];
	enum clat_prefix_status status;
	struct clat_prefix parsed;
	const char *slash;
	unsigned len;
	size_t addr_len;

	if (text == NULL || (slash = strchr(text, '/')) == NULL)
		return CLAT_PREFIX_SYNTAX;
	addr_len = (size_t)(slash - text);
	if (addr_len == 0 || addr_len >= sizeof(addr_text))
		return CLAT_PREFIX_SYNTAX;
	memcpy(addr_text, text, addr_len);
	addr_text[addr_len] = '\0';
	if (inet_pton(AF_INET6, addr_text, parsed.addr) != 1 || !clat_parse_len(slash + 1, &len))
		return CLAT_PREFIX_SYNTAX;
	if (!clat_prefix_len_valid(len))
		return CLAT_PREFIX_LENGTH;
	parsed.len = (uint8_t)len;
	status = clat_prefix_check(&parsed);
	if (status == CLAT_PREFIX_OK)
		*out = parsed;
	return status;
}

const char *clat_prefix_status_text(enum clat_prefix_status status)
{
	switch (status) {
	case CLAT_PREFIX_OK:
		return "valid NAT64 prefix";
	case CLAT_PREFIX_SYNTAX:
		return "not an IPv6 prefix in the form address/length, e.g. 64:ff9b::/96";
	case CLAT_PREFIX_LENGTH:
		return "prefix length must be 32, 40, 48, 56, 64 or 96 (RFC 6052 section 2.2)";
	case CLAT_PREFIX_U_OCTET:
		return "bits 64 to 71 of the prefix must be zero (RFC 6052 section 2.2)";
	case CLAT_PREFIX_HOST_BITS:
		return "address has bits set after the prefix length";
	case CLAT_PREFIX_UNUSABLE:
		return "not a usable NAT64 prefix: unspecified, IPv4-mapped, link-local or multicast";
	}
	return "unknown prefix error";
}

/* A prefix from DNS, a Router Advertisement or a cache file could be
 * anything: refuse those that would not reach a NAT64 at all. With the
 * first 80 bits zero it is ::/n or ::ffff:0:0/96 (RFC 4291 s2.5.5.2:
 * v4-mapped would send real IPv4); fe80::/10 is link-local, ff00::/8
 * multicast (RFC 4291 s2.4). 64:ff9b::/96 starts 0064 and passes. */
static bool clat_prefix_usable(const struct clat_prefix *prefix)
{
	static const uint8_t zero[10];
	if (memcmp(prefix->addr, zero, sizeof(zero)) == 0)
		return false;
	if (prefix->addr[0] == 0xff)
		return false;
	return !(prefix->addr[0] == 0xfe && (prefix->addr[1] & 0xc0) == 0x80);
}

enum clat_prefix_status clat_prefix_check(const struct clat_prefix *prefix)
{
	if (!clat_prefix_len_valid(prefix->len))
		return CLAT_PREFIX_LENGTH;
	/* 6052 s2.2: the u octet is zero for every length; for /96 the
	 * administrator MUST ensure it, so it is checked before host bits. */
	if (prefix->addr[CLAT_U_OCTET] != 0)
		return CLAT_PREFIX_U_OCTET;
	for (unsigned i = prefix->len / 8u; i < sizeof(prefix->addr); i++)
		if (prefix->addr[i] != 0)
			return CLAT_PREFIX_HOST_BITS;
	return clat_prefix_usable(prefix) ? CLAT_PREFIX_OK : CLAT_PREFIX_UNUSABLE;
}

bool clat_prefix_format(const struct clat_prefix *prefix, char *buf, size_t buflen)
{
	char addr_text[CLAT_ADDR_TEXT_MAX];
	int n;

	if (buf == NULL || inet_ntop(AF_INET6, prefix->addr, addr_text, sizeof(addr_text)) == NULL)
		return false;
	n = snprintf(buf, buflen, "%s/%u", addr_text, (unsigned)prefix->len);
	return n >= 0 && (size_t)n < buflen;
}

bool clat_prefix_equal(const struct clat_prefix *a, const struct clat_prefix *b)
{
	size_t bytes = a->len / 8u;

	if (a->len != b->len)
		return false;
	if (bytes > sizeof(a->addr))
		bytes = sizeof(a->addr);
	return memcmp(a->addr, b->addr, bytes) == 0;
}

bool clat_prefix_is_wkp(const struct clat_prefix *prefix)
{
	return prefix->len == 96 && memcmp(prefix->addr, clat_wkp_addr, sizeof(clat_wkp_addr)) == 0;
}

/* Index of the byte after the embedded IPv4 address; fills pos[] with where
 * each IPv4 octet goes. All prefix lengths are multiples of 8, and the u
 * octet is skipped (6052 s2.2, table in docs/requirements.md section 2). */
static unsigned clat_v4_positions(unsigned len, unsigned pos[4])
{
	unsigned at = len / 8u;

	for (unsigned i = 0; i < 4; i++) {
		if (at == CLAT_U_OCTET)
			at++;
		pos[i] = at++;
	}
	return at;
}

void clat_synthesize(const struct clat_prefix *prefix, struct in_addr v4,
		     struct in6_addr *out)
{
	const uint8_t *octets = (const uint8_t *)&v4.s_addr;
	uint8_t bytes[16] = { 0 };
	unsigned pos[4];

	/* Bits past the prefix, the u octet and the suffix stay zero (s2.2). */
	memcpy(bytes, prefix->addr, prefix->len / 8u);
	clat_v4_positions(prefix->len, pos);
	for (unsigned i = 0; i < 4; i++)
		bytes[pos[i]] = octets[i];
	memcpy(out->s6_addr, bytes, sizeof(bytes));
}

bool clat_extract(const struct clat_prefix *prefix, const struct in6_addr *addr,
		  struct in_addr *v4_out)
{
	const uint8_t *bytes = addr->s6_addr;
	uint8_t octets[4];
	unsigned pos[4];
	unsigned end;

	if (!clat_prefix_len_valid(prefix->len) ||
	    memcmp(bytes, prefix->addr, prefix->len / 8u) != 0)
		return false;
	end = clat_v4_positions(prefix->len, pos);
	/* docs/requirements.md A.5: with u != 0 or a non-zero suffix the address
	 * is not IPv4-embedded (6052 s2.2 says both are zero). */
	if (prefix->len < 96 && bytes[CLAT_U_OCTET] != 0)
		return false;
	for (unsigned i = end; i < 16; i++)
		if (bytes[i] != 0)
			return false;
	for (unsigned i = 0; i < 4; i++)
		octets[i] = bytes[pos[i]];
	memcpy(&v4_out->s_addr, octets, sizeof(octets));
	return true;
}
