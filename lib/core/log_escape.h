/* Log lines carry values other users chose (paths from CLAT_DEBUG and
 * CLAT_CONFIG, names looked up, config text): written raw, a newline in one
 * forges a whole line and an escape sequence drives the reader's terminal.
 * Every byte outside printable ASCII is written as \xNN, and the backslash
 * itself as \\, so that an escaped line reads back unambiguously. */
#ifndef CLAT_LOG_ESCAPE_H
#define CLAT_LOG_ESCAPE_H

#include <stddef.h>

/* Escapes len bytes of in into out (outlen bytes, NUL-terminated when
 * outlen > 0). An escape sequence that does not fit whole is left out with
 * everything after it. Returns the length written, without the NUL. */
size_t clat_log_escape(const char *in, size_t len, char *out, size_t outlen);

#endif
