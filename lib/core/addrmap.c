/* RFC 6535 address mapper table: allocation, lookup, LRU reuse. */
#include "addrmap.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

size_t clat_map_table_size(unsigned pool_len)
{
	return sizeof(struct clat_map_header) +
	       ((size_t)1 << (32 - pool_len)) * sizeof(struct clat_map_slot);
}

void clat_map_init(void *mem, struct in_addr pool, unsigned pool_len)
{
	struct clat_map_header *map = mem;
	memset(mem, 0, clat_map_table_size(pool_len));
	memcpy(map->magic, CLAT_MAP_MAGIC, sizeof(map->magic));
	map->version = CLAT_MAP_VERSION;
	map->header_size = sizeof(struct clat_map_header);
	map->slot_size = sizeof(struct clat_map_slot);
	map->slot_count = 1u << (32 - pool_len);
	map->pool = pool.s_addr;
	map->pool_len = pool_len;
	map->next_free = 1; /* slot 0 is the network address */
}

bool clat_map_valid(const void *mem, size_t size, struct in_addr pool, unsigned pool_len)
{
	const struct clat_map_header *map = mem;
	if (pool_len < 2 || pool_len > 30 || size < sizeof(*map) ||
	    size < clat_map_table_size(pool_len))
		return false;
	return memcmp(map->magic, CLAT_MAP_MAGIC, sizeof(map->magic)) == 0 &&
	       map->version == CLAT_MAP_VERSION &&
	       map->header_size == sizeof(struct clat_map_header) &&
	       map->slot_size == sizeof(struct clat_map_slot) &&
	       map->slot_count == 1u << (32 - pool_len) && map->pool == pool.s_addr &&
	       map->pool_len == pool_len;
}

long clat_map_index(const struct clat_map_header *map, struct in_addr addr)
{
	uint32_t offset = ntohl(addr.s_addr) - ntohl(map->pool);
	if (offset == 0 || offset >= map->slot_count - 1)
		return -1; /* outside, or the network or broadcast address */
	return (long)offset;
}

struct in_addr clat_map_address(const struct clat_map_header *map, uint32_t index)
{
	struct in_addr addr = { .s_addr = htonl(ntohl(map->pool) + index) };
	return addr;
}

struct clat_map_slot *clat_map_slot(struct clat_map_header *map, uint32_t index)
{
	struct clat_map_slot *slots = (struct clat_map_slot *)(map + 1);
	return &slots[index];
}

struct clat_map_slot *clat_map_find_ipv6(struct clat_map_header *map,
					 const struct in6_addr *ipv6)
{
	for (uint32_t i = 1; i + 1 < map->slot_count; i++) {
		struct clat_map_slot *slot = clat_map_slot(map, i);
		if (slot->state == CLAT_MAP_USED && memcmp(&slot->ipv6, ipv6, sizeof(*ipv6)) == 0)
			return slot;
	}
	return NULL;
}

static void set_name(struct clat_map_slot *slot, const char *name)
{
	if (name == NULL)
		return;
	size_t len = strnlen(name, sizeof(slot->name));
	if (len == sizeof(slot->name))
		return; /* longer than any DNS name: not worth keeping */
	memcpy(slot->name, name, len + 1);
}

static long find_free(struct clat_map_header *map)
{
	uint32_t usable = map->slot_count - 2;
	uint32_t start = map->next_free;
	if (start < 1 || start > usable)
		start = 1;
	for (uint32_t n = 0; n < usable; n++) {
		uint32_t i = 1 + (start - 1 + n) % usable;
		if (clat_map_slot(map, i)->state == CLAT_MAP_FREE)
			return (long)i;
	}
	return -1;
}

/* The least recently used slot unused for min_age seconds (at least one)
 * and not in use. The kernel is asked only about candidates, oldest first,
 * a bounded number of times (each question reads /proc); a slot found in
 * use counts as used now, so the next question is about another one. */
