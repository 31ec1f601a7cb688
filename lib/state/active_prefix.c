#include <ares.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "core/prefix_order.h"
#include "state/fork_locks.h"
#include "state/log.h"
#include "discover/discovery.h"
#include "discover/network_probe.h"
#include "state/active_prefix.h"
#include "sys/realcalls.h"
#include "state/settings.h"
#include "sys/lazy_libc.h" /* last: see there */

/* A failed query (timeout, SERVFAIL) is retried after this long, so a dead
 * resolver costs one bounded wait per interval, not one per connect. */
#define FAILURE_RETRY_SECONDS 30
/* How often a process looks again at what network it is on (resolvers,
 * routers, prefixes: one small netlink dump), so that a prefix of the
 * last network is dropped within this long; never more often, so a busy
 * program pays it once per interval, not per connect. */
#define NETWORK_CHECK_SECONDS 5
/* At most one rediscovery after failed connections per this long: a dead
 * IPv4 host also answers "unreachable", and must not cost a query per
 * connect. */
#define HEAL_INTERVAL_SECONDS 10
#define SLOTS 8

/* What a discovery found, and the network it belongs to. */
struct known {
	struct clat_prefix_choice choice;
	bool discovered;  /* discovery was asked: follows the network */
	uint64_t network; /* clat_netid_of() when it was found */
};

/* Readers take a snapshot without a lock: writers (under the mutex, once
 * per TTL at most) fill the next slot and then publish its index. */
static struct known slots[SLOTS];
static atomic_int current_slot = -1;
static unsigned next_slot;
static pthread_mutex_t discovery_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static _Atomic int64_t network_checked_at; /* time(): last probe */
static atomic_bool probation_open;          /* see clat_prefix_probation_claim */
static int64_t healed_at;                   /* under discovery_lock */

/* A child forked while another thread was discovering must not inherit a
 * held lock; it keeps no c-ares state (every query has its own channel). */
static void reset_lock_in_child(void)
{
	clat_lock_reset_in_child(&discovery_lock);
}

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, reset_lock_in_child);
}

static int64_t now_seconds(void)
{
	return (int64_t)time(NULL);
}

static const struct known *snapshot(void)
{
	int slot = atomic_load_explicit(&current_slot, memory_order_acquire);
	return slot < 0 ? NULL : &slots[slot];
}

static const struct known *publish(const struct known *k)
{
	unsigned slot = next_slot++ % SLOTS;
	slots[slot] = *k;
	atomic_store_explicit(&probation_open, k->discovered && k->choice.set.count > 0,
			      memory_order_relaxed);
	atomic_store_explicit(&current_slot, (int)slot, memory_order_release);
	return &slots[slot];
}

void clat_known_prefixes(struct clat_prefix_set *out)
{
	const struct clat_settings *s = clat_settings();
	const struct known *k = snapshot();
	memset(out, 0, sizeof(*out));
	if (s->config.has_prefix)
		clat_prefix_set_add(out, &s->config.prefix);
	else if (k != NULL)
		*out = k->choice.set;
}

/* c-ares' own sockets go to the real calls: they must never be translated
 * or tracked by libclat. */
static ares_socket_t real_socket(int domain, int type, int protocol, void *user)
{
	(void)user;
	return CLAT_REAL(socket)(domain, type, protocol);
}
static int real_close(ares_socket_t fd, void *user)
{
	(void)user;
	return CLAT_REAL(close)(fd);
}
static int real_connect(ares_socket_t fd, const struct sockaddr *addr, ares_socklen_t len,
			void *user)
{
	(void)user;
	return CLAT_REAL(connect)(fd, addr, len);
}
static ares_ssize_t real_recvfrom(ares_socket_t fd, void *buf, size_t len, int flags,
				  struct sockaddr *addr, ares_socklen_t *addrlen, void *user)
{
	(void)user;
	return CLAT_REAL(recvfrom)(fd, buf, len, flags, addr, addrlen);
}
static ares_ssize_t real_sendv(ares_socket_t fd, const struct iovec *iov, int count, void *user)
{
	(void)user;
	return writev(fd, iov, count);
}
static const struct ares_socket_functions real_socket_functions = {
	real_socket, real_close, real_connect, real_recvfrom, real_sendv,
};

/* One discovery: what the steps below share. */
struct discovery_run {
	const struct clat_settings *s;
	bool first;           /* CLAT_DISCOVERED is read only once */
	bool force;           /* skip the cache (after failed connections) */
	const struct clat_netinfo *net; /* the network now */
	uint64_t network;     /* its identity; CLAT_DISCOVERED may name another */
	int64_t now;
	int64_t retry_at;     /* when to look again if nothing is found */
	struct clat_lookup found;
};

