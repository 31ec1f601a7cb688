/* The shared prefix cache file: its text format. */

#include "prefix_cache.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CLAT_CACHE_VERSION "2"
/* Entries without a network line; read as learned on an unknown network. */
#define CLAT_CACHE_VERSION_OLD "1"
/* The network field when it is unknown. */
#define CLAT_CACHE_NO_NETWORK "-"
/* Longest valid line: "resolver " and a 63-character value; anything
 * longer is not ours. */
#define CLAT_CACHE_LINE_MAX 128
/* The resolver field when nobody answered (a DNS answer always has one). */
#define CLAT_CACHE_NO_RESOLVER "-"

static const char *const clat_source_names[] = {
	[CLAT_SOURCE_NONE] = "none",
	[CLAT_SOURCE_CONFIG] = "config",
	[CLAT_SOURCE_PREF64] = "pref64",
	[CLAT_SOURCE_DNS64] = "dns64",
	[CLAT_SOURCE_FALLBACK] = "fallback",
};

#define CLAT_SOURCE_COUNT (sizeof(clat_source_names) / sizeof(clat_source_names[0]))

const char *clat_source_name(enum clat_prefix_source source)
{
	if ((size_t)source < CLAT_SOURCE_COUNT)
		return clat_source_names[source];
	return "unknown";
}

/* "none" is a name for logs, not something a cache entry can hold. */
bool clat_source_parse(const char *text, enum clat_prefix_source *out)
{
	for (size_t i = CLAT_SOURCE_NONE + 1; i < CLAT_SOURCE_COUNT; i++) {
		if (strcmp(text, clat_source_names[i]) == 0) {
			*out = (enum clat_prefix_source)i;
			return true;
		}
	}
	return false;
}

/* "" (nobody) or one IPv4 or IPv6 address in text form. */
static bool clat_resolver_valid(const char *text)
{
	uint8_t addr[sizeof(struct in6_addr)];

	return *text == '\0' || inet_pton(AF_INET, text, addr) == 1 ||
	       inet_pton(AF_INET6, text, addr) == 1;
}

/* Everything both directions require of an entry, across fields. */
static bool clat_cache_entry_valid(const struct clat_cache_entry *e)
{
	if ((size_t)e->source >= CLAT_SOURCE_COUNT || e->source == CLAT_SOURCE_NONE ||
	    e->prefixes.count > CLAT_MAX_PREFIXES ||
	    e->negative != (e->prefixes.count == 0) || e->fetched < 0 ||
	    e->expires < e->fetched ||
	    memchr(e->resolver, '\0', sizeof(e->resolver)) == NULL ||
	    !clat_resolver_valid(e->resolver))
		return false;
	for (unsigned i = 0; i < e->prefixes.count; i++) {
		if (clat_prefix_check(&e->prefixes.prefix[i]) != CLAT_PREFIX_OK)
			return false;
		for (unsigned j = 0; j < i; j++)
			if (clat_prefix_equal(&e->prefixes.prefix[i], &e->prefixes.prefix[j]))
				return false;
	}
	return true;
}

/* Appends to a fixed buffer; ok turns false for good once it is full. */
struct clat_text_out {
	char *buf;
	size_t size;
	size_t pos;
	bool ok;
};

__attribute__((format(printf, 2, 3)))
static void clat_text_printf(struct clat_text_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!o->ok)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->size - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->pos) {
		o->ok = false;
		return;
	}
	o->pos += (size_t)n;
}

/* An entry parse would refuse is not written either: 0, as for a small
 * buffer. */
size_t clat_cache_format(const struct clat_cache_entry *entry, char *buf, size_t buflen)
{
	struct clat_text_out o = { buf, buflen, 0, buf != NULL && buflen > 0 };

	if (!clat_cache_entry_valid(entry))
		return 0;
	clat_text_printf(&o, "version %s\nsource %s\nnegative %s\n", CLAT_CACHE_VERSION,
			 clat_source_name(entry->source), entry->negative ? "yes" : "no");
	for (unsigned i = 0; i < entry->prefixes.count && o.ok; i++) {
		char text[INET6_ADDRSTRLEN + 4];

		if (!clat_prefix_format(&entry->prefixes.prefix[i], text, sizeof(text)))
			return 0;
		clat_text_printf(&o, "prefix %s\n", text);
	}
	char network[CLAT_NETID_TEXT];
	if (entry->network == CLAT_NETID_UNKNOWN)
		snprintf(network, sizeof(network), "%s", CLAT_CACHE_NO_NETWORK);
	else
		clat_netid_format(entry->network, network, sizeof(network));
	clat_text_printf(&o, "fetched %" PRId64 "\nexpires %" PRId64 "\nresolver %s\nnetwork %s\n",
			 entry->fetched, entry->expires,
			 entry->resolver[0] != '\0' ? entry->resolver : CLAT_CACHE_NO_RESOLVER,
			 network);
	return o.ok ? o.pos : 0;
}

enum clat_cache_key {
	CLAT_CACHE_KEY_VERSION,
	CLAT_CACHE_KEY_SOURCE,
	CLAT_CACHE_KEY_NEGATIVE,
	CLAT_CACHE_KEY_PREFIX, /* the only one that repeats */
	CLAT_CACHE_KEY_FETCHED,
	CLAT_CACHE_KEY_EXPIRES,
	CLAT_CACHE_KEY_RESOLVER,
	CLAT_CACHE_KEY_NETWORK,
	CLAT_CACHE_KEY_COUNT,
};

