/* clatrun --doctor [HOST:PORT]: walks the chain a translated connection
 * takes and says, in plain words, where it breaks. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clatrun.h"
#include "core/policy.h"
#include "core/sockaddr.h"
#include "discover/dns64_query.h"
#include "discover/cache_file.h"
#include "service_check.h"

#define CONNECT_TIMEOUT_MS 3000

struct verdict {
	int failed;
};

static void step(struct verdict *v, bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void step(struct verdict *v, bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;
	printf("[%s] %-18s ", ok ? " ok " : "FAIL", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		v->failed++;
}

static bool parse_target(const char *target, struct sockaddr_in *out)
{
	char host[64];
	const char *colon = strrchr(target, ':');
	char *end;
	if (colon == NULL || (size_t)(colon - target) >= sizeof(host))
		return false;
	memcpy(host, target, (size_t)(colon - target));
	host[colon - target] = '\0';
	long port = strtol(colon + 1, &end, 10);
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)port);
	return *end == '\0' && port > 0 && port < 65536 &&
	       inet_pton(AF_INET, host, &out->sin_addr) == 1;
}

/* 0, or the errno of a connect bounded by CONNECT_TIMEOUT_MS. */
static int timed_connect(const struct sockaddr_in6 *dst)
{
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	int err = 0;
	if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) != 0) {
		err = errno;
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		if (err == EINPROGRESS) {
			socklen_t len = sizeof(err);
			if (poll(&p, 1, CONNECT_TIMEOUT_MS) <= 0)
				err = ETIMEDOUT;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
				err = errno;
		}
	}
	close(fd);
	return err;
}

static bool ipv6_route_to(const struct sockaddr_in6 *dst)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* True with *answered set when the DNS64 gave a prefix the trust rules
 * accept on this network (net). */
static bool check_dns64(struct verdict *v, const struct clat_netinfo *net,
			struct clat_prefix *answered)
{
	struct clat_dns64_answer answer;
	char text[64], why[256];
	clat_dns64_query(CLAT_DISCOVERY_TIMEOUT_MS, NULL, &answer);
	const char *who = answer.resolver[0] ? answer.resolver : "the resolver";
	switch (answer.result.outcome) {
	case CLAT_DNS_POSITIVE:
		clat_prefix_format(&answer.result.prefixes.prefix[0], text, sizeof(text));
		if (clat_prefix_refused(&answer.result.prefixes.prefix[0], net, why, sizeof(why))) {
			step(v, false, "DNS64 answer", "%s answers %s AAAA under %s, which is not "
			     "used: %s", who, CLAT_RFC7050_NAME, text, why);
			break;
		}
		step(v, true, "DNS64 answer", "%s synthesises %s AAAA under %s (TTL %u s, used "
		     "for %lld s at most)", who, CLAT_RFC7050_NAME, text, answer.result.ttl,
		     (long long)clat_answer_lifetime(answer.result.ttl, false));
		*answered = answer.result.prefixes.prefix[0];
		return true;
	case CLAT_DNS_NEGATIVE:
		step(v, false, "DNS64 answer", "%s has no AAAA for %s: it does no DNS64. Use "
		     "a DNS64 resolver, or give the prefix with --prefix or in the config file",
		     who, CLAT_RFC7050_NAME);
		break;
	case CLAT_DNS_NO_PREFIX:
		step(v, false, "DNS64 answer", "%s answers %s AAAA without 192.0.0.170/171 "
		     "inside: a non-standard DNS64 (RFC 7050 s3); give the prefix by hand",
		     who, CLAT_RFC7050_NAME);
		break;
	case CLAT_DNS_FAILURE:
		step(v, false, "DNS64 answer", "%s", answer.error);
		break;
	}
	return false;
}

static void check_tcp(struct verdict *v, const struct clat_prefix *prefix,
		      const struct clat_config *cfg, const struct sockaddr_in *target,
		      const char *name)
{
	struct sockaddr_in6 dst;
	char text[INET6_ADDRSTRLEN];
	enum clat_verdict policy = clat_policy_decide(prefix, cfg->translate_private_wkp,
						      target->sin_addr);
	if (policy != CLAT_VERDICT_TRANSLATE) {
		step(v, false, "prefix sanity", "%s would not be translated: %s", name,
		     clat_verdict_text(policy));
		return;
	}
	clat_sockaddr_synthesize(prefix, target, &dst);
	inet_ntop(AF_INET6, &dst.sin6_addr, text, sizeof(text));
	if (!ipv6_route_to(&dst)) {
		step(v, false, "IPv6 route", "no IPv6 route to %s: libclat needs IPv6 to reach "
		     "the NAT64 (check the default IPv6 route)", text);
		return;
	}
	step(v, true, "IPv6 route", "a route to %s exists", text);
	int err = timed_connect(&dst);
	if (err == 0)
		step(v, true, "TCP via NAT64", "connected to %s as [%s]:%u", name, text,
		     ntohs(target->sin_port));
	else if (err == ECONNREFUSED)
		step(v, false, "TCP via NAT64", "[%s]:%u refused: the NAT64 path works, but "
		     "nothing listens on %s", text, ntohs(target->sin_port), name);
	else if (err == ETIMEDOUT)
		step(v, false, "TCP via NAT64", "no answer from [%s]:%u within %d s: the NAT64 "
		     "does not forward this prefix, or %s does not answer (firewall?)", text,
		     ntohs(target->sin_port), CONNECT_TIMEOUT_MS / 1000, name);
	else
		step(v, false, "TCP via NAT64", "connect to [%s]:%u failed: %s", text,
		     ntohs(target->sin_port), strerror(err));
}

