/* libFuzzer target: struct hostent packed into a caller's buffer
 * (lib/core/hostent.c).
 *
 * Input: buffer size (2 bytes, 0..4095), misalignment (0..7), address
 * count (0..63), the addresses (4 bytes each), then the name.
 * Invariants: nothing is written outside [buf, buf + buflen) (the buffer
 * is the tail of an exact-size heap block); on success every pointer aims
 * into the buffer, the name, the addresses and the NULL terminators are
 * there, h_addrtype is AF_INET and h_length 4; ERANGE only when the buffer
 * is too small (one of 4 KiB more then succeeds), and success is monotonic
 * in buflen. */
#include <errno.h>
#include <netdb.h>
#include <sys/socket.h>

#include "fuzz_util.h"
#include "hostent.h"

static bool inside(const void *p, size_t n, const char *buf, size_t buflen)
{
	const char *c = p;
	return c >= buf && n <= buflen && (size_t)(c - buf) <= buflen - n;
}

static int build(size_t buflen, unsigned misalign, const char *name,
		 const struct in_addr *addrs, size_t count, bool check)
{
	char *block = fuzz_xmalloc(buflen + misalign), *buf = block + misalign;
	struct hostent h;
	int rc;

	memset(block, 0x5a, buflen + misalign);
	rc = clat_hostent_build(&h, buf, buflen, name, addrs, count);
	FUZZ_CHECK(rc == 0 || rc == ERANGE, "rc %d", rc);
	for (unsigned i = 0; i < misalign; i++)
		FUZZ_CHECK((unsigned char)block[i] == 0x5a, "wrote before the buffer");
	if (rc == 0 && check) {
		size_t i;

		FUZZ_CHECK(h.h_addrtype == AF_INET && h.h_length == 4, "type/length");
		FUZZ_CHECK(inside(h.h_name, strlen(name) + 1, buf, buflen) && strcmp(h.h_name, name) == 0,
			   "name");
		FUZZ_CHECK(inside(h.h_aliases, sizeof(char *), buf, buflen) && h.h_aliases[0] == NULL,
			   "aliases");
		FUZZ_CHECK(inside(h.h_addr_list, (count + 1) * sizeof(char *), buf, buflen), "list");
		for (i = 0; i < count; i++)
			FUZZ_CHECK(inside(h.h_addr_list[i], 4, buf, buflen) &&
					   memcmp(h.h_addr_list[i], &addrs[i], 4) == 0,
				   "address %zu", i);
		FUZZ_CHECK(h.h_addr_list[count] == NULL, "list not terminated");
	}
	free(block);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	size_t buflen = fuzz_u16(&in) % 4096, count = fuzz_u8(&in) % 64, nlen;
	unsigned misalign = fuzz_u8(&in) % 8;
	struct in_addr addrs[64];
	uint8_t *rest;
	char *name;
	int rc;

	for (size_t i = 0; i < count; i++)
		addrs[i].s_addr = fuzz_u32(&in);
	rest = fuzz_rest_copy(&in, &nlen);
	name = fuzz_xmalloc(nlen + 1);
	memcpy(name, rest, nlen);
	name[nlen] = '\0';

	rc = build(buflen, misalign, name, count ? addrs : NULL, count, true);
	if (rc == ERANGE)
		FUZZ_CHECK(build(buflen + strlen(name) + 4096, misalign, name, count ? addrs : NULL,
				 count, true) == 0,
			   "ERANGE with a big enough buffer");
	else
		FUZZ_CHECK(build(buflen + 1, misalign, name, count ? addrs : NULL, count, false) == 0,
			   "a bigger buffer fails");
	free(name);
	free(rest);
	return 0;
}
