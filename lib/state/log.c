#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "state/log.h"
#include "sys/sysfile.h"
#include "sys/lazy_libc.h" /* last: see there */

enum sink { SINK_NONE, SINK_STDERR, SINK_SYSLOG, SINK_FILE };

static enum sink log_sink = SINK_NONE;
static char log_path[256];

void clat_log_configure(const char *target)
{
	if (target == NULL || target[0] == '\0') {
		log_sink = SINK_NONE;
	} else if (strcmp(target, "stderr") == 0) {
		log_sink = SINK_STDERR;
	} else if (strcmp(target, "syslog") == 0) {
		log_sink = SINK_SYSLOG;
	} else {
		snprintf(log_path, sizeof(log_path), "%s", target);
		log_sink = SINK_FILE;
	}
}

bool clat_log_enabled(void)
{
	return log_sink != SINK_NONE;
}

static void write_line(enum sink sink, int priority, const char *fmt, va_list ap)
{
	char line[512];
	int prefix = snprintf(line, sizeof(line), "libclat[%ld]: ", (long)getpid());
	int body = vsnprintf(line + prefix, sizeof(line) - (size_t)prefix - 1, fmt, ap);
	size_t len = (size_t)prefix + (body < 0 ? 0 : (size_t)body);

	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	if (sink == SINK_SYSLOG) {
		syslog(LOG_USER | priority, "%.*s", (int)(len - 1 - (size_t)prefix),
		       line + prefix);
		return;
	}
	int fd = 2;
	if (sink == SINK_FILE) {
		fd = clat_sys_open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return;
	}
	/* One write(2) per line: lines of concurrent processes stay whole. */
	ssize_t ignored = clat_sys_write(fd, line, len);
	(void)ignored;
	if (sink == SINK_FILE)
		clat_sys_close(fd);
}

void clat_log(const char *fmt, ...)
{
	if (log_sink == SINK_NONE)
		return;
	int saved_errno = errno;
	va_list ap;
	va_start(ap, fmt);
	write_line(log_sink, LOG_DEBUG, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void clat_log_warning(const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;
	va_start(ap, fmt);
	write_line(log_sink == SINK_NONE ? SINK_SYSLOG : log_sink, LOG_WARNING, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}
