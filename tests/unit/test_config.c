/* Settings: defaults, config-file text, environment. */
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "suites.h"
#include "test_util.h"

static struct clat_config defaults(void)
{
	struct clat_config cfg;

	memset(&cfg, 0x5a, sizeof(cfg));
	clat_config_defaults(&cfg);
	return cfg;
}

static bool parse(struct clat_config *cfg, const char *text, char *err, size_t errlen)
{
	return clat_config_parse_text(cfg, text, strlen(text), err, errlen);
}

START_TEST(default_values)
{
	struct clat_config cfg = defaults();

	ck_assert(!cfg.has_prefix);
	ck_assert_int_eq(cfg.mode, CLAT_MODE_AUTO);
	ck_assert_uint_eq(cfg.local_ipv4.s_addr, clat_test_v4("192.0.0.4").s_addr);
	ck_assert(!cfg.translate_private_wkp);
	ck_assert_str_eq(cfg.log_target, "");
	ck_assert(!cfg.has_fallback_prefix);
	ck_assert(cfg.discovery);
}
END_TEST

START_TEST(key_table)
{
	static const char *const keys[] = { "prefix", "mode", "local-ipv4",
					    "translate-private-wkp", "log", "fallback-prefix",
					    "discovery", "map-pool", "inbound" };
	static const char *const envs[] = { "CLAT_PREFIX", "CLAT_MODE", "CLAT_LOCAL_IPV4",
					    "CLAT_TRANSLATE_PRIVATE_WKP", "CLAT_DEBUG",
					    "CLAT_FALLBACK_PREFIX", "CLAT_DISCOVERY",
					    "CLAT_MAP_POOL", "CLAT_INBOUND" };
	size_t n = 0;

	for (; clat_config_keys[n].key != NULL; n++) {
		ck_assert_str_eq(clat_config_keys[n].key, keys[n]);
		ck_assert_str_eq(clat_config_keys[n].env, envs[n]);
		ck_assert_ptr_nonnull(clat_config_keys[n].help);
		ck_assert(strlen(clat_config_keys[n].help) > 10);
		ck_assert_ptr_null(strchr(clat_config_keys[n].help, '\n')); /* one line */
	}
	ck_assert_uint_eq(n, CLAT_TEST_COUNT(keys));
	ck_assert_ptr_null(clat_config_keys[n].env);
	ck_assert_ptr_null(clat_config_keys[n].help);
}
END_TEST

START_TEST(good_file)
{
	static const char text[] =
		"# libclat settings\n"
		"\n"
		"prefix = 2001:db8:64::/96\n"
		"mode=always   # trailing comment\n"
		"  local-ipv4\t=  192.0.0.5  \n"
		"   \t \n"
		"translate-private-wkp = yes\n"
		"fallback-prefix = 64:ff9b::/96\n"
		"discovery = no\n"
		"log = /var/log/clat.log"; /* no final newline */
	struct clat_config cfg = defaults();
	char err[CLAT_CONFIG_ERR_MAX] = "";

	ck_assert_msg(parse(&cfg, text, err, sizeof(err)), "%s", err);
	ck_assert(cfg.has_prefix);
	ck_assert_mem_eq(cfg.prefix.addr, clat_test_v6("2001:db8:64::").s6_addr, 16);
	ck_assert_uint_eq(cfg.prefix.len, 96);
	ck_assert_int_eq(cfg.mode, CLAT_MODE_ALWAYS);
	ck_assert_uint_eq(cfg.local_ipv4.s_addr, clat_test_v4("192.0.0.5").s_addr);
	ck_assert(cfg.translate_private_wkp);
	ck_assert_str_eq(cfg.log_target, "/var/log/clat.log");
	ck_assert(cfg.has_fallback_prefix);
	ck_assert(clat_prefix_is_wkp(&cfg.fallback_prefix));
	ck_assert(!cfg.discovery);
	ck_assert(!clat_prefix_equal(&cfg.prefix, &cfg.fallback_prefix)); /* separate */
}
END_TEST

