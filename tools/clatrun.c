/* clatrun: runs a program with libclat preloaded.
 *
 *   clatrun [options] [--] program [args...]
 *
 * Settings are checked here, before exec, so that a typo is an error with
 * exit status 2 rather than a library that silently disables itself. The
 * program's exit status is passed through (exec); 126/127 when it cannot
 * be run, as env(1) does. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "clatrun.h"
#include "core/config.h"
#include "preload_admin.h"
#include "supervise/supervise.h"
#include "service_admin.h"
#include "sys/config_file.h"

#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127

struct options {
	const char *config_path; /* --config, else CLAT_CONFIG, else default */
	bool config_explicit;
	bool verbose;
	bool status, json, refresh, doctor;
	unsigned wait_pref64;     /* seconds, 0: do not wait */
	int preload;              /* 1: --install-preload, -1: --uninstall-preload */
	const char *preload_library; /* their =LIBRARY, NULL: the installed one */
	int service;              /* 1: --enable-service, -1: --disable-service */
	const char *service_unit;
	/* Settings given on the command line, as text, passed on as CLAT_*. */
	const char *prefix, *mode, *local_ipv4, *private_wkp, *map_pool, *inbound;
	enum clatrun_supervise supervise;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: clatrun [OPTION]... [--] PROGRAM [ARG]...\n"
		"Run PROGRAM with libclat preloaded, so that its IPv4 sockets work on an\n"
		"IPv6-only network through a NAT64 (RFC 6052 address synthesis).\n"
		"\n"
		"  -p, --prefix=PREFIX       NAT64 prefix, e.g. 64:ff9b::/96 (lengths 32, 40,\n"
		"                            48, 56, 64, 96); overrides CLAT_PREFIX and the\n"
		"                            config file\n"
		"  -m, --mode=MODE           auto (default: IPv4 first, translate when IPv4\n"
		"                            has no route), always, or off\n"
		"  -c, --config=FILE         read settings from FILE (default %s)\n"
		"      --local-ipv4=ADDR     IPv4 address a translated socket reports as its\n"
		"                            own (default %s)\n"
		"      --translate-private-wkp\n"
		"                            also translate private IPv4 destinations under\n"
		"                            64:ff9b::/96 (RFC 6052 section 3.1 forbids it)\n"
		"      --map-pool=NET|off    IPv4 pool for names that have only IPv6\n"
		"                            addresses (RFC 6535 mapper; default %s)\n"
		"      --inbound             let IPv6 clients reach the program's sockets\n"
		"                            bound to 0.0.0.0, shown to it as IPv4 (read the\n"
		"                            security note in libclat(7) first)\n"
		"      --supervise=WHEN      auto (default): run Go and static programs,\n"
		"                            which the library cannot reach, under a seccomp\n"
		"                            supervisor that translates their socket calls;\n"
		"                            always: every program (both layers); never\n"
		"  -v, --verbose             log what is translated, to standard error\n"
		"\n"
		"Without a prefix, clatrun finds it as the library would: the shared cache,\n"
		"then an RFC 7050 DNS64 query (about a second at most), then the config\n"
		"file's fallback-prefix; the program then sends no query of its own.\n"
		"      --status              show the prefix a program would get now, its\n"
		"                            source and lifetime, the resolver, the cache and\n"
		"                            whether IPv4 has a route; exit 1 if no prefix\n"
		"      --json                with --status: the same as one JSON object\n"
		"      --refresh             rediscover now and rewrite the cache\n"
		"      --wait-pref64=SECONDS wait up to SECONDS for a Router Advertisement\n"
		"                            with a PREF64 option (RFC 8781) and use it\n"
		"      --doctor [IPV4:PORT]  check each step to the NAT64 (and a TCP connect\n"
		"                            through it to IPV4:PORT) and say what fails\n"
		"      --install-preload[=LIBRARY]\n"
		"                            fleet mode (root): add libclat to\n"
		"                            /etc/ld.so.preload, so every program loads it\n"
		"      --uninstall-preload[=LIBRARY]\n"
		"                            remove it from /etc/ld.so.preload again\n"
		"      --enable-service=UNIT one systemd service loads libclat (root): a\n"
		"                            drop-in in /etc/systemd/system/UNIT.d/\n"
		"      --disable-service=UNIT remove that drop-in again\n"
		"  -h, --help                show this help and exit\n"
		"  -V, --version             show the version and exit\n"
		"\n"
		"Exit status: PROGRAM's own; 2 for bad options or settings; 126 if PROGRAM\n"
		"cannot be run; 127 if it is not found.\n",
		CLAT_DEFAULT_CONFIG_PATH, CLAT_DEFAULT_LOCAL_IPV4, CLAT_DEFAULT_MAP_POOL);
}

