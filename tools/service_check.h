/* What --doctor says about the services with a libclat drop-in
 * (clatrun --enable-service): their running processes (the unit's MainPID
 * and its control group's cgroup.procs, from "systemctl show") and whether
 * each has libclat mapped (/proc/PID/maps) or runs under clatrun's
 * supervisor (the supervisor itself and the processes below it). */
#ifndef CLATRUN_SERVICE_CHECK_H
#define CLATRUN_SERVICE_CHECK_H

#include <stdbool.h>

#define CLATRUN_SERVICES_MAX 64

struct clatrun_service_check {
	char unit[256];
	bool systemd;            /* systemd runs: there are processes to look at */
	bool queried;            /* systemctl show answered */
	unsigned processes, with_library, supervised;
	unsigned unreadable;     /* another user's process: cannot tell */
	long without_pid;        /* the first process without libclat, 0 if none */
};

struct clatrun_service_checks {
	struct clatrun_service_check unit[CLATRUN_SERVICES_MAX];
	unsigned count, more;    /* more: units past CLATRUN_SERVICES_MAX */
};

void clatrun_check_services(struct clatrun_service_checks *out);

#endif