static const char *const clat_cache_keys[CLAT_CACHE_KEY_COUNT] = {
	[CLAT_CACHE_KEY_VERSION] = "version",
	[CLAT_CACHE_KEY_SOURCE] = "source",
	[CLAT_CACHE_KEY_NEGATIVE] = "negative",
	[CLAT_CACHE_KEY_PREFIX] = "prefix",
	[CLAT_CACHE_KEY_FETCHED] = "fetched",
	[CLAT_CACHE_KEY_EXPIRES] = "expires",
	[CLAT_CACHE_KEY_RESOLVER] = "resolver",
	[CLAT_CACHE_KEY_NETWORK] = "network",
};

/* The keys every entry has; resolver may be left out (""). */
#define CLAT_CACHE_REQUIRED                                                              \
	(1u << CLAT_CACHE_KEY_VERSION | 1u << CLAT_CACHE_KEY_SOURCE |                    \
	 1u << CLAT_CACHE_KEY_NEGATIVE | 1u << CLAT_CACHE_KEY_FETCHED |                  \
	 1u << CLAT_CACHE_KEY_EXPIRES)

/* Canonical decimal: "0" or a non-zero digit first; no sign, no blanks;
 * at most INT64_MAX. */
static bool clat_parse_time(const char *text, int64_t *out)
{
	int64_t value = 0;

	if (*text == '\0' || (text[0] == '0' && text[1] != '\0'))
		return false;
	for (; *text != '\0'; text++) {
		int digit = *text - '0';

		if (digit < 0 || digit > 9 || value > (INT64_MAX - digit) / 10)
			return false;
		value = value * 10 + digit;
	}
	*out = value;
	return true;
}

static bool clat_cache_value(struct clat_cache_entry *e, bool *old_version,
			     enum clat_cache_key key, const char *value)
{
	struct clat_prefix prefix;

	switch (key) {
	case CLAT_CACHE_KEY_VERSION:
		*old_version = strcmp(value, CLAT_CACHE_VERSION_OLD) == 0;
		return *old_version || strcmp(value, CLAT_CACHE_VERSION) == 0;
	case CLAT_CACHE_KEY_NETWORK:
		if (strcmp(value, CLAT_CACHE_NO_NETWORK) == 0) {
			e->network = CLAT_NETID_UNKNOWN;
			return true;
		}
		return clat_netid_parse(value, &e->network);
	case CLAT_CACHE_KEY_SOURCE:
		return clat_source_parse(value, &e->source);
	case CLAT_CACHE_KEY_NEGATIVE:
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0)
			return false;
		e->negative = strcmp(value, "yes") == 0;
		return true;
	case CLAT_CACHE_KEY_PREFIX:
		if (clat_prefix_parse(value, &prefix) != CLAT_PREFIX_OK ||
		    e->prefixes.count >= CLAT_MAX_PREFIXES)
			return false;
		e->prefixes.prefix[e->prefixes.count++] = prefix; /* duplicates: see valid */
		return true;
	case CLAT_CACHE_KEY_FETCHED:
		return clat_parse_time(value, &e->fetched);
	case CLAT_CACHE_KEY_EXPIRES:
		return clat_parse_time(value, &e->expires);
	case CLAT_CACHE_KEY_RESOLVER:
		if (strcmp(value, CLAT_CACHE_NO_RESOLVER) == 0)
			value = "";
		else if (*value == '\0')
			return false;
		if (strlen(value) >= sizeof(e->resolver) || !clat_resolver_valid(value))
			return false;
		strcpy(e->resolver, value);
		return true;
	case CLAT_CACHE_KEY_COUNT:
		break;
	}
	return false;
}

/* One line without its '\n': "key value", one space between. */
static bool clat_cache_line(struct clat_cache_entry *e, unsigned *seen, bool *old_version,
			    const char *text, size_t len)
{
	char buf[CLAT_CACHE_LINE_MAX];
	char *space;

	if (len >= sizeof(buf) || memchr(text, '\0', len) != NULL)
		return false;
	memcpy(buf, text, len);
	buf[len] = '\0';
	space = strchr(buf, ' ');
	if (space == NULL)
		return false;
	*space = '\0';
	for (unsigned key = 0; key < CLAT_CACHE_KEY_COUNT; key++) {
		if (strcmp(buf, clat_cache_keys[key]) != 0)
			continue;
		if (key != CLAT_CACHE_KEY_PREFIX && (*seen & 1u << key) != 0)
			return false; /* a second "expires" is not a choice to make */
		*seen |= 1u << key;
		return clat_cache_value(e, old_version, (enum clat_cache_key)key, space + 1);
	}
	return false; /* unknown key */
}

/* Every line ends in '\n': a file cut short (mid-number, say) is
 * refused rather than read as a different value. */
bool clat_cache_parse(const char *text, size_t len, struct clat_cache_entry *out)
{
	struct clat_cache_entry e;
	unsigned seen = 0;
	bool old_version = false;
	size_t pos = 0;

	memset(&e, 0, sizeof(e));
	if (text == NULL)
		return false;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end;

		if (nl == NULL)
			return false;
		end = (size_t)(nl - text);
		if (!clat_cache_line(&e, &seen, &old_version, text + pos, end - pos))
			return false;
		pos = end + 1;
	}
	/* Version 2 has a network line, version 1 none (unknown network). */
	bool has_network = (seen & 1u << CLAT_CACHE_KEY_NETWORK) != 0;
	if ((seen & CLAT_CACHE_REQUIRED) != CLAT_CACHE_REQUIRED || has_network == old_version ||
	    !clat_cache_entry_valid(&e))
		return false;
	*out = e;
	return true;
}
