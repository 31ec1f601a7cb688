/* Loads settings once per process. Order (ARCHITECTURE.md, "Settings"):
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state/fork_locks.h"
#include "state/log.h"
#include "sys/config_file.h"
#include "state/settings.h"
#include "sys/lazy_libc.h" /* last: see there */


/* Present in every copy of libclat; the first one the loader finds is the
 * active one, a second copy (LD_PRELOAD plus ld.so.preload) stays passive. */
__attribute__((visibility("default"))) const char clat_instance_marker[] = "libclat";
/* This copy's own marker: a reference to the exported name goes through
 * the GOT and so binds to the first copy's, in every copy. */
extern const char clat_own_marker[sizeof("libclat")]
	__attribute__((alias("clat_instance_marker"), visibility("hidden")));

/* Loaded once, but a transient failure (EMFILE, ENFILE, ENOMEM, EINTR while
 * reading the config file) is not final: that call runs as if libclat were
 * absent and a later one tries again. The published settings never change
 * once set, so readers need no lock. */
enum { UNLOADED = 0, LOADED = 1 };
static struct clat_settings settings;
static const struct clat_settings not_yet; /* enabled = false */
static int load_state;
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static int atfork_registered;

static const char *plain_getenv(const char *name)
{
	return getenv(name);
}

static bool another_copy_is_active(void)
{
	const void *first = dlsym(RTLD_DEFAULT, "clat_instance_marker");
	return first != NULL && first != (const void *)clat_own_marker;
}

/* false with s->why_disabled; *retry when the failure may pass. */
static bool load_sources(struct clat_settings *s, bool *retry)
{
	char err[CLAT_CONFIG_ERR_MAX];
	const char *path = s->secure ? NULL : getenv("CLAT_CONFIG");
	snprintf(s->config_path, sizeof(s->config_path), "%s",
		 path && *path ? path : CLAT_DEFAULT_CONFIG_PATH);

	/* mmap, not malloc: the first hook call may come from a signal handler
	 * or from the child of a multithreaded fork(), where an allocator lock
	 * may be held by a thread that does not exist (POSIX fork(); gcc 12's
	 * ASan allocator hangs there, seen in tests/stress fork-discovery). */
	char *text = mmap(NULL, CLAT_CONFIG_MAX_BYTES, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (text == MAP_FAILED) {
		snprintf(s->why_disabled, sizeof(s->why_disabled), "out of memory");
		*retry = true;
		return false;
	}
	enum clat_config_file_status status =
		clat_config_file_load(s->config_path, s->secure, text, &s->config, NULL,
				      s->why_disabled, sizeof(s->why_disabled));
	munmap(text, CLAT_CONFIG_MAX_BYTES);
	*retry = status == CLAT_CONFIG_FILE_TRANSIENT;
	bool ok = status == CLAT_CONFIG_FILE_LOADED || status == CLAT_CONFIG_FILE_ABSENT;
	if (ok && !s->secure &&
	    !clat_config_apply_env(&s->config, plain_getenv, err, sizeof(err))) {
		snprintf(s->why_disabled, sizeof(s->why_disabled), "environment: %s", err);
		ok = false;
	}
	return ok;
}

/* Settings are broken: still honour CLAT_DEBUG alone, so the reason
 * reaches the sink the user asked for. */
static const char *fallback_log_target(bool secure)
{
	static struct clat_config scratch;
	char err[CLAT_CONFIG_ERR_MAX];
	const char *debug = secure ? NULL : getenv("CLAT_DEBUG");

	clat_config_defaults(&scratch);
	if (debug == NULL || !clat_config_set(&scratch, "log", debug, err, sizeof(err)))
		return NULL;
	return scratch.log_target;
}

/* Fills s; false when the failure may pass (s is then not to be kept). */
static bool load_settings(struct clat_settings *s)
{
	memset(s, 0, sizeof(*s));
	clat_config_defaults(&s->config);
	s->secure = getauxval(AT_SECURE) != 0;

	if (another_copy_is_active()) {
		snprintf(s->why_disabled, sizeof(s->why_disabled),
			 "another copy of libclat is loaded and active");
		return true;
	}
	bool retry = false;
	bool ok = load_sources(s, &retry);
	clat_log_configure(ok ? s->config.log_target : fallback_log_target(s->secure));
	if (!ok && retry) {
		static bool warned;
		if (!warned)
			clat_log_warning("settings not loaded yet (%s); this call runs untranslated, "
					 "a later one tries again", s->why_disabled);
		warned = true;
		return false;
	}
	if (!ok) {
		clat_log_warning("disabled, programs run untranslated: %s", s->why_disabled);
		return true;
	}
	s->enabled = s->config.mode != CLAT_MODE_OFF;
	/* The early switch unless CLAT_EARLY_SWITCH=0 (a way to compare the
	 * two, and to step back from the early one if a program needs it). */
	const char *early = s->secure ? NULL : getenv("CLAT_EARLY_SWITCH");
	s->late_switch = early != NULL && early[0] == '0' && early[1] == '\0';
	char prefix[64] = "none";
	if (s->config.has_prefix)
		clat_prefix_set_add(&s->explicit_prefixes, &s->config.prefix);
	if (s->config.has_prefix)
		clat_prefix_format(&s->config.prefix, prefix, sizeof(prefix));
	clat_log("settings: mode %s, prefix %s, config %s%s",
		 clat_mode_name(s->config.mode), prefix, s->config_path,
		 s->secure ? ", secure mode (environment ignored)" : "");
	return true;
}

static void reset_lock_in_child(void)
{
	clat_lock_reset_in_child(&load_lock);
}

const struct clat_settings *clat_settings(void)
{
	if (__atomic_load_n(&load_state, __ATOMIC_ACQUIRE) == LOADED)
		return &settings;
	int saved_errno = errno;
	if (!__atomic_exchange_n(&atfork_registered, 1, __ATOMIC_ACQ_REL))
		pthread_atfork(NULL, NULL, reset_lock_in_child);
	static struct clat_settings work; /* under load_lock */
	const struct clat_settings *result = &not_yet;
	pthread_mutex_lock(&load_lock);
	if (__atomic_load_n(&load_state, __ATOMIC_ACQUIRE) == LOADED) {
		result = &settings;
	} else if (load_settings(&work)) {
		settings = work;
		__atomic_store_n(&load_state, LOADED, __ATOMIC_RELEASE);
		result = &settings;
	}
	pthread_mutex_unlock(&load_lock);
	errno = saved_errno;
	return result;
}
