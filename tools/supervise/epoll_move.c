/* epoll registrations belong to a file, not to an fd number: once the twin
 * replaces the IPv4 socket, the program's epoll sets would never report
 * the fd again. The registrations are read from /proc/PID/fdinfo of each
 * epoll fd ("tfd: N events: E data: D ... ino: I") and made again for the
 * twin under the same fd number, so that the program's later EPOLL_CTL_MOD
 * and _DEL find them. The number is the program's: the twin is put at that
 * number in a short-lived thread with its own copy of the file table. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervise.h"

static bool is_epoll(pid_t pid, const char *name)
{
	char path[320], link[64];
	snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid, name);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = '\0';
	return strcmp(link, "anon_inode:[eventpoll]") == 0;
}

static size_t scan_fdinfo(pid_t pid, int epfd, int fd, uint64_t ino,
			  struct clat_sv_epoll_reg *regs, size_t count, size_t max)
{
	char path[400], line[256];
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, epfd);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return count;
	while (count < max && fgets(line, sizeof(line), f) != NULL) {
		int tfd;
		unsigned events;
		uint64_t data, tino;
		long long pos;
		if (sscanf(line, "tfd: %d events: %x data: %" SCNx64 " pos:%lld ino:%" SCNx64,
			   &tfd, &events, &data, &pos, &tino) == 5 &&
		    tfd == fd && tino == ino) {
			regs[count].epfd = epfd;
			regs[count].events = events;
			regs[count].data = data;
			count++;
		}
	}
	fclose(f);
	return count;
}

size_t clat_sv_epoll_find(pid_t pid, int fd, uint64_t ino, struct clat_sv_epoll_reg *regs,
			  size_t max)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *dir = opendir(path);
	size_t count = 0;
	if (dir == NULL)
		return 0;
	for (struct dirent *e; count < max && (e = readdir(dir)) != NULL;) {
		if (e->d_name[0] == '.' || !is_epoll(pid, e->d_name))
			continue;
		count = scan_fdinfo(pid, atoi(e->d_name), fd, ino, regs, count, max);
	}
	closedir(dir);
	return count;
}

struct epoll_job {
	int pidfd, fd, twin;
	const struct clat_sv_epoll_reg *regs;
	size_t count;
	int err;
};

/* Runs in a thread of its own that first gives itself a private copy of
 * the file table (unshare(CLONE_FILES)): there the twin can take the
 * program's fd number without disturbing any of the supervisor's own
 * descriptors, and the copy is dropped when the thread ends. (A thread, not
 * a clone(2) child: a sanitizer runtime takes such a child for a fork.) */
static void *epoll_job_run(void *arg)
{
	struct epoll_job *job = arg;
	if (syscall(SYS_unshare, CLONE_FILES) != 0) {
		job->err = errno ? errno : EIO;
		return NULL;
	}
	for (size_t i = 0; i < job->count; i++) {
		long ep = syscall(SYS_pidfd_getfd, job->pidfd, job->regs[i].epfd, 0);
		if (ep == job->fd) /* keep the number free for the twin */
			ep = syscall(SYS_fcntl, ep, F_DUPFD_CLOEXEC, 0);
		struct epoll_event ev = { .events = job->regs[i].events, .data.u64 = job->regs[i].data };
		if (ep < 0 ||
		    (job->twin != job->fd && syscall(SYS_dup3, job->twin, job->fd, O_CLOEXEC) < 0) ||
		    syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, job->fd, &ev) != 0) {
			job->err = errno ? errno : EIO;
			return NULL;
		}
	}
	return NULL;
}

bool clat_sv_epoll_add(struct clat_sv_req *req, int fd, int twin,
		       const struct clat_sv_epoll_reg *regs, size_t count)
{
	if (count == 0)
		return true;
	struct epoll_job job = { .pidfd = clat_sv_pidfd(req), .fd = fd, .twin = twin,
				 .regs = regs, .count = count };
	if (job.pidfd < 0)
		return false;
	pthread_t t;
	int rc = pthread_create(&t, NULL, epoll_job_run, &job);
	if (rc != 0) {
		errno = rc;
		return false;
	}
	pthread_join(t, NULL);
	if (job.err != 0)
		errno = job.err;
	return job.err == 0;
}
