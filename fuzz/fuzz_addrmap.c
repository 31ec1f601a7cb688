/* libFuzzer target: the RFC 6535 address mapper table (lib/core/addrmap.c),
 * which lives in a file shared by the processes of one user, so its
 * contents are not to be trusted beyond clat_map_valid.
 *
 * Input: pool length (/24../30), pool address, a list of patches (offset,
 * bytes) applied to a freshly initialised table (a file another process
 * left in any state), then operations: assign (an IPv6 from a small set,
 * a name, time steps, min_age), find, and index/address round trips.
 * Also clat_map_valid over the raw input as a table of its size.
 * Invariants: clat_map_valid never reads past size; on a table it accepts,
 * assign's address is inside the pool and neither its network nor its
 * broadcast address, and its slot holds the IPv6 as USED and is what
 * find_ipv6 returns; a second assign of the same IPv6 is EXISTING with the
 * same address; index and address are inverse; a new mapping never
 * leaves the window's count above CLAT_MAP_RATE_MAX; nothing outside the
 * table block is touched (exact-size heap block). */
#include <arpa/inet.h>

#include "addrmap.h"
#include "fuzz_util.h"

static bool never_in_use(const struct in6_addr *a, void *ctx)
{
	(void)a;
	(void)ctx;
	return false;
}

static bool sometimes_in_use(const struct in6_addr *a, void *ctx)
{
	(void)ctx;
	return a->s6_addr[15] & 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	unsigned pool_len = 24 + fuzz_u8(&in) % 7, patches;
	struct in_addr pool;
	size_t tsize;
	uint8_t *mem;
	struct clat_map_header *map;
	int64_t now;

	/* Raw bytes as a table of their size. */
	{
		uint8_t *raw = fuzz_xmalloc(size);
		struct in_addr p = { htonl(0x0a400000u) };
		memcpy(raw, data, size);
		(void)clat_map_valid(raw, size, p, pool_len);
		free(raw);
	}

	pool.s_addr = htonl(fuzz_u32(&in) & (0xffffffffu << (32 - pool_len)));
	tsize = clat_map_table_size(pool_len);
	mem = fuzz_xmalloc(tsize);
	clat_map_init(mem, pool, pool_len);
	map = (struct clat_map_header *)(void *)mem;
	FUZZ_CHECK(clat_map_valid(mem, tsize, pool, pool_len), "fresh table not valid");
	FUZZ_CHECK(!clat_map_valid(mem, tsize - 1, pool, pool_len), "short table valid");

	/* What another process (or a corrupted file) may have left. */
	patches = fuzz_u8(&in) % 8;
	for (unsigned i = 0; i < patches; i++) {
		size_t off = fuzz_u16(&in) % tsize, n = fuzz_u8(&in) % 16;
		for (size_t j = 0; j < n && off + j < tsize; j++)
			mem[off + j] = fuzz_u8(&in);
	}
	if (!clat_map_valid(mem, tsize, pool, pool_len))
		goto done;

	for (uint32_t i = 1; i + 1 < map->slot_count; i += 37) {
		struct in_addr a = clat_map_address(map, i);
		FUZZ_CHECK(clat_map_index(map, a) == (long)i, "index/address for %u", i);
	}
	FUZZ_CHECK(clat_map_index(map, pool) == -1, "network address has a slot");
	{
		struct in_addr bcast = { htonl(ntohl(pool.s_addr) + map->slot_count - 1) };
		FUZZ_CHECK(clat_map_index(map, bcast) == -1, "broadcast address has a slot");
	}

	now = (int64_t)fuzz_u32(&in);
	while (fuzz_left(&in) > 0) {
		uint8_t op = fuzz_u8(&in);
		struct in6_addr a;
		char name[8];
		struct in_addr out, again;
		enum clat_map_result r;
		struct clat_map_slot *slot;
		long idx;

		memset(&a, 0, sizeof(a));
		a.s6_addr[0] = 0x20;
		a.s6_addr[1] = 0x01;
		a.s6_addr[14] = op >> 4;
		a.s6_addr[15] = fuzz_u8(&in);
		now += fuzz_u8(&in) % 16;
		snprintf(name, sizeof(name), "h%u", a.s6_addr[15]);
		r = clat_map_assign(map, &a, (op & 1) ? name : NULL, now, op & 2 ? 0 : 30,
				    (op & 4) ? sometimes_in_use : never_in_use, NULL, &out);
		FUZZ_CHECK(clat_map_result_text(r) != NULL, "text");
		FUZZ_CHECK(map->rate_count <= CLAT_MAP_RATE_MAX || r != CLAT_MAP_OK,
			   "new mapping past the rate limit");
		if (r != CLAT_MAP_OK && r != CLAT_MAP_EXISTING)
			continue;
		idx = clat_map_index(map, out);
		FUZZ_CHECK(idx >= 1 && (uint32_t)idx + 1 < map->slot_count,
			   "assigned %08x outside the pool's usable addresses", ntohl(out.s_addr));
		slot = clat_map_slot(map, (uint32_t)idx);
		FUZZ_CHECK(slot->state == CLAT_MAP_USED && memcmp(&slot->ipv6, &a, 16) == 0,
			   "slot does not hold the mapping");
		FUZZ_CHECK(clat_map_find_ipv6(map, &a) == slot, "find_ipv6 gives another slot");
		FUZZ_CHECK(clat_map_assign(map, &a, NULL, now, 30, NULL, NULL, &again) ==
					   CLAT_MAP_EXISTING &&
				   again.s_addr == out.s_addr,
			   "second assign differs");
	}
done:
	free(mem);
	return 0;
}
