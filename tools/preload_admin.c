/* clatrun --install-preload / --uninstall-preload (preload_admin.h).
 *
 * /etc/ld.so.preload is read by the dynamic loader of every program that
 * starts, setuid ones included, so this file refuses anything that could
 * hurt: a library that someone other than root could replace, a library
 * that does not load or is not libclat, a config file that the library
 * would reject. The file itself is never edited in place: the new text goes
 * to a temporary file in the same directory, which is fsync'ed and renamed
 * over it, so a crash leaves the old or the new file, never half of one. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/config_file.h"
#include "core/config.h"
#include "preload_admin.h"

#define PRELOAD_MAX_BYTES 65536
/* What the loader splits /etc/ld.so.preload at (glibc elf/rtld.c). */
#define PRELOAD_SEPARATORS " \t:"

static const char *target_path(void)
{
	const char *t = getenv("CLAT_PRELOAD_FILE");
	return t != NULL && t[0] == '/' ? t : CLAT_LD_SO_PRELOAD;
}

__attribute__((format(printf, 1, 2)))
static int refuse(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "clatrun: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

int clatrun_slurp(const char *path, char *buf, size_t max, size_t *len, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	*len = 0;
	if (fd < 0)
		return errno;
	int err = 0;
	if (fstat(fd, st) != 0) {
		err = errno;
	} else if (!S_ISREG(st->st_mode)) {
		err = EINVAL;
	} else {
		ssize_t got;
		while ((got = read(fd, buf + *len, max - 1 - *len)) != 0) {
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				err = errno;
				break;
			}
			*len += (size_t)got;
			if (*len == max - 1) {
				err = EFBIG;
				break;
			}
		}
	}
	close(fd);
	buf[*len] = '\0';
	return err;
}

/* Every directory from / down to the file, and the file: owned by root and
 * writable by nobody else (a sticky directory such as /tmp is fine: there
 * only an entry's owner may rename it). path is canonical (realpath). */
static int check_root_owned(const char *path)
{
	char prefix[PATH_MAX];
	struct stat st;
	size_t len = strlen(path);

	for (size_t i = 0; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		size_t n = i == 0 ? 1 : i; /* "/" first, then each parent, then path */
		memcpy(prefix, path, n);
		prefix[n] = '\0';
		if (lstat(prefix, &st) != 0)
			return refuse("cannot check %s: %s", prefix, strerror(errno));
		bool last = i == len;
		if (last && !S_ISREG(st.st_mode))
			return refuse("%s is not a regular file", path);
		if (!last && !S_ISDIR(st.st_mode))
			return refuse("%s is not a directory", prefix);
		bool writable = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
				(last || !(st.st_mode & S_ISVTX));
		if (st.st_uid != 0 || writable)
			return refuse("refusing %s: every program would load it, but %s is not "
				      "owned by root or may be written by others", path, prefix);
	}
	return 0;
}

