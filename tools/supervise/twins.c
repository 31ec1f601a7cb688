/* The IPv6 sockets installed in place of IPv4 ones, so that later calls on
 * the same fd (getpeername, recvfrom, a second connect) are answered with
 * the IPv4 view. Keyed by socket cookie (SO_COOKIE), which the kernel never
 * gives twice, unlike an inode or fd number: a new socket that got the
 * number of a closed twin is never taken for it. A full bucket forgets its
 * oldest twin. */
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "supervise.h"

#define BUCKETS 4096
#define WAYS 4

static struct clat_sv_twin table[BUCKETS][WAYS]; /* cookie 0: empty */
static unsigned char next_way[BUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void add(const struct clat_sv_twin *twin)
{
	unsigned b = (unsigned)(twin->cookie % BUCKETS);
	struct clat_sv_twin *bucket = table[b];
	pthread_mutex_lock(&lock);
	unsigned way = WAYS;
	for (unsigned i = 0; i < WAYS && way == WAYS; i++)
		if (bucket[i].cookie == 0)
			way = i;
	if (way == WAYS) {
		way = next_way[b];
		next_way[b] = (unsigned char)((way + 1) % WAYS);
	}
	bucket[way] = *twin;
	pthread_mutex_unlock(&lock);
}

static bool lookup(uint64_t cookie, struct clat_sv_twin *out)
{
	struct clat_sv_twin *bucket = table[cookie % BUCKETS];
	bool found = false;
	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < WAYS && !found; i++) {
		if (bucket[i].cookie == cookie) {
			*out = bucket[i];
			found = true;
		}
	}
	pthread_mutex_unlock(&lock);
	return found;
}

bool clat_sv_twin_register(int twin, int type)
{
	struct clat_sv_twin record = { .type = type };
	socklen_t len = sizeof(record.cookie);
	if (getsockopt(twin, SOL_SOCKET, SO_COOKIE, &record.cookie, &len) != 0)
		return false;
	add(&record);
	return true;
}

int clat_sv_datagram_twin(struct clat_sv_req *req, int fd)
{
	struct clat_sv_twin twin;
	int mine;
	if (!clat_sv_twin_find(req, fd, &twin, &mine))
		return -1;
	if (twin.type != SOCK_DGRAM) {
		close(mine);
		return -1;
	}
	return mine;
}

bool clat_sv_twin_find(struct clat_sv_req *req, int fd, struct clat_sv_twin *out, int *mine)
{
	int copy = clat_sv_getfd(req, fd);
	if (copy < 0)
		return false;
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	/* ENOTSOCK for a file that is not a socket. */
	if (getsockopt(copy, SOL_SOCKET, SO_COOKIE, &cookie, &len) != 0 || cookie == 0 ||
	    !lookup(cookie, out)) {
		close(copy);
		return false;
	}
	if (mine != NULL)
		*mine = copy;
	else
		close(copy);
	return true;
}
