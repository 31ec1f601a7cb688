/* File I/O of the library's own files (config, cache, log, mapper table)
 * as direct system calls. They pass no libc name that libclat hooks
 * (close is one) and none that another preload library or a sanitizer
 * intercepts, so such a file is opened and closed where every interposer
 * sees neither call, and the code below the hooks never calls up into
 * them. */
#ifndef CLAT_SYSFILE_H
#define CLAT_SYSFILE_H

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
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

/* F_OFD_SETLK and friends: fcntl is a hooked name (F_DUPFD copies records). */
static inline int clat_sys_fcntl_lock(int fd, int cmd, struct flock *lock)
{
	return (int)syscall(SYS_fcntl, fd, cmd, lock);
}

#endif
