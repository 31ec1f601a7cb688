/* libFuzzer target: ancillary data both ways (lib/core/cmsg.c).
 *
 * Input: 2 bytes of destination buffer size (0..1023), 4 bytes of local
 * IPv4, then the source control buffer (an exact-size heap block, so a
 * read past srclen is an AddressSanitizer report).
 * Invariants, IPv6 -> IPv4 (recvmsg): never more than dstlen bytes
 * (destination also an exact-size block); the output is a well-formed
 * control buffer with no IPPROTO_IPV6 message; with room for the aligned
 * source nothing is truncated; a smaller buffer gives a prefix of the
 * full result, and "truncated" only when something was left out.
 * IPv4 -> IPv6 (sendmsg): a well-formed output with only IPV6_PKTINFO /
 * TCLASS (0..255) / HOPLIMIT (1..255) at IPPROTO_IPV6 and nothing at
 * IPPROTO_IP; clat_cmsg_ipv6_space(srclen) bytes are always enough; a
 * smaller buffer either fails or gives the same messages. */
#include <arpa/inet.h>

#include "cmsg.h"
#include "fuzz_util.h"

#define FUZZ_HDR CMSG_LEN(0)

/* Walks a control buffer the kernel's way; calls check on each message. */
static void walk(const uint8_t *buf, size_t len, bool to_v6)
{
	size_t off = 0;

	while (len - off >= sizeof(struct cmsghdr)) {
		struct cmsghdr h;
		size_t data_len;
		int v;

		memcpy(&h, buf + off, sizeof(h));
		FUZZ_CHECK(h.cmsg_len >= FUZZ_HDR && h.cmsg_len <= len - off,
			   "output message at %zu: cmsg_len %zu of %zu", off, (size_t)h.cmsg_len, len);
		data_len = h.cmsg_len - FUZZ_HDR;
		/* Padding up to the next message is zeroed. */
		for (size_t i = off + h.cmsg_len; i < off + CMSG_ALIGN(h.cmsg_len) && i < len; i++)
			FUZZ_CHECK(buf[i] == 0, "padding byte %zu not zero", i);
		if (!to_v6) {
			FUZZ_CHECK(h.cmsg_level != IPPROTO_IPV6, "IPv6-level message in IPv4 output");
		} else {
			FUZZ_CHECK(h.cmsg_level != IPPROTO_IP, "IPv4-level message in IPv6 output");
			if (h.cmsg_level == IPPROTO_IPV6) {
				switch (h.cmsg_type) {
				case IPV6_PKTINFO:
					FUZZ_CHECK(data_len == sizeof(struct in6_pktinfo), "pktinfo size");
					break;
				case IPV6_TCLASS:
				case IPV6_HOPLIMIT:
					FUZZ_CHECK(data_len == sizeof(int), "int size");
					memcpy(&v, buf + off + FUZZ_HDR, sizeof(v));
					FUZZ_CHECK(v >= (h.cmsg_type == IPV6_HOPLIMIT) && v <= 255,
						   "type %d value %d", h.cmsg_type, v);
					break;
				default:
					FUZZ_CHECK(0, "IPv6 message type %d in output", h.cmsg_type);
				}
			}
		}
		off += CMSG_ALIGN(h.cmsg_len);
		if (off >= len)
			break;
	}
	FUZZ_CHECK(off >= len || len - off == 0, "%zu trailing bytes in output", len - off);
}

