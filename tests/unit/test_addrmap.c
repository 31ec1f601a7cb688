/* The RFC 6535 address mapper's table (lib/core/addrmap.c) and the hostent
 * builder its gethostbyname answers use (lib/core/hostent.c). */
#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/addrmap.h"
#include "core/hostent.h"
#include "suites.h"
#include "test_util.h"

static struct clat_map_header *new_map(const char *pool, unsigned len)
{
	void *mem = malloc(clat_map_table_size(len));
	ck_assert_ptr_nonnull(mem);
	clat_map_init(mem, clat_test_v4(pool), len);
	return mem;
}

static struct in6_addr host6(unsigned n)
{
	struct in6_addr a = clat_test_v6("2001:db8:aaaa::");
	a.s6_addr[14] = (uint8_t)(n >> 8);
	a.s6_addr[15] = (uint8_t)n;
	return a;
}

static const char *text4(struct in_addr a)
{
	static char buf[INET_ADDRSTRLEN];
	return inet_ntop(AF_INET, &a, buf, sizeof(buf));
}

START_TEST(sizes_and_format)
{
	ck_assert_uint_eq(clat_map_table_size(20),
			  sizeof(struct clat_map_header) + 4096 * sizeof(struct clat_map_slot));
	struct clat_map_header *map = new_map("10.170.160.0", 20);
	size_t size = clat_map_table_size(20);
	ck_assert(clat_map_valid(map, size, clat_test_v4("10.170.160.0"), 20));
	ck_assert_mem_eq(map->magic, "CLATMAP1", 8);
	ck_assert_uint_eq(map->version, 2);
	ck_assert_uint_eq(map->slot_count, 4096);
	/* Anything that does not describe exactly this pool is refused. */
	ck_assert(!clat_map_valid(map, size - 1, clat_test_v4("10.170.160.0"), 20));
	ck_assert(!clat_map_valid(map, size, clat_test_v4("10.170.176.0"), 20));
	ck_assert(!clat_map_valid(map, size, clat_test_v4("10.170.160.0"), 21));
	ck_assert(!clat_map_valid(map, 10, clat_test_v4("10.170.160.0"), 20));
	map->version = 1; /* another version of the format */
	ck_assert(!clat_map_valid(map, size, clat_test_v4("10.170.160.0"), 20));
	map->version = 2;
	map->slot_size++;
	ck_assert(!clat_map_valid(map, size, clat_test_v4("10.170.160.0"), 20));
	map->slot_size--;
	map->magic[0] = 'X';
	ck_assert(!clat_map_valid(map, size, clat_test_v4("10.170.160.0"), 20));
	free(map);
}
END_TEST

START_TEST(index_bounds)
{
	struct clat_map_header *map = new_map("10.170.160.0", 20);
	ck_assert_int_eq(clat_map_index(map, clat_test_v4("10.170.160.0")), -1); /* network */
	ck_assert_int_eq(clat_map_index(map, clat_test_v4("10.170.160.1")), 1);
	ck_assert_int_eq(clat_map_index(map, clat_test_v4("10.170.175.254")), 4094);
	ck_assert_int_eq(clat_map_index(map, clat_test_v4("10.170.175.255")), -1); /* broadcast */
	ck_assert_int_eq(clat_map_index(map, clat_test_v4("10.170.176.1")), -1);
	ck_assert_int_eq(clat_map_index(map, clat_test_v4("10.170.159.255")), -1);
	ck_assert_int_eq(clat_map_index(map, clat_test_v4("203.0.113.10")), -1);
	ck_assert_str_eq(text4(clat_map_address(map, 257)), "10.170.161.1");
	free(map);
}
END_TEST

