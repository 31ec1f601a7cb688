#include <stdio.h>
#include <string.h>

#include "discover/dns64_query.h"
#include "discover/networkd_query.h"
#include "discover/discovery.h"
#include "sys/lazy_libc.h" /* last: see there */

/* Plain words for a negative answer, from the query or from the cache. */
static void explain_negative(const struct clat_cache_entry *e, bool cached, char *note,
			     size_t room)
{
	snprintf(note, room, "DNS64 discovery%s: %s has no NAT64 prefix for %s "
		 "(the resolver does no DNS64)", cached ? " (cached answer)" : "",
		 e->resolver[0] ? e->resolver : "the resolver", CLAT_RFC7050_NAME);
}

/* Where the next words of out->note go ("; " after what is there). */
static char *note_tail(struct clat_lookup *out, size_t *room)
{
	size_t used = strlen(out->note);
	*room = sizeof(out->note) - used;
	if (used > 0 && *room > 2) {
		memcpy(out->note + used, "; ", 3);
		used += 2;
		*room -= 2;
	}
	return out->note + used;
}

/* Drops the prefixes the trust rules refuse (core/prefix_trust.h), saying
 * why in the note; true when some remain. */
static bool keep_trusted(struct clat_prefix_set *set, const struct clat_netinfo *net,
			 struct clat_lookup *out)
{
	struct clat_prefix_set kept = { 0 };
	for (unsigned i = 0; i < set->count; i++) {
		char why[256];
		if (!clat_prefix_refused(&set->prefix[i], net, why, sizeof(why))) {
			clat_prefix_set_add(&kept, &set->prefix[i]);
			continue;
		}
		size_t room;
		char *note = note_tail(out, &room);
		snprintf(note, room, "%s", why);
	}
	*set = kept;
	return kept.count > 0;
}

/* Why a parsed, unexpired entry is not used now, or NULL when it may be:
 * its capped lifetime is over, it was learned on another network (or
 * before networks were recorded), it is a per-user entry older than the
 * system one, or its prefix is refused here. */
static const char *unusable(struct clat_cache_entry *entry, bool per_user, int64_t system_fetched,
			    int64_t now, const struct clat_netinfo *net, struct clat_lookup *out)
{
	if (clat_entry_expiry(entry->fetched, entry->expires, entry->negative, now) <= now)
		return "its lifetime is over (capped, core/prefix_trust.h)";
	if (!clat_netid_matches(entry->network, out->network))
		return entry->network == CLAT_NETID_UNKNOWN ? "it names no network" :
							      "it was learned on another network";
	if (per_user && system_fetched > entry->fetched)
		return "the system cache is newer";
	if (!entry->negative && !keep_trusted(&entry->prefixes, net, out))
		return "its prefix is refused";
	return NULL;
}

/* The first fresh, trusted cache of this network, if any. */
static bool from_cache(const struct clat_cache_places *places, int64_t now,
		       const struct clat_netinfo *net, struct clat_lookup *out)
{
	char why[PATH_MAX + 128];
	int64_t system_fetched = -1;
	for (unsigned i = 0; i < places->count; i++) {
		struct clat_cache_entry entry;
		enum clat_cache_state state = clat_cache_read(places->read[i],
							      places->read_system[i], now,
							      &entry, why, sizeof(why));
		if (why[0] != '\0')
			snprintf(out->note, sizeof(out->note), "%.400s", why);
		const char *not_now = NULL;
		if (state == CLAT_CACHE_FRESH || state == CLAT_CACHE_STALE) {
			if (places->read_system[i])
				system_fetched = entry.fetched;
			if (state == CLAT_CACHE_FRESH)
				not_now = unusable(&entry, !places->read_system[i], system_fetched,
						   now, net, out);
			if (not_now != NULL) {
				size_t room;
				char *note = note_tail(out, &room);
				snprintf(note, room, "cache %.300s not used: %s", places->read[i],
					 not_now);
				state = CLAT_CACHE_STALE;
			}
		}
		if (i == 0 || state != CLAT_CACHE_ABSENT) {
			out->cache_state = state;
			snprintf(out->cache_path, sizeof(out->cache_path), "%s", places->read[i]);
		}
		if (state == CLAT_CACHE_UNTRUSTED || state == CLAT_CACHE_INVALID)
			out->cache_ignored = true;
		if (state == CLAT_CACHE_FRESH) {
			entry.expires = clat_entry_expiry(entry.fetched, entry.expires,
							  entry.negative, now);
			out->entry = entry;
			if (entry.negative) {
				size_t room;
				char *note = note_tail(out, &room);
				explain_negative(&entry, true, note, room);
			}
			return true;
		}
	}
	return false;
}

static void store(const struct clat_cache_places *places, struct clat_lookup *out)
{
	char why[PATH_MAX + 128];
	if (places->write[0] != '\0' &&
	    clat_cache_write(places->write, places->write_system, &out->entry, why, sizeof(why))) {
		snprintf(out->cache_path, sizeof(out->cache_path), "%s", places->write);
		out->cache_state = CLAT_CACHE_FRESH;
	}
}

