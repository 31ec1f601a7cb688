/* libFuzzer target: config-file text and CLAT_* environment values
 * (lib/core/config.c).
 *
 * Input: the whole input is parsed as a config file; then it is split at
 * '\n' into values for the CLAT_* variables in table order (an empty
 * segment means "unset") and applied as the environment; then
 * clat_config_set is called with the first line split at '='.
 * Invariants: a failed parse leaves the config byte-for-byte as it was and
 * writes a NUL-terminated message that fits errlen (never past it, even for
 * a tiny errlen); a successful one leaves a config whose prefixes pass
 * clat_prefix_check, whose mode is known and whose log target is one of the
 * documented forms; and a config written back out as a file parses to the
 * same settings (round trip). */
#include <arpa/inet.h>

#include "config.h"
#include "fuzz_util.h"

#define FUZZ_MAX_KEYS 32

static unsigned key_count(void)
{
	unsigned n = 0;

	while (clat_config_keys[n].key != NULL) {
		FUZZ_CHECK(clat_config_keys[n].env != NULL && clat_config_keys[n].help != NULL,
			   "key %u", n);
		n++;
	}
	FUZZ_CHECK(n > 0 && n <= FUZZ_MAX_KEYS, "%u keys", n);
	return n;
}

static bool config_equal(const struct clat_config *a, const struct clat_config *b)
{
	if (a->has_prefix != b->has_prefix || a->mode != b->mode ||
	    a->local_ipv4.s_addr != b->local_ipv4.s_addr ||
	    a->translate_private_wkp != b->translate_private_wkp ||
	    a->has_fallback_prefix != b->has_fallback_prefix || a->discovery != b->discovery ||
	    strcmp(a->log_target, b->log_target) != 0)
		return false;
	if (a->has_prefix && (a->prefix.len != b->prefix.len ||
			      memcmp(a->prefix.addr, b->prefix.addr, 16) != 0))
		return false;
	if (a->has_fallback_prefix &&
	    (a->fallback_prefix.len != b->fallback_prefix.len ||
	     memcmp(a->fallback_prefix.addr, b->fallback_prefix.addr, 16) != 0))
		return false;
	return true;
}

static void check_valid(const struct clat_config *cfg)
{
	const char *log = cfg->log_target;

	FUZZ_CHECK(!cfg->has_prefix || clat_prefix_check(&cfg->prefix) == CLAT_PREFIX_OK,
		   "accepted an invalid prefix");
	FUZZ_CHECK(!cfg->has_fallback_prefix ||
			   clat_prefix_check(&cfg->fallback_prefix) == CLAT_PREFIX_OK,
		   "accepted an invalid fallback prefix");
	FUZZ_CHECK(cfg->mode == CLAT_MODE_AUTO || cfg->mode == CLAT_MODE_ALWAYS ||
			   cfg->mode == CLAT_MODE_OFF,
		   "mode %d", (int)cfg->mode);
	FUZZ_CHECK(memchr(log, '\0', sizeof(cfg->log_target)) != NULL, "log target not terminated");
	FUZZ_CHECK(log[0] == '\0' || log[0] == '/' || strcmp(log, "stderr") == 0 ||
			   strcmp(log, "syslog") == 0,
		   "log target '%s'", log);
	FUZZ_CHECK(strcmp(clat_mode_name(cfg->mode), "unknown") != 0, "mode name");
}

/* A log path the file format can carry: no comment sign, no line break,
 * no blanks at the end (the parser trims them). */
static bool log_fits_file(const char *log)
{
	size_t n = strlen(log);

	if (strpbrk(log, "#\n") != NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if (log[i] == '\0')
			return false;
	return n == 0 || !(log[n - 1] == ' ' || log[n - 1] == '\t' || log[n - 1] == '\r' ||
			   log[n - 1] == '\v' || log[n - 1] == '\f');
}

/* Writes cfg as a config file and parses it over the defaults: the same
 * settings must come back. */
static void check_round_trip(const struct clat_config *cfg)
{
	char text[2048], p1[64], p2[64], v4[INET_ADDRSTRLEN];
	struct clat_config back;
	char err[CLAT_CONFIG_ERR_MAX];
	int n;

	if (!log_fits_file(cfg->log_target))
		return;
	p1[0] = p2[0] = '\0';
	FUZZ_CHECK(!cfg->has_prefix || clat_prefix_format(&cfg->prefix, p1, sizeof(p1)), "format");
	FUZZ_CHECK(!cfg->has_fallback_prefix ||
			   clat_prefix_format(&cfg->fallback_prefix, p2, sizeof(p2)),
		   "format");
	FUZZ_CHECK(inet_ntop(AF_INET, &cfg->local_ipv4, v4, sizeof(v4)) != NULL, "ntop");
	n = snprintf(text, sizeof(text),
		     "# written back by fuzz_config\nprefix = %s\nmode = %s\nlocal-ipv4 = %s\n"
		     "translate-private-wkp = %s\nlog = %s\nfallback-prefix = %s\n"
		     "discovery = %s\n",
		     p1, clat_mode_name(cfg->mode), v4, cfg->translate_private_wkp ? "yes" : "no",
		     cfg->log_target[0] ? cfg->log_target : "0", p2, cfg->discovery ? "on" : "off");
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(text), "text too long");
	clat_config_defaults(&back);
	FUZZ_CHECK(clat_config_parse_text(&back, text, (size_t)n, err, sizeof(err)),
		   "written-back config refused: %s\n%s", err, text);
	FUZZ_CHECK(config_equal(cfg, &back), "round trip changed the settings:\n%s", text);
}