START_TEST(crlf_file)
{
	static const char text[] = "# comment\r\nmode = off\r\n\r\nlog = syslog\r\n";
	struct clat_config cfg = defaults();
	char err[CLAT_CONFIG_ERR_MAX] = "";

	ck_assert_msg(parse(&cfg, text, err, sizeof(err)), "%s", err);
	ck_assert_int_eq(cfg.mode, CLAT_MODE_OFF);
	ck_assert_str_eq(cfg.log_target, "syslog");
}
END_TEST

START_TEST(empty_and_comment_only)
{
	static const char *const texts[] = { "", "\n", "# only\n#comments", "  \n\t\n",
					     "#mode = bogus\n", "\r\n" };
	struct clat_config before = defaults();

	for (size_t i = 0; i < CLAT_TEST_COUNT(texts); i++) {
		struct clat_config cfg = before;
		char err[CLAT_CONFIG_ERR_MAX] = "";

		ck_assert_msg(parse(&cfg, texts[i], err, sizeof(err)), "%zu: %s", i, err);
		ck_assert_mem_eq(&cfg, &before, sizeof(cfg));
	}
}
END_TEST

START_TEST(length_respected)
{
	static const char text[] = "mode = off\nbogus line";
	struct clat_config cfg = defaults();
	char err[CLAT_CONFIG_ERR_MAX] = "";

	/* Only the first line is inside len: the junk after it is not read. */
	ck_assert_msg(clat_config_parse_text(&cfg, text, 11, err, sizeof(err)), "%s", err);
	ck_assert_int_eq(cfg.mode, CLAT_MODE_OFF);
	cfg = defaults();
	ck_assert(clat_config_parse_text(&cfg, text, 0, err, sizeof(err)));
	ck_assert_int_eq(cfg.mode, CLAT_MODE_AUTO);
}
END_TEST

START_TEST(later_line_wins)
{
	struct clat_config cfg = defaults();
	char err[CLAT_CONFIG_ERR_MAX] = "";

	ck_assert(parse(&cfg, "mode = off\nmode = always\nprefix = 64:ff9b::/96\nprefix =\n",
			err, sizeof(err)));
	ck_assert_int_eq(cfg.mode, CLAT_MODE_ALWAYS);
	ck_assert(!cfg.has_prefix);
}
END_TEST

static char long_path_line[CLAT_CONFIG_LOG_MAX + 16];
static char long_line[700];

/* Every kind of bad input, with the exact message a sysadmin sees. */
static const struct {
	const char *text;
	const char *error;
} bad_files[] = {
	{ "mode = auto\nfoo = 1\n", "line 2: unknown key 'foo'" },
	{ "Mode = auto\n", "line 1: unknown key 'Mode'" },
	{ "# x\r\n\r\nprefix = 2001:db8::/33\r\n",
	  "line 3: prefix: prefix length must be 32, 40, 48, 56, 64 or 96 (RFC 6052 section 2.2): '2001:db8::/33'" },
	{ "prefix = 2001:db8::\n", NULL },
	{ "prefix = 2001:db8:122:344:ff00::/96\n", NULL },
	{ "prefix = 2001:db8::1/96\n", NULL },
	{ "prefix 64:ff9b::/96\n", "line 1: expected 'key = value': 'prefix 64:ff9b::/96'" },
	{ "= 1\n", "line 1: missing key before '='" },
	{ "mode = sometimes\n", "line 1: mode: must be auto, always or off: 'sometimes'" },
	{ "mode =\n", "line 1: mode: must be auto, always or off: ''" },
	{ "local-ipv4 = 192.0.0\n",
	  "line 1: local-ipv4: not an IPv4 address in dotted-quad form such as 192.0.0.4: '192.0.0'" },
	{ "local-ipv4 = 192.0.0.256\n", NULL },
	{ "local-ipv4 = ::1\n", NULL },
	{ "local-ipv4 = host.example\n", NULL },
	{ "translate-private-wkp = maybe\n",
	  "line 1: translate-private-wkp: must be yes or no (or true/false, on/off, 1/0): 'maybe'" },
	{ "translate-private-wkp = 2\n", NULL },
	{ "log = clat.log\n",
	  "line 1: log: must be stderr, syslog, an absolute file path, 1 (stderr) or 0 (off): 'clat.log'" },
	{ "log = stdout\n", NULL },
	{ "log = 2\n", NULL },
	{ "fallback-prefix = 64:ff9b::/95\n",
	  "line 1: fallback-prefix: prefix length must be 32, 40, 48, 56, 64 or 96 (RFC 6052 section 2.2): '64:ff9b::/95'" },
	{ "fallback-prefix = 64:ff9b::\n", NULL },
	{ "fallback-prefix = 2001:db8:122:344:ff00::/96\n", NULL },
	{ "discovery = maybe\n",
	  "line 1: discovery: must be yes or no (or true/false, on/off, 1/0): 'maybe'" },
	{ "discovery =\n", NULL },
	{ "Discovery = no\n", "line 1: unknown key 'Discovery'" },
	{ long_path_line, NULL },
	{ long_line, "line 1: longer than 512 characters" },
};

