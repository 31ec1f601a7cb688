/* The address mapper's shared table: location, trust checks, mapping,
 * locking, and the kernel's view of which IPv6 peers are in use. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "state/addrmap_store.h"
#include "core/addrmap.h"
#include "state/fork_locks.h"
#include "state/log.h"
#include "state/settings.h"
#include "sys/host_addrs.h"
#include "sys/sysfile.h"
#include "sys/lazy_libc.h" /* last: see there */

#define LOCK_WAIT_MS 2000 /* a live holder stuck longer: the mapper is off for the call */
#define RECENT_ENTRIES 64 /* per-process memo of IPv6 -> slot lookups */

/* Everything here is under store_lock (process-local); the pool alone is
 * also read without it once pool_ready is published. */
static struct {
	bool tried, pool_ready;
	struct clat_map_header *map; /* NULL: no table (the mapper answers no) */
	size_t size;
	uid_t uid;      /* the euid the table was opened for */
	dev_t dev;      /* the shared file mapped (path[0] != '\0') */
	ino_t ino;
	struct in_addr pool;
	unsigned pool_len;
	char path[512]; /* "" when the table is private to this process */
	struct { struct in6_addr ipv6; uint32_t index; } recent[RECENT_ENTRIES];
} store;
static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void reset_store_lock_in_child(void)
{
	clat_lock_reset_in_child(&store_lock);
}

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, reset_store_lock_in_child);
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
	char ifname[64];
	if (!clat_host_ipv4_in(store.pool, store.pool_len, ifname, sizeof(ifname)))
		return;
	clat_log("address mapper: %s is in use on %s, using %s", CLAT_DEFAULT_MAP_POOL, ifname,
		 CLAT_ALTERNATE_MAP_POOL);
	store.pool.s_addr = htonl(CLAT_ALTERNATE_MAP_POOL_NET);
	store.pool_len = CLAT_ALTERNATE_MAP_POOL_LEN;
}

/* The table file for this user and pool (core/addrmap.h), or false for a
 * private table. */
static bool table_path(char *out, size_t len)
{
	const struct clat_settings *s = clat_settings();
	char dir[384];
	if (s->secure)
		return false; /* a setuid program must not write its user's files */
	if (!clat_map_file_path(getenv("CLAT_CACHE_DIR"), geteuid() == 0, getenv("XDG_RUNTIME_DIR"),
				getenv("HOME"), (unsigned)geteuid(), store.pool, store.pool_len,
				dir, sizeof(dir), out, len))
		return false;
	mkdir(dir, 0700); /* the last component only; EEXIST is fine */
	return true;
}

/* The table's lock: an open-file-description lock on the whole file. The
 * kernel drops it when its holder's descriptor goes (exit, kill), so a
 * dead holder never stalls anyone, and no byte of it lives in the shared
 * memory where another process could corrupt it. Bounded: a live holder
 * stuck for LOCK_WAIT_MS leaves the mapper off for this call. */