static void to_ipv4_test(const uint8_t *src, size_t srclen, size_t dstlen, struct in_addr local)
{
	size_t biglen = CMSG_ALIGN(srclen) + 64;
	uint8_t *big = fuzz_xmalloc(biglen), *small = fuzz_xmalloc(dstlen);
	bool trunc_big = true, trunc_small = false;
	size_t n_big, n_small;

	memset(big, 0xa5, biglen);
	n_big = clat_cmsg_to_ipv4(src, srclen, big, biglen, local, &trunc_big);
	FUZZ_CHECK(n_big <= biglen, "wrote %zu of %zu", n_big, biglen);
	FUZZ_CHECK(!trunc_big, "truncated with room for the whole source (%zu, %zu)", srclen, biglen);
	FUZZ_CHECK(n_big <= CMSG_ALIGN(srclen), "IPv4 form %zu longer than source %zu", n_big, srclen);
	walk(big, n_big, false);

	n_small = clat_cmsg_to_ipv4(src, srclen, small, dstlen, local, &trunc_small);
	FUZZ_CHECK(n_small <= dstlen, "wrote %zu of %zu", n_small, dstlen);
	walk(small, n_small, false);
	FUZZ_CHECK(n_small <= n_big && memcmp(small, big, n_small) == 0,
		   "small buffer result is not a prefix of the full one");
	FUZZ_CHECK(!trunc_small || n_small < n_big, "truncated but all there");
	FUZZ_CHECK(trunc_small || n_big - n_small < CMSG_ALIGN(1),
		   "%zu of %zu bytes left out without truncation", n_big - n_small, n_big);

	n_small = clat_cmsg_to_ipv4(src, srclen, NULL, dstlen, local, &trunc_small);
	FUZZ_CHECK(n_small == 0 && trunc_small == (n_big > 0), "NULL destination");
	free(big);
	free(small);
}

static void to_ipv6_test(const uint8_t *src, size_t srclen, size_t dstlen)
{
	size_t space = clat_cmsg_ipv6_space(srclen);
	size_t biglen = 2 * CMSG_ALIGN(srclen) + 64;
	uint8_t *big = fuzz_xmalloc(biglen), *fit = fuzz_xmalloc(space), *small = fuzz_xmalloc(dstlen);
	size_t n_big, n_fit, n_small;

	FUZZ_CHECK(space >= srclen, "ipv6_space %zu < %zu", space, srclen);
	n_big = clat_cmsg_to_ipv6(src, srclen, big, biglen);
	n_fit = clat_cmsg_to_ipv6(src, srclen, fit, space);
	if (n_big == (size_t)-1) {
		FUZZ_CHECK(n_fit == (size_t)-1, "refused with a big buffer, not with ipv6_space");
	} else {
		FUZZ_CHECK(n_big <= biglen, "wrote %zu of %zu", n_big, biglen);
		walk(big, n_big, true);
		FUZZ_CHECK(n_fit != (size_t)-1, "clat_cmsg_ipv6_space(%zu) = %zu too small for %zu",
			   srclen, space, n_big);
		FUZZ_CHECK(n_fit == n_big && memcmp(fit, big, n_big) == 0, "ipv6_space result differs");
	}
	n_small = clat_cmsg_to_ipv6(src, srclen, small, dstlen);
	if (n_small != (size_t)-1) {
		FUZZ_CHECK(n_big != (size_t)-1, "small buffer accepted what a big one refused");
		FUZZ_CHECK(n_small <= dstlen && n_small <= n_big && n_big - n_small < CMSG_ALIGN(1) &&
				   memcmp(small, big, n_small) == 0,
			   "small buffer result differs (%zu vs %zu)", n_small, n_big);
		walk(small, n_small, true);
	}
	if (n_big != (size_t)-1 && n_big > 0)
		FUZZ_CHECK(clat_cmsg_to_ipv6(src, srclen, NULL, dstlen) == (size_t)-1,
			   "NULL destination accepted");
	free(big);
	free(fit);
	free(small);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	size_t dstlen = fuzz_u16(&in) % 1024, srclen;
	struct in_addr local;
	uint8_t *src;

	local.s_addr = htonl(fuzz_u32(&in));
	src = fuzz_rest_copy(&in, &srclen);
	to_ipv4_test(src, srclen, dstlen, local);
	to_ipv6_test(src, srclen, dstlen);
	FUZZ_CHECK(clat_cmsg_ipv6_space(0) == 0, "space(0)");
	free(src);
	return 0;
}
