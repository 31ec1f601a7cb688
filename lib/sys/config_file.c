#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "sys/config_file.h"
#include "sys/sysfile.h"

static bool transient(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOMEM || err == EINTR || err == EAGAIN;
}

static bool secure_mode_accepts(const struct stat *st)
{
	return st->st_uid == 0 && (st->st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

/* Reads the whole regular file behind fd into buf; a file that does not
 * fit is refused rather than cut (a cut file could lose a later
 * "mode = off"). */
static enum clat_config_file_status read_all(int fd, const char *path, char *buf, size_t *len,
					     char *why, size_t whylen)
{
	*len = 0;
	for (;;) {
		ssize_t got = clat_sys_read(fd, buf + *len, CLAT_CONFIG_MAX_BYTES - *len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int err = errno;
			snprintf(why, whylen, "cannot read %s: %s", path, strerror(err));
			return transient(err) ? CLAT_CONFIG_FILE_TRANSIENT : CLAT_CONFIG_FILE_REFUSED;
		}
		if (got == 0)
			return CLAT_CONFIG_FILE_LOADED;
		*len += (size_t)got;
		if (*len >= CLAT_CONFIG_MAX_BYTES) {
			snprintf(why, whylen, "%s is too large (a config file has fewer than %d bytes)",
				 path, CLAT_CONFIG_MAX_BYTES);
			return CLAT_CONFIG_FILE_REFUSED;
		}
	}
}

static enum clat_config_file_status read_checked(int fd, const char *path, bool secure,
						 char *buf, size_t *len, bool *secure_ok,
						 char *why, size_t whylen)
{
	struct stat st;
	if (clat_sys_fstat(fd, &st) != 0) {
		snprintf(why, whylen, "cannot read %s: %s", path, strerror(errno));
		return CLAT_CONFIG_FILE_REFUSED;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s is not a regular file", path);
		return CLAT_CONFIG_FILE_REFUSED;
	}
	if (secure_ok != NULL)
		*secure_ok = secure_mode_accepts(&st);
	if (secure && !secure_mode_accepts(&st)) {
		snprintf(why, whylen, "%s ignored in a setuid/setgid program: "
			 "not owned by root or writable by others", path);
		return CLAT_CONFIG_FILE_REFUSED;
	}
	if (st.st_size >= CLAT_CONFIG_MAX_BYTES) {
		snprintf(why, whylen, "%s is too large (%lld bytes; a config file has fewer than %d)",
			 path, (long long)st.st_size, CLAT_CONFIG_MAX_BYTES);
		return CLAT_CONFIG_FILE_REFUSED;
	}
	return read_all(fd, path, buf, len, why, whylen);
}

enum clat_config_file_status clat_config_file_load(const char *path, bool secure, char *buf,
						   struct clat_config *cfg, bool *secure_ok,
						   char *why, size_t whylen)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then
	 * refuses it. O_NOFOLLOW: a link is refused (ELOOP), so the file
	 * checked is the file named. */
	int fd = clat_sys_open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0);
	if (fd < 0) {
		int err = errno;
		if (err == ENOENT)
			return CLAT_CONFIG_FILE_ABSENT;
		if (err == ELOOP)
			snprintf(why, whylen, "%s is a symbolic link (refused: name the file itself)",
				 path);
		else
			snprintf(why, whylen, "cannot read %s: %s", path, strerror(err));
		return transient(err) ? CLAT_CONFIG_FILE_TRANSIENT : CLAT_CONFIG_FILE_REFUSED;
	}
	size_t len = 0;
	enum clat_config_file_status status =
		read_checked(fd, path, secure, buf, &len, secure_ok, why, whylen);
	clat_sys_close(fd);
	if (status != CLAT_CONFIG_FILE_LOADED)
		return status;
	char err[CLAT_CONFIG_ERR_MAX];
	if (len > 0 && !clat_config_parse_text(cfg, buf, len, err, sizeof(err))) {
		snprintf(why, whylen, "%s: %s", path, err);
		return CLAT_CONFIG_FILE_REFUSED;
	}
	return CLAT_CONFIG_FILE_LOADED;
}