static void from_dns(const struct clat_cache_places *places, int64_t now,
		     const struct clat_netinfo *net,
		     const struct ares_socket_functions *socket_fns, struct clat_lookup *out)
{
	struct clat_dns64_answer answer;
	size_t room;
	char *note;

	clat_dns64_query(CLAT_DISCOVERY_TIMEOUT_MS, socket_fns, &answer);
	out->queried = true;
	if (answer.result.outcome == CLAT_DNS_FAILURE) {
		note = note_tail(out, &room);
		snprintf(out->entry.resolver, sizeof(out->entry.resolver), "%s", answer.resolver);
		snprintf(note, room, "DNS64 discovery: %s", answer.error);
		return; /* a failure is not cached: the next process tries again */
	}
	struct clat_cache_entry *e = &out->entry;
	memset(e, 0, sizeof(*e));
	snprintf(e->resolver, sizeof(e->resolver), "%s", answer.resolver);
	if (answer.result.outcome == CLAT_DNS_POSITIVE &&
	    !keep_trusted(&answer.result.prefixes, net, out)) {
		e->source = CLAT_SOURCE_NONE; /* not cached: nothing usable came */
		return;
	}
	e->source = CLAT_SOURCE_DNS64;
	e->negative = answer.result.outcome != CLAT_DNS_POSITIVE;
	if (!e->negative)
		e->prefixes = answer.result.prefixes;
	e->fetched = now;
	e->expires = now + clat_answer_lifetime(answer.result.ttl, e->negative);
	e->network = out->network;
	note = note_tail(out, &room);
	if (answer.result.outcome == CLAT_DNS_NEGATIVE)
		explain_negative(e, false, note, room);
	else if (e->negative)
		snprintf(note, room, "DNS64 discovery: %s answers %s AAAA without "
			 "192.0.0.170/171 inside: a non-standard DNS64 (RFC 7050 s3)",
			 e->resolver[0] ? e->resolver : "the resolver", CLAT_RFC7050_NAME);

	store(places, out);
}

/* PREF64 that systemd-networkd heard in Router Advertisements: it comes
 * before RFC 7050 (RFC 8781 s5.1, docs/requirements.md C.14). */
static bool from_networkd(const struct clat_cache_places *places, bool secure, int64_t now,
			  const struct clat_netinfo *net, struct clat_lookup *out)
{
	struct clat_cache_entry entry;
	char why[256];
	enum clat_networkd_outcome r = clat_networkd_lookup(secure, now, &entry, why, sizeof(why));
	if (r == CLAT_NETWORKD_ABSENT)
		return false;
	size_t room;
	char *note;
	if (r != CLAT_NETWORKD_PREFIX) {
		note = note_tail(out, &room);
		snprintf(note, room, "PREF64: %s", why);
		return false;
	}
	if (!keep_trusted(&entry.prefixes, net, out))
		return false;
	if (entry.expires - now > CLAT_POSITIVE_TTL_CAP)
		entry.expires = now + CLAT_POSITIVE_TTL_CAP;
	entry.network = out->network;
	out->entry = entry;
	note = note_tail(out, &room);
	snprintf(note, room, "PREF64 (RFC 8781) from systemd-networkd");
	store(places, out);
	return true;
}

void clat_prefix_lookup(bool secure, bool force, int64_t now, const struct clat_netinfo *net,
			const struct ares_socket_functions *socket_fns,
			struct clat_lookup *out)
{
	struct clat_cache_places places;
	memset(out, 0, sizeof(*out));
	out->network = clat_netid_of(net);
	clat_cache_locate(secure, &places);
	if (places.count > 0)
		snprintf(out->cache_path, sizeof(out->cache_path), "%s", places.read[0]);
	if (!force && from_cache(&places, now, net, out))
		return;
	if (from_networkd(&places, secure, now, net, out))
		return;
	from_dns(&places, now, net, socket_fns, out);
}

bool clat_prefix_forget(bool secure, int64_t now)
{
	struct clat_cache_places places;
	struct clat_cache_entry entry;
	char why[PATH_MAX + 128];
	clat_cache_locate(secure, &places);
	if (places.write[0] == '\0')
		return false;
	enum clat_cache_state state = clat_cache_read(places.write, places.write_system, now,
						      &entry, why, sizeof(why));
	if (state != CLAT_CACHE_FRESH && state != CLAT_CACHE_STALE)
		return false;
	entry.fetched = entry.expires = now;
	return clat_cache_write(places.write, places.write_system, &entry, why, sizeof(why));
}

bool clat_prefix_remember(bool secure, const struct clat_cache_entry *entry,
			  char *why, size_t whylen)
{
	struct clat_cache_places places;
	clat_cache_locate(secure, &places);
	if (places.write[0] == '\0') {
		snprintf(why, whylen, "no cache this process may write");
		return false;
	}
	return clat_cache_write(places.write, places.write_system, entry, why, whylen);
}
