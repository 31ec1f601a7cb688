/* Descriptor lifecycle: keeps the fd table true across close, dup*,
 * fcntl(F_DUPFD*), close_range and closefrom. The record is dropped before
 * the real close so that a number reused by another thread's socket() is
 * never cleared after the fact. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "export.h"
#include "state/fdtable.h"
#include "sys/realcalls.h"
#include "translate/translate.h"

CLAT_EXPORT int close(int fd)
{
	clat_fd_forget(fd);
	return CLAT_REAL(close)(fd);
}

CLAT_EXPORT int dup(int oldfd)
{
	int newfd = CLAT_REAL(dup)(oldfd);
	if (newfd >= 0)
		clat_fd_copy(oldfd, newfd);
	return newfd;
}

CLAT_EXPORT int dup2(int oldfd, int newfd)
{
	int rc = CLAT_REAL(dup2)(oldfd, newfd);
	if (rc >= 0)
		clat_fd_copy(oldfd, rc);
	return rc;
}

CLAT_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	int rc = CLAT_REAL(dup3)(oldfd, newfd, flags);
	if (rc >= 0)
		clat_fd_copy(oldfd, rc);
	return rc;
}

static int fcntl_common(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
	int rc = real(fd, cmd, arg);
	if (rc >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		clat_fd_copy(fd, rc);
	return rc;
}

/* Every fcntl command takes at most one argument, an int or a pointer;
 * passing it on as a pointer is what glibc itself does. */
CLAT_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(CLAT_REAL(fcntl), fd, cmd, arg);
}

CLAT_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(CLAT_REAL(fcntl64), fd, cmd, arg);
}

CLAT_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	/* CLOSE_RANGE_CLOEXEC only marks them; the records stay valid. The
	 * kernel frees the numbers one by one while the call runs, so another
	 * thread's socket() may take one: forget first, as close() does. The
	 * real call fails (EINVAL) before closing anything for bad flags or
	 * ranges, checked here; with CLOSE_RANGE_UNSHARE it closes in a table
	 * of this thread's own (no race) and may fail with EMFILE/ENOMEM
	 * first, so there the records go after success. */
	bool closes = !(flags & CLOSE_RANGE_CLOEXEC) && first <= last &&
		      !(flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC));
	bool unshare = (flags & CLOSE_RANGE_UNSHARE) != 0;
	if (closes && !unshare)
		clat_fd_forget_range(first, last);
	int rc = CLAT_REAL(close_range)(first, last, flags);
	if (rc == 0 && closes && unshare)
		clat_fd_forget_range(first, last);
	return rc;
}

CLAT_EXPORT void closefrom(int lowfd)
{
	if (lowfd >= 0)
		clat_fd_forget_range((unsigned)lowfd, UINT_MAX);
	CLAT_REAL(closefrom)(lowfd);
}