/* CLAT_DISCOVERED="P1[,P2...] EXPIRES SOURCE [NETWORK]", set by clatrun
 * after it discovered before exec, so the program sends no query of its
 * own. Without NETWORK it belongs to the network of now. */
static bool step_clatrun(void *ctx, struct clat_prefix_choice *k)
{
	struct discovery_run *run = ctx;
	const char *text = run->first && !run->s->secure ? getenv("CLAT_DISCOVERED") : NULL;
	char list[256], source[16], network[CLAT_NETID_TEXT + 1] = "";
	long long expires;
	uint64_t id;
	if (text == NULL ||
	    sscanf(text, "%255s %lld %15s %16s", list, &expires, source, network) < 3)
		return false;
	if (!clat_source_parse(source, &k->source))
		return false;
	for (char *save = NULL, *p = strtok_r(list, ",", &save); p != NULL;
	     p = strtok_r(NULL, ",", &save)) {
		struct clat_prefix prefix;
		if (clat_prefix_parse(p, &prefix) != CLAT_PREFIX_OK)
			return false;
		clat_prefix_set_add(&k->set, &prefix);
	}
	k->expires = expires;
	if (clat_netid_parse(network, &id))
		run->network = id;
	return k->set.count > 0 && k->expires > run->now;
}

/* An untrusted or broken cache file is ignored; say so once per process. */
static void log_distrusted_cache(const struct clat_lookup *found)
{
	static atomic_flag logged = ATOMIC_FLAG_INIT;
	if (found->cache_ignored && !atomic_flag_test_and_set(&logged))
		clat_log_warning("%s", found->note);
}

static bool step_discovery(void *ctx, struct clat_prefix_choice *k)
{
	struct discovery_run *run = ctx;
	if (!run->s->config.discovery) {
		snprintf(run->found.note, sizeof(run->found.note), "discovery is off");
		run->retry_at = INT64_MAX;
		return false;
	}
	clat_prefix_lookup(run->s->secure, run->force, run->now, run->net, &real_socket_functions,
			   &run->found);
	log_distrusted_cache(&run->found);
	k->set = run->found.entry.prefixes;
	k->source = run->found.entry.source;
	k->expires = run->found.entry.expires;
	/* A negative answer is cached for its TTL; a failure is retried. */
	run->retry_at = run->found.entry.source != CLAT_SOURCE_NONE ? run->found.entry.expires
								  : run->now + FAILURE_RETRY_SECONDS;
	if (run->found.queried)
		clat_log("DNS64 discovery %s%s", k->set.count ? "found a prefix" :
			 "found none: ", k->set.count ? "" : run->found.note);
	else if (k->set.count > 0)
		clat_log("prefix from %s: %s", clat_source_name(k->source),
			 run->found.note[0] ? run->found.note : "the shared cache");
	return k->set.count > 0;
}

/* The fallback stands until discovery is due again. */
static bool step_fallback(void *ctx, struct clat_prefix_choice *k)
{
	const struct discovery_run *run = ctx;
	if (!run->s->config.has_fallback_prefix)
		return false;
	clat_prefix_set_add(&k->set, &run->s->config.fallback_prefix);
	k->source = CLAT_SOURCE_FALLBACK;
	k->expires = run->retry_at;
	return true;
}

/* The library's sources in the shared order (core/prefix_order.h). The
 * prefix setting is answered before discovery is asked for at all
 * (clat_active_prefixes), and the library hears no RA itself. */
static void discover(struct known *found, bool first, bool force, const struct clat_netinfo *net)
{
	struct clat_prefix_choice *k = &found->choice;
	static const clat_prefix_step_fn steps[CLAT_STEP_COUNT] = {
		[CLAT_STEP_CLATRUN] = step_clatrun,
		[CLAT_STEP_DISCOVERY] = step_discovery,
		[CLAT_STEP_FALLBACK] = step_fallback,
	};
	struct discovery_run run = { .s = clat_settings(), .first = first, .force = force,
				     .net = net, .network = clat_netid_of(net),
				     .now = now_seconds() };
	run.retry_at = run.now + FAILURE_RETRY_SECONDS;
	run.found.note[0] = '\0';
	enum clat_prefix_step step = clat_prefix_choose(steps, &run, k);
	if (step == CLAT_STEP_CLATRUN)
		clat_log("prefix from clatrun (%s)", clat_source_name(k->source));
	if (step == CLAT_STEP_COUNT)
		k->expires = run.retry_at;
	found->discovered = run.s->config.discovery || step == CLAT_STEP_CLATRUN;
	found->network = run.network;
	if (k->set.count == 0) {
		static atomic_flag logged = ATOMIC_FLAG_INIT;
		if (!atomic_flag_test_and_set(&logged))
			clat_log_warning("no NAT64 prefix, IPv4 destinations stay untranslated; "
					 "tried: CLAT_PREFIX%s, %s, %s; no fallback-prefix",
					 run.s->secure ? " (ignored: secure mode)" : "",
					 run.s->config_path, run.found.note);
	}
}