START_TEST(allocation_is_stable)
{
	struct clat_map_header *map = new_map("10.170.160.0", 20);
	struct in6_addr a = host6(1), b = host6(2);
	struct in_addr out, again;

	ck_assert_int_eq(clat_map_assign(map, &a, "v6only.test", 100, 3600, NULL, NULL, &out),
			 CLAT_MAP_OK);
	ck_assert_str_eq(text4(out), "10.170.160.1");
	ck_assert_int_eq(clat_map_assign(map, &b, NULL, 101, 3600, NULL, NULL, &out), CLAT_MAP_OK);
	ck_assert_str_eq(text4(out), "10.170.160.2");
	/* Same IPv6 address, same pool address; last use refreshed; the name
	 * kept, or filled in when the first request had none. */
	ck_assert_int_eq(clat_map_assign(map, &a, "other.test", 200, 3600, NULL, NULL, &again),
			 CLAT_MAP_EXISTING);
	ck_assert_str_eq(text4(again), "10.170.160.1");
	struct clat_map_slot *slot = clat_map_slot(map, 1);
	ck_assert_str_eq(slot->name, "v6only.test");
	ck_assert_int_eq(slot->created, 100);
	ck_assert_int_eq(slot->last_used, 200);
	ck_assert_int_eq(clat_map_assign(map, &b, "b.test", 201, 3600, NULL, NULL, &again),
			 CLAT_MAP_EXISTING);
	ck_assert_str_eq(clat_map_slot(map, 2)->name, "b.test");
	ck_assert_ptr_eq(clat_map_find_ipv6(map, &a), slot);
	struct in6_addr c = host6(3);
	ck_assert_ptr_null(clat_map_find_ipv6(map, &c));
	ck_assert_uint_eq(map->allocations, 2);
	/* A name longer than any DNS name is not stored (but maps). */
	char longname[400];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(clat_map_assign(map, &c, longname, 202, 3600, NULL, NULL, &out),
			 CLAT_MAP_OK);
	ck_assert_str_eq(clat_map_slot(map, 3)->name, "");
	free(map);
}
END_TEST

static bool in_use_list(const struct in6_addr *ipv6, void *ctx)
{
	const struct in6_addr *busy = ctx;
	return memcmp(ipv6, busy, sizeof(*busy)) == 0;
}

/* A /29 pool: six usable addresses (.1 - .6). */
START_TEST(exhaustion_and_lru_reuse)
{
	struct clat_map_header *map = new_map("192.0.2.8", 29);
	struct in_addr out;
	static const char *const expected[] = { "192.0.2.9", "192.0.2.10", "192.0.2.11",
						 "192.0.2.12", "192.0.2.13", "192.0.2.14" };
	for (unsigned i = 0; i < 6; i++) {
		struct in6_addr h = host6(i);
		ck_assert_int_eq(clat_map_assign(map, &h, NULL, 1000 + i, 60, NULL, NULL, &out),
				 CLAT_MAP_OK);
		ck_assert_str_eq(text4(out), expected[i]);
	}
	/* Full, and every mapping younger than the minimum lifetime. */
	struct in6_addr fresh = host6(100);
	ck_assert_int_eq(clat_map_assign(map, &fresh, NULL, 1030, 60, NULL, NULL, &out),
			 CLAT_MAP_EXHAUSTED);
	/* Touch host 0 so that host 1 is the least recently used. */
	struct in6_addr h0 = host6(0), h1 = host6(1), h2 = host6(2);
	ck_assert_int_eq(clat_map_assign(map, &h0, NULL, 1050, 60, NULL, NULL, &out),
			 CLAT_MAP_EXISTING);
	ck_assert_int_eq(clat_map_assign(map, &fresh, NULL, 1070, 60, NULL, NULL, &out),
			 CLAT_MAP_OK);
	ck_assert_str_eq(text4(out), "192.0.2.10"); /* host 1's, the LRU one */
	ck_assert_ptr_null(clat_map_find_ipv6(map, &h1));
	ck_assert_uint_eq(map->reuses, 1);
	/* Never reuse a mapping that an open socket still uses: host 2 is the
	 * oldest now but busy, so host 3's goes, and host 2 counts as used. */
	struct in6_addr newer = host6(101);
	ck_assert_int_eq(clat_map_assign(map, &newer, NULL, 1075, 60, in_use_list, &h2, &out),
			 CLAT_MAP_OK);
	ck_assert_str_eq(text4(out), "192.0.2.12");
	ck_assert_ptr_nonnull(clat_map_find_ipv6(map, &h2));
	ck_assert_int_eq(clat_map_find_ipv6(map, &h2)->last_used, 1075);
	/* Everything busy: exhausted, nothing lost. */
	struct in6_addr busy = host6(4);
	struct in6_addr last = host6(102);
	ck_assert_int_eq(clat_map_assign(map, &last, NULL, 1076, 60, in_use_list, &busy, &out),
			 CLAT_MAP_OK); /* host 5 (1005) is older than min age and free */
	ck_assert_str_eq(text4(out), "192.0.2.14");
	free(map);
}
END_TEST

static bool everything_busy(const struct in6_addr *ipv6, void *ctx)
{
	(void)ipv6;
	(*(int *)ctx)++;
	return true;
}