static long find_reusable(struct clat_map_header *map, int64_t now, int64_t min_age,
			  clat_map_in_use_fn *in_use, void *ctx)
{
	enum { MAX_QUESTIONS = 8 };
	int64_t newest_allowed = now - (min_age > 0 ? min_age : 1);
	for (int question = 0; question < MAX_QUESTIONS; question++) {
		long oldest = -1;
		for (uint32_t i = 1; i + 1 < map->slot_count; i++) {
			const struct clat_map_slot *slot = clat_map_slot(map, i);
			if (slot->state == CLAT_MAP_USED && slot->last_used <= newest_allowed &&
			    (oldest < 0 ||
			     slot->last_used < clat_map_slot(map, (uint32_t)oldest)->last_used))
				oldest = (long)i;
		}
		if (oldest < 0)
			return -1;
		struct clat_map_slot *candidate = clat_map_slot(map, (uint32_t)oldest);
		if (in_use == NULL || !in_use(&candidate->ipv6, ctx))
			return oldest;
		candidate->last_used = now;
	}
	return -1;
}

static bool rate_allows(struct clat_map_header *map, int64_t now)
{
	if (now < map->rate_window || now >= map->rate_window + CLAT_MAP_RATE_WINDOW) {
		map->rate_window = now;
		map->rate_count = 0;
	}
	if (map->rate_count >= CLAT_MAP_RATE_MAX)
		return false;
	map->rate_count++;
	return true;
}

enum clat_map_result clat_map_assign(struct clat_map_header *map, const struct in6_addr *ipv6,
				     const char *name, int64_t now, int64_t min_age,
				     clat_map_in_use_fn *in_use, void *ctx,
				     struct in_addr *out)
{
	struct clat_map_slot *slot = clat_map_find_ipv6(map, ipv6);
	if (slot != NULL) {
		if (now > slot->last_used)
			slot->last_used = now;
		if (slot->name[0] == '\0')
			set_name(slot, name);
		*out = clat_map_address(map, (uint32_t)(slot - clat_map_slot(map, 0)));
		return CLAT_MAP_EXISTING;
	}
	if (map->slot_count < 4)
		return CLAT_MAP_EXHAUSTED;
	long index = find_free(map);
	bool reuse = index < 0;
	if (reuse && (index = find_reusable(map, now, min_age, in_use, ctx)) < 0)
		return CLAT_MAP_EXHAUSTED;
	if (!rate_allows(map, now))
		return CLAT_MAP_RATE_LIMITED;
	slot = clat_map_slot(map, (uint32_t)index);
	memset(slot, 0, sizeof(*slot));
	slot->state = CLAT_MAP_USED;
	slot->ipv6 = *ipv6;
	slot->created = now;
	slot->last_used = now;
	set_name(slot, name);
	map->next_free = (uint32_t)index + 1;
	map->allocations++;
	if (reuse)
		map->reuses++;
	*out = clat_map_address(map, (uint32_t)index);
	return CLAT_MAP_OK;
}

const char *clat_map_result_text(enum clat_map_result result)
{
	switch (result) {
	case CLAT_MAP_OK: return "new mapping";
	case CLAT_MAP_EXISTING: return "existing mapping";
	case CLAT_MAP_EXHAUSTED:
		return "pool exhausted (every address in use or younger than the minimum lifetime)";
	case CLAT_MAP_RATE_LIMITED: return "too many new mappings in a short time";
	}
	return "?";
}

bool clat_map_file_path(const char *cache_dir, bool root, const char *xdg, const char *home,
			unsigned euid, struct in_addr pool, unsigned pool_len, char *dir,
			size_t dir_len, char *path, size_t path_len)
{
	int n;
	if (cache_dir != NULL && cache_dir[0] == '/')
		n = snprintf(dir, dir_len, "%s", cache_dir);
	else if (root)
		n = snprintf(dir, dir_len, "/run/libclat");
	else if (xdg != NULL && xdg[0] == '/')
		n = snprintf(dir, dir_len, "%s/libclat", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(dir, dir_len, "%s/.cache/libclat", home);
	else
		return false;
	if (n <= 0 || (size_t)n >= dir_len)
		return false;
	char net[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &pool, net, sizeof(net));
	n = snprintf(path, path_len, "%s/addrmap-v%u-%d-uid%u-%s_%u", dir, CLAT_MAP_VERSION,
		     (int)sizeof(void *) * 8, euid, net, pool_len);
	return n > 0 && (size_t)n < path_len;
}
