/* libclat's log. Silent unless CLAT_DEBUG / the "log" key names a sink:
 * "stderr" (the program's stderr, opt-in), "syslog", or a file path (opened,
 * appended to and closed per line, so no descriptor of ours stays open in
 * the program; only a regular file of this euid or root, never through a
 * link or into a FIFO, else syslog from then on with one line saying why).
 * Every byte outside printable ASCII in a line is escaped (\xNN). Every
 * function keeps errno unchanged. */
#ifndef CLAT_LOG_H
#define CLAT_LOG_H

#include <stdbool.h>

/* Chooses the sink; called once by settings. NULL or "" means silent. */
void clat_log_configure(const char *target);
bool clat_log_enabled(void);
/* A debug line, written only when a sink is set. */
void clat_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A line that matters even when logging is off (bad settings, no prefix):
 * written to the sink if set, and to syslog at LOG_WARNING otherwise. */
void clat_log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
