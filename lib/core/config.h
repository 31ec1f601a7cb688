/* libclat settings: defaults, the config file format and environment
 * variables. Pure: callers pass text and a getenv-like function in. */
#ifndef CLAT_CONFIG_H
#define CLAT_CONFIG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "rfc6052.h"

enum clat_mode {
	CLAT_MODE_AUTO = 0, /* real IPv4 call first; translate on ENETUNREACH */
	CLAT_MODE_ALWAYS,   /* translate every eligible destination */
	CLAT_MODE_OFF,      /* never translate */
};

#define CLAT_CONFIG_LOG_MAX 256
#define CLAT_CONFIG_ERR_MAX 256
#define CLAT_DEFAULT_CONFIG_PATH "/etc/clat.conf"
#define CLAT_DEFAULT_LOCAL_IPV4 "192.0.0.4" /* RFC 7335, as Android clatd */
/* RFC 6535 s4.4 suggests a private range for the address mapper; this is
 * docs/requirements.md D.26's, with its alternative for a conflict. */
#define CLAT_DEFAULT_MAP_POOL "10.170.160.0/20"
#define CLAT_ALTERNATE_MAP_POOL "172.21.80.0/20"
/* The same as numbers (host order), for the connect path: no parsing there. */
#define CLAT_ALTERNATE_MAP_POOL_NET 0xac155000u /* 172.21.80.0 */
#define CLAT_ALTERNATE_MAP_POOL_LEN 20u
#define CLAT_MAP_POOL_MIN_LEN 16 /* at most 65,536 mappings */
#define CLAT_MAP_POOL_MAX_LEN 30

struct clat_config {
	bool has_prefix;
	struct clat_prefix prefix;
	enum clat_mode mode;
	struct in_addr local_ipv4;
	bool translate_private_wkp; /* 6052 s3.1 switch, default off */
	/* Last in the source order: used only when no setting, PREF64 or
	 * RFC 7050 answer gives a prefix (docs/requirements.md, Decisions). */
	bool has_fallback_prefix;
	struct clat_prefix fallback_prefix;
	bool discovery; /* may look for a prefix itself (RFC 7050, cache); default yes */
	char log_target[CLAT_CONFIG_LOG_MAX]; /* "", "stderr", "syslog" or /path */
	/* RFC 6535 address mapper for names with only AAAA records. */
	bool map_enabled;            /* default yes; "map-pool = off" */
	bool map_pool_explicit;      /* set by the user: never swapped on conflict */
	struct in_addr map_pool;     /* network address, network order */
	unsigned map_pool_len;       /* CLAT_MAP_POOL_MIN_LEN..CLAT_MAP_POOL_MAX_LEN */
	bool inbound;                /* serve IPv6 clients on 0.0.0.0 sockets (opt-in) */
};

/* One setting: the config-file key and the environment variable for it. */
struct clat_config_key {
	const char *key;
	const char *env;
	const char *help;
};
/* NULL-terminated table of every key (for clatrun --help and the docs). */
extern const struct clat_config_key clat_config_keys[];

void clat_config_defaults(struct clat_config *cfg);
/* Sets one key from text. On error returns false and writes a message
 * naming the key and the bad value into err. */
bool clat_config_set(struct clat_config *cfg, const char *key, const char *value,
		     char *err, size_t errlen);
/* Parses config-file text: "key = value" lines, '#' comments, blank lines.
 * Unknown keys and bad values are errors ("line N: ..."). */
bool clat_config_parse_text(struct clat_config *cfg, const char *text, size_t len,
			    char *err, size_t errlen);
/* Applies every CLAT_* variable that getenv_fn returns non-NULL for. */
bool clat_config_apply_env(struct clat_config *cfg,
			   const char *(*getenv_fn)(const char *name),
			   char *err, size_t errlen);
bool clat_mode_parse(const char *text, enum clat_mode *out);
/* "a.b.c.d/len" with len in [min, max] and no host bits set. */
bool clat_ipv4_cidr_parse(const char *text, unsigned min_len, unsigned max_len,
			  struct in_addr *net, unsigned *len);
const char *clat_mode_name(enum clat_mode mode);

#endif
