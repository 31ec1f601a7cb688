/* The address mapper's table as the supervisor sees it: read-only. The
 * library in a supervised program (or any process of this user) hands out
 * pool addresses for names with only AAAA records (RFC 6535) and records
 * them in the user's shared table; a connect to such an address then goes
 * to its IPv6 host here as in the library, and a pool address without a
 * mapping stays IPv4 (RFC 6535 s2.1). The same file, by the same rules
 * (core/addrmap.h for the place and format, sys/host_addrs.h for the pool,
 * a shared open-file-description lock while a slot is read); the supervisor
 * never allocates, and a table it cannot trust is not used. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/addrmap.h"
#include "core/config.h"
#include "supervise.h"
#include "sys/host_addrs.h"
#include "sys/sysfile.h"

#define LOCK_WAIT_MS 200

static struct {
	pthread_mutex_t lock;
	bool pool_known;
	struct in_addr pool;
	unsigned pool_len;
	int fd;                      /* the table file, -1 until opened */
	struct clat_map_header *map; /* mapped read-only, NULL until trusted */
	size_t size;
} table = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

static void choose_pool(const struct clat_sv_settings *s)
{
	char ifname[64];
	table.pool = s->map_pool;
	table.pool_len = s->map_pool_len;
	if (!s->map_pool_explicit && clat_host_ipv4_in(table.pool, table.pool_len, ifname,
						       sizeof(ifname))) {
		table.pool.s_addr = htonl(CLAT_ALTERNATE_MAP_POOL_NET);
		table.pool_len = CLAT_ALTERNATE_MAP_POOL_LEN;
	}
	table.size = clat_map_table_size(table.pool_len);
	table.pool_known = true;
}

/* Opens and maps the table once it exists and can be trusted: this user's
 * regular file, mode 600, of the table's size with a valid header. */
static void open_table(const struct clat_sv_settings *s)
{
	char dir[384], path[512];
	if (!clat_map_file_path(getenv("CLAT_CACHE_DIR"), geteuid() == 0, getenv("XDG_RUNTIME_DIR"),
				getenv("HOME"), (unsigned)geteuid(), table.pool, table.pool_len, dir,
				sizeof(dir), path, sizeof(path)))
		return;
	int fd = clat_sys_open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0);
	struct stat st;
	if (fd < 0)
		return; /* no mapping made yet: looked for again next time */
	void *mem = MAP_FAILED;
	if (clat_sys_fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    (st.st_mode & 077) == 0 && (size_t)st.st_size == table.size)
		mem = mmap(NULL, table.size, PROT_READ, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED || !clat_map_valid(mem, table.size, table.pool, table.pool_len)) {
		if (mem != MAP_FAILED)
			munmap(mem, table.size);
		clat_sv_log(s, "address mapper: %s not used (not this user's valid table)", path);
		clat_sys_close(fd);
		return;
	}
	table.fd = fd;
	table.map = mem;
}

/* Under table.lock with the file's read lock held: true when the table is
 * there to read. */
static bool enter(const struct clat_sv_settings *s)
{
	pthread_mutex_lock(&table.lock);
	if (!table.pool_known)
		choose_pool(s);
	if (table.map == NULL)
		open_table(s);
	if (table.map == NULL || !clat_sys_lock_wait(table.fd, F_RDLCK, LOCK_WAIT_MS)) {
		pthread_mutex_unlock(&table.lock);
		return false;
	}
	/* A file cut short since it was mapped would fault on reading:
	 * dropped, and opened again next time. */
	struct stat st;
	if (clat_sys_fstat(table.fd, &st) == 0 && (size_t)st.st_size == table.size)
		return true;
	clat_sys_unlock(table.fd);
	munmap(table.map, table.size);
	clat_sys_close(table.fd);
	table.map = NULL;
	table.fd = -1;
	pthread_mutex_unlock(&table.lock);
	return false;
}

static void leave(void)
{
	clat_sys_unlock(table.fd);
	pthread_mutex_unlock(&table.lock);
}

enum clat_map_answer clat_sv_map_lookup(const struct clat_sv_settings *s, struct in_addr addr,
					struct in6_addr *host)
{
	if (!s->map_enabled)
		return CLAT_MAP_OUTSIDE_POOL;
	pthread_mutex_lock(&table.lock);
	if (!table.pool_known)
		choose_pool(s);
	uint32_t mask = 0xffffffffu << (32 - table.pool_len);
	bool in_pool = (ntohl(addr.s_addr) & mask) == ntohl(table.pool.s_addr);
	pthread_mutex_unlock(&table.lock);
	if (!in_pool)
		return CLAT_MAP_OUTSIDE_POOL;
	if (!enter(s))
		return CLAT_MAP_UNMAPPED;
	long index = clat_map_index(table.map, addr);
	enum clat_map_answer answer = CLAT_MAP_UNMAPPED;
	if (index >= 0) {
		const struct clat_map_slot *slot = clat_map_slot(table.map, (uint32_t)index);
		if (slot->state == CLAT_MAP_USED) {
			*host = slot->ipv6;
			answer = CLAT_MAP_FOUND;
		}
	}
	leave();
	return answer;
}

bool clat_sv_map_reverse(const struct clat_sv_settings *s, const struct in6_addr *ipv6,
			 struct in_addr *out)
{
	if (!s->map_enabled || !enter(s))
		return false;
	const struct clat_map_slot *slot = clat_map_find_ipv6(table.map, ipv6);
	if (slot != NULL)
		*out = clat_map_address(table.map, (uint32_t)(slot - clat_map_slot(table.map, 0)));
	leave();
	return slot != NULL;
}