__attribute__((format(printf, 1, 2), noreturn))
static void die_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "clatrun: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'clatrun --help' for more information.\n");
	exit(EXIT_USAGE);
}

static unsigned parse_seconds(const char *text)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || n == 0 || n > 3600 || text[0] == '-')
		die_usage("--wait-pref64 wants whole seconds from 1 to 3600, not '%s'", text);
	return (unsigned)n;
}

static void parse_options(int argc, char **argv, struct options *opt)
{
	enum { OPT_LOCAL_IPV4 = 256, OPT_PRIVATE_WKP, OPT_STATUS, OPT_JSON, OPT_REFRESH,
	       OPT_WAIT_PREF64, OPT_DOCTOR, OPT_MAP_POOL, OPT_INBOUND,
	       OPT_INSTALL_PRELOAD, OPT_UNINSTALL_PRELOAD, OPT_SUPERVISE, OPT_ENABLE_SERVICE,
	       OPT_DISABLE_SERVICE };
	static const struct option longopts[] = {
		{ "prefix", required_argument, NULL, 'p' },
		{ "mode", required_argument, NULL, 'm' },
		{ "config", required_argument, NULL, 'c' },
		{ "local-ipv4", required_argument, NULL, OPT_LOCAL_IPV4 },
		{ "translate-private-wkp", no_argument, NULL, OPT_PRIVATE_WKP },
		{ "map-pool", required_argument, NULL, OPT_MAP_POOL },
		{ "inbound", no_argument, NULL, OPT_INBOUND },
		{ "verbose", no_argument, NULL, 'v' },
		{ "supervise", required_argument, NULL, OPT_SUPERVISE },
		{ "status", no_argument, NULL, OPT_STATUS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "refresh", no_argument, NULL, OPT_REFRESH },
		{ "wait-pref64", required_argument, NULL, OPT_WAIT_PREF64 },
		{ "doctor", no_argument, NULL, OPT_DOCTOR },
		{ "install-preload", optional_argument, NULL, OPT_INSTALL_PRELOAD },
		{ "uninstall-preload", optional_argument, NULL, OPT_UNINSTALL_PRELOAD },
		{ "enable-service", required_argument, NULL, OPT_ENABLE_SERVICE },
		{ "disable-service", required_argument, NULL, OPT_DISABLE_SERVICE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	opterr = 0;
	/* '+': stop at the program name, its options are its own. */
	while ((c = getopt_long(argc, argv, "+:p:m:c:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': opt->prefix = optarg; break;
		case 'm': opt->mode = optarg; break;
		case 'c': opt->config_path = optarg; opt->config_explicit = true; break;
		case OPT_LOCAL_IPV4: opt->local_ipv4 = optarg; break;
		case OPT_PRIVATE_WKP: opt->private_wkp = "yes"; break;
		case OPT_MAP_POOL: opt->map_pool = optarg; break;
		case OPT_INBOUND: opt->inbound = "yes"; break;
		case 'v': opt->verbose = true; break;
		case OPT_SUPERVISE:
			if (!clatrun_supervise_parse(optarg, &opt->supervise))
				die_usage("--supervise wants auto, always or never, not '%s'", optarg);
			break;
		case OPT_STATUS: opt->status = true; break;
		case OPT_JSON: opt->json = true; break;
		case OPT_REFRESH: opt->refresh = true; break;
		case OPT_DOCTOR: opt->doctor = true; break;
		case OPT_WAIT_PREF64: opt->wait_pref64 = parse_seconds(optarg); break;
		case OPT_INSTALL_PRELOAD:
		case OPT_UNINSTALL_PRELOAD:
			opt->preload = c == OPT_INSTALL_PRELOAD ? 1 : -1;
			opt->preload_library = optarg;
			break;
		case OPT_ENABLE_SERVICE:
		case OPT_DISABLE_SERVICE:
			if (opt->service != 0)
				die_usage("%s", "one --enable-service or --disable-service at a time");
			opt->service = c == OPT_ENABLE_SERVICE ? 1 : -1;
			opt->service_unit = optarg;
			break;
		case 'h': usage(stdout); exit(EXIT_SUCCESS);
		case 'V': printf("clatrun (libclat) %s\n", PACKAGE_VERSION); exit(EXIT_SUCCESS);
		case ':': die_usage("option '%s' needs a value", argv[optind - 1]); break;
		default: die_usage("unknown option '%s'", argv[optind - 1]); break;
		}
	}
	if (opt->json && !opt->status)
		die_usage("%s", "--json goes with --status");
	if (opt->status + opt->doctor > 1)
		die_usage("%s", "--status and --doctor do not go together");
	if (optind >= argc && !opt->status && !opt->doctor && !opt->refresh && !opt->preload &&
	    !opt->service)
		die_usage("%s", "no program given");
	if (optind < argc && opt->preload)
		die_usage("%s", "--install-preload and --uninstall-preload take no program");
	if (opt->status && argc - optind > 1)
		die_usage("--status takes at most one PROGRAM ('%s')", argv[optind + 1]);
	if (optind < argc && opt->service)
		die_usage("%s", "--enable-service and --disable-service take no program");
	if (opt->service && (opt->preload || opt->status || opt->doctor || opt->refresh))
		die_usage("%s", "--enable-service and --disable-service go alone");
	if (opt->doctor && argc - optind > 1)
		die_usage("%s", "--doctor takes at most one IPV4:PORT");
}

/* The library reads the same sources; checking them here turns a broken
 * setting into exit status 2 instead of a silently disabled library. */
static void check_settings(const struct options *opt, struct clat_config *cfg)
{
	static char text[CLAT_CONFIG_MAX_BYTES];
	char err[CLAT_CONFIG_ERR_MAX + PATH_MAX];

	clat_config_defaults(cfg);
	switch (clat_config_file_load(opt->config_path, false, text, cfg, NULL, err,
				      sizeof(err))) {
	case CLAT_CONFIG_FILE_LOADED:
		break;
	case CLAT_CONFIG_FILE_ABSENT:
		if (!opt->config_explicit)
			break;
		fprintf(stderr, "clatrun: cannot read %s: %s\n", opt->config_path,
			strerror(ENOENT));
		exit(EXIT_USAGE);
	case CLAT_CONFIG_FILE_REFUSED:
	case CLAT_CONFIG_FILE_TRANSIENT:
		fprintf(stderr, "clatrun: %s\n", err);
		exit(EXIT_USAGE);
	}
	if (!clat_config_apply_env(cfg, (const char *(*)(const char *))getenv, err, sizeof(err))) {
		fprintf(stderr, "clatrun: environment: %s\n", err);
		exit(EXIT_USAGE);
	}
	const struct { const char *key, *value; } given[] = {
		{ "prefix", opt->prefix }, { "mode", opt->mode },
		{ "local-ipv4", opt->local_ipv4 }, { "translate-private-wkp", opt->private_wkp },
		{ "map-pool", opt->map_pool }, { "inbound", opt->inbound },
	};
	for (size_t i = 0; i < sizeof(given) / sizeof(given[0]); i++) {
		if (given[i].value != NULL &&
		    !clat_config_set(cfg, given[i].key, given[i].value, err, sizeof(err)))
			die_usage("%s", err);
	}
}

/* Options become CLAT_* variables; the library reads them (and the same
 * config file) itself. */
static void export_settings(const struct options *opt)
{
	for (const struct clat_config_key *k = clat_config_keys; k->key != NULL; k++) {
		const char *value = NULL;
		if (strcmp(k->key, "prefix") == 0) value = opt->prefix;
		else if (strcmp(k->key, "mode") == 0) value = opt->mode;
		else if (strcmp(k->key, "local-ipv4") == 0) value = opt->local_ipv4;
		else if (strcmp(k->key, "translate-private-wkp") == 0) value = opt->private_wkp;
		else if (strcmp(k->key, "map-pool") == 0) value = opt->map_pool;
		else if (strcmp(k->key, "inbound") == 0) value = opt->inbound;
		else if (strcmp(k->key, "log") == 0 && opt->verbose) value = "stderr";
		if (value != NULL)
			setenv(k->env, value, 1);
	}
	if (opt->config_explicit)
		setenv("CLAT_CONFIG", opt->config_path, 1);
}

/* The build tree's library when this clatrun is the build tree's (so that
 * it works before make install), else the installed one. */
static const char *library_path(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if (strcmp(self, CLAT_BUILD_CLATRUN) == 0 && access(CLAT_BUILD_LIBRARY, R_OK) == 0)
			return CLAT_BUILD_LIBRARY;
	}
	return CLAT_INSTALLED_LIBRARY;
}

/* This program's path, for a drop-in that runs it (the build tree's when
 * it is the build tree's, as for the library). */
static const char *self_path(void)
{
	static char self[PATH_MAX];
	if (realpath("/proc/self/exe", self) == NULL)
		snprintf(self, sizeof(self), "%s", CLAT_INSTALLED_CLATRUN);
	return self;
}

static void add_preload(const char *library)
{
	const char *current = getenv("LD_PRELOAD");
	if (current == NULL || current[0] == '\0') {
		setenv("LD_PRELOAD", library, 1);
		return;
	}
	if (strstr(current, library) != NULL)
		return; /* already there: a second copy would only stay passive */
	size_t len = strlen(current) + 1 + strlen(library) + 1;
	char *joined = malloc(len);
	if (joined == NULL) {
		perror("clatrun");
		exit(EXIT_CANNOT_RUN);
	}
	snprintf(joined, len, "%s:%s", current, library); /* append: others keep their order */
	setenv("LD_PRELOAD", joined, 1);
	free(joined);
}

/* The loader ignores LD_PRELOAD for setuid/setgid and file-capability
 * programs (AT_SECURE): say so instead of silently not translating. Under
 * the supervisor they are translated, but NO_NEW_PRIVS (which its filter
 * needs) makes them run without their privileges. */
static void warn_if_secure(const char *program, bool supervised)
{
	char found[PATH_MAX];
	const char *path = program;
	if (strchr(program, '/') == NULL) {
		const char *dirs = getenv("PATH");
		path = NULL;
		while (dirs != NULL && *dirs != '\0' && path == NULL) {
			size_t dirlen = strcspn(dirs, ":");
			snprintf(found, sizeof(found), "%.*s/%s", (int)dirlen, dirs, program);
			if (access(found, X_OK) == 0)
				path = found;
			dirs += dirlen + (dirs[dirlen] == ':');
		}
	}
	struct stat st;
	/* Root gains nothing from either, so the loader is not in secure mode. */
	if (getuid() == 0 || path == NULL || stat(path, &st) != 0)
		return;
	bool caps = getxattr(path, "security.capability", NULL, 0) > 0;
	if (supervised && ((st.st_mode & (S_ISUID | S_ISGID)) || caps))
		fprintf(stderr, "clatrun: warning: %s is %s; under the supervisor (NO_NEW_PRIVS) "
			"it runs without its privileges\n", path,
			caps ? "a file-capability program" : "setuid/setgid");
	else if ((st.st_mode & (S_ISUID | S_ISGID)) || caps)
		fprintf(stderr, "clatrun: warning: %s is %s; the dynamic loader ignores "
			"LD_PRELOAD for it, so it runs untranslated (see libclat's README, "
			"/etc/ld.so.preload)\n", path,
			caps ? "a file-capability program" : "setuid/setgid");
}

/* CLAT_DISCOVERED="P1[,P2] EXPIRES SOURCE NETWORK" for the library
 * (lib/state/active_prefix.c): what clatrun found, so the program does no DNS of its
 * own, when to look again, and the network it belongs to (core/netid.h).
 * Configured prefixes go as CLAT_PREFIX instead. */
static void export_discovered(const struct clatrun_prefix *p)
{
	char value[512] = "", text[64], network[CLAT_NETID_TEXT];
	size_t used = 0;
	if (p->source == CLAT_SOURCE_CONFIG || p->set.count == 0)
		return;
	for (unsigned i = 0; i < p->set.count && used < sizeof(value); i++) {
		clat_prefix_format(&p->set.prefix[i], text, sizeof(text));
		used += (size_t)snprintf(value + used, sizeof(value) - used, "%s%s",
					 i ? "," : "", text);
	}
	clat_netid_format(clat_netid_of(&p->net), network, sizeof(network));
	if (used < sizeof(value))
		snprintf(value + used, sizeof(value) - used, " %lld %s %s",
			 (long long)p->expires, clat_source_name(p->source), network);
	setenv("CLAT_DISCOVERED", value, 1);
}

/* Waits for PREF64 when asked, then finds the prefix as the library would. */
static void find_prefix(const struct options *opt, const struct clat_config *cfg,
			struct clatrun_prefix *p)
{
	struct clat_pref64 ra;
	int heard = 0;
	if (opt->wait_pref64 > 0 && !cfg->has_prefix) {
		heard = clatrun_wait_pref64(opt->wait_pref64, &ra);
		if (opt->verbose)
			fprintf(stderr, "clatrun: %s\n", heard > 0 ? "PREF64 option received" :
				"no PREF64 option received");
	}
	clatrun_find_prefix(cfg, opt->config_path, heard > 0 ? &ra : NULL, opt->refresh, p);
}

int main(int argc, char **argv)
{
	struct options opt = { 0 };
	struct clat_config cfg;
	struct clatrun_prefix found;
	const char *env_config = getenv("CLAT_CONFIG");

	opt.config_path = env_config && *env_config ? env_config : CLAT_DEFAULT_CONFIG_PATH;
	parse_options(argc, argv, &opt);
	if (opt.preload != 0)
		return clatrun_preload_admin(opt.preload > 0, opt.preload_library, opt.config_path);
	if (opt.service != 0)
		return clatrun_service_admin(opt.service > 0, opt.service_unit, library_path(),
					     self_path());
	check_settings(&opt, &cfg);
	if (opt.doctor)
		return clatrun_doctor(&cfg, opt.config_path, optind < argc ? argv[optind] : NULL);
	if (cfg.mode != CLAT_MODE_OFF || opt.status)
		find_prefix(&opt, &cfg, &found);
	if (opt.status)
		return clatrun_status(&cfg, &found, opt.json, opt.supervise,
				      optind < argc ? argv[optind] : NULL);
	if (optind >= argc) /* --refresh alone: show what it found */
		return clatrun_status(&cfg, &found, false, opt.supervise, NULL);
	export_settings(&opt);

	const char *library = library_path();
	if (access(library, R_OK) != 0) {
		fprintf(stderr, "clatrun: cannot find libclat at %s: %s\n", library, strerror(errno));
		return EXIT_CANNOT_RUN;
	}
	add_preload(library);

	char prefix[64] = "none";
	if (cfg.mode != CLAT_MODE_OFF && found.set.count > 0) {
		clat_prefix_format(&found.set.prefix[0], prefix, sizeof(prefix));
		export_discovered(&found);
	} else if (cfg.mode != CLAT_MODE_OFF) {
		fprintf(stderr, "clatrun: warning: no NAT64 prefix, IPv4 destinations stay "
			"untranslated (tried: %s)\n", found.tried);
	}
	if (opt.verbose)
		fprintf(stderr, "clatrun: library %s, prefix %s (%s), mode %s\n", library, prefix,
			clat_source_name(cfg.mode != CLAT_MODE_OFF ? found.source : CLAT_SOURCE_NONE),
			clat_mode_name(cfg.mode));

	char *program = argv[optind];
	struct clatrun_method method;
	clatrun_choose_method(&cfg, &found, opt.supervise, program, &method);
	if (opt.verbose)
		fprintf(stderr, "clatrun: method: %s (%s)\n",
			method.supervise ? "supervisor and library" : "library", method.why);
	if (method.supervise) {
		if (!method.kernel.usable) {
			fprintf(stderr, "clatrun: cannot supervise %s: %s; not running it "
				"untranslated (--supervise=never runs it with the library only)\n",
				program, method.kernel.why);
			return EXIT_USAGE;
		}
		warn_if_secure(program, true);
		/* The library serves inbound from its bind hook; a program the
		 * supervisor serves binds its own sockets. */
		if (cfg.inbound)
			fprintf(stderr, "clatrun: warning: inbound applies to what the library "
				"sees; sockets %s binds itself (its own system calls) stay "
				"IPv4-only\n", program);
		/* Early twins unless CLAT_EARLY_SWITCH=0, the library's switch. */
		const char *early = getenv("CLAT_EARLY_SWITCH");
		struct clat_sv_settings sv = { .prefixes = found.set,
					       .translate_private_wkp = cfg.translate_private_wkp,
					       .local_ipv4 = cfg.local_ipv4,
					       .early_twins = early == NULL || strcmp(early, "0") != 0,
					       .map_enabled = cfg.map_enabled,
					       .map_pool_explicit = cfg.map_pool_explicit,
					       .map_pool = cfg.map_pool,
					       .map_pool_len = cfg.map_pool_len,
					       .verbose = opt.verbose };
		return clat_sv_run(&sv, &method.kernel, &argv[optind]);
	}
	if (cfg.mode != CLAT_MODE_OFF)
		clatrun_exec_without_caps(&argv[optind], opt.verbose);
	warn_if_secure(program, false);
	execvp(program, &argv[optind]);
	int err = errno;
	fprintf(stderr, "clatrun: %s: %s\n", program, strerror(err));
	return err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}
