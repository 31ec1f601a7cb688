/* clatrun --enable-service / --disable-service (service_admin.h).
 *
 * The unit is read from the files systemd would load (the unit search path
 * of systemd.unit(5) and the unit's drop-in directories), not from a
 * running systemd: the drop-in is right before systemd ever reads it, and
 * the command works where systemd does not run (images, chroots). Only
 * /etc/systemd/system is written, with the atomic rewrite of
 * preload_admin.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clatrun.h"
#include "preload_admin.h"
#include "service_admin.h"
#include "supervise/supervise.h"

#define UNIT_MAX_BYTES 65536
#define EXEC_MAX 8          /* ExecStart= lines a wrapped unit may have */
#define DROPINS_MAX 64
/* systemd.unit(5): a unit name is at most 255 characters. */
#define UNIT_NAME_MAX 255
/* A unit directory and a unit name in it, with ".d". */
#define UNIT_DIR_MAX (64 + UNIT_NAME_MAX + 3)

/* systemd.unit(5), "System Unit Search Path", highest priority first
 * (/lib/systemd/system for systems without a merged /usr). */
static const char *const unit_dirs[] = {
	CLAT_SYSTEMD_ETC, "/run/systemd/system", "/run/systemd/generator",
	"/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system",
	"/run/systemd/generator.late",
};
#define UNIT_DIRS (sizeof(unit_dirs) / sizeof(unit_dirs[0]))

/* What the unit's files say, ours left out. */
struct unit_view {
	char exec[EXEC_MAX][4096];
	unsigned exec_count;
	bool exec_overflow;
	char ld_preload[PATH_MAX * 2]; /* an Environment= LD_PRELOAD, "" for none */
};


__attribute__((format(printf, 2, 3)))
static int say_no(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "clatrun: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return status;
}

/* systemd.unit(5): letters, digits and ":-_.\" plus one "@" between the
 * template and instance; no "/", so a name can never leave the unit
 * directory. A name without a type suffix is a .service, as for
 * systemctl. Only services have ExecStart and Environment. */
