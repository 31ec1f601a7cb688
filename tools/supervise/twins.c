/* The IPv6 sockets installed in place of IPv4 ones, so that later calls on
 * the same fd (getpeername, recvfrom, a second connect) are answered with
 * the IPv4 view. Keyed by inode; the socket cookie (never reused, unlike
 * an inode number) tells a live twin from a new socket that got the number
 * of a closed one. A full bucket forgets its oldest twin. */
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervise.h"

#define BUCKETS 4096
#define WAYS 4

struct slot {
	uint64_t inode;
	struct clat_sv_twin twin;
};

static struct slot table[BUCKETS][WAYS];
static unsigned char next_way[BUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void clat_sv_twin_add(uint64_t inode, const struct clat_sv_twin *twin)
{
	struct slot *bucket = table[inode % BUCKETS];
	pthread_mutex_lock(&lock);
	unsigned way = WAYS;
	for (unsigned i = 0; i < WAYS && way == WAYS; i++)
		if (bucket[i].inode == inode || bucket[i].inode == 0)
			way = i;
	if (way == WAYS) {
		way = next_way[inode % BUCKETS];
		next_way[inode % BUCKETS] = (unsigned char)((way + 1) % WAYS);
	}
	bucket[way].inode = inode;
	bucket[way].twin = *twin;
	pthread_mutex_unlock(&lock);
}

static bool lookup(uint64_t inode, struct clat_sv_twin *out)
{
	struct slot *bucket = table[inode % BUCKETS];
	bool found = false;
	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < WAYS && !found; i++) {
		if (bucket[i].inode == inode) {
			*out = bucket[i].twin;
			found = true;
		}
	}
	pthread_mutex_unlock(&lock);
	return found;
}

static void forget(uint64_t inode, uint64_t cookie)
{
	struct slot *bucket = table[inode % BUCKETS];
	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < WAYS; i++)
		if (bucket[i].inode == inode && bucket[i].twin.cookie == cookie)
			memset(&bucket[i], 0, sizeof(bucket[i]));
	pthread_mutex_unlock(&lock);
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
	uint64_t inode = clat_sv_fd_inode((pid_t)req->notif->pid, fd);
	if (inode == 0 || !lookup(inode, out))
		return false;
	int copy = clat_sv_getfd(req, fd);
	if (copy < 0)
		return false;
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	if (getsockopt(copy, SOL_SOCKET, SO_COOKIE, &cookie, &len) != 0 || cookie != out->cookie) {
		struct stat st;
		/* Forget it only when this very inode is now another socket. */
		if (cookie != 0 && fstat(copy, &st) == 0 && (uint64_t)st.st_ino == inode)
			forget(inode, out->cookie);
		close(copy);
		return false;
	}
	if (mine != NULL)
		*mine = copy;
	else
		close(copy);
	return true;
}
