#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clatrun.h"
#include "core/prefix_order.h"

bool clatrun_ipv4_has_route(void)
{
	/* connect() on UDP sends nothing: it is only the route lookup. */
	struct sockaddr_in probe = { .sin_family = AF_INET, .sin_port = htons(53) };
	inet_pton(AF_INET, "192.0.2.1", &probe.sin_addr); /* RFC 5737 */
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool routed = connect(fd, (struct sockaddr *)&probe, sizeof(probe)) == 0;
	close(fd);
	return routed;
}

/* One clatrun lookup: what the steps below share. */
struct clatrun_run {
	const struct clat_config *cfg;
	const struct clat_pref64 *pref64;
	bool force;
	struct clatrun_prefix *out;
};

static bool step_explicit(void *ctx, struct clat_prefix_choice *k)
{
	const struct clatrun_run *run = ctx;
	if (!run->cfg->has_prefix)
		return false;
	clat_prefix_set_add(&k->set, &run->cfg->prefix);
	k->source = CLAT_SOURCE_CONFIG;
	k->expires = INT64_MAX;
	return true;
}

/* A PREF64 option just heard (--wait-pref64) is cached for the library,
 * unless the trust rules refuse its prefix (said on stderr). */
static bool step_pref64(void *ctx, struct clat_prefix_choice *k)
{
	const struct clatrun_run *run = ctx;
	if (run->pref64 == NULL || run->pref64->lifetime == 0)
		return false;
	struct clat_cache_entry entry = { .source = CLAT_SOURCE_PREF64 };
	int64_t now = (int64_t)time(NULL);
	char why[512];
	if (clat_prefix_refused(&run->pref64->prefix, &run->out->net, why, sizeof(why))) {
		fprintf(stderr, "clatrun: warning: PREF64 prefix %s\n", why);
		return false;
	}
	clat_prefix_set_add(&entry.prefixes, &run->pref64->prefix);
	entry.fetched = now;
	entry.expires = now + (run->pref64->lifetime < CLAT_POSITIVE_TTL_CAP ?
			       run->pref64->lifetime : CLAT_POSITIVE_TTL_CAP);
	entry.network = clat_netid_of(&run->out->net);
	k->set = entry.prefixes;
	k->source = CLAT_SOURCE_PREF64;
	k->expires = entry.expires;
	struct clat_cache_places places;
	clat_cache_locate(getauxval(AT_SECURE) != 0, &places);
	run->out->looked_up = true;
	run->out->lookup.entry = entry;
	snprintf(run->out->lookup.cache_path, sizeof(run->out->lookup.cache_path), "%s",
		 places.write);
	if (clat_prefix_remember(getauxval(AT_SECURE) != 0, &entry, why, sizeof(why)))
		run->out->lookup.cache_state = CLAT_CACHE_FRESH;
	else
		fprintf(stderr, "clatrun: warning: PREF64 prefix not cached: %s\n", why);
	return true;
}

static bool step_discovery(void *ctx, struct clat_prefix_choice *k)
{
	const struct clatrun_run *run = ctx;
	if (!run->cfg->discovery)
		return false;
	int64_t now = (int64_t)time(NULL);
	clat_prefix_lookup(false, run->force, now, &run->out->net, NULL, &run->out->lookup);
	run->out->looked_up = true;
	/* A refresh that found nothing leaves no entry claiming to be fresh. */
	if (run->force && run->out->lookup.entry.source == CLAT_SOURCE_NONE &&
	    clat_prefix_forget(false, now)) {
		run->out->forgotten = true;
		run->out->lookup.cache_state = CLAT_CACHE_STALE;
	}
	k->set = run->out->lookup.entry.prefixes;
	k->source = run->out->lookup.entry.source;
	k->expires = run->out->lookup.entry.expires;
	return k->set.count > 0;
}

static bool step_fallback(void *ctx, struct clat_prefix_choice *k)
{
	const struct clatrun_run *run = ctx;
	if (!run->cfg->has_fallback_prefix)
		return false;
	clat_prefix_set_add(&k->set, &run->cfg->fallback_prefix);
	k->source = CLAT_SOURCE_FALLBACK;
	k->expires = INT64_MAX;
	return true;
}

void clatrun_find_prefix(const struct clat_config *cfg, const char *config_path,
			 const struct clat_pref64 *pref64, bool force,
			 struct clatrun_prefix *out)
{
	/* clatrun's sources in the library's order (core/prefix_order.h); what
	 * clatrun finds reaches the library as CLAT_DISCOVERED. */
	static const clat_prefix_step_fn steps[CLAT_STEP_COUNT] = {
		[CLAT_STEP_EXPLICIT] = step_explicit,
		[CLAT_STEP_PREF64] = step_pref64,
		[CLAT_STEP_DISCOVERY] = step_discovery,
		[CLAT_STEP_FALLBACK] = step_fallback,
	};
	struct clatrun_run run = { cfg, pref64, force, out };
	struct clat_prefix_choice choice;
	memset(out, 0, sizeof(*out));
	clat_network_probe(&out->net);
	enum clat_prefix_step step = clat_prefix_choose(steps, &run, &choice);
	out->set = choice.set;
	out->source = choice.source;
	out->expires = choice.expires;
	if (step == CLAT_STEP_EXPLICIT)
		return;
	snprintf(out->tried, sizeof(out->tried),
		 "--prefix/CLAT_PREFIX and %s: none; %s%s%s; fallback-prefix: %s", config_path,
		 pref64 != NULL ? "PREF64: withdrawn (lifetime 0); " : "",
		 !cfg->discovery ? "discovery: off" :
		 out->lookup.note[0] ? out->lookup.note : "cache and DNS64: nothing usable",
		 "", cfg->has_fallback_prefix ? "set" : "none");
}