static int check_unit_name(const char *given, char *name, size_t size)
{
	size_t len = strlen(given);
	if (len == 0 || len > UNIT_NAME_MAX - strlen(".service"))
		return say_no(EXIT_USAGE, "'%s' is not a unit name", given);
	if (given[strspn(given, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789:-_.\\@")] != '\0')
		return say_no(EXIT_USAGE, "'%s' is not a unit name (letters, digits and "
			      ":-_.\\@ only)", given);
	static const char *const other_types[] = { ".socket", ".target", ".device", ".mount",
						   ".automount", ".swap", ".timer", ".path",
						   ".slice", ".scope" };
	const char *dot = strrchr(given, '.');
	for (size_t i = 0; dot != NULL && i < sizeof(other_types) / sizeof(other_types[0]); i++)
		if (strcmp(dot, other_types[i]) == 0)
			return say_no(EXIT_USAGE, "%s is not a service: only services run "
				      "programs that can load libclat", given);
	/* No type suffix (org.example.daemon too): a service, as for systemctl. */
	snprintf(name, size, "%s%s", given,
		 dot != NULL && strcmp(dot, ".service") == 0 ? "" : ".service");
	const char *at = strchr(name, '@');
	if (name[0] == '.' || name[0] == '@' || (at != NULL && strchr(at + 1, '@') != NULL))
		return say_no(EXIT_USAGE, "'%s' is not a unit name", given);
	if (at != NULL && strcmp(at, "@.service") == 0)
		return say_no(EXIT_USAGE, "%s is a template: give an instance, e.g. %.*s@NAME.service",
			      name, (int)(at - name), name);
	return 0;
}

/* name's template (foo@bar.service -> foo@.service), or "" for none. */
static void template_of(const char *name, char *out, size_t size)
{
	const char *at = strchr(name, '@');
	out[0] = '\0';
	if (at != NULL)
		snprintf(out, size, "%.*s@.service", (int)(at - name), name);
}

/* The unit file systemd would load: 0 with path set, 2 when there is
 * none or it is masked (a link to /dev/null). */
static int find_fragment(const char *name, char *path)
{
	char tmpl[UNIT_NAME_MAX + 1], candidate[PATH_MAX];
	template_of(name, tmpl, sizeof(tmpl));
	for (int pass = 0; pass < 2; pass++) {
		const char *want = pass == 0 ? name : tmpl;
		if (want[0] == '\0')
			continue;
		for (size_t i = 0; i < UNIT_DIRS; i++) {
			struct stat st;
			snprintf(candidate, sizeof(candidate), "%s/%s", unit_dirs[i], want);
			if (lstat(candidate, &st) != 0)
				continue;
			if (realpath(candidate, path) == NULL || strcmp(path, "/dev/null") == 0 ||
			    st.st_size == 0)
				return say_no(EXIT_USAGE, "%s is masked (%s); unmask it first", name,
					      candidate);
			return 0;
		}
	}
	return say_no(EXIT_USAGE, "no unit %s: no such file in %s or the other unit "
		      "directories (systemd.unit(5))", name, CLAT_SYSTEMD_ETC);
}

/* Environment= words, quotes as systemd.exec(5) has them: the value of
 * LD_PRELOAD if one word sets it. */
static void environment_preload(const char *value, struct unit_view *v)
{
	while (*value != '\0') {
		value += strspn(value, " \t");
		char word[sizeof(v->ld_preload)];
		size_t n = 0;
		char quote = (*value == '"' || *value == '\'') ? *value++ : '\0';
		while (*value != '\0' && (quote ? *value != quote : (*value != ' ' && *value != '\t'))) {
			if (n + 1 < sizeof(word))
				word[n++] = *value;
			value++;
		}
		if (quote && *value == quote)
			value++;
		word[n] = '\0';
		if (strncmp(word, "LD_PRELOAD=", 11) == 0)
			snprintf(v->ld_preload, sizeof(v->ld_preload), "%s", word + 11);
	}
}

/* Reads one unit file or drop-in into v: the [Service] section's
 * ExecStart= lines (an empty one resets the list) and LD_PRELOAD. */
static int read_unit_file(const char *path, struct unit_view *v)
{
	static char text[UNIT_MAX_BYTES];
	char real[PATH_MAX];
	struct stat st;
	size_t len;
	if (realpath(path, real) == NULL)
		return say_no(1, "cannot read %s: %s", path, strerror(errno));
	int rc = clatrun_slurp(real, text, sizeof(text), &len, &st);
	if (rc != 0)
		return say_no(1, "cannot read %s: %s", path, strerror(rc));
	/* A backslash at the end of a line continues it (systemd.syntax(7)). */
	for (char *p = text; (p = strstr(p, "\\\n")) != NULL;)
		p[0] = p[1] = ' ';
	bool service = false;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		if (line[0] == '#' || line[0] == ';' || line[0] == '\0')
			continue;
		if (line[0] == '[') {
			service = strncmp(line, "[Service]", 9) == 0;
			continue;
		}
		char *eq = strchr(line, '=');
		if (!service || eq == NULL)
			continue;
		char *end = eq;
		while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		*end = '\0';
		char *value = eq + 1 + strspn(eq + 1, " \t");
		for (size_t n = strlen(value); n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t');)
			value[--n] = '\0';
		if (strcmp(line, "ExecStart") == 0) {
			if (value[0] == '\0')
				v->exec_count = 0, v->exec_overflow = false;
			else if (v->exec_count == EXEC_MAX || strlen(value) >= sizeof(v->exec[0]))
				v->exec_overflow = true;
			else
				snprintf(v->exec[v->exec_count++], sizeof(v->exec[0]), "%s", value);
		} else if (strcmp(line, "Environment") == 0) {
			if (value[0] == '\0')
				v->ld_preload[0] = '\0';
			else
				environment_preload(value, v);
		}
	}
	return 0;
}

struct dropin {
	char name[NAME_MAX + 1];
	char path[PATH_MAX];
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct dropin *)a)->name, ((const struct dropin *)b)->name);
}

/* The unit's drop-ins, ours left out, in the order systemd applies them:
 * sorted by file name, a name in a directory of higher priority hiding
 * the same name further down (systemd.unit(5)). */
static unsigned find_dropins(const char *name, struct dropin *out)
{
	char tmpl[UNIT_NAME_MAX + 1], dir[UNIT_DIR_MAX];
	unsigned count = 0;
	template_of(name, tmpl, sizeof(tmpl));
	for (size_t i = 0; i < UNIT_DIRS; i++) {
		for (int pass = 0; pass < 2; pass++) {
			const char *unit = pass == 0 ? name : tmpl;
			if (unit[0] == '\0')
				continue;
			snprintf(dir, sizeof(dir), "%s/%s.d", unit_dirs[i], unit);
			DIR *d = opendir(dir);
			if (d == NULL)
				continue;
			for (struct dirent *e; (e = readdir(d)) != NULL && count < DROPINS_MAX;) {
				size_t n = strlen(e->d_name);
				if (n < 6 || strcmp(e->d_name + n - 5, ".conf") != 0 ||
				    strcmp(e->d_name, CLAT_DROPIN_NAME) == 0)
					continue;
				bool hidden = false;
				for (unsigned k = 0; k < count && !hidden; k++)
					hidden = strcmp(out[k].name, e->d_name) == 0;
				if (hidden)
					continue;
				snprintf(out[count].name, sizeof(out[count].name), "%s", e->d_name);
				snprintf(out[count].path, sizeof(out[count].path), "%s/%s", dir,
					 e->d_name);
				count++;
			}
			closedir(d);
		}
	}
	qsort(out, count, sizeof(out[0]), by_name);
	return count;
}