/* Whether k must be looked up again: over, or found on a network that is
 * not this one (probed at most every NETWORK_CHECK_SECONDS; the probe is
 * kept in net, valid when *probed). Under discovery_lock. */
static bool outdated(const struct known *k, int64_t now, struct clat_netinfo *net, bool *probed)
{
	if (k == NULL || k->choice.expires <= now)
		return true;
	if (!k->discovered ||
	    now - atomic_load_explicit(&network_checked_at, memory_order_relaxed) <
		    NETWORK_CHECK_SECONDS)
		return false;
	clat_network_probe(net);
	*probed = true;
	atomic_store_explicit(&network_checked_at, now, memory_order_relaxed);
	if (clat_netid_of(net) == k->network)
		return false;
	clat_log("the network changed: looking for its NAT64 prefix");
	return true;
}

/* Under discovery_lock: a new lookup, published. */
static const struct known *rediscover(const struct known *k, bool force,
				      struct clat_netinfo *net, bool probed)
{
	struct known fresh;
	memset(&fresh, 0, sizeof(fresh));
	if (!probed)
		clat_network_probe(net);
	atomic_store_explicit(&network_checked_at, now_seconds(), memory_order_relaxed);
	discover(&fresh, k == NULL, force, net);
	return publish(&fresh);
}

const struct clat_prefix_set *clat_active_prefixes(void)
{
	const struct clat_settings *s = clat_settings();
	if (s->config.has_prefix)
		return &s->explicit_prefixes;

	const struct known *k = snapshot();
	int64_t now = now_seconds();
	if (k == NULL || k->choice.expires <= now ||
	    (k->discovered &&
	     now - atomic_load_explicit(&network_checked_at, memory_order_relaxed) >=
		     NETWORK_CHECK_SECONDS)) {
		struct clat_netinfo net;
		bool probed = false;
		pthread_once(&atfork_once, register_atfork);
		pthread_mutex_lock(&discovery_lock);
		k = snapshot(); /* another thread may have just done it */
		if (outdated(k, now_seconds(), &net, &probed))
			k = rediscover(k, false, &net, probed);
		pthread_mutex_unlock(&discovery_lock);
	}
	return &k->choice.set;
}

const struct clat_prefix *clat_active_prefix(void)
{
	const struct clat_prefix_set *set = clat_active_prefixes();
	return set->count > 0 ? &set->prefix[0] : NULL;
}

bool clat_prefix_heal(const struct in6_addr *failed)
{
	if (clat_settings()->config.has_prefix)
		return false; /* explicit prefixes are never overridden */
	const struct known *k = snapshot();
	if (k == NULL || !k->discovered || k->choice.set.count == 0)
		return false;
	struct in_addr v4;
	if (!clat_extract(&k->choice.set.prefix[0], failed, &v4))
		return true; /* another thread healed already: not under the first prefix */

	struct clat_prefix used = k->choice.set.prefix[0];
	bool changed = false;
	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&discovery_lock);
	k = snapshot();
	int64_t now = now_seconds();
	if (!clat_prefix_equal(&k->choice.set.prefix[0], &used)) {
		changed = true;
	} else if (now - healed_at >= HEAL_INTERVAL_SECONDS) {
		struct clat_netinfo net;
		healed_at = now;
		clat_log("a connection under the discovered prefix failed: looking again");
		/* Kept when the lookup finds nothing: no better prefix is known. */
		struct known keep = *k;
		k = rediscover(k, true, &net, false);
		if (k->choice.set.count == 0)
			k = publish(&keep);
		changed = !clat_prefix_equal(&k->choice.set.prefix[0], &used);
		if (changed) {
			char text[64];
			clat_prefix_format(&k->choice.set.prefix[0], text, sizeof(text));
			clat_log("the NAT64 prefix is now %s", text);
		}
	}
	pthread_mutex_unlock(&discovery_lock);
	return changed;
}

bool clat_prefix_probation_claim(void)
{
	return atomic_load_explicit(&probation_open, memory_order_relaxed) &&
	       atomic_exchange_explicit(&probation_open, false, memory_order_relaxed);
}
