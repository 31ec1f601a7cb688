/* libclat settings: defaults, config-file text and environment variables. */
#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Longest config-file line, comment excluded (a log path is at most
 * CLAT_CONFIG_LOG_MAX - 1 bytes, so this leaves room for the key). */
#define CLAT_CONFIG_LINE_MAX 512

enum clat_key_index {
	CLAT_KEY_PREFIX,
	CLAT_KEY_MODE,
	CLAT_KEY_LOCAL_IPV4,
	CLAT_KEY_PRIVATE_WKP,
	CLAT_KEY_LOG,
	CLAT_KEY_FALLBACK_PREFIX,
	CLAT_KEY_DISCOVERY,
	CLAT_KEY_MAP_POOL,
	CLAT_KEY_INBOUND,
	CLAT_KEY_COUNT,
};

const struct clat_config_key clat_config_keys[CLAT_KEY_COUNT + 1] = {
	[CLAT_KEY_PREFIX] = { "prefix", "CLAT_PREFIX",
		"NAT64 prefix, e.g. 64:ff9b::/96 (length 32, 40, 48, 56, 64 or 96); empty: none, discover it" },
	[CLAT_KEY_MODE] = { "mode", "CLAT_MODE",
		"auto (translate only when IPv4 has no route), always, or off" },
	[CLAT_KEY_LOCAL_IPV4] = { "local-ipv4", "CLAT_LOCAL_IPV4",
		"IPv4 address translated sockets report as their own (default " CLAT_DEFAULT_LOCAL_IPV4 ")" },
	[CLAT_KEY_PRIVATE_WKP] = { "translate-private-wkp", "CLAT_TRANSLATE_PRIVATE_WKP",
		"yes: also translate private IPv4 destinations behind 64:ff9b::/96 (default no)" },
	[CLAT_KEY_LOG] = { "log", "CLAT_DEBUG",
		"debug log: stderr (or 1), syslog, an absolute file path, or empty (or 0) for off" },
	[CLAT_KEY_FALLBACK_PREFIX] = { "fallback-prefix", "CLAT_FALLBACK_PREFIX",
		"NAT64 prefix used only when no other source has one, e.g. 64:ff9b::/96; empty: none" },
	[CLAT_KEY_DISCOVERY] = { "discovery", "CLAT_DISCOVERY",
		"yes: find the prefix without being told (RFC 7050 DNS query, shared cache); no: never (default yes)" },
	[CLAT_KEY_MAP_POOL] = { "map-pool", "CLAT_MAP_POOL",
		"IPv4 pool for names with only AAAA records (RFC 6535), /16 to /30 (default " CLAT_DEFAULT_MAP_POOL "); off: no mapper" },
	[CLAT_KEY_INBOUND] = { "inbound", "CLAT_INBOUND",
		"yes: sockets bound to 0.0.0.0 also accept IPv6 clients, shown as IPv4 (default no)" },
	[CLAT_KEY_COUNT] = { NULL, NULL, NULL },
};

/* Sets one value; on a bad one returns false and points *reason at why. */
typedef bool clat_setter(struct clat_config *cfg, const char *value, const char **reason);

__attribute__((format(printf, 3, 4)))
static void clat_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ASCII only: the host program's locale must not change the meaning. */
static bool clat_word_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		char ca = (*a >= 'A' && *a <= 'Z') ? (char)(*a - 'A' + 'a') : *a;
		if (ca != *b)
			return false;
	}
	return *a == *b;
}

/* Empty means "none"; otherwise a valid RFC 6052 prefix. */
static bool clat_parse_prefix_value(const char *value, bool *has, struct clat_prefix *prefix,
				    const char **reason)
{
	enum clat_prefix_status status;

	if (*value == '\0') {
		*has = false;
		return true;
	}
	status = clat_prefix_parse(value, prefix);
	if (status != CLAT_PREFIX_OK) {
		*reason = clat_prefix_status_text(status);
		return false;
	}
	*has = true;
	return true;
}

static bool clat_set_prefix(struct clat_config *cfg, const char *value, const char **reason)
{
	/* Empty: "no prefix", leave it to discovery. */
	return clat_parse_prefix_value(value, &cfg->has_prefix, &cfg->prefix, reason);
}

static bool clat_set_fallback_prefix(struct clat_config *cfg, const char *value,
				     const char **reason)
{
	return clat_parse_prefix_value(value, &cfg->has_fallback_prefix, &cfg->fallback_prefix,
				       reason);
}

static bool clat_set_mode(struct clat_config *cfg, const char *value, const char **reason)
{
	*reason = "must be auto, always or off";
	return clat_mode_parse(value, &cfg->mode);
}

static bool clat_set_local_ipv4(struct clat_config *cfg, const char *value, const char **reason)
{
	struct in_addr addr;

	if (inet_pton(AF_INET, value, &addr) != 1) {
		*reason = "not an IPv4 address in dotted-quad form such as " CLAT_DEFAULT_LOCAL_IPV4;
		return false;
	}
	cfg->local_ipv4 = addr;
	return true;
}