static int read_unit(const char *name, const char *fragment, struct unit_view *v)
{
	static struct dropin dropins[DROPINS_MAX];
	memset(v, 0, sizeof(*v));
	if (read_unit_file(fragment, v) != 0)
		return 1;
	unsigned n = find_dropins(name, dropins);
	for (unsigned i = 0; i < n; i++)
		if (read_unit_file(dropins[i].path, v) != 0)
			return 1;
	return 0;
}

/* The command after ExecStart='s prefixes (systemd.service(5): "-", "@",
 * ":", "+", "!", "!!"); *prefix_len says how long they are. */
static const char *exec_command(const char *exec, size_t *prefix_len)
{
	*prefix_len = strspn(exec, "-@:+!");
	return exec + *prefix_len;
}

/* The program an ExecStart= command runs, as a path: 0, or 1 after a
 * message. A name without "/" is looked for where systemd looks
 * (systemd.service(5), "Command lines"). */
static int exec_program(const char *name, const char *command, char *path)
{
	char word[PATH_MAX], candidate[PATH_MAX + 32];
	size_t n;
	if (command[0] == '"' || command[0] == '\'') {
		n = strcspn(command + 1, command[0] == '"' ? "\"" : "'");
		snprintf(word, sizeof(word), "%.*s", (int)n, command + 1);
	} else {
		n = strcspn(command, " \t");
		snprintf(word, sizeof(word), "%.*s", (int)n, command);
	}
	if (word[0] == '\0' || strpbrk(word, "%$\\") != NULL)
		return say_no(1, "%s: cannot tell which program ExecStart=%s runs (specifiers "
			      "or variables in its path)", name, command);
	if (strchr(word, '/') == NULL) {
		static const char *const dirs[] = { "/usr/local/sbin", "/usr/local/bin",
						    "/usr/sbin", "/usr/bin", "/sbin", "/bin" };
		for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			snprintf(candidate, sizeof(candidate), "%s/%s", dirs[i], word);
			if (access(candidate, X_OK) == 0 && realpath(candidate, path) != NULL)
				return 0;
		}
		return say_no(1, "%s: ExecStart runs %s, which is not in systemd's search "
			      "path", name, word);
	}
	if (realpath(word, path) == NULL)
		return say_no(1, "%s: ExecStart runs %s: %s", name, word, strerror(errno));
	return 0;
}

static int child_help(const char *clatrun)
{
	execl(clatrun, "clatrun", "--help", (char *)NULL);
	fprintf(stderr, "cannot run %s: %s\n", clatrun, strerror(errno));
	return 127;
}

/* Does this clatrun have the supervisor (--supervise)? */
static bool has_supervise(const char *clatrun)
{
	static char out[16384];
	int status = clatrun_in_child(child_help, clatrun, out, sizeof(out));
	return status == 0 && strstr(out, "--supervise") != NULL;
}

/* Text that goes into a drop-in as it is: no quote, backslash, blank or
 * specifier (systemd.unit(5), "Specifiers"). */
static bool plain_word(const char *text)
{
	return text[0] == '/' && strpbrk(text, "\"'\\% \t\n") == NULL;
}

