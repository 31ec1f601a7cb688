#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
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
	/* Secure mode writes no cache: not the system one on a caller's
	 * behalf (its limits, umask and timing are the caller's), nor the
	 * caller's own. Root's clatrun --refresh and the package do. */
	if (secure)
		return;
	if (geteuid() == 0) {
		snprintf(out->write, sizeof(out->write), "%s",
			 CLAT_SYSTEM_CACHE_DIR "/" CLAT_CACHE_FILE);
		out->write_system = true;
		return;
	}
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
	if (clat_sys_fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
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

bool clat_cache_system_dir_ok(char *why, size_t whylen)
{
	struct stat st;
	if (lstat(CLAT_SYSTEM_CACHE_DIR, &st) != 0) {
		snprintf(why, whylen, "%s: %s", CLAT_SYSTEM_CACHE_DIR, strerror(errno));
		return errno == ENOENT;
	}
	if (S_ISDIR(st.st_mode) && st.st_uid == 0 && (st.st_mode & 07777) == 0755) {
		snprintf(why, whylen, "%s: root's, mode 755", CLAT_SYSTEM_CACHE_DIR);
		return true;
	}
	snprintf(why, whylen, "%s is %s of uid %u with mode %03o; it must be root's directory "
		 "with mode 755, or other users ignore the cache (root's clatrun --refresh "
		 "repairs it)", CLAT_SYSTEM_CACHE_DIR, S_ISDIR(st.st_mode) ? "a directory" :
		 "not a directory", (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	return false;
}

/* The cache directory with exactly its mode whatever the umask: mkdir, then
 * chmod. A system directory root finds with another mode (made under a
 * caller's umask by an older libclat, or changed by hand) is repaired. */
static bool make_dir(const char *path, bool system)
{
	char dir[PATH_MAX], parent[PATH_MAX];
	mode_t mode = system ? 0755 : 0700;
	struct stat st;
	snprintf(dir, sizeof(dir), "%s", path);
	char *d = dirname(dir);
	if (mkdir(d, mode) == 0)
		return chmod(d, mode) == 0;
	if (errno == EEXIST) {
		if (!system)
			return true;
		if (lstat(d, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0)
			return false;
		return (st.st_mode & 07777) == mode || chmod(d, mode) == 0;
	}
	if (errno != ENOENT || system)
		return false;
	snprintf(parent, sizeof(parent), "%s", d); /* ~/.cache may not exist yet */
	return make_dir(parent, false) && (mkdir(d, mode) == 0 || errno == EEXIST);
}

/* Temporary files of writers that were killed before their rename (a
 * SIGKILL, a crash) are removed by the next writer: this user's
 * CLAT_CACHE_FILE.XXXXXX files older than a minute. */
static void remove_stale_temporaries(const char *path)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	const char *d = dirname(dir);
	DIR *dp = opendir(d);
	if (dp == NULL)
		return;
	time_t now = time(NULL);
	size_t base = strlen(CLAT_CACHE_FILE ".");
	unsigned seen = 0;
	struct dirent *e;
	while ((e = readdir(dp)) != NULL && ++seen < 10000) {
		struct stat st;
		if (strncmp(e->d_name, CLAT_CACHE_FILE ".", base) != 0 ||
		    strlen(e->d_name) != base + 6)
			continue;
		snprintf(tmp, sizeof(tmp), "%s/%s", d, e->d_name);
		if (lstat(tmp, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
		    st.st_mtime < now - 60)
			unlink(tmp);
	}
	closedir(dp);
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
	/* A line over RLIMIT_FSIZE is SIGXFSZ: the writer would die and
	 * leave its temporary file behind. */
	struct rlimit fsize;
	if (getrlimit(RLIMIT_FSIZE, &fsize) == 0 && fsize.rlim_cur != RLIM_INFINITY &&
	    fsize.rlim_cur < len) {
		snprintf(why, whylen, "cannot write %s: file size limit %llu", path,
			 (unsigned long long)fsize.rlim_cur);
		return false;
	}
	remove_stale_temporaries(path);
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
