/* Descriptor lifecycle: keeps the fd table true across close, dup*,
 * fcntl(F_DUPFD*), close_range and closefrom, whether called by name or
 * through syscall(). The record is dropped before the real close so that a
 * number reused by another thread's socket() is never cleared after the
 * fact. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/syscall.h>
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

/* What close_range(first, last, flags) closes, decided before the call.
 * CLOSE_RANGE_CLOEXEC only marks them; the records stay valid. The real
 * call fails (EINVAL) before closing anything for bad flags or ranges,
 * checked here. */
struct close_range_plan {
	bool closes;
	bool unshare;
};

/* The kernel frees the numbers one by one while the call runs, so another
 * thread's socket() may take one: forget first, as close() does. With
 * CLOSE_RANGE_UNSHARE it closes in a table of this thread's own (no race)
 * and may fail with EMFILE/ENOMEM first, so there the records go after
 * success (close_range_after). */
static struct close_range_plan close_range_before(unsigned first, unsigned last, int flags)
{
	struct close_range_plan plan = {
		.closes = !(flags & CLOSE_RANGE_CLOEXEC) && first <= last &&
			  !(flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)),
		.unshare = (flags & CLOSE_RANGE_UNSHARE) != 0,
	};
	if (plan.closes && !plan.unshare)
		clat_fd_forget_range(first, last);
	return plan;
}

static void close_range_after(struct close_range_plan plan, long rc, unsigned first,
			      unsigned last)
{
	if (rc == 0 && plan.closes && plan.unshare)
		clat_fd_forget_range(first, last);
}

CLAT_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	struct close_range_plan plan = close_range_before(first, last, flags);
	int rc = CLAT_REAL(close_range)(first, last, flags);
	close_range_after(plan, rc, first, last);
	return rc;
}

CLAT_EXPORT void closefrom(int lowfd)
{
	if (lowfd >= 0)
		clat_fd_forget_range((unsigned)lowfd, UINT_MAX);
	CLAT_REAL(closefrom)(lowfd);
}

/* Programs that close or copy descriptors with syscall() rather than the
 * libc wrappers: libuv's uv__close_nocancel() is syscall(SYS_close, fd),
 * so dig (BIND 9) and node do. Without this the number keeps the record of
 * a socket the kernel has freed, and whatever takes the number next (a
 * file, a socket made by another thread) inherits it. Only the descriptor
 * lifecycle is handled here; every other number goes straight through.
 * The return value and errno are those of the real call: -1 and errno on
 * failure (syscall(2), RETURN VALUE). */
CLAT_EXPORT long syscall(long number, ...)
{
	va_list ap;
	va_start(ap, number);
	struct clat_syscall_args a = clat_syscall_args_read(ap);
	va_end(ap);
	long (*real)(long, ...) = CLAT_REAL(syscall);
	long rc;

	switch (number) {
	case SYS_close:
		clat_fd_forget((int)a.a1);
		break;
#ifdef SYS_close_range
	case SYS_close_range: {
		/* The kernel takes all three as unsigned int (close_range(2)). */
		struct close_range_plan plan =
			close_range_before((unsigned)a.a1, (unsigned)a.a2, (int)a.a3);
		rc = real(number, a.a1, a.a2, a.a3, a.a4, a.a5, a.a6);
		close_range_after(plan, rc, (unsigned)a.a1, (unsigned)a.a2);
		return rc;
	}
#endif
	case SYS_dup:
#ifdef SYS_dup2
	case SYS_dup2:
#endif
	case SYS_dup3:
		rc = real(number, a.a1, a.a2, a.a3, a.a4, a.a5, a.a6);
		if (rc >= 0)
			clat_fd_copy((int)a.a1, (int)rc);
		return rc;
	case SYS_fcntl:
		rc = real(number, a.a1, a.a2, a.a3, a.a4, a.a5, a.a6);
		if (rc >= 0 && (a.a2 == F_DUPFD || a.a2 == F_DUPFD_CLOEXEC))
			clat_fd_copy((int)a.a1, (int)rc);
		return rc;
	default:
		break;
	}
	return real(number, a.a1, a.a2, a.a3, a.a4, a.a5, a.a6);
}