int clatrun_in_child(int (*fn)(const char *), const char *arg, char *out, size_t outlen)
{
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		_exit(fn(arg));
	}
	close(fds[1]);
	size_t used = 0;
	ssize_t got;
	while ((got = read(fds[0], out + used, outlen - 1 - used)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		used += (size_t)got;
		if (used == outlen - 1) {
			char sink[256]; /* drain, so that the child never blocks */
			while (read(fds[0], sink, sizeof(sink)) > 0)
				;
			break;
		}
	}
	out[used] = '\0';
	close(fds[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/* In a child: is this libclat? */
static int child_dlopen(const char *library)
{
	void *h = dlopen(library, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	if (dlsym(h, "clat_instance_marker") == NULL) {
		fprintf(stderr, "no clat_instance_marker symbol: not libclat\n");
		return 1;
	}
	return 0;
}

/* In a child: does a plain program start with it preloaded, without a
 * word from the loader? */
static int child_preload_true(const char *library)
{
	static char preload[PATH_MAX + 16];
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", library);
	char *envp[] = { preload, (char *)"CLAT_MODE=off", NULL };
	const char *prog = access("/bin/true", X_OK) == 0 ? "/bin/true" : "/usr/bin/true";
	char *argv[] = { (char *)"true", NULL };
	execve(prog, argv, envp);
	fprintf(stderr, "cannot run %s: %s\n", prog, strerror(errno));
	return 127;
}

const char *clatrun_one_line(char *out)
{
	size_t len = strlen(out);
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = '\0';
	for (char *p = out; *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
	return len > 0 ? out : "(no message)";
}

static int check_library(const char *real)
{
	char out[1024];
	if (strpbrk(real, " \t\n:") != NULL)
		return refuse("refusing %s: the loader splits %s at blanks and colons", real,
			      target_path());
	if (check_root_owned(real) != 0)
		return 1;
	int status = clatrun_in_child(child_dlopen, real, out, sizeof(out));
	if (status != 0)
		return refuse("refusing %s: it does not load as libclat: %s", real, clatrun_one_line(out));
	status = clatrun_in_child(child_preload_true, real, out, sizeof(out));
	if (status != 0 || out[0] != '\0')
		return refuse("refusing %s: a program started with it preloaded fails: %s", real,
			      clatrun_one_line(out));
	return 0;
}

/* The library rejects a broken config file in every process (and runs
 * untranslated); better to hear it now. */
static int check_config(const char *config_path)
{
	static char text[CLAT_CONFIG_MAX_BYTES];
	char err[CLAT_CONFIG_ERR_MAX + PATH_MAX];
	struct clat_config cfg;
	bool secure_ok = true;

	if (config_path == NULL)
		return 0;
	clat_config_defaults(&cfg);
	switch (clat_config_file_load(config_path, false, text, &cfg, &secure_ok, err,
				      sizeof(err))) {
	case CLAT_CONFIG_FILE_ABSENT:
		return 0;
	case CLAT_CONFIG_FILE_REFUSED:
	case CLAT_CONFIG_FILE_TRANSIENT:
		fprintf(stderr, "clatrun: %s\n", err);
		return 2;
	case CLAT_CONFIG_FILE_LOADED:
		break;
	}
	if (!secure_ok)
		fprintf(stderr, "clatrun: warning: setuid programs ignore %s: it is not owned "
			"by root or may be written by others\n", config_path);
	return 0;
}

/* Does this ld.so.preload entry name our library? */
static bool same_library(const char *entry, const char *given, const char *real)
{
	char resolved[PATH_MAX];
	if (strcmp(entry, given) == 0 || (real != NULL && strcmp(entry, real) == 0))
		return true;
	return real != NULL && realpath(entry, resolved) != NULL && strcmp(resolved, real) == 0;
}

/* Copies text to out without the entries that name our library, a line at
 * a time; a line left empty goes, other lines stay as they were. Returns
 * how many entries were dropped. */
static unsigned drop_entries(const char *text, char *out, const char *given, const char *real)
{
	static char line[PRELOAD_MAX_BYTES], kept[PRELOAD_MAX_BYTES];
	unsigned dropped = 0;
	size_t used = 0;
	out[0] = '\0';
	while (*text != '\0') {
		const char *start = text;
		size_t linelen = strcspn(text, "\n"), keptlen = 0;
		unsigned here = 0, others = 0;
		memcpy(line, text, linelen);
		line[linelen] = '\0';
		kept[0] = '\0';
		text += linelen + (text[linelen] == '\n');
		char *save = NULL;
		for (char *tok = strtok_r(line, PRELOAD_SEPARATORS, &save); tok != NULL;
		     tok = strtok_r(NULL, PRELOAD_SEPARATORS, &save)) {
			if (same_library(tok, given, real)) {
				here++;
				continue;
			}
			others++;
			keptlen += (size_t)snprintf(kept + keptlen, sizeof(kept) - keptlen, "%s%s",
						    keptlen ? " " : "", tok);
		}
		dropped += here;
		if (here == 0) /* untouched: as it was, blank lines too */
			used += (size_t)snprintf(out + used, PRELOAD_MAX_BYTES - used, "%.*s\n",
						 (int)linelen, start);
		else if (others > 0)
			used += (size_t)snprintf(out + used, PRELOAD_MAX_BYTES - used, "%s\n", kept);
	}
	return dropped;
}

int clatrun_replace_file(const char *path, const char *text, const struct stat *old)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (text[0] == '\0') {
		if (unlink(path) != 0 && errno != ENOENT)
			return refuse("cannot remove %s: %s", path, strerror(errno));
	} else {
		int n = snprintf(tmp, sizeof(tmp), "%s/.%s.clatrun-XXXXXX", dir, slash + 1);
		if (n < 0 || (size_t)n >= sizeof(tmp))
			return refuse("%s: path too long", path);
		int fd = mkstemp(tmp);
		if (fd < 0)
			return refuse("cannot create a temporary file in %s: %s", dir, strerror(errno));
		size_t len = strlen(text), done = 0;
		int err = 0;
		if (fchown(fd, old ? old->st_uid : 0, old ? old->st_gid : 0) != 0 ||
		    fchmod(fd, old ? (old->st_mode & 07777) : 0644) != 0)
			err = errno;
		while (err == 0 && done < len) {
			ssize_t wrote = write(fd, text + done, len - done);
			if (wrote < 0 && errno == EINTR)
				continue;
			if (wrote < 0)
				err = errno;
			else
				done += (size_t)wrote;
		}
		if (err == 0 && fsync(fd) != 0)
			err = errno;
		if (close(fd) != 0 && err == 0)
			err = errno;
		if (err == 0 && rename(tmp, path) != 0)
			err = errno;
		if (err != 0) {
			unlink(tmp);
			return refuse("cannot write %s: %s", path, strerror(err));
		}
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int clatrun_preload_admin(bool install, const char *library, const char *config_path)
{
	static char text[PRELOAD_MAX_BYTES], out[PRELOAD_MAX_BYTES + PATH_MAX + 2];
	const char *target = target_path();
	const char *verb = install ? "--install-preload" : "--uninstall-preload";
	char real[PATH_MAX];
	struct stat st;
	size_t len;

	bool explicit = library != NULL;
	if (library == NULL)
		library = CLAT_INSTALLED_LIBRARY;
	if (geteuid() != 0)
		return refuse("%s changes %s, which every program on this machine reads: "
			      "run it as root", verb, target);
	if (library[0] != '/')
		return refuse("%s wants an absolute library path, not '%s'", verb, library);
	bool have_real = realpath(library, real) != NULL;
	if (install && !have_real)
		return refuse("cannot use %s: %s", library, strerror(errno));

	struct stat lst;
	if (lstat(target, &lst) == 0 && !S_ISREG(lst.st_mode))
		return refuse("%s is not a regular file (a symbolic link?); edit it by hand",
			      target);
	int rc = clatrun_slurp(target, text, sizeof(text), &len, &st);
	bool exists = rc == 0;
	if (rc != 0 && rc != ENOENT)
		return refuse("cannot read %s: %s", target, strerror(rc));
	if (memchr(text, '\0', len) != NULL)
		return refuse("%s contains NUL bytes; edit it by hand", target);

	unsigned listed = drop_entries(text, out, library, have_real ? real : NULL);
	if (install) {
		if (listed > 0) {
			printf("clatrun: %s already lists %s; nothing to do\n", target, real);
			return 0;
		}
		rc = check_library(real);
		if (rc == 0)
			rc = check_config(config_path);
		if (rc != 0)
			return rc;
		snprintf(out, sizeof(out), "%s%s%s\n", text,
			 len > 0 && text[len - 1] != '\n' ? "\n" : "", real);
		if (clatrun_replace_file(target, out, exists ? &st : NULL) != 0)
			return 1;
		printf("clatrun: added %s to %s: every program started from now on loads "
		       "libclat (settings: %s). Undo: clatrun --uninstall-preload%s%s\n",
		       real, target, config_path ? config_path : CLAT_DEFAULT_CONFIG_PATH,
		       explicit ? "=" : "", explicit ? real : "");
		return 0;
	}
	if (listed == 0) {
		printf("clatrun: %s does not list %s; nothing to do\n", target, library);
		return 0;
	}
	/* Only whitespace left: the file goes, as before --install-preload. */
	if (out[strspn(out, " \t\n")] == '\0')
		out[0] = '\0';
	if (clatrun_replace_file(target, out, exists ? &st : NULL) != 0)
		return 1;
	printf("clatrun: removed %s from %s%s: programs started from now on do not load "
	       "libclat\n", have_real ? real : library, target,
	       out[0] == '\0' ? " (now empty: removed the file)" : "");
	return 0;
}