static bool clat_parse_yes_no(const char *value, bool *out, const char **reason)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (clat_word_eq(value, yes[i]) || clat_word_eq(value, no[i])) {
			*out = clat_word_eq(value, yes[i]);
			return true;
		}
	}
	*reason = "must be yes or no (or true/false, on/off, 1/0)";
	return false;
}

static bool clat_set_private_wkp(struct clat_config *cfg, const char *value, const char **reason)
{
	return clat_parse_yes_no(value, &cfg->translate_private_wkp, reason);
}

static bool clat_set_discovery(struct clat_config *cfg, const char *value, const char **reason)
{
	return clat_parse_yes_no(value, &cfg->discovery, reason);
}

bool clat_ipv4_cidr_parse(const char *text, unsigned min_len, unsigned max_len,
			  struct in_addr *net, unsigned *len)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	unsigned value = 0;

	if (slash == NULL || (size_t)(slash - text) >= sizeof(addr) || slash[1] == '\0')
		return false;
	memcpy(addr, text, (size_t)(slash - text));
	addr[slash - text] = '\0';
	for (const char *d = slash + 1; *d != '\0'; d++) {
		if (*d < '0' || *d > '9' || value > 32)
			return false;
		value = value * 10 + (unsigned)(*d - '0');
	}
	if (value < min_len || value > max_len || inet_pton(AF_INET, addr, net) != 1)
		return false;
	uint32_t host_mask = value == 32 ? 0 : 0xffffffffu >> value;
	if ((ntohl(net->s_addr) & host_mask) != 0)
		return false;
	*len = value;
	return true;
}

static bool clat_set_map_pool(struct clat_config *cfg, const char *value, const char **reason)
{
	bool on;

	if (clat_parse_yes_no(value, &on, reason) && !on) {
		cfg->map_enabled = false;
		return true;
	}
	if (!clat_ipv4_cidr_parse(value, CLAT_MAP_POOL_MIN_LEN, CLAT_MAP_POOL_MAX_LEN,
				  &cfg->map_pool, &cfg->map_pool_len)) {
		*reason = "must be an IPv4 network a.b.c.d/len with len 16 to 30 and no host "
			  "bits set (default " CLAT_DEFAULT_MAP_POOL "), or off";
		return false;
	}
	cfg->map_enabled = true;
	cfg->map_pool_explicit = true;
	return true;
}

static bool clat_set_inbound(struct clat_config *cfg, const char *value, const char **reason)
{
	return clat_parse_yes_no(value, &cfg->inbound, reason);
}

/* Maps the accepted spellings onto the stored target. */
static const char *clat_log_target(const char *value)
{
	if (strcmp(value, "1") == 0 || clat_word_eq(value, "stderr"))
		return "stderr";
	if (strcmp(value, "0") == 0 || *value == '\0')
		return "";
	if (clat_word_eq(value, "syslog"))
		return "syslog";
	if (*value == '/')
		return value;
	return NULL;
}

static bool clat_set_log(struct clat_config *cfg, const char *value, const char **reason)
{
	const char *target = clat_log_target(value);

	if (target == NULL) {
		*reason = "must be stderr, syslog, an absolute file path, 1 (stderr) or 0 (off)";
		return false;
	}
	if (strlen(target) >= sizeof(cfg->log_target)) {
		*reason = "log file path is too long";
		return false;
	}
	strcpy(cfg->log_target, target);
	return true;
}

static clat_setter *const clat_setters[CLAT_KEY_COUNT] = {
	[CLAT_KEY_PREFIX] = clat_set_prefix,
	[CLAT_KEY_MODE] = clat_set_mode,
	[CLAT_KEY_LOCAL_IPV4] = clat_set_local_ipv4,
	[CLAT_KEY_PRIVATE_WKP] = clat_set_private_wkp,
	[CLAT_KEY_LOG] = clat_set_log,
	[CLAT_KEY_FALLBACK_PREFIX] = clat_set_fallback_prefix,
	[CLAT_KEY_DISCOVERY] = clat_set_discovery,
	[CLAT_KEY_MAP_POOL] = clat_set_map_pool,
	[CLAT_KEY_INBOUND] = clat_set_inbound,
};

void clat_config_defaults(struct clat_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg)); /* no prefix, logging off */
	cfg->mode = CLAT_MODE_AUTO;
	inet_pton(AF_INET, CLAT_DEFAULT_LOCAL_IPV4, &cfg->local_ipv4);
	cfg->translate_private_wkp = false; /* RFC 6052 s3.1 by default */
	cfg->discovery = true;
	cfg->map_enabled = true;
	clat_ipv4_cidr_parse(CLAT_DEFAULT_MAP_POOL, CLAT_MAP_POOL_MIN_LEN, CLAT_MAP_POOL_MAX_LEN,
			     &cfg->map_pool, &cfg->map_pool_len);
	cfg->inbound = false; /* changes what the program is exposed to: opt-in */
}

