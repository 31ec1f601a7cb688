/* The RFC 6535 address mapper's table ("bump-in-the-host", s2.3-2.4): IPv4
 * pool addresses handed to IPv4-only programs for IPv6 hosts that have no
 * usable IPv4 address. Pure: the table is a block of memory the caller
 * provides (lib/state/addrmap_store.c maps it from a file shared by the processes
 * of one user) and every function takes the time as an argument.
 *
 * Layout (the persistence format, version 2, native byte order except the
 * addresses): a header, then one slot per pool address, slot i standing for
 * pool network + i. The network and broadcast addresses of the pool are
 * never handed out. */
#ifndef CLAT_ADDRMAP_H
#define CLAT_ADDRMAP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLAT_MAP_MAGIC "CLATMAP1"
#define CLAT_MAP_VERSION 2u
#define CLAT_MAP_NAME_MAX 256 /* a DNS name (253) and its NUL, rounded */

/* RFC 6535 s6.3: allocation must be rate-bounded, so that a flood of names
 * or (with inbound) of IPv6 sources cannot churn the whole pool. */
#define CLAT_MAP_RATE_WINDOW 10  /* seconds */
#define CLAT_MAP_RATE_MAX 256    /* new mappings per window */

struct clat_map_header {
	char magic[8];
	uint32_t version;
	uint32_t header_size;
	uint32_t slot_size;
	uint32_t slot_count;
	uint32_t pool;          /* network address, network order */
	uint32_t pool_len;
	uint32_t next_free;     /* where the search for a free slot starts */
	uint32_t rate_count;    /* allocations in the current window */
	int64_t rate_window;    /* start of the window, seconds */
	uint64_t allocations;   /* total, for diagnostics */
	uint64_t reuses;        /* mappings recycled (LRU), for diagnostics */
};

enum clat_map_slot_state { CLAT_MAP_FREE = 0, CLAT_MAP_USED = 1 };

struct clat_map_slot {
	uint32_t state;
	uint32_t reserved;
	struct in6_addr ipv6;
	int64_t created;        /* seconds */
	int64_t last_used;      /* seconds; refreshed by lookups and traffic */
	char name[CLAT_MAP_NAME_MAX]; /* the name it was made for, or "" */
};

/* Where a user's table lives, shared by the library (which maps it) and
 * clatrun's supervisor (which reads it): cache_dir (CLAT_CACHE_DIR, when
 * absolute), /run/libclat for root, $XDG_RUNTIME_DIR/libclat,
 * ~/.cache/libclat; NULL for what is unset. The file's name carries the
 * format version, the word size, the user and the pool. False when no
 * directory applies or the names do not fit. */
bool clat_map_file_path(const char *cache_dir, bool root, const char *xdg, const char *home,
			unsigned euid, struct in_addr pool, unsigned pool_len, char *dir,
			size_t dir_len, char *path, size_t path_len);

/* Bytes a table for a pool of this length needs (header + 2^(32-len) slots). */
size_t clat_map_table_size(unsigned pool_len);
/* Writes an empty table for pool/pool_len into mem (table_size bytes). The
 * table holds no lock: the store locks the file it lives in. */
void clat_map_init(void *mem, struct in_addr pool, unsigned pool_len);
/* True when mem (size bytes) holds a version-2 table for exactly this pool
 * with sane sizes; anything else is not to be used. */
bool clat_map_valid(const void *mem, size_t size, struct in_addr pool, unsigned pool_len);

/* Index of the slot for addr, or -1 when addr is outside the pool or is its
 * network or broadcast address. */
long clat_map_index(const struct clat_map_header *map, struct in_addr addr);
struct in_addr clat_map_address(const struct clat_map_header *map, uint32_t index);
struct clat_map_slot *clat_map_slot(struct clat_map_header *map, uint32_t index);

/* The used slot bound to ipv6, or NULL. */
struct clat_map_slot *clat_map_find_ipv6(struct clat_map_header *map,
					 const struct in6_addr *ipv6);

/* Is ipv6 still the far end of an open socket? (The store asks the kernel.) */
typedef bool clat_map_in_use_fn(const struct in6_addr *ipv6, void *ctx);

enum clat_map_result {
	CLAT_MAP_OK = 0,
	CLAT_MAP_EXISTING,     /* ipv6 already had a mapping (refreshed) */
	CLAT_MAP_EXHAUSTED,    /* every slot younger than min_age or in use */
	CLAT_MAP_RATE_LIMITED, /* CLAT_MAP_RATE_MAX reached in this window */
};

/* The pool address for ipv6: its existing mapping (last_used refreshed, the
 * name filled in if it had none), else a free slot, else the least recently
 * used slot unused for at least min_age seconds whose IPv6 address no open
 * socket uses (in_use; NULL: none is). name may be NULL. */
enum clat_map_result clat_map_assign(struct clat_map_header *map, const struct in6_addr *ipv6,
				     const char *name, int64_t now, int64_t min_age,
				     clat_map_in_use_fn *in_use, void *ctx,
				     struct in_addr *out);
const char *clat_map_result_text(enum clat_map_result result);

#endif
