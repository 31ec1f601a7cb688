/* File I/O of the library's own files (config, cache, log, mapper table)
 * as direct system calls. They pass no libc name that libclat hooks
 * (close is one) and none that another preload library or a sanitizer
 * intercepts, so such a file is opened and closed where every interposer
 * sees neither call, and the code below the hooks never calls up into
 * them. */
#ifndef CLAT_SYSFILE_H
#define CLAT_SYSFILE_H

#include <fcntl.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* Bound on first call (its system headers are all included above). */
#include "sys/lazy_libc.h"

static inline int clat_sys_open(const char *path, int flags, mode_t mode)
{
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

static inline int clat_sys_close(int fd)
{
	return (int)syscall(SYS_close, fd);
}

static inline ssize_t clat_sys_read(int fd, void *buf, size_t len)
{
	return (ssize_t)syscall(SYS_read, fd, buf, len);
}

static inline ssize_t clat_sys_write(int fd, const void *buf, size_t len)
{
	return (ssize_t)syscall(SYS_write, fd, buf, len);
}

/* fstat of a file opened with clat_sys_open. statx(2) rather than fstat:
 * its struct is the same on every architecture, where the kernel's struct
 * stat is not glibc's on some. Only the fields the library reads are
 * filled (type and mode, owner, size, device and inode); the rest are
 * zero. A kernel before 4.11, or a seccomp filter that refuses statx
 * (ENOSYS or EPERM), gets libc's fstat. */
static inline int clat_sys_fstat(int fd, struct stat *st)
{
	struct statx stx;
	int saved_errno = errno;
	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT,
		    STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID | STATX_INO | STATX_SIZE,
		    &stx) != 0) {
		if (errno != ENOSYS && errno != EPERM)
			return -1;
		errno = saved_errno;
		return fstat(fd, st);
	}
	memset(st, 0, sizeof(*st));
	st->st_mode = stx.stx_mode;
	st->st_uid = stx.stx_uid;
	st->st_gid = stx.stx_gid;
	st->st_ino = (ino_t)stx.stx_ino;
	st->st_size = (off_t)stx.stx_size;
	st->st_dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	return 0;
}

/* F_OFD_SETLK and friends: fcntl is a hooked name (F_DUPFD copies records). */
static inline int clat_sys_fcntl_lock(int fd, int cmd, struct flock *lock)
{
	return (int)syscall(SYS_fcntl, fd, cmd, lock);
}

/* An open-file-description lock (F_RDLCK or F_WRLCK) on the whole file,
 * tried every millisecond for at most wait_ms: false (errno set) when a
 * live holder keeps it longer. The kernel drops such a lock when its
 * holder's descriptor goes, so a dead holder never stalls anyone. */
static inline bool clat_sys_lock_wait(int fd, short type, int wait_ms)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET };
	for (int waited = 0; waited <= wait_ms; waited++) {
		if (clat_sys_fcntl_lock(fd, F_OFD_SETLK, &fl) == 0)
			return true;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return false;
		struct timespec ms = { 0, 1000000 };
		nanosleep(&ms, NULL);
	}
	return false;
}

/* Needed explicitly for a file that was mmap'ed: its description lives on
 * in the mapping after close(), and the lock with it. */
static inline void clat_sys_unlock(int fd)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET };
	clat_sys_fcntl_lock(fd, F_OFD_SETLK, &fl);
}

#endif