/* The drop-in for a program LD_PRELOAD reaches. */
static int preload_dropin(const char *name, const struct unit_view *v, const char *library,
			  char *text, size_t size)
{
	char preload[sizeof(v->ld_preload) + PATH_MAX + 1];
	if (!plain_word(library) || strchr(library, ':') != NULL)
		return say_no(1, "cannot put %s in a drop-in (blanks, quotes, colons or %%)",
			      library);
	if (access(library, R_OK) != 0)
		return say_no(1, "cannot use %s: %s", library, strerror(errno));
	if (strpbrk(v->ld_preload, "\"\\") != NULL)
		return say_no(1, "%s sets LD_PRELOAD=%s, with quotes or backslashes: add %s "
			      "to it by hand", name, v->ld_preload, library);
	if (v->ld_preload[0] == '\0')
		snprintf(preload, sizeof(preload), "%s", library);
	else if (strstr(v->ld_preload, library) != NULL)
		snprintf(preload, sizeof(preload), "%s", v->ld_preload);
	else /* after the unit's own: they keep their order (as clatrun does) */
		snprintf(preload, sizeof(preload), "%s:%s", v->ld_preload, library);
	snprintf(text, size,
		 "%s\n"
		 "# %s loads libclat (settings: %s). Undo: clatrun --disable-service %s\n"
		 "# \"zz-\" sorts this file after the unit's other drop-ins: its lines win.\n"
		 "[Service]\n"
		 "Environment=\"LD_PRELOAD=%s\"\n",
		 CLAT_DROPIN_MARKER, name, CLAT_DEFAULT_CONFIG_PATH, name, preload);
	return 0;
}

/* The drop-in for Go and static programs: every ExecStart= command under
 * the supervisor. */
static int supervise_dropin(const char *name, const struct unit_view *v, const char *clatrun,
			    char *text, size_t size)
{
	if (!plain_word(clatrun))
		return say_no(1, "cannot put %s in a drop-in (blanks, quotes or %%)", clatrun);
	if (!has_supervise(clatrun))
		return say_no(1, "%s runs a Go or statically linked program, which LD_PRELOAD "
			      "cannot reach, and %s has no --supervise to run it under: "
			      "install a libclat with the supervisor; nothing written", name,
			      clatrun);
	int used = snprintf(text, size,
			    "%s\n"
			    "# %s runs under clatrun's supervisor: a Go or statically linked\n"
			    "# program, which LD_PRELOAD cannot reach. Undo: clatrun --disable-service %s\n"
			    "# \"zz-\" sorts this file after the unit's other drop-ins: its lines win.\n"
			    "[Service]\n"
			    "ExecStart=\n", CLAT_DROPIN_MARKER, name, name);
	for (unsigned i = 0; i < v->exec_count && used > 0 && (size_t)used < size; i++) {
		size_t plen;
		const char *command = exec_command(v->exec[i], &plen);
		if (memchr(v->exec[i], '@', plen) != NULL)
			return say_no(1, "%s: ExecStart=%s names its own argv[0] (\"@\"): "
				      "wrap it by hand", name, v->exec[i]);
		used += snprintf(text + used, size - (size_t)used,
				 "ExecStart=%.*s%s --supervise=always -- %s\n", (int)plen, v->exec[i],
				 clatrun, command);
	}
	if (used < 0 || (size_t)used >= size)
		return say_no(1, "%s: its ExecStart lines are too long", name);
	return 0;
}

/* The drop-in text the unit gets: 0, or the exit status after a message. */
static int dropin_text(const char *name, const char *library, const char *clatrun,
		       char *text, size_t size)
{
	static struct unit_view view;
	char fragment[PATH_MAX], program[PATH_MAX];
	int rc = find_fragment(name, fragment);
	if (rc != 0 || (rc = read_unit(name, fragment, &view)) != 0)
		return rc;
	if (view.exec_overflow)
		return say_no(1, "%s has more or longer ExecStart= lines than clatrun reads (%d)",
			      name, EXEC_MAX);
	if (view.exec_count == 0)
		return say_no(EXIT_USAGE, "%s (%s) has no ExecStart=: nothing to run with libclat",
			      name, fragment);
	bool wrap = false;
	for (unsigned i = 0; i < view.exec_count; i++) {
		size_t plen;
		char why[PATH_MAX + 64];
		const char *command = exec_command(view.exec[i], &plen);
		if (strstr(command, " --supervise=always -- ") != NULL)
			return say_no(1, "%s: ExecStart=%s is under a supervisor already", name,
				      view.exec[i]);
		if (exec_program(name, command, program) != 0)
			return 1;
		/* Go and static programs make their socket calls without
		 * libc's dynamic symbols: the same test as --supervise=auto. */
		enum clat_sv_need need = clat_sv_inspect(program, why, sizeof(why));
		if (need == CLAT_SV_NEED_UNKNOWN)
			return say_no(1, "%s: %s", name, why);
		wrap |= need == CLAT_SV_NEED_YES;
	}
	return wrap ? supervise_dropin(name, &view, clatrun, text, size) :
		      preload_dropin(name, &view, library, text, size);
}

static int child_daemon_reload(const char *unused)
{
	(void)unused;
	execlp("systemctl", "systemctl", "daemon-reload", (char *)NULL);
	fprintf(stderr, "cannot run systemctl: %s\n", strerror(errno));
	return 127;
}

