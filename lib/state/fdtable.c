#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>

#include "state/fdtable.h"
#include "sys/realcalls.h"
#include "sys/lazy_libc.h" /* last: see there */

#define CHUNK_BITS 10
#define CHUNK_SIZE (1u << CHUNK_BITS)
#define CHUNK_COUNT 4096u /* fds up to 4M: beyond that, fail open */

typedef _Atomic(struct clat_fd *) chunk_slot;
/* The chunk directory itself is mapped on first use too: as a 32 kB array
 * in .bss it cost every process one more mapping at load time. */
static _Atomic(chunk_slot *) directory;

static chunk_slot *chunk_directory(bool allocate)
{
	chunk_slot *dir = atomic_load_explicit(&directory, memory_order_acquire);
	if (dir != NULL || !allocate)
		return dir;
	void *mem = mmap(NULL, CHUNK_COUNT * sizeof(chunk_slot), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return NULL;
	chunk_slot *expected = NULL;
	if (!atomic_compare_exchange_strong(&directory, &expected, mem)) {
		munmap(mem, CHUNK_COUNT * sizeof(chunk_slot));
		return expected;
	}
	return mem;
}

static struct clat_fd *chunk_for(int fd, bool allocate)
{
	if (fd < 0 || (unsigned)fd >= CHUNK_SIZE * CHUNK_COUNT)
		return NULL;
	unsigned index = (unsigned)fd >> CHUNK_BITS;
	chunk_slot *chunks = chunk_directory(allocate);
	if (chunks == NULL)
		return NULL;
	struct clat_fd *chunk = atomic_load_explicit(&chunks[index], memory_order_acquire);
	if (chunk != NULL || !allocate)
		return chunk;

	/* mmap, not malloc: hooks can run in a signal handler or a vfork
	 * child, where malloc's locks are off limits. */
	void *mem = mmap(NULL, CHUNK_SIZE * sizeof(struct clat_fd), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return NULL;
	struct clat_fd *expected = NULL;
	if (!atomic_compare_exchange_strong(&chunks[index], &expected, mem)) {
		munmap(mem, CHUNK_SIZE * sizeof(struct clat_fd));
		return expected; /* another thread won the race */
	}
	return mem;
}

struct clat_fd *clat_fd_find(int fd)
{
	struct clat_fd *chunk = chunk_for(fd, false);
	if (chunk == NULL)
		return NULL;
	struct clat_fd *rec = &chunk[(unsigned)fd & (CHUNK_SIZE - 1)];
	return clat_fd_state(rec) == CLAT_FD_NONE ? NULL : rec;
}

struct clat_fd *clat_fd_obtain(int fd)
{
	int saved_errno = errno;
	struct clat_fd *chunk = chunk_for(fd, true);
	errno = saved_errno;
	if (chunk == NULL)
		return NULL;
	struct clat_fd *rec = &chunk[(unsigned)fd & (CHUNK_SIZE - 1)];
	(void)clat_fd_state(rec); /* acquire: pairs with reset()'s release */
	return rec;
}

static void reset(struct clat_fd *rec)
{
	if (rec->spare_fd_plus1 > 0)
		CLAT_REAL(close)(rec->spare_fd_plus1 - 1);
	rec->spare_fd_plus1 = 0;
	rec->early = false;
	rec->bound = false;
	rec->bound_port = 0;
	rec->opts.count = 0;
	rec->epoll_count = 0;
	rec->twin_unsafe = false;
	rec->bpf_count = 0;
	rec->icmp_filter = 0;
	rec->sock_type = 0;
	rec->sock_protocol = 0;
	rec->kind = CLAT_KIND_STREAM;
	rec->pending_dst.sin_family = AF_UNSPEC;
	rec->held_error = 0;
	/* Last, and release: see clat_fd_state() in fdtable.h. */
	clat_fd_set_state(rec, CLAT_FD_NONE);
}

void clat_fd_forget(int fd)
{
	struct clat_fd *rec = clat_fd_find(fd);
	if (rec != NULL)
		reset(rec);
}

void clat_fd_copy(int oldfd, int newfd)
{
	if (oldfd == newfd)
		return;
	struct clat_fd *from = clat_fd_find(oldfd);
	if (from == NULL) {
		clat_fd_forget(newfd);
		return;
	}
	struct clat_fd *to = clat_fd_obtain(newfd);
	if (to == NULL)
		return;
	/* dup2 over a tracked number: its raw ICMP twin goes with it. */
	if (to->spare_fd_plus1 > 0)
		CLAT_REAL(close)(to->spare_fd_plus1 - 1);
	to->bound = from->bound;
	to->bound_port = from->bound_port;
	to->opts.count = from->opts.count;
	memcpy(to->opts.entry, from->opts.entry,
	       from->opts.count * sizeof(from->opts.entry[0]));
	to->epoll_count = 0; /* epoll registers (file, number): not the copy */
	/* Two numbers, one file: neither may be swapped for a twin. */
	to->twin_unsafe = true;
	from->twin_unsafe = true;
	/* ... nor be switched back to IPv4 under one number only. */
	to->early = false;
	from->early = false;
	to->spare_fd_plus1 = 0; /* one owner, or it would be closed twice */
	to->kind = from->kind;
	to->sock_type = from->sock_type;
	to->sock_protocol = from->sock_protocol;
	to->bpf_count = from->bpf_count;
	to->icmp_filter = from->icmp_filter;
	memcpy(to->bpf, from->bpf, from->bpf_count * sizeof(from->bpf[0]));
	clat_fd_set_state(to, clat_fd_state(from));
}

void clat_fd_forget_range(unsigned first, unsigned last)
{
	chunk_slot *chunks = chunk_directory(false);
	if (chunks == NULL || first > last)
		return;
	if (last >= CHUNK_SIZE * CHUNK_COUNT)
		last = CHUNK_SIZE * CHUNK_COUNT - 1;
	if (first > last)
		return;
	for (unsigned index = first >> CHUNK_BITS; index <= last >> CHUNK_BITS; index++) {
		struct clat_fd *chunk = atomic_load_explicit(&chunks[index], memory_order_acquire);
		if (chunk == NULL)
			continue; /* nothing recorded in this whole chunk */
		unsigned lo = index == first >> CHUNK_BITS ? first & (CHUNK_SIZE - 1) : 0;
		unsigned hi = index == last >> CHUNK_BITS ? last & (CHUNK_SIZE - 1) : CHUNK_SIZE - 1;
		for (unsigned slot = lo; slot <= hi; slot++)
			if (clat_fd_state(&chunk[slot]) != CLAT_FD_NONE)
				reset(&chunk[slot]);
	}
}

bool clat_fd_record_option(struct clat_fd *rec, int level, int optname,
			   const void *value, socklen_t len)
{
	if (len > CLAT_OPTLOG_VALUE_MAX || (len > 0 && value == NULL))
		return false;
	struct clat_optlog *log = &rec->opts;
	unsigned i = 0;
	while (i < log->count &&
	       !(log->entry[i].level == level && log->entry[i].optname == optname))
		i++;
	if (i == CLAT_OPTLOG_ENTRIES)
		return false;
	if (i == log->count)
		log->count++;
	log->entry[i].level = level;
	log->entry[i].optname = optname;
	log->entry[i].len = len;
	memcpy(log->entry[i].value, value, len);
	return true;
}

bool clat_fd_record_epoll(struct clat_fd *rec, int epfd, int op, uint32_t events,
			  uint64_t data)
{
	unsigned i = 0;
	while (i < rec->epoll_count && rec->epoll[i].epfd != epfd)
		i++;
	if (op == EPOLL_CTL_DEL) {
		if (i < rec->epoll_count)
			rec->epoll[i] = rec->epoll[--rec->epoll_count];
		return true;
	}
	if (i == CLAT_EPOLL_MAX)
		return false;
	if (i == rec->epoll_count)
		rec->epoll_count++;
	rec->epoll[i] = (struct clat_epoll_reg){ epfd, events, data };
	return true;
}
