/* clatrun --status [--json]: what a program started now would get. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clatrun.h"

/* JSON string with the escapes RFC 8259 s7 requires. */
static void json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static long long seconds_left(const struct clatrun_prefix *p)
{
	return p->expires == INT64_MAX ? -1 : (long long)(p->expires - (int64_t)time(NULL));
}

static const char *cache_state(const struct clatrun_prefix *p)
{
	return p->looked_up ? clat_cache_state_name(p->lookup.cache_state) : "not used";
}

static void print_json(const struct clat_config *cfg, const struct clatrun_prefix *p,
		       bool ipv4_route)
{
	char text[64];
	printf("{\"mode\": ");
	json_string(clat_mode_name(cfg->mode));
	printf(", \"prefixes\": [");
	for (unsigned i = 0; i < p->set.count; i++) {
		clat_prefix_format(&p->set.prefix[i], text, sizeof(text));
		printf("%s", i ? ", " : "");
		json_string(text);
	}
	printf("], \"source\": ");
	json_string(clat_source_name(p->source));
	if (p->set.count > 0 && seconds_left(p) >= 0)
		printf(", \"expires_in\": %lld", seconds_left(p));
	else
		printf(", \"expires_in\": null");
	printf(", \"resolver\": ");
	json_string(p->looked_up ? p->lookup.entry.resolver : "");
	printf(", \"ipv4_route\": %s, \"would_translate\": %s, \"cache\": ",
	       ipv4_route ? "true" : "false",
	       p->set.count > 0 && cfg->mode != CLAT_MODE_OFF &&
	       (cfg->mode == CLAT_MODE_ALWAYS || !ipv4_route) ? "true" : "false");
	json_string(p->looked_up ? p->lookup.cache_path : "");
	printf(", \"cache_state\": ");
	json_string(cache_state(p));
	char network[CLAT_NETID_TEXT];
	clat_netid_format(clat_netid_of(&p->net), network, sizeof(network));
	printf(", \"network\": ");
	json_string(network);
	printf(", \"note\": ");
	json_string(p->set.count > 0 ? (p->looked_up ? p->lookup.note : "") : p->tried);
	printf("}\n");
}

static void print_text(const struct clat_config *cfg, const struct clatrun_prefix *p,
		       bool ipv4_route)
{
	char text[64];
	printf("mode:        %s\n", clat_mode_name(cfg->mode));
	if (p->set.count == 0) {
		printf("prefix:      none: IPv4 destinations stay untranslated\n"
		       "tried:       %s\n", p->tried);
	}
	for (unsigned i = 0; i < p->set.count; i++) {
		clat_prefix_format(&p->set.prefix[i], text, sizeof(text));
		printf("prefix:      %s (source %s", text, clat_source_name(p->source));
		if (seconds_left(p) >= 0)
			printf(", %lld s left", seconds_left(p));
		printf(")\n");
	}
	if (p->looked_up)
		printf("resolver:    %s\n",
		       p->lookup.entry.resolver[0] ? p->lookup.entry.resolver : "not asked");
	printf("ipv4 route:  %s\n", ipv4_route ?
	       (cfg->mode == CLAT_MODE_ALWAYS ? "yes (mode always translates anyway)" :
		"yes: in auto mode programs use IPv4 and nothing is translated") :
	       "none: programs' IPv4 connections are translated");
	if (p->looked_up)
		printf("cache:       %s (%s%s)\n", p->lookup.cache_path, cache_state(p),
		       p->forgotten ? ": the refresh found nothing, the old entry is no longer used" :
				      "");
	char network[CLAT_NETID_TEXT];
	clat_netid_format(clat_netid_of(&p->net), network, sizeof(network));
	printf("network:     %s (resolvers, IPv6 default routers, on-link prefixes)\n", network);
	if (p->set.count > 0 && p->looked_up && p->lookup.note[0] != '\0')
		printf("note:        %s\n", p->lookup.note);
}

static void print_method(const struct clatrun_method *m, enum clatrun_supervise when,
			 const char *program)
{
	printf("supervise:   %s\n", clatrun_supervise_name(when));
	if (program != NULL)
		printf("method:      %s: %s (%s)\n", program,
		       m->supervise ? "supervisor and library" : "library", m->why);
	if (m->supervise)
		printf("supervisor:  %s%s\n", m->kernel.usable ? "usable" : "not usable: ",
		       m->kernel.usable ? (m->kernel.wait_killable ?
					   " (WAIT_KILLABLE_RECV)" : "") : m->kernel.why);
}

int clatrun_status(const struct clat_config *cfg, const struct clatrun_prefix *p, bool json,
		   enum clatrun_supervise when, const char *program)
{
	bool ipv4_route = clatrun_ipv4_has_route();
	struct clatrun_method method;
	clatrun_choose_method(cfg, p, when, program, &method);
	if (json) {
		print_json(cfg, p, ipv4_route);
	} else {
		print_text(cfg, p, ipv4_route);
		print_method(&method, when, program);
	}
	return p->set.count > 0 ? 0 : 1;
}
