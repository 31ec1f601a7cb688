#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/sysfile.h"
#include "discover/cache_file.h"
#include "sys/lazy_libc.h" /* last: see there */

#define CACHE_TEXT_MAX 2048

const char *clat_cache_state_name(enum clat_cache_state state)
{
	switch (state) {
	case CLAT_CACHE_ABSENT: return "absent";
	case CLAT_CACHE_FRESH: return "fresh";
	case CLAT_CACHE_STALE: return "stale";
	case CLAT_CACHE_UNTRUSTED: return "untrusted";
	case CLAT_CACHE_INVALID: return "invalid";
	}
	return "?";
}

static void add_read(struct clat_cache_places *p, const char *path, bool system)
{
	snprintf(p->read[p->count], sizeof(p->read[0]), "%s", path);
	p->read_system[p->count++] = system;
}

void clat_cache_locate(bool secure, struct clat_cache_places *out)
{
	const char *dir = secure ? NULL : getenv("CLAT_CACHE_DIR");
	char path[PATH_MAX];
	memset(out, 0, sizeof(*out));

	if (dir != NULL && dir[0] != '\0') {
		snprintf(path, sizeof(path), "%s/%s", dir, CLAT_CACHE_FILE);
		add_read(out, path, false);
		snprintf(out->write, sizeof(out->write), "%s", path);
		return;
	}
	add_read(out, CLAT_SYSTEM_CACHE_DIR "/" CLAT_CACHE_FILE, true);
	if (geteuid() == 0) {
		snprintf(out->write, sizeof(out->write), "%s",
			 CLAT_SYSTEM_CACHE_DIR "/" CLAT_CACHE_FILE);
		out->write_system = true;
		return;
	}
	if (secure)
		return; /* a setuid program writes no cache on its user's behalf */
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	if (xdg != NULL && xdg[0] == '/')
		snprintf(path, sizeof(path), "%s/libclat/%s", xdg, CLAT_CACHE_FILE);
	else if (home != NULL && home[0] == '/')
		snprintf(path, sizeof(path), "%s/.cache/libclat/%s", home, CLAT_CACHE_FILE);
	else
		return;
	add_read(out, path, false);
	snprintf(out->write, sizeof(out->write), "%s", path);
}

static bool owner_ok(const struct stat *st, bool system)
{
	return st->st_uid == 0 || (!system && st->st_uid == getuid());
}

/* The directory matters too: whoever may write it may replace the file. */
static bool trusted(const char *path, const struct stat *st, bool system,
		    char *why, size_t whylen)
{
	char dir[PATH_MAX];
	struct stat dst;
	snprintf(dir, sizeof(dir), "%s", path);
	if (!owner_ok(st, system) || (st->st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(why, whylen, "prefix cache %s ignored: owned by uid %u with mode %03o "
			 "(must be %s's and not writable by others)", path,
			 (unsigned)st->st_uid, (unsigned)(st->st_mode & 0777),
			 system ? "root" : "root or this user");
		return false;
	}
	if (stat(dirname(dir), &dst) != 0 || !owner_ok(&dst, system) ||
	    (dst.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(why, whylen, "prefix cache %s ignored: its directory may be written by others", path);
		return false;
	}
	return true;
}

enum clat_cache_state clat_cache_read(const char *path, bool system, int64_t now,
				      struct clat_cache_entry *out, char *why, size_t whylen)
{
	char text[CACHE_TEXT_MAX];
	struct stat st;
	why[0] = '\0';
	int fd = clat_sys_open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return CLAT_CACHE_ABSENT;
		snprintf(why, whylen, "prefix cache %s ignored: %s", path, strerror(errno));
		return errno == ELOOP ? CLAT_CACHE_UNTRUSTED : CLAT_CACHE_INVALID;
	}
	enum clat_cache_state state = CLAT_CACHE_INVALID;
	ssize_t len = -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		snprintf(why, whylen, "prefix cache %s ignored: not a regular file", path);
	else if (!trusted(path, &st, system, why, whylen))
		state = CLAT_CACHE_UNTRUSTED;
	else if ((len = clat_sys_read(fd, text, sizeof(text))) < 0 || (size_t)len >= sizeof(text))
		snprintf(why, whylen, "prefix cache %s ignored: unreadable or too large", path);
	else if (!clat_cache_parse(text, (size_t)len, out))
		snprintf(why, whylen, "prefix cache %s ignored: not in the cache format", path);
	else
		state = out->expires > now ? CLAT_CACHE_FRESH : CLAT_CACHE_STALE;
	clat_sys_close(fd);
	return state;
}

static bool make_dir(const char *path, bool system)
{
	char dir[PATH_MAX], parent[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *d = dirname(dir);
	if (mkdir(d, system ? 0755 : 0700) == 0 || errno == EEXIST)
		return true;
	if (errno != ENOENT || system)
		return false;
	snprintf(parent, sizeof(parent), "%s", d); /* ~/.cache may not exist yet */
	return make_dir(parent, false) && (mkdir(d, 0700) == 0 || errno == EEXIST);
}

bool clat_cache_write(const char *path, bool system, const struct clat_cache_entry *entry,
		      char *why, size_t whylen)
{
	char text[CACHE_TEXT_MAX], tmp[PATH_MAX];
	size_t len = clat_cache_format(entry, text, sizeof(text));
	if (len == 0 || !make_dir(path, system)) {
		snprintf(why, whylen, "cannot write %s: %s", path,
			 len == 0 ? "entry too large" : strerror(errno));
		return false;
	}
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "cannot write %s: %s", path, strerror(errno));
		return false;
	}
	bool ok = fchmod(fd, 0644) == 0 && clat_sys_write(fd, text, len) == (ssize_t)len;
	ok = clat_sys_close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		snprintf(why, whylen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return false;
	}
	return true;
}