static bool lock_file(int fd)
{
	if (clat_sys_lock_wait(fd, F_WRLCK, LOCK_WAIT_MS))
		return true;
	static bool warned; /* once per process; later ones go to the debug log */
	if (!__atomic_exchange_n(&warned, true, __ATOMIC_RELAXED))
		clat_log_warning("address mapper: table lock unavailable (%s)", strerror(errno));
	else
		clat_log("address mapper: table lock unavailable (%s)", strerror(errno));
	return false;
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
 * used. Only a file of ours, not open to others, is used. Its blocks are
 * allocated (posix_fallocate) before it is mapped: a store into a hole of
 * a full filesystem would be SIGBUS. */
static bool open_shared(void)
{
	if (!table_path(store.path, sizeof(store.path)))
		return false;
	int fd = clat_sys_open(store.path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd < 0) {
		clat_log("address mapper: cannot open %s: %s; using a private table", store.path,
			 strerror(errno));
		return false;
	}
	struct stat st;
	void *mem = MAP_FAILED;
	bool ok = false, locked = lock_file(fd);
	int err;
	if (!locked || clat_sys_fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		clat_log_warning("address mapper: %s ignored: owned by uid %u with mode %03o "
				 "(must be this user's, mode 600)", store.path,
				 (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	if (st.st_size != 0 && (size_t)st.st_size != store.size) {
		clat_log_warning("address mapper: %s ignored: unexpected size %lld", store.path,
				 (long long)st.st_size);
		goto out;
	}
	if ((err = posix_fallocate(fd, 0, (off_t)store.size)) != 0) {
		clat_log_warning("address mapper: %s: cannot allocate %zu bytes (%s); using a "
				 "private table", store.path, store.size, strerror(err));
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
	}
	store.map = mem;
	store.dev = st.st_dev;
	store.ino = st.st_ino;
	ok = true;
out:
	if (!ok && mem != MAP_FAILED)
		munmap(mem, store.size);
	if (locked)
		clat_sys_unlock(fd);
	clat_sys_close(fd);
	return ok;
}

/* A table of this process alone (copied, not shared, by fork): for secure
 * mode and whenever the file cannot be used. */
static bool open_private(void)
{
	void *mem = mmap(NULL, store.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (mem == MAP_FAILED)
		return false;
	clat_map_init(mem, store.pool, store.pool_len);
	store.map = mem;
	store.path[0] = '\0';
	return true;
}

static void open_table(void)
{
	int saved_errno = errno;
	store.uid = geteuid();
	memset(store.recent, 0, sizeof(store.recent));
	if (!open_shared() && !open_private())
		clat_log_warning("address mapper: no table (%s); names with only IPv6 "
				 "addresses stay unreachable for IPv4", strerror(errno));
	errno = saved_errno;
}

/* The credentials changed since the shared table was opened (a daemon
 * dropped root, a setuid helper switched users): write access to the old
 * user's table must not outlive them, so it is unmapped and the current
 * euid's own table opened. A private table is this process's alone and
 * stays. */
static void follow_credentials(void)
{
	uid_t now = geteuid();
	if (store.map == NULL || store.path[0] == '\0' || now == store.uid)
		return;
	clat_log("address mapper: euid %u -> %u, %s released", (unsigned)store.uid,
		 (unsigned)now, store.path);
	munmap(store.map, store.size);
	store.map = NULL;
	open_table();
}

/* Takes store_lock (bounded, like the file lock: a signal handler calling
 * in while its thread holds it must not hang) and sets the store up. */
static bool lock_store(void)
{
	pthread_once(&atfork_once, register_atfork);
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += LOCK_WAIT_MS / 1000;
	if (pthread_mutex_timedlock(&store_lock, &deadline) != 0)
		return false;
	if (!store.tried) {
		store.tried = true;
		int saved_errno = errno;
		choose_pool();
		store.size = clat_map_table_size(store.pool_len);
		errno = saved_errno;
		__atomic_store_n(&store.pool_ready, true, __ATOMIC_RELEASE);
		open_table();
	}
	return true;
}

/* A mapper call's hold on the table: store_lock, the credentials checked,
 * and for the shared table the file lock on a descriptor of this call's
 * own (also the exclusion between threads), the file still the one mapped
 * and at full size: a truncated table is never touched (SIGBUS), the
 * mapper is off for the call instead. *fd is -1 for a private table. */
static bool enter(int *fd)
{
	*fd = -1;
	if (!clat_addrmap_enabled() || !lock_store())
		return false;
	int saved_errno = errno;
	follow_credentials();
	bool ok = store.map != NULL;
	if (ok && store.path[0] != '\0') {
		struct stat st;
		*fd = clat_sys_open(store.path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0);
		ok = *fd >= 0 && lock_file(*fd) && clat_sys_fstat(*fd, &st) == 0;
		if (ok && (st.st_dev != store.dev || st.st_ino != store.ino ||
			   st.st_size < (off_t)store.size)) {
			static bool warned;
			if (!__atomic_exchange_n(&warned, true, __ATOMIC_RELAXED))
				clat_log_warning("address mapper: %s was truncated or replaced; "
						 "mapper off", store.path);
			ok = false;
		}
	}
	ok = ok && clat_map_valid(store.map, store.size, store.pool, store.pool_len);
	if (!ok) {
		if (*fd >= 0)
			clat_sys_close(*fd);
		*fd = -1;
		pthread_mutex_unlock(&store_lock);
	}
	errno = saved_errno;
	return ok;
}

static void leave(int fd)
{
	int saved_errno = errno;
	if (fd >= 0) {
		clat_sys_unlock(fd);
		clat_sys_close(fd);
	}
	pthread_mutex_unlock(&store_lock);
	errno = saved_errno;
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

/* The slot index of a pool address (not its network or broadcast
 * address), from the pool alone: no access to the table. */
static long pool_index(struct in_addr addr)
{
	uint32_t offset = ntohl(addr.s_addr) - ntohl(store.pool.s_addr);
	uint32_t count = 1u << (32 - store.pool_len);
	if (!inside(addr, store.pool, store.pool_len) || offset == 0 || offset >= count - 1)
		return -1;
	return (long)offset;
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
	if (!__atomic_load_n(&store.pool_ready, __ATOMIC_ACQUIRE)) {
		if (!lock_store())
			return false;
		pthread_mutex_unlock(&store_lock);
	}
	return pool_index(addr) >= 0;
}

bool clat_addrmap_to_ipv6(struct in_addr addr, struct in6_addr *out)
{
	int fd;
	if (!clat_addrmap_in_pool(addr) || !enter(&fd))
		return false;
	struct clat_map_slot *slot = clat_map_slot(store.map, (uint32_t)pool_index(addr));
	bool found = slot->state == CLAT_MAP_USED;
	if (found) {
		*out = slot->ipv6;
		int64_t now = now_seconds();
		if (slot->last_used < now)
			slot->last_used = now;
	}
	leave(fd);
	return found;
}

bool clat_addrmap_for_ipv6(const struct in6_addr *ipv6, bool allocate, const char *name,
			   struct in_addr *out)
{
	int saved_errno = errno, fd;
	if (!enter(&fd)) {
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
	leave(fd);
	errno = saved_errno;
	return ok;
}

bool clat_addrmap_reverse(struct in_addr addr, struct in6_addr *ipv6, char *name,
			  size_t name_len)
{
	int fd;
	if (!clat_addrmap_in_pool(addr) || !enter(&fd))
		return false;
	struct clat_map_slot *slot = clat_map_slot(store.map, (uint32_t)pool_index(addr));
	bool found = slot->state == CLAT_MAP_USED;
	if (found) {
		*ipv6 = slot->ipv6;
		snprintf(name, name_len, "%.*s", (int)sizeof(slot->name) - 1, slot->name);
	}
	leave(fd);
	return found;
}
