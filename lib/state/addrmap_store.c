/* The address mapper's shared table: location, trust checks, mapping,
 * locking, and the kernel's view of which IPv6 peers are in use. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "state/addrmap_store.h"
#include "core/addrmap.h"
#include "state/fork_locks.h"
#include "state/log.h"
#include "sys/sysfile.h"
#include "state/settings.h"
#include "sys/lazy_libc.h" /* last: see there */

_Static_assert(sizeof(pthread_mutex_t) <= CLAT_MAP_LOCK_BYTES, "lock does not fit the header");

#define LOCK_TIMEOUT_SECONDS 2
#define RECENT_ENTRIES 64 /* per-process memo of IPv6 -> slot lookups */

static struct {
	bool tried, ready;
	struct clat_map_header *map;
	size_t size;
	struct in_addr pool;
	unsigned pool_len;
	char path[512]; /* "" when the table is private to this process tree */
	struct { struct in6_addr ipv6; uint32_t index; } recent[RECENT_ENTRIES];
} store;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void reset_init_lock_in_child(void)
{
	clat_lock_reset_in_child(&init_lock);
}

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, reset_init_lock_in_child);
}

static int64_t now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts); /* the file outlives boots */
	return (int64_t)ts.tv_sec;
}

bool clat_addrmap_enabled(void)
{
	const struct clat_settings *s = clat_settings();
	return s->enabled && s->config.map_enabled;
}

static bool inside(struct in_addr addr, struct in_addr net, unsigned len)
{
	uint32_t mask = len == 0 ? 0 : 0xffffffffu << (32 - len);
	return (ntohl(addr.s_addr) & mask) == ntohl(net.s_addr);
}

/* docs/requirements.md D.26: the default pool gives way to its alternative
 * when the host itself has an address in it; a configured pool is kept. */
static void choose_pool(void)
{
	const struct clat_config *c = &clat_settings()->config;
	store.pool = c->map_pool;
	store.pool_len = c->map_pool_len;
	if (c->map_pool_explicit)
		return;
	struct ifaddrs *list;
	if (getifaddrs(&list) != 0)
		return;
	for (struct ifaddrs *i = list; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    !inside(((struct sockaddr_in *)i->ifa_addr)->sin_addr, store.pool, store.pool_len))
			continue;
		struct in_addr alt = { .s_addr = htonl(CLAT_ALTERNATE_MAP_POOL_NET) };
		clat_log("address mapper: %s is in use on %s, using %s", CLAT_DEFAULT_MAP_POOL,
			 i->ifa_name, CLAT_ALTERNATE_MAP_POOL);
		store.pool = alt;
		store.pool_len = CLAT_ALTERNATE_MAP_POOL_LEN;
		break;
	}
	freeifaddrs(list);
}

/* The table file for this user and pool, or false for a private table:
 * CLAT_CACHE_DIR (tests), /run/libclat for root, $XDG_RUNTIME_DIR/libclat,
 * ~/.cache/libclat. The name carries the format version, the word size
 * (the lock's layout differs) and the pool. */
static bool table_path(char *out, size_t len)
{
	const struct clat_settings *s = clat_settings();
	char dir[384], pool[INET_ADDRSTRLEN];
	const char *env_dir = s->secure ? NULL : getenv("CLAT_CACHE_DIR");
	const char *xdg = s->secure ? NULL : getenv("XDG_RUNTIME_DIR");
	const char *home = s->secure ? NULL : getenv("HOME");

	if (s->secure)
		return false; /* a setuid program must not write its user's files */
	if (env_dir != NULL && env_dir[0] == '/')
		snprintf(dir, sizeof(dir), "%s", env_dir);
	else if (geteuid() == 0)
		snprintf(dir, sizeof(dir), "/run/libclat");
	else if (xdg != NULL && xdg[0] == '/')
		snprintf(dir, sizeof(dir), "%s/libclat", xdg);
	else if (home != NULL && home[0] == '/')
		snprintf(dir, sizeof(dir), "%s/.cache/libclat", home);
	else
		return false;
	mkdir(dir, 0700); /* the last component only; EEXIST is fine */
	inet_ntop(AF_INET, &store.pool, pool, sizeof(pool));
	int n = snprintf(out, len, "%s/addrmap-v%u-%d-uid%u-%s_%u", dir, CLAT_MAP_VERSION,
			 (int)sizeof(void *) * 8, (unsigned)geteuid(), pool, store.pool_len);
	return n > 0 && (size_t)n < len;
}

static bool init_lock_in(struct clat_map_header *map)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t *lock = (pthread_mutex_t *)(void *)map->lock;
	if (pthread_mutexattr_init(&attr) != 0)
		return false;
	bool ok = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) == 0 &&
		  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) == 0 &&
		  pthread_mutex_init(lock, &attr) == 0;
	pthread_mutexattr_destroy(&attr);
	return ok;
}

