#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "core/log_escape.h"
#include "state/log.h"
#include "sys/sysfile.h"
#include "sys/lazy_libc.h" /* last: see there */

enum sink { SINK_NONE, SINK_STDERR, SINK_SYSLOG, SINK_FILE };

/* Set once by settings (under their lock); a refused log file turns it
 * to syslog later, from any thread: read and changed atomically. */
static int log_sink = SINK_NONE;
static char log_path[256];

static enum sink current_sink(void)
{
	return (enum sink)__atomic_load_n(&log_sink, __ATOMIC_ACQUIRE);
}

void clat_log_configure(const char *target)
{
	enum sink sink = SINK_FILE;
	if (target == NULL || target[0] == '\0')
		sink = SINK_NONE;
	else if (strcmp(target, "stderr") == 0)
		sink = SINK_STDERR;
	else if (strcmp(target, "syslog") == 0)
		sink = SINK_SYSLOG;
	else
		snprintf(log_path, sizeof(log_path), "%s", target);
	__atomic_store_n(&log_sink, sink, __ATOMIC_RELEASE);
}

bool clat_log_enabled(void)
{
	return current_sink() != SINK_NONE;
}

/* The log file, opened for one line, or -1 with why filled in. A FIFO
 * must not block the program (O_NONBLOCK: no reader is ENXIO, not a wait),
 * a link must not redirect it (O_NOFOLLOW), and a file of another user in
 * a directory open to all (/tmp) is theirs to read, not ours to append to:
 * only a regular file of this euid or root is written. A line that would
 * cross RLIMIT_FSIZE would kill the program with SIGXFSZ. */
static int open_log_file(size_t len, char *why, size_t whylen)
{
	int fd = clat_sys_open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
			  O_NONBLOCK | O_NOCTTY, 0600);
	if (fd < 0) {
		/* ENXIO: a FIFO with no reader; ELOOP: a link. Other errors
		 * (EACCES, ENOENT of the directory, EMFILE) may pass: the
		 * line is lost, the sink stays. */
		if (errno == ENXIO || errno == ELOOP)
			snprintf(why, whylen, "%s", errno == ENXIO ? "a FIFO or device nobody reads"
								    : "a symbolic link");
		return -1;
	}
	struct stat st;
	struct rlimit fsize;
	if (clat_sys_fstat(fd, &st) != 0)
		snprintf(why, whylen, "fstat failed: %s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(why, whylen, "not a regular file (mode %06o)", (unsigned)st.st_mode);
	else if (st.st_uid != geteuid() && st.st_uid != 0)
		snprintf(why, whylen, "owned by uid %u, not by uid %u or root",
			 (unsigned)st.st_uid, (unsigned)geteuid());
	else if (getrlimit(RLIMIT_FSIZE, &fsize) == 0 && fsize.rlim_cur != RLIM_INFINITY &&
		 (unsigned long long)st.st_size + len > (unsigned long long)fsize.rlim_cur)
		snprintf(why, whylen, "%lld bytes, at the file size limit (%llu)",
			 (long long)st.st_size, (unsigned long long)fsize.rlim_cur);
	else
		return fd;
	clat_sys_close(fd);
	return -1;
}

/* The file sink refused: syslog from now on, and one line there says why
 * (the path escaped like every value), from the thread that switched. */
static void give_up_file(const char *why)
{
	char path[sizeof(log_path) * 4];
	int file = SINK_FILE;
	if (!__atomic_compare_exchange_n(&log_sink, &file, SINK_SYSLOG, false, __ATOMIC_RELAXED,
					 __ATOMIC_RELAXED))
		return;
	clat_log_escape(log_path, strlen(log_path), path, sizeof(path));
	syslog(LOG_USER | LOG_WARNING, "libclat[%ld]: log file %s not used: %s; logging to syslog",
	       (long)getpid(), path, why);
}

static void write_line(enum sink sink, int priority, const char *fmt, va_list ap)
{
	char body[512], line[600];
	int n = vsnprintf(body, sizeof(body), fmt, ap);
	size_t body_len = n < 0 ? 0 : (size_t)n < sizeof(body) ? (size_t)n : sizeof(body) - 1;
	int prefix = snprintf(line, sizeof(line), "libclat[%ld]: ", (long)getpid());
	/* Every value, whoever chose it, escaped: one line stays one line. */
	size_t len = (size_t)prefix + clat_log_escape(body, body_len, line + prefix,
						      sizeof(line) - (size_t)prefix - 1);
	line[len++] = '\n';
	if (sink == SINK_SYSLOG) {
		syslog(LOG_USER | priority, "%.*s", (int)(len - 1 - (size_t)prefix),
		       line + prefix);
		return;
	}
	int fd = 2;
	if (sink == SINK_FILE) {
		char why[160] = "";
		fd = open_log_file(len, why, sizeof(why));
		if (fd < 0) {
			if (why[0] != '\0') {
				give_up_file(why);
				syslog(LOG_USER | priority, "%.*s",
				       (int)(len - 1 - (size_t)prefix), line + prefix);
			}
			return;
		}
	}
	/* One write(2) per line: lines of concurrent processes stay whole. */
	ssize_t ignored = clat_sys_write(fd, line, len);
	(void)ignored;
	if (sink == SINK_FILE)
		clat_sys_close(fd);
}

void clat_log(const char *fmt, ...)
{
	enum sink sink = current_sink();
	if (sink == SINK_NONE)
		return;
	int saved_errno = errno;
	va_list ap;
	va_start(ap, fmt);
	write_line(sink, LOG_DEBUG, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void clat_log_warning(const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;
	va_start(ap, fmt);
	enum sink sink = current_sink();
	write_line(sink == SINK_NONE ? SINK_SYSLOG : sink, LOG_WARNING, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}