/* systemd reads unit files at daemon-reload only (systemctl(1)). */
static int reload_and_advise(const char *name)
{
	char out[1024];
	if (access("/run/systemd/system", F_OK) != 0) {
		printf("clatrun: systemd is not running; it reads the unit's files when it starts\n");
		return 0;
	}
	int status = clatrun_in_child(child_daemon_reload, "", out, sizeof(out));
	if (status != 0)
		return say_no(1, "systemctl daemon-reload failed: %s", clatrun_one_line(out));
	printf("clatrun: systemd reloaded; restart the service to apply it: systemctl "
	       "restart %s\n", name);
	return 0;
}

/* 0: ours (text read), ENOENT: none, EEXIST: another origin's, else errno. */
static int read_our_dropin(const char *path, char *text, size_t size, struct stat *st)
{
	size_t len;
	int rc = clatrun_slurp(path, text, size, &len, st);
	if (rc == ELOOP || rc == EINVAL ||
	    (rc == 0 && strncmp(text, CLAT_DROPIN_MARKER "\n", sizeof(CLAT_DROPIN_MARKER)) != 0))
		return EEXIST;
	return rc;
}

int clatrun_service_admin(bool enable, const char *unit, const char *library,
			  const char *clatrun)
{
	static char text[UNIT_MAX_BYTES], old[UNIT_MAX_BYTES];
	const char *verb = enable ? "--enable-service" : "--disable-service";
	char name[UNIT_NAME_MAX + 1], dir[UNIT_DIR_MAX], path[PATH_MAX];
	struct stat st;

	int rc = check_unit_name(unit, name, sizeof(name));
	if (rc != 0)
		return rc;
	if (geteuid() != 0)
		return say_no(1, "%s writes to %s: run it as root", verb, CLAT_SYSTEMD_ETC);
	snprintf(dir, sizeof(dir), "%s/%s.d", CLAT_SYSTEMD_ETC, name);
	snprintf(path, sizeof(path), "%s/%s", dir, CLAT_DROPIN_NAME);
	int have = read_our_dropin(path, old, sizeof(old), &st);
	if (have == EEXIST)
		return say_no(EXIT_USAGE, "%s is not clatrun's (its first line is not \"%s\"); "
			      "nothing changed", path, CLAT_DROPIN_MARKER);
	if (have != 0 && have != ENOENT)
		return say_no(1, "cannot read %s: %s", path, strerror(have));

	if (!enable) {
		if (have == ENOENT) {
			printf("clatrun: %s has no libclat drop-in; nothing to do\n", name);
			return 0;
		}
		if (clatrun_replace_file(path, "", &st) != 0)
			return 1;
		rmdir(dir); /* only when nothing else is in it */
		printf("clatrun: removed %s: %s starts without libclat from now on\n", path, name);
		return reload_and_advise(name);
	}
	rc = dropin_text(name, library, clatrun, text, sizeof(text));
	if (rc != 0)
		return rc;
	if (have == 0 && strcmp(old, text) == 0) {
		printf("clatrun: %s has libclat already (%s); nothing to do\n", name, path);
		return 0;
	}
	bool made_dir = mkdir(dir, 0755) == 0;
	if (!made_dir && errno != EEXIST)
		return say_no(1, "cannot create %s: %s", dir, strerror(errno));
	if (clatrun_replace_file(path, text, have == 0 ? &st : NULL) != 0) {
		if (made_dir)
			rmdir(dir);
		return 1;
	}
	printf("clatrun: %s %s: %s %s from its next start\n", have == 0 ? "updated" : "wrote",
	       path, name, strstr(text, "--supervise") != NULL ?
	       "runs under clatrun --supervise=always" : "loads libclat (LD_PRELOAD)");
	return reload_and_advise(name);
}

unsigned clatrun_services_enabled(void (*fn)(const char *unit, void *arg), void *arg)
{
	static char text[UNIT_MAX_BYTES];
	char path[PATH_MAX], name[NAME_MAX + 1];
	unsigned count = 0;
	struct stat st;
	DIR *d = opendir(CLAT_SYSTEMD_ETC);
	if (d == NULL)
		return 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		size_t n = strlen(e->d_name);
		if (n < 3 || strcmp(e->d_name + n - 2, ".d") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", CLAT_SYSTEMD_ETC, e->d_name,
			 CLAT_DROPIN_NAME);
		if (read_our_dropin(path, text, sizeof(text), &st) != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(n - 2), e->d_name);
		fn(name, arg);
		count++;
	}
	closedir(d);
	return count;
}
