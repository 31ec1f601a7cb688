/* libFuzzer target: RFC 6052 prefix strings and addresses
 * (lib/core/rfc6052.c, lib/core/policy.c).
 *
 * Input: the whole input as a NUL-terminated string for clat_prefix_parse;
 * the same bytes read as a binary prefix (16 address bytes + length) for
 * clat_prefix_check, then as an IPv4 address, an IPv6 address and a
 * buffer size.
 * Invariants: a parsed prefix passes clat_prefix_check, formats, and the
 * text parses back to the same 16 bytes and length; a binary prefix that
 * clat_prefix_check accepts does the same (parser and checker agree);
 * synthesis then extraction gives the IPv4 back, and an address that
 * extracts is exactly the synthesis of what it gave; formatting never
 * writes past buflen; the policy verdict matches its own predicates. */
#include <arpa/inet.h>

#include "fuzz_util.h"
#include "policy.h"

static void check_text_round_trip(const struct clat_prefix *p)
{
	char text[64];
	struct clat_prefix back;
	enum clat_prefix_status st;

	FUZZ_CHECK(clat_prefix_format(p, text, sizeof(text)), "valid prefix does not format");
	memset(&back, 0xa5, sizeof(back));
	st = clat_prefix_parse(text, &back);
	FUZZ_CHECK(st == CLAT_PREFIX_OK, "'%s' does not parse back: %s", text,
		   clat_prefix_status_text(st));
	FUZZ_CHECK(back.len == p->len && memcmp(back.addr, p->addr, 16) == 0,
		   "'%s' parses to another prefix", text);
	FUZZ_CHECK(clat_prefix_equal(p, &back) && clat_prefix_equal(&back, p), "equal");
	FUZZ_CHECK(clat_prefix_is_wkp(p) == (strcmp(text, "64:ff9b::/96") == 0), "wkp '%s'", text);
}

static void check_synthesis(const struct clat_prefix *p, struct in_addr v4,
			    const struct in6_addr *any)
{
	struct in6_addr addr, again;
	struct in_addr got;

	clat_synthesize(p, v4, &addr);
	FUZZ_CHECK(memcmp(addr.s6_addr, p->addr, p->len / 8u) == 0, "prefix bits not kept");
	FUZZ_CHECK(p->len == 96 || addr.s6_addr[8] == 0, "u octet set");
	got.s_addr = 0;
	FUZZ_CHECK(clat_extract(p, &addr, &got), "synthesised address does not extract");
	FUZZ_CHECK(got.s_addr == v4.s_addr, "extract gives another IPv4");

	if (clat_extract(p, any, &got)) {
		clat_synthesize(p, got, &again);
		FUZZ_CHECK(memcmp(again.s6_addr, any->s6_addr, 16) == 0,
			   "extracted address is not the synthesis of its IPv4");
	}
}

static void check_policy(const struct clat_prefix *p, struct in_addr v4, bool private_wkp)
{
	enum clat_verdict v = clat_policy_decide(p, private_wkp, v4);
	bool special = clat_ipv4_is_special(v4), non_global = clat_ipv4_is_non_global(v4);

	FUZZ_CHECK(!special || non_global, "special but global");
	FUZZ_CHECK((v == CLAT_VERDICT_SPECIAL) == special, "verdict %d vs special", (int)v);
	if (!special)
		FUZZ_CHECK((v == CLAT_VERDICT_WKP_PRIVATE) ==
				   (p != NULL && clat_prefix_is_wkp(p) && !private_wkp && non_global),
			   "verdict %d vs WKP rule", (int)v);
	FUZZ_CHECK(clat_verdict_text(v) != NULL, "text");
	/* 127/8 and 169.254.169.254 are never translated (ARCHITECTURE). */
	if ((ntohl(v4.s_addr) >> 24) == 127 || ntohl(v4.s_addr) == 0xa9fea9feu)
		FUZZ_CHECK(v == CLAT_VERDICT_SPECIAL, "loopback or metadata translated");
}

static void check_format_bounds(const struct clat_prefix *p, size_t buflen)
{
	char *buf = fuzz_xmalloc(buflen);

	/* An exact-size heap block: a write past buflen is an ASan report. */
	if (clat_prefix_format(p, buf, buflen))
		FUZZ_CHECK(strlen(buf) < buflen, "format overran");
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	char *text = fuzz_xmalloc(size + 1);
	struct clat_prefix parsed, bin;
	enum clat_prefix_status st;
	struct in6_addr any;
	struct in_addr v4;
	size_t buflen;
	bool flag;

	memcpy(text, data, size);
	text[size] = '\0';
	memset(&parsed, 0, sizeof(parsed));
	st = clat_prefix_parse(text, &parsed);
	FUZZ_CHECK(clat_prefix_status_text(st) != NULL, "status text");
	free(text);

	fuzz_bytes(&in, bin.addr, sizeof(bin.addr));
	bin.len = fuzz_u8(&in);
	v4.s_addr = htonl(fuzz_u32(&in));
	fuzz_bytes(&in, any.s6_addr, sizeof(any.s6_addr));
	buflen = fuzz_u8(&in) % 64;
	flag = fuzz_u8(&in) & 1;

	/* Any binary prefix: these must cope with every length. */
	(void)clat_prefix_equal(&bin, &parsed);
	(void)clat_prefix_is_wkp(&bin);
	{
		struct in_addr scratch;
		(void)clat_extract(&bin, &any, &scratch);
	}
	check_format_bounds(&bin, buflen);

	if (st == CLAT_PREFIX_OK) {
		FUZZ_CHECK(clat_prefix_check(&parsed) == CLAT_PREFIX_OK, "parsed prefix fails check");
		check_text_round_trip(&parsed);
		check_synthesis(&parsed, v4, &any);
		check_policy(&parsed, v4, flag);
		check_format_bounds(&parsed, buflen);
	}
	if (clat_prefix_check(&bin) == CLAT_PREFIX_OK) {
		check_text_round_trip(&bin);
		check_synthesis(&bin, v4, &any);
		check_policy(&bin, v4, flag);
	}
	check_policy(NULL, v4, flag);
	return 0;
}
