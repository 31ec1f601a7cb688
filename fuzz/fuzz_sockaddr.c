/* libFuzzer target: sockaddr translation and the POSIX copy-out
 * (lib/core/sockaddr.c).
 *
 * Input: a prefix (17 bytes, a table prefix when not valid), a
 * sockaddr_in, a sockaddr_in6, a caller buffer length, then the rest as a
 * raw caller sockaddr of arbitrary length.
 * Invariants: IPv4 -> Pref64:: -> IPv4 gives address and port back;
 * IPv4 -> ::ffff: -> IPv4 likewise; to_ipv4 on any IPv6 peer agrees with
 * clat_extract and the v4-mapped test, and always fills family and port;
 * copy-out never writes past the caller's length (exact-size heap block)
 * and reports the full length; the is_* tests never read past len (the
 * raw sockaddr lives in an exact-size block, 2-aligned only). */
#include <arpa/inet.h>

#include "fuzz_util.h"
#include "sockaddr.h"

static void check_round_trips(const struct clat_prefix *p, const struct sockaddr_in *sin)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in back;

	clat_sockaddr_synthesize(p, sin, &s6);
	FUZZ_CHECK(s6.sin6_family == AF_INET6 && s6.sin6_port == sin->sin_port &&
			   s6.sin6_flowinfo == 0 && s6.sin6_scope_id == 0,
		   "synthesised sockaddr fields");
	FUZZ_CHECK(!IN6_IS_ADDR_V4MAPPED(&s6.sin6_addr), "synthesis under a valid prefix is v4-mapped");
	memset(&back, 0xa5, sizeof(back));
	FUZZ_CHECK(clat_sockaddr_to_ipv4(p, &s6, &back), "synthesised peer not recognised");
	FUZZ_CHECK(back.sin_family == AF_INET && back.sin_port == sin->sin_port &&
			   back.sin_addr.s_addr == sin->sin_addr.s_addr,
		   "prefix round trip changed the address or port");
	FUZZ_CHECK(clat_sockaddr_is_v4mapped((const struct sockaddr *)&s6, sizeof(s6)) == false,
		   "synthesised address seen as v4-mapped");

	clat_sockaddr_v4mapped(sin, &s6);
	FUZZ_CHECK(clat_sockaddr_is_v4mapped((const struct sockaddr *)&s6, sizeof(s6)), "v4mapped");
	FUZZ_CHECK(!clat_sockaddr_is_v4mapped((const struct sockaddr *)&s6, sizeof(s6) - 1),
		   "short v4-mapped accepted");
	memset(&back, 0xa5, sizeof(back));
	FUZZ_CHECK(clat_sockaddr_from_v4mapped(&s6, &back), "from_v4mapped");
	FUZZ_CHECK(back.sin_family == AF_INET && back.sin_port == sin->sin_port &&
			   back.sin_addr.s_addr == sin->sin_addr.s_addr,
		   "v4-mapped round trip changed the address or port");
	FUZZ_CHECK(clat_sockaddr_to_ipv4(p, &s6, &back) &&
			   back.sin_addr.s_addr == sin->sin_addr.s_addr,
		   "to_ipv4 of a v4-mapped peer");
	FUZZ_CHECK(clat_sockaddr_to_ipv4(NULL, &s6, &back) &&
			   back.sin_addr.s_addr == sin->sin_addr.s_addr,
		   "to_ipv4 of a v4-mapped peer, no prefix");
}