static bool all_zero(const void *mem, size_t len)
{
	const unsigned char *p = mem;
	for (size_t i = 0; i < len; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* Maps the shared file; false (logged once) when it cannot be trusted or
 * used. Only a file of ours, not open to others, is used. */
static bool open_shared(void)
{
	if (!table_path(store.path, sizeof(store.path)))
		return false;
	int fd = clat_sys_open(store.path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		clat_log("address mapper: cannot open %s: %s; using a private table", store.path,
			 strerror(errno));
		return false;
	}
	struct stat st;
	void *mem = MAP_FAILED;
	bool ok = false;
	if (flock(fd, LOCK_EX) != 0 || fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		clat_log_warning("address mapper: %s ignored: owned by uid %u with mode %03o "
				 "(must be this user's, mode 600)", store.path,
				 (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	if (st.st_size == 0 && ftruncate(fd, (off_t)store.size) != 0)
		goto out;
	if (st.st_size != 0 && (size_t)st.st_size != store.size) {
		clat_log_warning("address mapper: %s ignored: unexpected size %lld", store.path,
				 (long long)st.st_size);
		goto out;
	}
	mem = mmap(NULL, store.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		goto out;
	if (!clat_map_valid(mem, store.size, store.pool, store.pool_len)) {
		/* New (or left half-made by a crash: the header is written
		 * under the file lock, last): make it; else refuse it. */
		if (!all_zero(mem, sizeof(struct clat_map_header))) {
			clat_log_warning("address mapper: %s ignored: not a table for this pool",
					 store.path);
			goto out;
		}
		clat_map_init(mem, store.pool, store.pool_len);
		if (!init_lock_in(mem))
			goto out;
	}
	store.map = mem;
	ok = true;
out:
	if (!ok && mem != MAP_FAILED)
		munmap(mem, store.size);
	flock(fd, LOCK_UN);
	clat_sys_close(fd);
	return ok;
}

static bool open_private(void)
{
	void *mem = mmap(NULL, store.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			 -1, 0);
	if (mem == MAP_FAILED)
		return false;
	clat_map_init(mem, store.pool, store.pool_len);
	if (!init_lock_in(mem)) {
		munmap(mem, store.size);
		return false;
	}
	store.map = mem;
	store.path[0] = '\0';
	return true;
}

static bool ready(void)
{
	if (__atomic_load_n(&store.ready, __ATOMIC_ACQUIRE))
		return true;
	if (!clat_addrmap_enabled())
		return false;
	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&init_lock);
	if (!store.tried) {
		store.tried = true;
		int saved_errno = errno;
		choose_pool();
		store.size = clat_map_table_size(store.pool_len);
		if (open_shared() || open_private())
			__atomic_store_n(&store.ready, true, __ATOMIC_RELEASE);
		else
			clat_log_warning("address mapper: no table (%s); names with only IPv6 "
					 "addresses stay unreachable for IPv4", strerror(errno));
		errno = saved_errno;
	}
	pthread_mutex_unlock(&init_lock);
	return store.ready;
}

static bool lock_table(void)
{
	pthread_mutex_t *lock = (pthread_mutex_t *)(void *)store.map->lock;
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += LOCK_TIMEOUT_SECONDS;
	int rc = pthread_mutex_timedlock(lock, &deadline);
	if (rc == EOWNERDEAD) {
		/* A process died holding it. Every update leaves the table
		 * consistent slot by slot, so carry on. */
		pthread_mutex_consistent(lock);
		rc = 0;
	}
	if (rc != 0)
		clat_log_warning("address mapper: table lock unavailable (%s)", strerror(rc));
	return rc == 0;
}

static void unlock_table(void)
{
	pthread_mutex_unlock((pthread_mutex_t *)(void *)store.map->lock);
}

/* /proc/net/{tcp6,udp6} print each address as four 32-bit words in host
 * order, "%08X" each: rem_address is the third column. */
static bool kernel_has_peer(const char *table, const char *hex)
{
	FILE *f = fopen(table, "re");
	if (f == NULL)
		return true; /* cannot tell: treat as in use, never recycle blindly */
	char line[512];
	bool found = false;
	unsigned lines = 0;
	while (!found && fgets(line, sizeof(line), f) != NULL && ++lines < 1000000) {
		char remote[64];
		if (sscanf(line, "%*s %*s %63s", remote) == 1 && strncmp(remote, hex, 32) == 0)
			found = true;
	}
	fclose(f);
	return found;
}

static bool ipv6_in_use(const struct in6_addr *ipv6, void *ctx)
{
	(void)ctx;
	char hex[33];
	uint32_t word[4];
	memcpy(word, ipv6->s6_addr, sizeof(word));
	for (int i = 0; i < 4; i++)
		snprintf(hex + 8 * i, 9, "%08X", word[i]);
	return kernel_has_peer("/proc/net/tcp6", hex) || kernel_has_peer("/proc/net/udp6", hex);
}

static struct clat_map_slot *find_ipv6_locked(const struct in6_addr *ipv6)
{
	unsigned h = 0;
	for (int i = 0; i < 16; i++)
		h = h * 31 + ipv6->s6_addr[i];
	h %= RECENT_ENTRIES;
	uint32_t index = store.recent[h].index;
	if (index > 0 && index + 1 < store.map->slot_count) {
		struct clat_map_slot *slot = clat_map_slot(store.map, index);
		if (slot->state == CLAT_MAP_USED &&
		    memcmp(&slot->ipv6, ipv6, sizeof(*ipv6)) == 0 &&
		    memcmp(&store.recent[h].ipv6, ipv6, sizeof(*ipv6)) == 0)
			return slot;
	}
	struct clat_map_slot *slot = clat_map_find_ipv6(store.map, ipv6);
	if (slot != NULL) {
		store.recent[h].ipv6 = *ipv6;
		store.recent[h].index = (uint32_t)(slot - clat_map_slot(store.map, 0));
	}
	return slot;
}

bool clat_addrmap_in_pool(struct in_addr addr)
{
	if (!clat_addrmap_enabled())
		return false;
	const struct clat_config *c = &clat_settings()->config;
	const struct in_addr alt = { .s_addr = htonl(CLAT_ALTERNATE_MAP_POOL_NET) };
	/* The common case (every IPv4 connect asks), decided with two masks
	 * and without opening anything. */
	if (!inside(addr, c->map_pool, c->map_pool_len) &&
	    (c->map_pool_explicit || !inside(addr, alt, CLAT_ALTERNATE_MAP_POOL_LEN)))
		return false;
	return ready() && inside(addr, store.pool, store.pool_len) &&
	       clat_map_index(store.map, addr) >= 0;
}

bool clat_addrmap_to_ipv6(struct in_addr addr, struct in6_addr *out)
{
	if (!clat_addrmap_in_pool(addr) || !lock_table())
		return false;
	struct clat_map_slot *slot = clat_map_slot(store.map, (uint32_t)clat_map_index(store.map, addr));
	bool found = slot->state == CLAT_MAP_USED;
	if (found) {
		*out = slot->ipv6;
		int64_t now = now_seconds();
		if (slot->last_used < now)
			slot->last_used = now;
	}
	unlock_table();
	return found;
}

bool clat_addrmap_for_ipv6(const struct in6_addr *ipv6, bool allocate, const char *name,
			   struct in_addr *out)
{
	int saved_errno = errno;
	if (!ready() || !lock_table()) {
		errno = saved_errno;
		return false;
	}
	bool ok;
	struct clat_map_slot *slot = find_ipv6_locked(ipv6);
	if (slot != NULL || !allocate) {
		ok = slot != NULL;
		if (ok) {
			/* Traffic keeps a mapping alive: stable while the peer is
			 * active, whatever the pool's pressure. */
			int64_t now = now_seconds();
			if (slot->last_used < now)
				slot->last_used = now;
			*out = clat_map_address(store.map, (uint32_t)(slot - clat_map_slot(store.map, 0)));
		}
	} else {
		enum clat_map_result r = clat_map_assign(store.map, ipv6, name, now_seconds(),
							 CLAT_MAP_MIN_AGE, ipv6_in_use, NULL, out);
		ok = r == CLAT_MAP_OK || r == CLAT_MAP_EXISTING;
		char v6[INET6_ADDRSTRLEN], v4[INET_ADDRSTRLEN] = "-";
		inet_ntop(AF_INET6, ipv6, v6, sizeof(v6));
		if (ok)
			inet_ntop(AF_INET, out, v4, sizeof(v4));
		static bool warned; /* once per process; later ones go to the debug log */
		if (ok)
			clat_log("address mapper: %s (%s) -> %s", v6, name ? name : "-", v4);
		else if (!__atomic_exchange_n(&warned, true, __ATOMIC_RELAXED))
			clat_log_warning("address mapper: no address for %s (%s): %s", v6,
					 name ? name : "-", clat_map_result_text(r));
		else
			clat_log("address mapper: no address for %s (%s): %s", v6,
				 name ? name : "-", clat_map_result_text(r));
	}
	unlock_table();
	errno = saved_errno;
	return ok;
}

bool clat_addrmap_reverse(struct in_addr addr, struct in6_addr *ipv6, char *name,
			  size_t name_len)
{
	if (!clat_addrmap_in_pool(addr) || !lock_table())
		return false;
	struct clat_map_slot *slot = clat_map_slot(store.map, (uint32_t)clat_map_index(store.map, addr));
	bool found = slot->state == CLAT_MAP_USED;
	if (found) {
		*ipv6 = slot->ipv6;
		snprintf(name, name_len, "%.*s", (int)sizeof(slot->name) - 1, slot->name);
	}
	unlock_table();
	return found;
}

void clat_addrmap_describe(char *path, size_t path_len, struct in_addr *pool,
			   unsigned *pool_len)
{
	bool ok = ready();
	snprintf(path, path_len, "%s", ok ? store.path : "");
	*pool = ok ? store.pool : clat_settings()->config.map_pool;
	*pool_len = ok ? store.pool_len : clat_settings()->config.map_pool_len;
}
