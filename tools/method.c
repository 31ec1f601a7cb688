/* Which method a program gets: the preload library alone, or the seccomp
 * supervisor as well (--supervise). Said by -v, --status PROGRAM and
 * --doctor. */
#include <stdio.h>
#include <string.h>

#include "clatrun.h"

bool clatrun_supervise_parse(const char *text, enum clatrun_supervise *out)
{
	static const char *const names[] = { "auto", "always", "never" };
	for (int i = 0; i < 3; i++) {
		if (strcmp(text, names[i]) == 0) {
			*out = (enum clatrun_supervise)i;
			return true;
		}
	}
	return false;
}

const char *clatrun_supervise_name(enum clatrun_supervise when)
{
	return when == CLATRUN_SUPERVISE_ALWAYS ? "always" :
		when == CLATRUN_SUPERVISE_NEVER ? "never" : "auto";
}

void clatrun_choose_method(const struct clat_config *cfg, const struct clatrun_prefix *p,
			   enum clatrun_supervise when, const char *program,
			   struct clatrun_method *out)
{
	char why[sizeof(out->why) - 64];
	memset(out, 0, sizeof(*out));
	if (when == CLATRUN_SUPERVISE_NEVER) {
		snprintf(out->why, sizeof(out->why), "--supervise=never");
		return;
	}
	if (cfg->mode == CLAT_MODE_OFF) {
		snprintf(out->why, sizeof(out->why), "mode off: nothing is translated");
		return;
	}
	if (p->set.count == 0) {
		snprintf(out->why, sizeof(out->why), "no NAT64 prefix: nothing to translate to");
		return;
	}
	if (cfg->mode == CLAT_MODE_AUTO && clatrun_ipv4_has_route()) {
		snprintf(out->why, sizeof(out->why), "mode auto and IPv4 has a route: "
			 "programs use IPv4 as it is");
		return;
	}
	if (when == CLATRUN_SUPERVISE_ALWAYS) {
		snprintf(out->why, sizeof(out->why), "--supervise=always");
	} else if (program == NULL) {
		snprintf(out->why, sizeof(out->why), "--supervise=auto: Go and static programs "
			 "get the supervisor");
		out->supervise = true;
	} else {
		enum clat_sv_need need = clat_sv_inspect(program, why, sizeof(why));
		snprintf(out->why, sizeof(out->why), "%s", why);
		if (need != CLAT_SV_NEED_YES)
			return;
	}
	out->supervise = true;
	clat_sv_probe(&out->kernel);
}
