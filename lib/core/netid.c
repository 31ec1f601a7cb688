/* Network identity: a stable hash of what the host sees of its network. */

#include "netid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a, 64 bits: no secret needed, the value only has to change when
 * the network does (a forger who controls the network controls its
 * identity anyway). */
#define CLAT_FNV_OFFSET 0xcbf29ce484222325ULL
#define CLAT_FNV_PRIME 0x100000001b3ULL

bool clat_netinfo_add(struct clat_netinfo *info, enum clat_netid_kind kind,
		      const uint8_t addr[16], unsigned len, uint32_t ifindex)
{
	if (info->count >= CLAT_NETID_MAX_ITEMS || len > 128)
		return false;
	struct clat_netid_item *it = &info->item[info->count++];
	memset(it, 0, sizeof(*it));
	it->kind = (uint8_t)kind;
	it->len = (uint8_t)len;
	it->ifindex = kind == CLAT_NETID_ROUTER ? ifindex : 0;
	/* Keep only the prefix bits, so two addresses of one /64 are one item. */
	for (unsigned bit = 0; bit < len; bit += 8) {
		unsigned byte = bit / 8, keep = len - bit >= 8 ? 8 : len - bit;
		it->addr[byte] = addr[byte] & (uint8_t)(0xff00u >> keep);
	}
	return true;
}

static int clat_netid_item_cmp(const void *a, const void *b)
{
	const struct clat_netid_item *x = a, *y = b;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

static uint64_t clat_fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= CLAT_FNV_PRIME;
	}
	return h;
}

uint64_t clat_netid_of(const struct clat_netinfo *info)
{
	struct clat_netid_item sorted[CLAT_NETID_MAX_ITEMS];
	unsigned n = 0, used = 0;
	uint64_t h = CLAT_FNV_OFFSET;

	for (unsigned i = 0; i < info->count && i < CLAT_NETID_MAX_ITEMS; i++)
		if (info->item[i].kind != CLAT_NETID_ADDRESS)
			sorted[n++] = info->item[i];
	qsort(sorted, n, sizeof(sorted[0]), clat_netid_item_cmp);
	for (unsigned i = 0; i < n; i++) {
		if (i > 0 && clat_netid_item_cmp(&sorted[i], &sorted[i - 1]) == 0)
			continue;
		uint8_t head[6] = { sorted[i].kind, sorted[i].len,
				    (uint8_t)(sorted[i].ifindex >> 24), (uint8_t)(sorted[i].ifindex >> 16),
				    (uint8_t)(sorted[i].ifindex >> 8), (uint8_t)sorted[i].ifindex };
		h = clat_fnv(h, head, sizeof(head));
		h = clat_fnv(h, sorted[i].addr, sizeof(sorted[i].addr));
		used++;
	}
	if (used == 0)
		return CLAT_NETID_UNKNOWN;
	return h == CLAT_NETID_UNKNOWN ? 1 : h;
}

bool clat_netid_matches(uint64_t learned, uint64_t now)
{
	return learned != CLAT_NETID_UNKNOWN && learned == now;
}

bool clat_netid_format(uint64_t id, char *buf, size_t buflen)
{
	if (buflen < CLAT_NETID_TEXT)
		return false;
	snprintf(buf, buflen, "%016llx", (unsigned long long)id);
	return true;
}

bool clat_netid_parse(const char *text, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	for (i = 0; text[i] != '\0'; i++) {
		char c = text[i];
		unsigned d;
		if (i >= 16)
			return false;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return false;
		v = v << 4 | d;
	}
	if (i != 16 || v == CLAT_NETID_UNKNOWN)
		return false;
	*out = v;
	return true;
}