static void make_long_lines(void)
{
	memset(long_path_line, 0, sizeof(long_path_line));
	strcpy(long_path_line, "log = /");
	memset(long_path_line + 7, 'x', CLAT_CONFIG_LOG_MAX - 1);
	memset(long_line, 0, sizeof(long_line));
	strcpy(long_line, "log = /");
	memset(long_line + 7, 'y', sizeof(long_line) - 8);
}

START_TEST(bad_file)
{
	struct clat_config cfg = defaults(), before;
	char err[CLAT_CONFIG_ERR_MAX] = "";

	make_long_lines();
	ck_assert(parse(&cfg, "mode = off\nprefix = 2001:db8:1::/48\n", err, sizeof(err)));
	before = cfg;
	ck_assert_msg(!parse(&cfg, bad_files[_i].text, err, sizeof(err)), "accepted '%s'",
		      bad_files[_i].text);
	if (bad_files[_i].error != NULL)
		ck_assert_str_eq(err, bad_files[_i].error);
	else
		ck_assert_msg(strncmp(err, "line 1: ", 8) == 0, "'%s'", err);
	ck_assert_mem_eq(&cfg, &before, sizeof(cfg)); /* nothing half-applied */
}
END_TEST

START_TEST(bad_prefix_messages)
{
	static const struct {
		const char *value;
		enum clat_prefix_status status;
	} cases[] = {
		{ "2001:db8::", CLAT_PREFIX_SYNTAX },
		{ "2001:db8:122:344:ff00::/96", CLAT_PREFIX_U_OCTET },
		{ "2001:db8::1/96", CLAT_PREFIX_HOST_BITS },
	};

	for (size_t i = 0; i < CLAT_TEST_COUNT(cases); i++) {
		struct clat_config cfg = defaults();
		char text[128], err[CLAT_CONFIG_ERR_MAX], expected[CLAT_CONFIG_ERR_MAX];

		snprintf(text, sizeof(text), "\nprefix = %s", cases[i].value);
		snprintf(expected, sizeof(expected), "line 2: prefix: %s: '%s'",
			 clat_prefix_status_text(cases[i].status), cases[i].value);
		ck_assert(!parse(&cfg, text, err, sizeof(err)));
		ck_assert_str_eq(err, expected);
	}
}
END_TEST

START_TEST(nul_byte)
{
	static const char text[] = "mode = off\nmo\0de = on\n";
	struct clat_config cfg = defaults();
	char err[CLAT_CONFIG_ERR_MAX] = "";

	ck_assert(!clat_config_parse_text(&cfg, text, sizeof(text) - 1, err, sizeof(err)));
	ck_assert(strncmp(err, "line 2: ", 8) == 0);
	ck_assert_int_eq(cfg.mode, CLAT_MODE_AUTO);
}
END_TEST

START_TEST(small_error_buffer)
{
	struct clat_config cfg = defaults();
	char err[12];

	memset(err, 'Z', sizeof(err));
	ck_assert(!parse(&cfg, "foo = bar", err, 8));
	ck_assert_str_eq(err, "line 1:"); /* truncated, terminated */
	ck_assert_int_eq(err[8], 'Z');
	ck_assert(!parse(&cfg, "foo = bar", NULL, 0));
	ck_assert(!clat_config_set(&cfg, "mode", "x", NULL, 0));
}
END_TEST