static int clat_key_find(const char *key)
{
	for (int i = 0; i < CLAT_KEY_COUNT; i++)
		if (strcmp(clat_config_keys[i].key, key) == 0)
			return i;
	return -1;
}

/* name is what the message calls the setting: the key or the variable. */
static bool clat_set_index(struct clat_config *cfg, int index, const char *name,
			   const char *value, char *err, size_t errlen)
{
	const char *reason = "invalid value";

	if (clat_setters[index](cfg, value, &reason))
		return true;
	clat_set_err(err, errlen, "%s: %s: '%s'", name, reason, value);
	return false;
}

bool clat_config_set(struct clat_config *cfg, const char *key, const char *value,
		     char *err, size_t errlen)
{
	int index = clat_key_find(key);

	if (index < 0) {
		clat_set_err(err, errlen, "unknown key '%s'", key);
		return false;
	}
	return clat_set_index(cfg, index, key, value, err, errlen);
}

static bool clat_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Trims blanks (including the '\r' of CRLF files) off both ends in place. */
static char *clat_trim(char *start, char *end)
{
	while (start < end && clat_is_blank(*start))
		start++;
	while (end > start && clat_is_blank(end[-1]))
		end--;
	*end = '\0';
	return start;
}

/* One line without its '\n'; line is its 1-based number. */
static bool clat_parse_line(struct clat_config *cfg, const char *text, size_t len,
			    unsigned line, char *err, size_t errlen)
{
	char buf[CLAT_CONFIG_LINE_MAX + 1];
	char tmp[CLAT_CONFIG_ERR_MAX];
	const char *hash = memchr(text, '#', len);
	char *start, *eq, *key, *value;

	if (memchr(text, '\0', len) != NULL) {
		clat_set_err(err, errlen, "line %u: contains a NUL byte (not a text file?)", line);
		return false;
	}
	if (hash != NULL)
		len = (size_t)(hash - text);
	if (len > CLAT_CONFIG_LINE_MAX) {
		clat_set_err(err, errlen, "line %u: longer than %d characters", line,
			     CLAT_CONFIG_LINE_MAX);
		return false;
	}
	memcpy(buf, text, len);
	start = clat_trim(buf, buf + len);
	if (*start == '\0')
		return true;
	eq = strchr(start, '=');
	if (eq == NULL) {
		clat_set_err(err, errlen, "line %u: expected 'key = value': '%s'", line, start);
		return false;
	}
	key = clat_trim(start, eq);
	value = clat_trim(eq + 1, eq + 1 + strlen(eq + 1));
	if (*key == '\0') {
		clat_set_err(err, errlen, "line %u: missing key before '='", line);
		return false;
	}
	if (clat_config_set(cfg, key, value, tmp, sizeof(tmp)))
		return true;
	clat_set_err(err, errlen, "line %u: %s", line, tmp);
	return false;
}

/* On error cfg is left as it was: no half-applied file. */
bool clat_config_parse_text(struct clat_config *cfg, const char *text, size_t len,
			    char *err, size_t errlen)
{
	struct clat_config work = *cfg;
	unsigned line = 0;
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - text) : len;

		if (!clat_parse_line(&work, text + pos, end - pos, ++line, err, errlen))
			return false;
		pos = end + 1;
	}
	*cfg = work;
	return true;
}

/* On error cfg is left as it was. Messages name the variable. */
bool clat_config_apply_env(struct clat_config *cfg,
			   const char *(*getenv_fn)(const char *name),
			   char *err, size_t errlen)
{
	struct clat_config work = *cfg;

	for (int i = 0; i < CLAT_KEY_COUNT; i++) {
		const char *value = getenv_fn(clat_config_keys[i].env);

		if (value != NULL &&
		    !clat_set_index(&work, i, clat_config_keys[i].env, value, err, errlen))
			return false;
	}
	*cfg = work;
	return true;
}

static const char *const clat_mode_names[] = {
	[CLAT_MODE_AUTO] = "auto",
	[CLAT_MODE_ALWAYS] = "always",
	[CLAT_MODE_OFF] = "off",
};

bool clat_mode_parse(const char *text, enum clat_mode *out)
{
	for (size_t i = 0; i < sizeof(clat_mode_names) / sizeof(clat_mode_names[0]); i++) {
		if (clat_word_eq(text, clat_mode_names[i])) {
			*out = (enum clat_mode)i;
			return true;
		}
	}
	return false;
}

const char *clat_mode_name(enum clat_mode mode)
{
	if ((size_t)mode < sizeof(clat_mode_names) / sizeof(clat_mode_names[0]))
		return clat_mode_names[mode];
	return "unknown";
}
