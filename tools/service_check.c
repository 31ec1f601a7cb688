/* For clatrun --doctor: the processes of each service with a libclat
 * drop-in, and whether each has the library mapped or runs under the
 * supervisor (service_check.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload_admin.h"
#include "service_admin.h"
#include "service_check.h"

#define PIDS_MAX 256

static int child_show(const char *unit)
{
	execlp("systemctl", "systemctl", "show", "--property=MainPID",
	       "--property=ControlGroup", "--", unit, (char *)NULL);
	fprintf(stderr, "cannot run systemctl: %s\n", strerror(errno));
	return 127;
}

/* MainPID and the cgroup's processes; false when systemctl fails. */
static bool unit_pids(const char *unit, long *pids, unsigned *count)
{
	char out[4096], path[PATH_MAX + 64];
	*count = 0;
	if (clatrun_in_child(child_show, unit, out, sizeof(out)) != 0)
		return false;
	const char *main_pid = strstr(out, "MainPID="), *cg = strstr(out, "ControlGroup=");
	long pid = main_pid != NULL ? strtol(main_pid + 8, NULL, 10) : 0;
	if (pid > 0)
		pids[(*count)++] = pid;
	if (cg == NULL || cg[13] != '/')
		return true;
	char group[PATH_MAX];
	snprintf(group, sizeof(group), "%.*s", (int)strcspn(cg + 13, "\n"), cg + 13);
	/* cgroup v2 at /sys/fs/cgroup, or the hybrid layout's unified and
	 * name=systemd hierarchies. */
	static const char *const roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified",
					     "/sys/fs/cgroup/systemd" };
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(path, sizeof(path), "%s%s/cgroup.procs", roots[i], group);
		FILE *f = fopen(path, "re");
		if (f == NULL)
			continue;
		while (*count < PIDS_MAX && fscanf(f, "%ld", &pid) == 1) {
			bool seen = false;
			for (unsigned k = 0; k < *count && !seen; k++)
				seen = pids[k] == pid;
			if (!seen)
				pids[(*count)++] = pid;
		}
		fclose(f);
		break;
	}
	return true;
}

/* 1: mapped, 0: not, -1: cannot tell (another user's process). */
static int has_libclat(long pid)
{
	char path[64], line[PATH_MAX + 128];
	snprintf(path, sizeof(path), "/proc/%ld/maps", pid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	int found = 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		const char *slash = strrchr(line, '/');
		found = slash != NULL && strcmp(slash, "/libclat.so") == 0;
	}
	fclose(f);
	return found;
}

/* Is pid a clatrun supervisor (argv has --supervise...)? */
static bool is_supervisor(long pid)
{
	char path[64], args[4096];
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return false;
	size_t n = fread(args, 1, sizeof(args) - 1, f);
	fclose(f);
	args[n] = '\0';
	const char *base = strrchr(args, '/');
	if (strcmp(base != NULL ? base + 1 : args, "clatrun") != 0)
		return false;
	for (size_t at = strlen(args) + 1; at < n; at += strlen(args + at) + 1)
		if (strncmp(args + at, "--supervise", 11) == 0)
			return true;
	return false;
}

static long parent_of(long pid)
{
	char path[64], line[256];
	long ppid = 0;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "PPid: %ld", &ppid) == 1)
			break;
	fclose(f);
	return ppid;
}

/* The supervisor stays the parent of the program it runs, whose children
 * inherit its seccomp filter: pid or one of its ancestors (up to the unit's
 * main process, a few levels) is clatrun --supervise. */
static bool under_supervisor(long pid)
{
	for (int depth = 0; depth < 16 && pid > 1; depth++, pid = parent_of(pid))
		if (is_supervisor(pid))
			return true;
	return false;
}

static void check_one(const char *unit, void *arg)
{
	struct clatrun_service_checks *all = arg;
	if (all->count == CLATRUN_SERVICES_MAX) {
		all->more++;
		return;
	}
	struct clatrun_service_check *c = &all->unit[all->count++];
	long pids[PIDS_MAX];
	unsigned n;
	memset(c, 0, sizeof(*c));
	snprintf(c->unit, sizeof(c->unit), "%s", unit);
	c->systemd = access("/run/systemd/system", F_OK) == 0;
	if (!c->systemd)
		return;
	c->queried = unit_pids(unit, pids, &n);
	for (unsigned i = 0; c->queried && i < n; i++) {
		int mapped = has_libclat(pids[i]);
		c->processes++;
		if (mapped > 0)
			c->with_library++;
		else if (under_supervisor(pids[i]))
			c->supervised++;
		else if (mapped < 0)
			c->unreadable++;
		else if (c->without_pid == 0)
			c->without_pid = pids[i];
	}
}

void clatrun_check_services(struct clatrun_service_checks *out)
{
	memset(out, 0, sizeof(*out));
	clatrun_services_enabled(check_one, out);
}