START_TEST(all_in_use_is_exhausted)
{
	struct clat_map_header *map = new_map("192.0.2.0", 28);
	struct in_addr out;
	for (unsigned i = 0; i < 14; i++) {
		struct in6_addr h = host6(i);
		ck_assert_int_eq(clat_map_assign(map, &h, NULL, i, 10, NULL, NULL, &out),
				 CLAT_MAP_OK);
	}
	int questions = 0;
	struct in6_addr extra = host6(99);
	ck_assert_int_eq(clat_map_assign(map, &extra, NULL, 5000, 10, everything_busy,
					 &questions, &out), CLAT_MAP_EXHAUSTED);
	ck_assert_int_le(questions, 8); /* bounded: each question reads /proc */
	ck_assert_int_ge(questions, 1);
	for (unsigned i = 0; i < 14; i++) {
		struct in6_addr h = host6(i);
		ck_assert_ptr_nonnull(clat_map_find_ipv6(map, &h));
	}
	free(map);
}
END_TEST

START_TEST(rate_bound)
{
	struct clat_map_header *map = new_map("10.170.160.0", 20);
	struct in_addr out;
	unsigned i;
	for (i = 0; i < CLAT_MAP_RATE_MAX; i++) {
		struct in6_addr h = host6(i);
		ck_assert_int_eq(clat_map_assign(map, &h, NULL, 500, 3600, NULL, NULL, &out),
				 CLAT_MAP_OK);
	}
	struct in6_addr h = host6(i);
	ck_assert_int_eq(clat_map_assign(map, &h, NULL, 500 + CLAT_MAP_RATE_WINDOW - 1, 3600,
					 NULL, NULL, &out), CLAT_MAP_RATE_LIMITED);
	/* Existing mappings are still answered while limited. */
	struct in6_addr first = host6(0);
	ck_assert_int_eq(clat_map_assign(map, &first, NULL, 505, 3600, NULL, NULL, &out),
			 CLAT_MAP_EXISTING);
	ck_assert_int_eq(clat_map_assign(map, &h, NULL, 500 + CLAT_MAP_RATE_WINDOW, 3600,
					 NULL, NULL, &out), CLAT_MAP_OK);
	ck_assert_str_ne(clat_map_result_text(CLAT_MAP_RATE_LIMITED), "?");
	free(map);
}
END_TEST

/* The table is its own persistence format: a copy of the bytes (another
 * process mapping the same file) answers the same. */
START_TEST(persistence_by_bytes)
{
	size_t size = clat_map_table_size(24);
	struct clat_map_header *map = new_map("10.1.2.0", 24);
	struct in6_addr a = host6(7);
	struct in_addr out, again;
	ck_assert_int_eq(clat_map_assign(map, &a, "seven.test", 1, 60, NULL, NULL, &out),
			 CLAT_MAP_OK);
	void *copy = malloc(size);
	memcpy(copy, map, size);
	ck_assert(clat_map_valid(copy, size, clat_test_v4("10.1.2.0"), 24));
	ck_assert_int_eq(clat_map_assign(copy, &a, NULL, 2, 60, NULL, NULL, &again),
			 CLAT_MAP_EXISTING);
	ck_assert_uint_eq(out.s_addr, again.s_addr);
	long index = clat_map_index(copy, out);
	ck_assert_str_eq(clat_map_slot(copy, (uint32_t)index)->name, "seven.test");
	ck_assert_mem_eq(&clat_map_slot(copy, (uint32_t)index)->ipv6, &a, sizeof(a));
	free(copy);
	free(map);
}
END_TEST

START_TEST(hostent_layout)
{
	struct in_addr addrs[2] = { clat_test_v4("10.170.160.1"), clat_test_v4("10.170.160.2") };
	struct hostent he;
	char buf[256];
	/* An odd start address: the pointers must still be aligned. */
	ck_assert_int_eq(clat_hostent_build(&he, buf + 1, sizeof(buf) - 1, "v6only.test", addrs, 2),
			 0);
	ck_assert_str_eq(he.h_name, "v6only.test");
	ck_assert_int_eq(he.h_addrtype, AF_INET);
	ck_assert_int_eq(he.h_length, 4);
	ck_assert_ptr_null(he.h_aliases[0]);
	ck_assert_mem_eq(he.h_addr_list[0], &addrs[0], 4);
	ck_assert_mem_eq(he.h_addr_list[1], &addrs[1], 4);
	ck_assert_ptr_null(he.h_addr_list[2]);
	ck_assert_uint_eq((uintptr_t)he.h_addr_list % alignof(char *), 0);
	for (char **p = he.h_addr_list; *p; p++)
		ck_assert(*p >= buf && *p < buf + sizeof(buf));
	ck_assert(he.h_name >= buf && he.h_name + strlen(he.h_name) < buf + sizeof(buf));
}
END_TEST

