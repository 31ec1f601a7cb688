/* The prefix cache shared by processes: where it lives, whether to trust
 * it, reading and replacing it. The system cache is written by root only;
 * unprivileged users get a per-user one. */
#ifndef CLAT_PREFIX_STORE_H
#define CLAT_PREFIX_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/prefix_cache.h"

#define CLAT_SYSTEM_CACHE_DIR "/var/cache/libclat"
#define CLAT_CACHE_FILE "prefix"

enum clat_cache_state {
	CLAT_CACHE_ABSENT = 0,
	CLAT_CACHE_FRESH,
	CLAT_CACHE_STALE,     /* parsed, expired: rediscover */
	CLAT_CACHE_UNTRUSTED, /* wrong owner or writable by others: ignored */
	CLAT_CACHE_INVALID,   /* unreadable or not in the cache format: ignored */
};

const char *clat_cache_state_name(enum clat_cache_state state);

struct clat_cache_places {
	unsigned count;           /* read in this order */
	char read[2][PATH_MAX];
	bool read_system[2];      /* system caches must be root's */
	char write[PATH_MAX];     /* "" when this process may not write one */
	bool write_system;
};

/* CLAT_CACHE_DIR/prefix when set (ignored in secure mode); otherwise the
 * system cache, then (not for root) the user's
 * ${XDG_CACHE_HOME:-$HOME/.cache}/libclat/prefix. A secure-mode process
 * writes none (write is ""). */
void clat_cache_locate(bool secure, struct clat_cache_places *out);

/* Reads one cache file. Trust (why is filled for UNTRUSTED/INVALID): a
 * regular file, not a link, owned by root (system) or by root or this user
 * (user cache), with neither the file nor its directory writable by group
 * or others. */
enum clat_cache_state clat_cache_read(const char *path, bool system, int64_t now,
				      struct clat_cache_entry *out, char *why, size_t whylen);
/* Replaces the file atomically (temporary file, rename), creating the
 * directory (0755 system, 0700 user, whatever the umask; root repairs the
 * mode of an existing system directory) and removing temporary files
 * earlier writers left. Nothing is written when the file size limit is
 * below the entry. False with why on failure. */
bool clat_cache_write(const char *path, bool system, const struct clat_cache_entry *entry,
		      char *why, size_t whylen);

/* Whether the system cache directory is root's with mode 755 (absent is
 * fine: made on first write); why says what was found. For --doctor. */
bool clat_cache_system_dir_ok(char *why, size_t whylen);

#endif
