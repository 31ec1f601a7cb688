/* clatrun's pieces: option handling and exec (clatrun.c), finding the
 * prefix as the library would (find_prefix.c), --status (status.c),
 * --doctor (doctor.c), and waiting for PREF64 (pref64_listen.c). */
#ifndef CLATRUN_H
#define CLATRUN_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/pref64.h"
#include "discover/discovery.h"
#include "supervise/supervise.h"
#include "discover/network_probe.h"

#define EXIT_USAGE 2

struct clatrun_prefix {
	struct clat_prefix_set set;
	enum clat_prefix_source source; /* NONE: no prefix */
	int64_t expires;                /* INT64_MAX for configured ones */
	struct clat_lookup lookup;      /* what discovery saw (source DNS64/PREF64) */
	struct clat_netinfo net;        /* the network looked up on (network_probe.h) */
	bool forgotten;                 /* --refresh found nothing: cache marked over */
	bool looked_up;
	char tried[768];                /* plain words: the sources tried */
};

/* The prefix the program will get: explicit setting, else a PREF64 just
 * heard (pref64 may be NULL), else cache/DNS64 (force: skip the cache),
 * else the fallback. */
void clatrun_find_prefix(const struct clat_config *cfg, const char *config_path,
			 const struct clat_pref64 *pref64, bool force,
			 struct clatrun_prefix *out);
/* 1 with *found set, 0 when none came within seconds, -1 on error. */
int clatrun_wait_pref64(unsigned seconds, struct clat_pref64 *found);
/* True when the kernel has an IPv4 route (auto mode would not translate). */
bool clatrun_ipv4_has_route(void);
enum clatrun_supervise { CLATRUN_SUPERVISE_AUTO = 0, CLATRUN_SUPERVISE_ALWAYS,
			 CLATRUN_SUPERVISE_NEVER };
bool clatrun_supervise_parse(const char *text, enum clatrun_supervise *out);
const char *clatrun_supervise_name(enum clatrun_supervise when);

/* How a program gets translated (method.c): the library alone, or the
 * seccomp supervisor too, and why. */
struct clatrun_method {
	bool supervise;
	char why[PATH_MAX + 96];
	struct clat_sv_kernel kernel; /* probed when supervise */
};
void clatrun_choose_method(const struct clat_config *cfg, const struct clatrun_prefix *p,
			   enum clatrun_supervise when, const char *program,
			   struct clatrun_method *out);

/* Execs a file-capability program (not setuid/setgid) through its
 * dynamic loader, without its capabilities, so that LD_PRELOAD applies
 * (capless.c); returns when that does not apply or fails. */
void clatrun_exec_without_caps(char **argv, bool verbose);

/* --status [PROGRAM]: returns the exit status (0 with a prefix, 1 without). */
int clatrun_status(const struct clat_config *cfg, const struct clatrun_prefix *p, bool json,
		   enum clatrun_supervise when, const char *program);
/* --doctor [HOST:PORT]: returns 0 when every step passed, else 1. */
int clatrun_doctor(const struct clat_config *cfg, const char *config_path, const char *target);

#endif