START_TEST(set_values)
{
	static const struct {
		const char *value;
		bool on;
	} bools[] = {
		{ "yes", true }, { "true", true }, { "1", true }, { "on", true },
		{ "YES", true }, { "True", true }, { "no", false }, { "false", false },
		{ "0", false }, { "off", false }, { "OFF", false },
	};
	struct clat_config cfg = defaults();
	char err[CLAT_CONFIG_ERR_MAX];

	for (size_t i = 0; i < CLAT_TEST_COUNT(bools); i++) {
		cfg.translate_private_wkp = !bools[i].on;
		ck_assert(clat_config_set(&cfg, "translate-private-wkp", bools[i].value, err,
					  sizeof(err)));
		ck_assert_msg(cfg.translate_private_wkp == bools[i].on, "%s", bools[i].value);
	}
	ck_assert(!clat_config_set(&cfg, "translate-private-wkp", "", err, sizeof(err)));
	ck_assert(!clat_config_set(&cfg, "translate-private-wkp", "yess", err, sizeof(err)));
	ck_assert(clat_config_set(&cfg, "prefix", "64:ff9b::/96", err, sizeof(err)));
	ck_assert(cfg.has_prefix);
	ck_assert(clat_prefix_is_wkp(&cfg.prefix));
	ck_assert(clat_config_set(&cfg, "prefix", "", err, sizeof(err)));
	ck_assert(!cfg.has_prefix);
	ck_assert(clat_config_set(&cfg, "local-ipv4", "172.21.112.1", err, sizeof(err)));
	ck_assert_uint_eq(cfg.local_ipv4.s_addr, clat_test_v4("172.21.112.1").s_addr);
	ck_assert(!clat_config_set(&cfg, "nope", "1", err, sizeof(err)));
	ck_assert_str_eq(err, "unknown key 'nope'");
	ck_assert(!clat_config_set(&cfg, "mode", "bad", err, sizeof(err)));
	ck_assert_str_eq(err, "mode: must be auto, always or off: 'bad'");
}
END_TEST

/* fallback-prefix: its own prefix, empty = none, independent of prefix;
 * discovery: the usual yes/no spellings, default yes. */
START_TEST(fallback_and_discovery)
{
	static const struct {
		const char *value;
		bool on;
	} bools[] = {
		{ "yes", true }, { "no", false }, { "true", true }, { "false", false },
		{ "on", true }, { "off", false }, { "1", true }, { "0", false }, { "NO", false },
	};
	struct clat_config cfg = defaults(), before;
	char err[CLAT_CONFIG_ERR_MAX];

	ck_assert(clat_config_set(&cfg, "fallback-prefix", "2001:db8:122::/48", err, sizeof(err)));
	ck_assert(cfg.has_fallback_prefix);
	ck_assert_uint_eq(cfg.fallback_prefix.len, 48);
	ck_assert_mem_eq(cfg.fallback_prefix.addr, clat_test_v6("2001:db8:122::").s6_addr, 16);
	ck_assert(!cfg.has_prefix); /* not the main prefix */
	ck_assert(clat_config_set(&cfg, "prefix", "64:ff9b::/96", err, sizeof(err)));
	ck_assert(clat_config_set(&cfg, "fallback-prefix", "", err, sizeof(err)));
	ck_assert(!cfg.has_fallback_prefix);
	ck_assert(cfg.has_prefix); /* and the other way round */
	ck_assert(clat_config_set(&cfg, "fallback-prefix", "64:ff9b:1::/48", err, sizeof(err)));
	before = cfg;
	ck_assert(!clat_config_set(&cfg, "fallback-prefix", "2001:db8::1/96", err, sizeof(err)));
	ck_assert_str_eq(err, "fallback-prefix: address has bits set after the prefix length: '2001:db8::1/96'");
	ck_assert_mem_eq(&cfg, &before, sizeof(cfg)); /* kept on error */

	for (size_t i = 0; i < CLAT_TEST_COUNT(bools); i++) {
		cfg.discovery = !bools[i].on;
		ck_assert(clat_config_set(&cfg, "discovery", bools[i].value, err, sizeof(err)));
		ck_assert_msg(cfg.discovery == bools[i].on, "%s", bools[i].value);
	}
	cfg.discovery = false;
	ck_assert(!clat_config_set(&cfg, "discovery", "", err, sizeof(err)));
	ck_assert(!clat_config_set(&cfg, "discovery", "yes please", err, sizeof(err)));
	ck_assert(!cfg.discovery);
	ck_assert(!cfg.translate_private_wkp); /* the other yes/no key untouched */
}
END_TEST

