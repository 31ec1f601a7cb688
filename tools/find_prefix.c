#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clatrun.h"

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

static void remember_pref64(const struct clat_pref64 *ra, struct clatrun_prefix *out)
{
	struct clat_cache_entry entry = { .source = CLAT_SOURCE_PREF64 };
	int64_t now = (int64_t)time(NULL);
	char why[512];
	clat_prefix_set_add(&entry.prefixes, &ra->prefix);
	entry.fetched = now;
	entry.expires = now + ra->lifetime;
	out->set = entry.prefixes;
	out->source = CLAT_SOURCE_PREF64;
	out->expires = entry.expires;
	struct clat_cache_places places;
	clat_cache_locate(getauxval(AT_SECURE) != 0, &places);
	out->looked_up = true;
	out->lookup.entry = entry;
	snprintf(out->lookup.cache_path, sizeof(out->lookup.cache_path), "%s", places.write);
	if (clat_prefix_remember(getauxval(AT_SECURE) != 0, &entry, why, sizeof(why)))
		out->lookup.cache_state = CLAT_CACHE_FRESH;
	else
		fprintf(stderr, "clatrun: warning: PREF64 prefix not cached: %s\n", why);
}

void clatrun_find_prefix(const struct clat_config *cfg, const char *config_path,
			 const struct clat_pref64 *pref64, bool force,
			 struct clatrun_prefix *out)
{
	memset(out, 0, sizeof(*out));
	if (cfg->has_prefix) {
		clat_prefix_set_add(&out->set, &cfg->prefix);
		out->source = CLAT_SOURCE_CONFIG;
		out->expires = INT64_MAX;
		return;
	}
	if (pref64 != NULL && pref64->lifetime > 0) {
		remember_pref64(pref64, out);
		return;
	}
	if (cfg->discovery) {
		clat_prefix_lookup(false, force, (int64_t)time(NULL), NULL, &out->lookup);
		out->looked_up = true;
		out->set = out->lookup.entry.prefixes;
		out->source = out->set.count > 0 ? out->lookup.entry.source : CLAT_SOURCE_NONE;
		out->expires = out->lookup.entry.expires;
	}
	if (out->set.count == 0 && cfg->has_fallback_prefix) {
		clat_prefix_set_add(&out->set, &cfg->fallback_prefix);
		out->source = CLAT_SOURCE_FALLBACK;
		out->expires = INT64_MAX;
	}
	snprintf(out->tried, sizeof(out->tried),
		 "--prefix/CLAT_PREFIX and %s: none; %s%s%s; fallback-prefix: %s", config_path,
		 pref64 != NULL ? "PREF64: withdrawn (lifetime 0); " : "",
		 !cfg->discovery ? "discovery: off" :
		 out->lookup.note[0] ? out->lookup.note : "cache and DNS64: nothing usable",
		 "", cfg->has_fallback_prefix ? "set" : "none");
}
