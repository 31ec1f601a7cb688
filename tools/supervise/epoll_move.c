/* epoll registrations belong to a file, not to an fd number: once the twin
 * replaces the IPv4 socket, the program's epoll sets would never report
 * the fd again. The registrations are read from /proc/PID/fdinfo of each
 * epoll fd ("tfd: N events: E data: D ... ino: I") and made again for the
 * twin under the same fd number, so that the program's later EPOLL_CTL_MOD
 * and _DEL find them. The number is the program's: each worker has a file
 * table of its own (loop.c), in which the twin is put at that number. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
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

/* Registers twin under number fd in ep, in this worker's own file table:
 * whatever the worker had at that number is put back afterwards. */
static int add_at_number(int ep, int fd, int twin, struct epoll_event *ev)
{
	if (twin == fd)
		return epoll_ctl(ep, EPOLL_CTL_ADD, fd, ev);
	int saved = fcntl(fd, F_GETFD) >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
	int rc = -1;
	if (dup3(twin, fd, O_CLOEXEC) == fd) {
		rc = epoll_ctl(ep, EPOLL_CTL_ADD, fd, ev);
		int err = errno;
		if (saved >= 0)
			dup3(saved, fd, O_CLOEXEC);
		else
			close(fd);
		errno = err;
	}
	if (saved >= 0)
		close(saved);
	return rc;
}

bool clat_sv_epoll_add(struct clat_sv_req *req, int fd, int twin,
		       const struct clat_sv_epoll_reg *regs, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		int ep = clat_sv_getfd(req, regs[i].epfd);
		if (ep == fd) { /* keep the number free for the twin */
			int moved = fcntl(ep, F_DUPFD_CLOEXEC, 0);
			close(ep);
			ep = moved;
		}
		if (ep < 0)
			return false;
		struct epoll_event ev = { .events = regs[i].events, .data.u64 = regs[i].data };
		int rc = add_at_number(ep, fd, twin, &ev);
		close(ep);
		if (rc != 0)
			return false;
	}
	return true;
}