START_TEST(log_values)
{
	static const struct {
		const char *value;
		const char *target;
	} cases[] = {
		{ "1", "stderr" }, { "stderr", "stderr" }, { "STDERR", "stderr" },
		{ "0", "" }, { "", "" }, { "syslog", "syslog" },
		{ "/tmp/clat.log", "/tmp/clat.log" }, { "/", "/" },
	};
	struct clat_config cfg = defaults();
	char err[CLAT_CONFIG_ERR_MAX], path[CLAT_CONFIG_LOG_MAX + 1];

	for (size_t i = 0; i < CLAT_TEST_COUNT(cases); i++) {
		strcpy(cfg.log_target, "previous");
		ck_assert(clat_config_set(&cfg, "log", cases[i].value, err, sizeof(err)));
		ck_assert_str_eq(cfg.log_target, cases[i].target);
	}
	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[CLAT_CONFIG_LOG_MAX - 1] = '\0'; /* longest that fits */
	ck_assert(clat_config_set(&cfg, "log", path, err, sizeof(err)));
	ck_assert_str_eq(cfg.log_target, path);
	path[CLAT_CONFIG_LOG_MAX - 1] = 'p';
	path[CLAT_CONFIG_LOG_MAX] = '\0';
	ck_assert(!clat_config_set(&cfg, "log", path, err, sizeof(err)));
	ck_assert(strstr(err, "too long") != NULL);
}
END_TEST

START_TEST(map_pool_and_inbound)
{
	struct clat_config cfg;
	char err[CLAT_CONFIG_ERR_MAX];

	clat_config_defaults(&cfg);
	ck_assert(cfg.map_enabled);
	ck_assert(!cfg.map_pool_explicit);
	ck_assert_uint_eq(cfg.map_pool.s_addr, clat_test_v4("10.170.160.0").s_addr);
	ck_assert_uint_eq(cfg.map_pool_len, 20);
	ck_assert(!cfg.inbound);

	ck_assert(clat_config_set(&cfg, "map-pool", "100.64.0.0/16", err, sizeof(err)));
	ck_assert(cfg.map_enabled && cfg.map_pool_explicit);
	ck_assert_uint_eq(cfg.map_pool.s_addr, clat_test_v4("100.64.0.0").s_addr);
	ck_assert_uint_eq(cfg.map_pool_len, 16);
	ck_assert(clat_config_set(&cfg, "map-pool", "192.168.7.252/30", err, sizeof(err)));
	ck_assert_uint_eq(cfg.map_pool_len, 30);
	ck_assert(clat_config_set(&cfg, "map-pool", "off", err, sizeof(err)));
	ck_assert(!cfg.map_enabled);
	ck_assert(clat_config_set(&cfg, "map-pool", "10.170.160.0/20", err, sizeof(err)));
	ck_assert(cfg.map_enabled);

	static const char *const bad[] = { "10.170.160.1/20", "10.0.0.0/15", "10.0.0.0/31",
					   "10.0.0.0", "10.0.0.0/", "10.0.0.0/2x", "/20",
					   "10.0.0/20", "::/96", "10.0.0.0/0020000000000",
					   "yes", "" };
	for (size_t i = 0; i < CLAT_TEST_COUNT(bad); i++) {
		ck_assert_msg(!clat_config_set(&cfg, "map-pool", bad[i], err, sizeof(err)),
			      "accepted %s", bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "map-pool: must be an IPv4 network"));
	}
	ck_assert_uint_eq(cfg.map_pool_len, 20); /* unchanged by the failures */

	/* The numeric form the connect path uses says the same as the text. */
	struct in_addr alt;
	unsigned alt_len;
	ck_assert(clat_ipv4_cidr_parse(CLAT_ALTERNATE_MAP_POOL, 16, 30, &alt, &alt_len));
	ck_assert_uint_eq(ntohl(alt.s_addr), CLAT_ALTERNATE_MAP_POOL_NET);
	ck_assert_uint_eq(alt_len, CLAT_ALTERNATE_MAP_POOL_LEN);

	ck_assert(clat_config_set(&cfg, "inbound", "yes", err, sizeof(err)));
	ck_assert(cfg.inbound);
	ck_assert(!clat_config_set(&cfg, "inbound", "maybe", err, sizeof(err)));
	ck_assert_str_eq(err, "inbound: must be yes or no (or true/false, on/off, 1/0): 'maybe'");
}
END_TEST