START_TEST(hostent_too_small)
{
	struct in_addr addr = clat_test_v4("10.170.160.1");
	struct hostent he;
	char buf[64];
	size_t need = 0;
	for (size_t n = 0; n <= sizeof(buf); n++) {
		int rc = clat_hostent_build(&he, buf, n, "name.test", &addr, 1);
		ck_assert(rc == 0 || rc == ERANGE);
		if (rc == 0 && need == 0)
			need = n;
	}
	ck_assert_uint_gt(need, 0);
	ck_assert_int_eq(clat_hostent_build(&he, buf, need - 1, "name.test", &addr, 1), ERANGE);
	ck_assert_int_eq(clat_hostent_build(NULL, buf, sizeof(buf), "x", &addr, 1), EINVAL);
	ck_assert_int_eq(clat_hostent_build(&he, buf, sizeof(buf), NULL, &addr, 1), EINVAL);
	ck_assert_int_eq(clat_hostent_build(&he, buf, sizeof(buf), "x", NULL, 1), EINVAL);
	ck_assert_int_eq(clat_hostent_build(&he, buf, sizeof(buf), "x", NULL, 0), 0);
	ck_assert_ptr_null(he.h_addr_list[0]);
}
END_TEST

/* Where the table lives: the library maps it, clatrun's supervisor reads
 * it, both through this one function. */
START_TEST(file_path_order)
{
	struct in_addr pool = clat_test_v4("10.170.160.0");
	char dir[128], path[256], want[256];
	int bits = (int)sizeof(void *) * 8;

	ck_assert(clat_map_file_path("/tmp/c", true, "/run/user/1", "/home/u", 0, pool, 20,
				     dir, sizeof(dir), path, sizeof(path)));
	ck_assert_str_eq(dir, "/tmp/c");
	snprintf(want, sizeof(want), "/tmp/c/addrmap-v%u-%d-uid0-10.170.160.0_20",
		 CLAT_MAP_VERSION, bits);
	ck_assert_str_eq(path, want);
	/* a relative CLAT_CACHE_DIR is ignored; root gets /run/libclat */
	ck_assert(clat_map_file_path("rel", true, "/run/user/1", "/home/u", 0, pool, 20,
				     dir, sizeof(dir), path, sizeof(path)));
	ck_assert_str_eq(dir, "/run/libclat");
	ck_assert(clat_map_file_path(NULL, false, "/run/user/1000", "/home/u", 1000, pool, 20,
				     dir, sizeof(dir), path, sizeof(path)));
	ck_assert_str_eq(dir, "/run/user/1000/libclat");
	snprintf(want, sizeof(want), "/run/user/1000/libclat/addrmap-v%u-%d-uid1000-10.170.160.0_20",
		 CLAT_MAP_VERSION, bits);
	ck_assert_str_eq(path, want);
	ck_assert(clat_map_file_path(NULL, false, "relative", "/home/u", 1000, pool, 20,
				     dir, sizeof(dir), path, sizeof(path)));
	ck_assert_str_eq(dir, "/home/u/.cache/libclat");
	ck_assert(!clat_map_file_path(NULL, false, NULL, NULL, 1000, pool, 20,
				      dir, sizeof(dir), path, sizeof(path)));
	/* names that do not fit are refused, not cut */
	ck_assert(!clat_map_file_path("/tmp/c", false, NULL, NULL, 0, pool, 20,
				      dir, sizeof(dir), path, 20));
	ck_assert(!clat_map_file_path("/tmp/c", false, NULL, NULL, 0, pool, 20, dir, 4, path,
				      sizeof(path)));
}
END_TEST

Suite *clat_addrmap_suite(void)
{
	Suite *s = suite_create("addrmap");
	TCase *tc = tcase_create("table");
	tcase_add_test(tc, sizes_and_format);
	tcase_add_test(tc, index_bounds);
	tcase_add_test(tc, allocation_is_stable);
	tcase_add_test(tc, exhaustion_and_lru_reuse);
	tcase_add_test(tc, all_in_use_is_exhausted);
	tcase_add_test(tc, rate_bound);
	tcase_add_test(tc, persistence_by_bytes);
	tcase_add_test(tc, file_path_order);
	suite_add_tcase(s, tc);
	tc = tcase_create("hostent");
	tcase_add_test(tc, hostent_layout);
	tcase_add_test(tc, hostent_too_small);
	suite_add_tcase(s, tc);
	return s;
}
