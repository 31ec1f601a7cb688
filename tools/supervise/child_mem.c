/* The supervised program's memory and files, seen from the supervisor.
 * process_vm_readv/writev honour the program's page protections, so a bad
 * pointer is EFAULT here exactly where the kernel would give EFAULT. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/remote_msg.h"
#include "supervise.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* 6.9 */
#endif

ssize_t clat_sv_read(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	if (len == 0)
		return 0;
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	return process_vm_readv(tid, &local, 1, &remote, 1, 0);
}

int clat_sv_write(pid_t tid, uint64_t addr, const void *buf, size_t len)
{
	if (len == 0)
		return 0;
	struct iovec local = { (void *)buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_writev(tid, &local, 1, &remote, 1, 0);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

bool clat_sv_batch_record(pid_t tid, uint64_t mmsghdr, int64_t rc, int64_t *done)
{
	uint32_t len = rc >= 0 ? (uint32_t)rc : 0;
	if (rc >= 0 && clat_sv_write(tid, mmsghdr + CLAT_REMOTE_MSGHDR_SIZE, &len, sizeof(len)) != 0)
		rc = -EFAULT;
	if (rc < 0) {
		if (*done == 0)
			*done = rc;
		return false;
	}
	(*done)++;
	return true;
}

static pid_t thread_group(pid_t tid)
{
	char path[64], line[128];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	FILE *f = fopen(path, "re");
	pid_t tgid = 0;
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "Tgid:", 5) == 0) {
			tgid = (pid_t)strtol(line + 5, NULL, 10);
			break;
		}
	}
	fclose(f);
	return tgid;
}

/* Each worker keeps the thread pidfds of the callers it served last, which
 * saves pidfd_open, the validity check and a close per request. A thread
 * pidfd names one thread, never a later one with the same number: once
 * that thread is gone it answers ESRCH, and is opened again. A pidfd of
 * the thread-group leader (before 6.9) is never kept: the caller's number
 * could be another process's thread by the next request. */
#define PIDFD_CACHE 8
struct cached_pidfd {
	pid_t tid; /* 0: empty */
	int pidfd;
};
static _Thread_local struct cached_pidfd cache[PIDFD_CACHE];
static _Thread_local unsigned cache_next;

static struct cached_pidfd *cache_find(pid_t tid)
{
	for (unsigned i = 0; i < PIDFD_CACHE; i++)
		if (cache[i].tid == tid)
			return &cache[i];
	return NULL;
}

static void cache_drop(struct cached_pidfd *c)
{
	close(c->pidfd);
	c->tid = 0;
}

static int open_pidfd(struct clat_sv_req *req)
{
	pid_t tid = (pid_t)req->notif->pid;
	/* A thread's own pidfd (6.9) reaches the same file table; before
	 * 6.9 only the thread-group leader has one. */
	int pidfd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
	bool per_thread = pidfd >= 0;
	if (pidfd < 0 && errno == EINVAL) {
		req->tgid = thread_group(tid);
		if (req->tgid > 0)
			pidfd = (int)syscall(SYS_pidfd_open, req->tgid, 0);
	}
	/* The number may have been reused if the caller died meanwhile: the
	 * pidfd is the caller's only while the notification is pending. */
	if (pidfd >= 0 && !clat_sv_still_valid(req)) {
		close(pidfd);
		errno = ESRCH;
		return -1;
	}
	if (pidfd < 0)
		return -1;
	if (!per_thread) {
		req->pidfd = pidfd;
		req->pidfd_owned = true;
		return pidfd;
	}
	struct cached_pidfd *slot = &cache[cache_next];
	cache_next = (cache_next + 1) % PIDFD_CACHE;
	if (slot->tid != 0)
		cache_drop(slot);
	slot->tid = tid;
	slot->pidfd = pidfd;
	req->pidfd = pidfd;
	return pidfd;
}

int clat_sv_pidfd(struct clat_sv_req *req)
{
	if (req->pidfd >= 0)
		return req->pidfd;
	struct cached_pidfd *c = cache_find((pid_t)req->notif->pid);
	if (c != NULL) {
		req->pidfd = c->pidfd;
		return req->pidfd;
	}
	return open_pidfd(req);
}

int clat_sv_getfd(struct clat_sv_req *req, int fd)
{
	int pidfd = clat_sv_pidfd(req);
	if (pidfd < 0)
		return -1;
	int copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (copy >= 0 || errno != ESRCH || req->pidfd_owned)
		return copy;
	/* A kept pidfd of a thread that has exited: this caller is another
	 * thread with the same number. */
	struct cached_pidfd *c = cache_find((pid_t)req->notif->pid);
	if (c != NULL && c->pidfd == pidfd)
		cache_drop(c);
	req->pidfd = -1;
	pidfd = open_pidfd(req);
	return pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

uint64_t clat_sv_fd_inode(pid_t tid, int fd)
{
	char path[64], link[64];
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)tid, fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	uint64_t ino = 0;
	if (sscanf(link, "socket:[%" SCNu64 "]", &ino) != 1)
		return 0;
	return ino;
}

bool clat_sv_still_valid(const struct clat_sv_req *req)
{
	uint64_t id = req->notif->id;
	return ioctl(req->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}