START_TEST(mode_names)
{
	static const enum clat_mode modes[] = { CLAT_MODE_AUTO, CLAT_MODE_ALWAYS, CLAT_MODE_OFF };
	enum clat_mode m = CLAT_MODE_OFF;

	for (size_t i = 0; i < CLAT_TEST_COUNT(modes); i++) {
		ck_assert(clat_mode_parse(clat_mode_name(modes[i]), &m));
		ck_assert_int_eq(m, modes[i]);
	}
	ck_assert_str_eq(clat_mode_name(CLAT_MODE_AUTO), "auto");
	ck_assert_str_eq(clat_mode_name(CLAT_MODE_ALWAYS), "always");
	ck_assert_str_eq(clat_mode_name(CLAT_MODE_OFF), "off");
	ck_assert_str_eq(clat_mode_name((enum clat_mode)42), "unknown");
	ck_assert(clat_mode_parse("Always", &m));
	ck_assert_int_eq(m, CLAT_MODE_ALWAYS);
	ck_assert(!clat_mode_parse("", &m));
	ck_assert(!clat_mode_parse("autox", &m));
	ck_assert(!clat_mode_parse("aut", &m));
	ck_assert(!clat_mode_parse(" off", &m));
	ck_assert_int_eq(m, CLAT_MODE_ALWAYS); /* untouched on failure */
}
END_TEST

/* A fake environment for clat_config_apply_env. */
static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; fake_env[i] != NULL; i++)
		if (strncmp(fake_env[i], name, len) == 0 && fake_env[i][len] == '=')
			return fake_env[i] + len + 1;
	return NULL;
}

START_TEST(env_all)
{
	static const char *const env[] = {
		"CLAT_PREFIX=2001:db8:122::/48", "CLAT_MODE=always",
		"CLAT_LOCAL_IPV4=192.0.0.6", "CLAT_TRANSLATE_PRIVATE_WKP=on",
		"CLAT_DEBUG=1", "CLAT_FALLBACK_PREFIX=2001:db8:100::/40", "CLAT_DISCOVERY=off",
		"PATH=/bin", NULL,
	};
	struct clat_config cfg = defaults();
	char err[CLAT_CONFIG_ERR_MAX] = "";

	fake_env = env;
	ck_assert_msg(clat_config_apply_env(&cfg, fake_getenv, err, sizeof(err)), "%s", err);
	ck_assert(cfg.has_prefix);
	ck_assert_uint_eq(cfg.prefix.len, 48);
	ck_assert_int_eq(cfg.mode, CLAT_MODE_ALWAYS);
	ck_assert_uint_eq(cfg.local_ipv4.s_addr, clat_test_v4("192.0.0.6").s_addr);
	ck_assert(cfg.translate_private_wkp);
	ck_assert_str_eq(cfg.log_target, "stderr");
	ck_assert(cfg.has_fallback_prefix);
	ck_assert_uint_eq(cfg.fallback_prefix.len, 40);
	ck_assert(!cfg.discovery);
}
END_TEST

START_TEST(env_none_keeps_file)
{
	static const char *const env[] = { "CLAT_PREFIXX=junk", "XCLAT_MODE=junk", NULL };
	struct clat_config cfg = defaults(), before;
	char err[CLAT_CONFIG_ERR_MAX] = "";

	ck_assert(parse(&cfg, "prefix = 64:ff9b::/96\nlog = syslog\nmode = off", err, sizeof(err)));
	before = cfg;
	fake_env = env;
	ck_assert(clat_config_apply_env(&cfg, fake_getenv, err, sizeof(err)));
	ck_assert_mem_eq(&cfg, &before, sizeof(cfg));
}
END_TEST