static void check_peer(const struct clat_prefix *p, const struct sockaddr_in6 *s6)
{
	struct sockaddr_in out;
	struct in_addr v4;
	bool mapped = IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr);
	bool inside = clat_extract(p, &s6->sin6_addr, &v4);
	bool ok;

	memset(&out, 0xa5, sizeof(out));
	ok = clat_sockaddr_to_ipv4(p, s6, &out);
	FUZZ_CHECK(ok == (mapped || inside), "to_ipv4 %d, mapped %d, inside %d", ok, mapped, inside);
	FUZZ_CHECK(out.sin_family == AF_INET && out.sin_port == s6->sin6_port, "family/port");
	FUZZ_CHECK(ok || out.sin_addr.s_addr == 0, "unknown peer not 0.0.0.0");
	if (!mapped && inside)
		FUZZ_CHECK(out.sin_addr.s_addr == v4.s_addr, "embedded IPv4");
	if (mapped)
		FUZZ_CHECK(memcmp(&out.sin_addr, &s6->sin6_addr.s6_addr[12], 4) == 0, "mapped IPv4");
	for (size_t i = 0; i < sizeof(out.sin_zero); i++)
		FUZZ_CHECK(out.sin_zero[i] == 0, "sin_zero not cleared");
	memset(&out, 0xa5, sizeof(out));
	FUZZ_CHECK(clat_sockaddr_to_ipv4(NULL, s6, &out) == mapped, "to_ipv4 without prefix");
	FUZZ_CHECK(clat_sockaddr_from_v4mapped(s6, &out) == mapped, "from_v4mapped");
}

static void check_copy_out(const void *src, socklen_t srclen, socklen_t buflen)
{
	uint8_t *dst = fuzz_xmalloc(buflen);
	socklen_t len = buflen;

	clat_sockaddr_copy_out(src, srclen, (struct sockaddr *)dst, &len);
	FUZZ_CHECK(len == srclen, "reported length %u, want %u", (unsigned)len, (unsigned)srclen);
	FUZZ_CHECK(memcmp(dst, src, buflen < srclen ? buflen : srclen) == 0, "copied bytes");
	len = buflen;
	clat_sockaddr_copy_out(src, srclen, NULL, &len);
	FUZZ_CHECK(len == srclen, "NULL dst length");
	clat_sockaddr_copy_out(src, srclen, (struct sockaddr *)dst, NULL);
	free(dst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	struct clat_prefix p = fuzz_prefix(&in);
	struct sockaddr_in sin;
	struct sockaddr_in6 s6;
	socklen_t buflen;
	uint8_t *raw, *block;
	size_t rawlen;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(fuzz_u16(&in));
	sin.sin_addr.s_addr = htonl(fuzz_u32(&in));
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(fuzz_u16(&in));
	s6.sin6_flowinfo = fuzz_u32(&in);
	fuzz_bytes(&in, s6.sin6_addr.s6_addr, 16);
	s6.sin6_scope_id = fuzz_u32(&in);
	buflen = fuzz_u8(&in) % 40;

	check_round_trips(&p, &sin);
	check_peer(&p, &s6);
	check_copy_out(&sin, sizeof(sin), buflen);
	check_copy_out(&s6, sizeof(s6), buflen);

	/* Raw caller bytes in a block that ends with them, aligned for struct
	 * sockaddr (2) but not for sockaddr_in/_in6 (4). */
	raw = fuzz_rest_copy(&in, &rawlen);
	block = fuzz_xmalloc(rawlen + 2);
	memcpy(block + 2, raw, rawlen);
	{
		const struct sockaddr *sa = (const struct sockaddr *)(void *)(block + 2);
		socklen_t len = (socklen_t)rawlen;
		bool v4 = clat_sockaddr_is_ipv4(sa, len), m = clat_sockaddr_is_v4mapped(sa, len);

		FUZZ_CHECK(!v4 || (rawlen >= sizeof(struct sockaddr_in) &&
				   (raw[0] | raw[1] << 8) == AF_INET),
			   "is_ipv4");
		FUZZ_CHECK(!m || (rawlen >= sizeof(struct sockaddr_in6) &&
				  (raw[0] | raw[1] << 8) == AF_INET6),
			   "is_v4mapped");
		FUZZ_CHECK(!(v4 && m), "both families");
		FUZZ_CHECK(!clat_sockaddr_is_ipv4(NULL, len) && !clat_sockaddr_is_v4mapped(NULL, len),
			   "NULL");
	}
	free(block);
	free(raw);
	return 0;
}
