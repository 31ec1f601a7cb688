/* Loads settings once per process. Order (rfc-requirements "Decisions"):
 * environment > config file > defaults. Under AT_SECURE (setuid, setgid,
 * file capabilities) the environment is ignored and the config file is read
 * only when root owns it and nobody else may write it. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "realcalls.h"
#include "settings.h"

#define CONFIG_MAX_BYTES 65536

/* Present in every copy of libclat; the first one the loader finds is the
 * active one, a second copy (LD_PRELOAD plus ld.so.preload) stays passive. */
__attribute__((visibility("default"))) const char clat_instance_marker[] = "libclat";

static struct clat_settings settings;
static pthread_once_t settings_once = PTHREAD_ONCE_INIT;

static const char *plain_getenv(const char *name)
{
	return getenv(name);
}

static bool another_copy_is_active(void)
{
	const void *first = dlsym(RTLD_DEFAULT, "clat_instance_marker");
	return first != NULL && first != (const void *)clat_instance_marker;
}

/* Reads the config file into buf. Returns 0 (absent is fine: *len = 0),
 * or -1 with why filled in. */
static int read_config_file(const char *path, bool secure, char *buf, size_t *len,
			    char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	*len = 0;
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, whylen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s is not a regular file", path);
		rc = -1;
	} else if (secure && (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))) {
		snprintf(why, whylen, "%s ignored in a setuid/setgid program: "
			 "not owned by root or writable by others", path);
		rc = -1;
	} else {
		ssize_t got;
		while (*len < CONFIG_MAX_BYTES - 1 &&
		       (got = read(fd, buf + *len, CONFIG_MAX_BYTES - 1 - *len)) != 0) {
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				snprintf(why, whylen, "cannot read %s: %s", path, strerror(errno));
				rc = -1;
				break;
			}
			*len += (size_t)got;
		}
	}
	CLAT_REAL(close)(fd);
	return rc;
}

static bool load_sources(struct clat_settings *s)
{
	char err[CLAT_CONFIG_ERR_MAX];
	const char *path = s->secure ? NULL : getenv("CLAT_CONFIG");
	snprintf(s->config_path, sizeof(s->config_path), "%s",
		 path && *path ? path : CLAT_DEFAULT_CONFIG_PATH);

	char *text = malloc(CONFIG_MAX_BYTES);
	size_t len = 0;
	if (text == NULL) {
		snprintf(s->why_disabled, sizeof(s->why_disabled), "out of memory");
		return false;
	}
	bool ok = read_config_file(s->config_path, s->secure, text, &len,
				   s->why_disabled, sizeof(s->why_disabled)) == 0;
	if (ok && len > 0 &&
	    !clat_config_parse_text(&s->config, text, len, err, sizeof(err))) {
		snprintf(s->why_disabled, sizeof(s->why_disabled), "%s: %s",
			 s->config_path, err);
		ok = false;
	}
	free(text);
	if (ok && !s->secure &&
	    !clat_config_apply_env(&s->config, plain_getenv, err, sizeof(err))) {
		snprintf(s->why_disabled, sizeof(s->why_disabled), "environment: %s", err);
		ok = false;
	}
	return ok;
}

/* Settings are broken: still honour CLAT_DEBUG alone, so the reason
 * reaches the sink the user asked for. */
static const char *fallback_log_target(void)
{
	static struct clat_config scratch;
	char err[CLAT_CONFIG_ERR_MAX];
	const char *debug = settings.secure ? NULL : getenv("CLAT_DEBUG");

	clat_config_defaults(&scratch);
	if (debug == NULL || !clat_config_set(&scratch, "log", debug, err, sizeof(err)))
		return NULL;
	return scratch.log_target;
}

static void load_settings(void)
{
	struct clat_settings *s = &settings;
	clat_config_defaults(&s->config);
	s->secure = getauxval(AT_SECURE) != 0;

	if (another_copy_is_active()) {
		snprintf(s->why_disabled, sizeof(s->why_disabled),
			 "another copy of libclat is loaded and active");
		return;
	}
	bool ok = load_sources(s);
	clat_log_configure(ok ? s->config.log_target : fallback_log_target());
	if (!ok) {
		clat_log_warning("disabled, programs run untranslated: %s", s->why_disabled);
		return;
	}
	s->enabled = s->config.mode != CLAT_MODE_OFF;
	char prefix[64] = "none";
	if (s->config.has_prefix)
		clat_prefix_format(&s->config.prefix, prefix, sizeof(prefix));
	clat_log("settings: mode %s, prefix %s, config %s%s",
		 clat_mode_name(s->config.mode), prefix, s->config_path,
		 s->secure ? ", secure mode (environment ignored)" : "");
}

const struct clat_settings *clat_settings(void)
{
	int saved_errno = errno;
	pthread_once(&settings_once, load_settings);
	errno = saved_errno;
	return &settings;
}
