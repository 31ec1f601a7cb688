#include <stdio.h>
#include <string.h>

#include "discover/dns64_query.h"
#include "discover/networkd_query.h"
#include "discover/discovery.h"

int64_t clat_dns_expiry(const struct clat_dns_result *result, int64_t now)
{
	int64_t ttl = result->ttl;
	if (result->outcome == CLAT_DNS_POSITIVE)
		ttl -= CLAT_REFRESH_MARGIN; /* 7050 s3: rediscover at T - 10 s */
	return now + (ttl < CLAT_MIN_CACHE_SECONDS ? CLAT_MIN_CACHE_SECONDS : ttl);
}

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

/* The first fresh, trusted cache, if any. */
static bool from_cache(const struct clat_cache_places *places, int64_t now,
		       struct clat_lookup *out)
{
	char why[PATH_MAX + 128];
	for (unsigned i = 0; i < places->count; i++) {
		struct clat_cache_entry entry;
		enum clat_cache_state state = clat_cache_read(places->read[i],
							      places->read_system[i], now,
							      &entry, why, sizeof(why));
		if (i == 0 || state != CLAT_CACHE_ABSENT) {
			out->cache_state = state;
			snprintf(out->cache_path, sizeof(out->cache_path), "%s", places->read[i]);
		}
		if (why[0] != '\0')
			snprintf(out->note, sizeof(out->note), "%.400s", why);
		if (state == CLAT_CACHE_UNTRUSTED || state == CLAT_CACHE_INVALID)
			out->cache_ignored = true;
		if (state == CLAT_CACHE_FRESH) {
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
		     const struct ares_socket_functions *socket_fns, struct clat_lookup *out)
{
	struct clat_dns64_answer answer;
	size_t room;
	char *note = note_tail(out, &room);

	clat_dns64_query(CLAT_DISCOVERY_TIMEOUT_MS, socket_fns, &answer);
	out->queried = true;
	if (answer.result.outcome == CLAT_DNS_FAILURE) {
		snprintf(out->entry.resolver, sizeof(out->entry.resolver), "%s", answer.resolver);
		snprintf(note, room, "DNS64 discovery: %s", answer.error);
		return; /* a failure is not cached: the next process tries again */
	}
	struct clat_cache_entry *e = &out->entry;
	memset(e, 0, sizeof(*e));
	e->source = CLAT_SOURCE_DNS64;
	e->negative = answer.result.outcome != CLAT_DNS_POSITIVE;
	if (!e->negative)
		e->prefixes = answer.result.prefixes;
	e->fetched = now;
	e->expires = clat_dns_expiry(&answer.result, now);
	snprintf(e->resolver, sizeof(e->resolver), "%s", answer.resolver);
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
			  struct clat_lookup *out)
{
	struct clat_cache_entry entry;
	char why[256];
	enum clat_networkd_outcome r = clat_networkd_lookup(secure, now, &entry, why, sizeof(why));
	if (r == CLAT_NETWORKD_ABSENT)
		return false;
	size_t room;
	char *note = note_tail(out, &room);
	if (r != CLAT_NETWORKD_PREFIX) {
		snprintf(note, room, "PREF64: %s", why);
		return false;
	}
	out->entry = entry;
	snprintf(note, room, "PREF64 (RFC 8781) from systemd-networkd");
	store(places, out);
	return true;
}

void clat_prefix_lookup(bool secure, bool force, int64_t now,
			const struct ares_socket_functions *socket_fns,
			struct clat_lookup *out)
{
	struct clat_cache_places places;
	memset(out, 0, sizeof(*out));
	clat_cache_locate(secure, &places);
	if (places.count > 0)
		snprintf(out->cache_path, sizeof(out->cache_path), "%s", places.read[0]);
	if (!force && from_cache(&places, now, out))
		return;
	if (from_networkd(&places, secure, now, out))
		return;
	from_dns(&places, now, socket_fns, out);
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
