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
#include "state/active_prefix.h"
#include "sys/realcalls.h"
#include "state/settings.h"

/* A failed query (timeout, SERVFAIL) is retried after this long, so a dead
 * resolver costs one bounded wait per interval, not one per connect. */
#define FAILURE_RETRY_SECONDS 30
#define SLOTS 8

/* Readers take a snapshot without a lock: writers (under the mutex, once
 * per TTL at most) fill the next slot and then publish its index. */
static struct clat_prefix_choice slots[SLOTS];
static atomic_int current_slot = -1;
static unsigned next_slot;
static pthread_mutex_t discovery_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

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

static const struct clat_prefix_choice *snapshot(void)
{
	int slot = atomic_load_explicit(&current_slot, memory_order_acquire);
	return slot < 0 ? NULL : &slots[slot];
}

static const struct clat_prefix_choice *publish(const struct clat_prefix_choice *k)
{
	unsigned slot = next_slot++ % SLOTS;
	slots[slot] = *k;
	atomic_store_explicit(&current_slot, (int)slot, memory_order_release);
	return &slots[slot];
}

void clat_known_prefixes(struct clat_prefix_set *out)
{
	const struct clat_settings *s = clat_settings();
	const struct clat_prefix_choice *k = snapshot();
	memset(out, 0, sizeof(*out));
	if (s->config.has_prefix)
		clat_prefix_set_add(out, &s->config.prefix);
	else if (k != NULL)
		*out = k->set;
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
	int64_t now;
	int64_t retry_at;     /* when to look again if nothing is found */
	struct clat_lookup found;
};

/* CLAT_DISCOVERED="P1[,P2...] EXPIRES SOURCE", set by clatrun after it
 * discovered before exec, so the program sends no query of its own. */
static bool step_clatrun(void *ctx, struct clat_prefix_choice *k)
{
	const struct discovery_run *run = ctx;
	const char *text = run->first && !run->s->secure ? getenv("CLAT_DISCOVERED") : NULL;
	char list[256], source[16];
	long long expires;
	if (text == NULL || sscanf(text, "%255s %lld %15s", list, &expires, source) != 3)
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
	clat_prefix_lookup(run->s->secure, false, run->now, &real_socket_functions, &run->found);
	log_distrusted_cache(&run->found);
	k->set = run->found.entry.prefixes;
	k->source = run->found.entry.source;
	k->expires = run->found.entry.expires;
	/* A negative answer is cached for its TTL; a failure is retried. */
	run->retry_at = run->found.entry.source != CLAT_SOURCE_NONE ? run->found.entry.expires
								  : run->now + FAILURE_RETRY_SECONDS;
	if (run->found.queried)
		clat_log("DNS64 discovery %s", k->set.count ? "found a prefix" : "found none");
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
static void discover(struct clat_prefix_choice *k, bool first)
{
	static const clat_prefix_step_fn steps[CLAT_STEP_COUNT] = {
		[CLAT_STEP_CLATRUN] = step_clatrun,
		[CLAT_STEP_DISCOVERY] = step_discovery,
		[CLAT_STEP_FALLBACK] = step_fallback,
	};
	struct discovery_run run = { .s = clat_settings(), .first = first, .now = now_seconds() };
	run.retry_at = run.now + FAILURE_RETRY_SECONDS;
	run.found.note[0] = '\0';
	enum clat_prefix_step step = clat_prefix_choose(steps, &run, k);
	if (step == CLAT_STEP_CLATRUN)
		clat_log("prefix from clatrun (%s)", clat_source_name(k->source));
	if (step == CLAT_STEP_COUNT)
		k->expires = run.retry_at;
	if (k->set.count == 0) {
		static atomic_flag logged = ATOMIC_FLAG_INIT;
		if (!atomic_flag_test_and_set(&logged))
			clat_log_warning("no NAT64 prefix, IPv4 destinations stay untranslated; "
					 "tried: CLAT_PREFIX%s, %s, %s; no fallback-prefix",
					 run.s->secure ? " (ignored: secure mode)" : "",
					 run.s->config_path, run.found.note);
	}
}

const struct clat_prefix_set *clat_active_prefixes(void)
{
	const struct clat_settings *s = clat_settings();
	if (s->config.has_prefix)
		return &s->explicit_prefixes;

	const struct clat_prefix_choice *k = snapshot();
	if (k == NULL || k->expires <= now_seconds()) {
		pthread_once(&atfork_once, register_atfork);
		pthread_mutex_lock(&discovery_lock);
		k = snapshot(); /* another thread may have just done it */
		if (k == NULL || k->expires <= now_seconds()) {
			struct clat_prefix_choice fresh;
			discover(&fresh, k == NULL);
			k = publish(&fresh);
		}
		pthread_mutex_unlock(&discovery_lock);
	}
	return &k->set;
}

const struct clat_prefix *clat_active_prefix(void)
{
	const struct clat_prefix_set *set = clat_active_prefixes();
	return set->count > 0 ? &set->prefix[0] : NULL;
}