START_TEST(env_empty_values)
{
	static const char *const env[] = { "CLAT_PREFIX=", "CLAT_DEBUG=", "CLAT_FALLBACK_PREFIX=",
					   NULL };
	struct clat_config cfg = defaults();
	char err[CLAT_CONFIG_ERR_MAX] = "";

	ck_assert(parse(&cfg, "prefix = 64:ff9b::/96\nlog = syslog\nfallback-prefix = 64:ff9b::/96\n",
			err, sizeof(err)));
	ck_assert(cfg.has_fallback_prefix);
	fake_env = env;
	ck_assert_msg(clat_config_apply_env(&cfg, fake_getenv, err, sizeof(err)), "%s", err);
	ck_assert(!cfg.has_prefix); /* "no prefix", not an error */
	ck_assert_str_eq(cfg.log_target, "");
	ck_assert(!cfg.has_fallback_prefix);
}
END_TEST

START_TEST(env_errors)
{
	static const struct {
		const char *var;
		const char *error;
	} cases[] = {
		{ "CLAT_MODE=sometimes", "CLAT_MODE: must be auto, always or off: 'sometimes'" },
		{ "CLAT_PREFIX=64:ff9b::/95",
		  "CLAT_PREFIX: prefix length must be 32, 40, 48, 56, 64 or 96 (RFC 6052 section 2.2): '64:ff9b::/95'" },
		{ "CLAT_PREFIX= 64:ff9b::/96", NULL },
		{ "CLAT_LOCAL_IPV4=", NULL },
		{ "CLAT_TRANSLATE_PRIVATE_WKP=", NULL },
		{ "CLAT_DEBUG=yes", NULL },
		{ "CLAT_DEBUG=log.txt", NULL },
		{ "CLAT_FALLBACK_PREFIX=64:ff9b::/97",
		  "CLAT_FALLBACK_PREFIX: prefix length must be 32, 40, 48, 56, 64 or 96 (RFC 6052 section 2.2): '64:ff9b::/97'" },
		{ "CLAT_FALLBACK_PREFIX=none", NULL },
		{ "CLAT_DISCOVERY=", "CLAT_DISCOVERY: must be yes or no (or true/false, on/off, 1/0): ''" },
		{ "CLAT_DISCOVERY=auto", NULL },
	};

	for (size_t i = 0; i < CLAT_TEST_COUNT(cases); i++) {
		const char *env[] = { "CLAT_MODE=off", cases[i].var, NULL };
		struct clat_config cfg = defaults(), before = cfg;
		char err[CLAT_CONFIG_ERR_MAX] = "";
		size_t name_len = (size_t)(strchr(cases[i].var, '=') - cases[i].var);

		if (strncmp(cases[i].var, "CLAT_MODE=", 10) == 0)
			env[0] = "CLAT_DEBUG=0";
		fake_env = env;
		ck_assert_msg(!clat_config_apply_env(&cfg, fake_getenv, err, sizeof(err)), "%s",
			      cases[i].var);
		if (cases[i].error != NULL)
			ck_assert_str_eq(err, cases[i].error);
		ck_assert_msg(strncmp(err, cases[i].var, name_len) == 0, "'%s'", err);
		ck_assert_mem_eq(&cfg, &before, sizeof(cfg)); /* nothing half-applied */
	}
}
END_TEST

Suite *clat_config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("file");

	tcase_add_test(tc, default_values);
	tcase_add_test(tc, key_table);
	tcase_add_test(tc, good_file);
	tcase_add_test(tc, crlf_file);
	tcase_add_test(tc, empty_and_comment_only);
	tcase_add_test(tc, length_respected);
	tcase_add_test(tc, later_line_wins);
	tcase_add_loop_test(tc, bad_file, 0, (int)CLAT_TEST_COUNT(bad_files));
	tcase_add_test(tc, bad_prefix_messages);
	tcase_add_test(tc, nul_byte);
	tcase_add_test(tc, small_error_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_test(tc, set_values);
	tcase_add_test(tc, fallback_and_discovery);
	tcase_add_test(tc, log_values);
	tcase_add_test(tc, map_pool_and_inbound);
	tcase_add_test(tc, mode_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("env");
	tcase_add_test(tc, env_all);
	tcase_add_test(tc, env_none_keeps_file);
	tcase_add_test(tc, env_empty_values);
	tcase_add_test(tc, env_errors);
	suite_add_tcase(s, tc);
	return s;
}