/* The services clatrun --enable-service gave libclat: a process started
 * before the drop-in was written runs without it until a restart. */
static void check_services(struct verdict *v)
{
	static struct clatrun_service_checks all;
	clatrun_check_services(&all);
	for (unsigned i = 0; i < all.count; i++) {
		const struct clatrun_service_check *c = &all.unit[i];
		const char *u = c->unit;
		if (!c->systemd)
			step(v, true, "service", "%s: drop-in in place; systemd is not running, "
			     "no process to check", u);
		else if (!c->queried)
			step(v, false, "service", "%s: drop-in in place, but systemctl show %s "
			     "failed", u, u);
		else if (c->processes == 0)
			step(v, true, "service", "%s: drop-in in place; not running", u);
		else if (c->without_pid != 0)
			step(v, false, "service", "%s: process %ld runs without libclat (started "
			     "before the drop-in?): systemctl restart %s", u, c->without_pid, u);
		else
			step(v, true, "service", "%s: %u process%s: %u with libclat mapped, %u "
			     "under the supervisor%s", u, c->processes, c->processes == 1 ? "" : "es",
			     c->with_library, c->supervised, c->unreadable ? ", others not "
			     "readable (run --doctor as root)" : "");
	}
	if (all.more > 0)
		step(v, true, "service", "%u more services have a libclat drop-in", all.more);
}

int clatrun_doctor(const struct clat_config *cfg, const char *config_path, const char *target)
{
	struct verdict v = { 0 };
	struct clatrun_prefix p;
	struct sockaddr_in dst;
	char text[64];

	if (target != NULL && !parse_target(target, &dst)) {
		fprintf(stderr, "clatrun: --doctor wants IPV4:PORT, e.g. 192.0.2.1:80, not '%s'\n",
			target);
		return EXIT_USAGE;
	}
	bool ipv4 = clatrun_ipv4_has_route();
	step(&v, true, "IPv4 route", "%s", ipv4 ?
	     "this host has an IPv4 route: in auto mode programs use it and nothing is translated" :
	     "none: in auto mode IPv4 connections are translated");
	struct clat_sv_kernel kernel;
	clat_sv_probe(&kernel);
	step(&v, kernel.usable, "supervisor", "%s", kernel.usable ?
	     "Go and static programs get the seccomp supervisor (--supervise=auto)" : kernel.why);
	struct clat_prefix answered;
	char why[PATH_MAX + 200];
	bool cache_dir_ok = clat_cache_system_dir_ok(why, sizeof(why));
	step(&v, cache_dir_ok, "prefix cache dir", "%s", why);
	clatrun_find_prefix(cfg, config_path, NULL, false, &p);
	bool dns64 = check_dns64(&v, &p.net, &answered);
	char network[CLAT_NETID_TEXT];
	clat_netid_format(clat_netid_of(&p.net), network, sizeof(network));
	if (p.set.count == 0) {
		step(&v, false, "prefix", "no NAT64 prefix: %s", p.tried);
	} else {
		clat_prefix_format(&p.set.prefix[0], text, sizeof(text));
		bool wkp = clat_prefix_is_wkp(&p.set.prefix[0]);
		step(&v, true, "prefix", "%s (source %s%s%s; network %s)%s", text,
		     clat_source_name(p.source), p.looked_up ? ", cache " : "",
		     p.looked_up ? clat_cache_state_name(p.lookup.cache_state) : "", network,
		     wkp ? "; the well-known prefix cannot reach private IPv4 (RFC 6052 s3.1)" :
		     "");
		/* A cached prefix the DNS64 no longer gives: programs heal on
		 * their first failed connection, but the cache is out of date. */
		if (dns64 && p.source == CLAT_SOURCE_DNS64 &&
		    !clat_prefix_equal(&answered, &p.set.prefix[0]))
			step(&v, false, "prefix current", "the cache holds %s but the DNS64 now "
			     "answers another prefix: run clatrun --refresh", text);
		if (target != NULL)
			check_tcp(&v, &p.set.prefix[0], cfg, &dst, target);
	}
	check_services(&v);
	printf("%s\n", v.failed ? "doctor: some steps failed (see above)" : "doctor: all steps passed");
	return v.failed ? 1 : 0;
}