/* Parses with an err buffer of errlen bytes followed by a canary. */
static bool parse_small_err(struct clat_config *cfg, const uint8_t *data, size_t size,
			    size_t errlen)
{
	char buf[40];
	bool ok;

	memset(buf, 0x5a, sizeof(buf));
	ok = clat_config_parse_text(cfg, (const char *)data, size, errlen ? buf : NULL, errlen);
	for (size_t i = errlen; i < sizeof(buf); i++)
		FUZZ_CHECK((unsigned char)buf[i] == 0x5a, "error message written past errlen %zu",
			   errlen);
	if (!ok && errlen > 0)
		FUZZ_CHECK(memchr(buf, '\0', errlen) != NULL, "error message not terminated");
	return ok;
}

/* The environment: values set by env_apply_test for the fake getenv. */
static const char *env_values[FUZZ_MAX_KEYS];
static unsigned env_keys;

static const char *fake_getenv(const char *name)
{
	for (unsigned i = 0; i < env_keys; i++)
		if (strcmp(clat_config_keys[i].env, name) == 0)
			return env_values[i];
	FUZZ_CHECK(0, "asked for an unknown variable %s", name);
	return NULL;
}

static void env_test(const uint8_t *data, size_t size)
{
	struct clat_config cfg, before;
	char err[CLAT_CONFIG_ERR_MAX];
	char *copy = fuzz_xmalloc(size + 1);
	char *seg = copy;
	bool ok;

	memcpy(copy, data, size);
	copy[size] = '\0';
	env_keys = key_count();
	for (unsigned i = 0; i < env_keys; i++) {
		char *nl = seg != NULL ? strchr(seg, '\n') : NULL;

		if (nl != NULL)
			*nl = '\0';
		/* An empty segment is an unset variable; "\x01" an empty value. */
		env_values[i] = (seg == NULL || *seg == '\0') ? NULL
				: (strcmp(seg, "\x01") == 0 ? "" : seg);
		seg = nl != NULL ? nl + 1 : NULL;
	}
	clat_config_defaults(&cfg);
	memcpy(&before, &cfg, sizeof(cfg));
	err[0] = '\0';
	ok = clat_config_apply_env(&cfg, fake_getenv, err, sizeof(err));
	if (!ok) {
		FUZZ_CHECK(memcmp(&before, &cfg, sizeof(cfg)) == 0, "failed env changed the config");
		FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL, "no message");
	} else {
		check_valid(&cfg);
		check_round_trip(&cfg);
	}
	free(copy);
}

/* clat_config_set on "key = value" from the first line. */
static void set_test(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl != NULL ? (size_t)(nl - data) : size;
	char *line = fuzz_xmalloc(n + 1), *eq;
	struct clat_config cfg;
	char err[CLAT_CONFIG_ERR_MAX];

	memcpy(line, data, n);
	line[n] = '\0';
	eq = strchr(line, '=');
	if (eq != NULL) {
		*eq = '\0';
		clat_config_defaults(&cfg);
		if (clat_config_set(&cfg, line, eq + 1, err, sizeof(err)))
			check_valid(&cfg);
		else
			FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL, "no message");
	}
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct clat_config cfg, before, again;
	char err[CLAT_CONFIG_ERR_MAX];
	bool ok;

	/* A non-default starting point, to see that failure leaves it alone. */
	clat_config_defaults(&cfg);
	cfg.mode = CLAT_MODE_ALWAYS;
	cfg.discovery = false;
	memcpy(&before, &cfg, sizeof(cfg));
	memset(err, 0x5a, sizeof(err));
	ok = clat_config_parse_text(&cfg, (const char *)data, size, err, sizeof(err));
	if (!ok) {
		FUZZ_CHECK(memcmp(&before, &cfg, sizeof(cfg)) == 0, "failed parse changed the config");
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0' &&
				   strncmp(err, "line ", 5) == 0,
			   "error message '%.*s'", (int)sizeof(err), err);
	} else {
		check_valid(&cfg);
		check_round_trip(&cfg);
	}
	/* Same answer with a small error buffer, which must not overflow. */
	memcpy(&again, &before, sizeof(again));
	FUZZ_CHECK(parse_small_err(&again, data, size, size % 41) == ok, "errlen changed the result");
	FUZZ_CHECK(!ok || config_equal(&cfg, &again), "second parse differs");

	env_test(data, size);
	set_test(data, size);
	return 0;
}
