/* A small, strict JSON reader that keeps only what PREF64 entries say. */
#include "networkd_json.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>

struct reader {
	const char *p, *end;
	int depth;
};

struct pref64_entry {
	bool have_bytes, have_text, have_len, have_lifetime, bad;
	uint8_t bytes[16];
	unsigned byte_count;
	struct in6_addr text;
	uint64_t len, lifetime;
};

static void skip_space(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static bool take(struct reader *r, char c)
{
	skip_space(r);
	if (r->p < r->end && *r->p == c) {
		r->p++;
		return true;
	}
	return false;
}

/* A string; its unescaped text (escapes other than \" \\ \/ kept as '?')
 * goes into out when out is not NULL and it fits. */
static bool read_string(struct reader *r, char *out, size_t outlen)
{
	size_t n = 0;
	if (!take(r, '"'))
		return false;
	while (r->p < r->end && *r->p != '"') {
		char c = *r->p++;
		if ((unsigned char)c < 0x20)
			return false;
		if (c == '\\') {
			if (r->p >= r->end)
				return false;
			char e = *r->p++;
			if (e == 'u') {
				for (int i = 0; i < 4; i++, r->p++)
					if (r->p >= r->end || !((*r->p >= '0' && *r->p <= '9') ||
								 (*r->p >= 'a' && *r->p <= 'f') ||
								 (*r->p >= 'A' && *r->p <= 'F')))
						return false;
				c = '?';
			} else if (strchr("\"\\/bfnrt", e) != NULL) {
				c = (e == '"' || e == '\\' || e == '/') ? e : '?';
			} else {
				return false;
			}
		}
		if (out != NULL && n + 1 < outlen)
			out[n++] = c;
	}
	if (out != NULL && outlen > 0)
		out[n] = '\0';
	return take(r, '"');
}

/* A number; *integer says whether it was a plain non-negative integer that
 * fits in 64 bits, whose value is then in *value. */
static bool read_number(struct reader *r, bool *integer, uint64_t *value)
{
	skip_space(r);
	const char *start = r->p;
	*integer = true;
	*value = 0;
	if (r->p < r->end && *r->p == '-') {
		*integer = false;
		r->p++;
	}
	if (r->p >= r->end || *r->p < '0' || *r->p > '9')
		return false;
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
		uint64_t digit = (uint64_t)(*r->p++ - '0');
		if (*value > (UINT64_MAX - digit) / 10)
			*integer = false;
		else
			*value = *value * 10 + digit;
	}
	if (r->p < r->end && (*r->p == '.' || *r->p == 'e' || *r->p == 'E')) {
		*integer = false;
		r->p++;
		while (r->p < r->end && ((*r->p >= '0' && *r->p <= '9') || *r->p == '+' ||
					 *r->p == '-' || *r->p == 'e' || *r->p == 'E'))
			r->p++;
	}
	return r->p > start;
}

static bool read_literal(struct reader *r, const char *word)
{
	size_t n = strlen(word);
	skip_space(r);
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return false;
	r->p += n;
	return true;
}

struct collector {
	uint64_t now;
	struct clat_prefix_set *out;
	int64_t seconds_left;
	bool error_reply;
};

static bool read_value(struct reader *r, struct collector *c, bool pref64_list);

/* "Prefix": [b0, ..., b15] */
static bool read_prefix_bytes(struct reader *r, struct pref64_entry *e)
{
	if (!take(r, '['))
		return false;
	if (take(r, ']'))
		return true;
	do {
		bool integer;
		uint64_t v;
		if (!read_number(r, &integer, &v))
			return false;
		if (!integer || v > 255 || e->byte_count >= 16)
			e->bad = true;
		else
			e->bytes[e->byte_count++] = (uint8_t)v;
	} while (take(r, ','));
	e->have_bytes = !e->bad && e->byte_count == 16;
	return take(r, ']');
}

static void keep_entry(struct collector *c, const struct pref64_entry *e)
{
	struct clat_prefix p;
	if (e->bad || !e->have_len || !(e->have_bytes || e->have_text) || e->len > 128)
		return;
	memcpy(p.addr, e->have_bytes ? e->bytes : e->text.s6_addr, 16);
	p.len = (uint8_t)e->len;
	/* Bits past the prefix length are not part of it (RFC 8781 s4: the
	 * option carries the top 96 bits whatever the length). */
	for (unsigned bit = p.len; bit < 128; bit++)
		p.addr[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
	if (clat_prefix_check(&p) != CLAT_PREFIX_OK)
		return;
	/* RFC 8781 s4.1 / docs/requirements.md C.13: an expired (or zero)
	 * lifetime means "do not use"; an absent one is the option's longest. */
	int64_t left = 65528;
	if (e->have_lifetime) {
		if (e->lifetime <= c->now)
			return;
		uint64_t usec = e->lifetime - c->now;
		left = usec / 1000000u > 65528 ? 65528 : (int64_t)(usec / 1000000u);
		if (left <= 0)
			return;
	}
	if (clat_prefix_set_add(c->out, &p) && (c->seconds_left < 0 || left < c->seconds_left))
		c->seconds_left = left;
}

/* One element of a "PREF64" array. */
static bool read_pref64_entry(struct reader *r, struct collector *c)
{
	struct pref64_entry e = { 0 };
	skip_space(r);
	if (r->p >= r->end || *r->p != '{')
		return read_value(r, c, false); /* not an object: ignored */
	r->p++;
	if (take(r, '}'))
		return true;
	do {
		char key[32];
		if (!read_string(r, key, sizeof(key)) || !take(r, ':'))
			return false;
		bool integer;
		uint64_t v;
		if (strcmp(key, "Prefix") == 0) {
			if (!read_prefix_bytes(r, &e))
				return false;
		} else if (strcmp(key, "PrefixString") == 0) {
			char text[64];
			if (!read_string(r, text, sizeof(text)))
				return false;
			e.have_text = inet_pton(AF_INET6, text, &e.text) == 1;
		} else if (strcmp(key, "PrefixLength") == 0 || strcmp(key, "LifetimeUSec") == 0) {
			if (!read_number(r, &integer, &v))
				return false;
			if (!integer)
				e.bad = true;
			else if (key[0] == 'P') {
				e.len = v;
				e.have_len = true;
			} else {
				e.lifetime = v;
				e.have_lifetime = true;
			}
		} else if (!read_value(r, c, false)) {
			return false;
		}
	} while (take(r, ','));
	if (!take(r, '}'))
		return false;
	keep_entry(c, &e);
	return true;
}

static bool read_object(struct reader *r, struct collector *c)
{
	if (take(r, '}'))
		return true;
	do {
		char key[32];
		if (!read_string(r, key, sizeof(key)) || !take(r, ':'))
			return false;
		if (r->depth == 1 && strcmp(key, "error") == 0)
			c->error_reply = true; /* varlink: {"error": "...", ...} */
		if (!read_value(r, c, strcmp(key, "PREF64") == 0))
			return false;
	} while (take(r, ','));
	return take(r, '}');
}

static bool read_array(struct reader *r, struct collector *c, bool pref64_list)
{
	if (take(r, ']'))
		return true;
	do {
		if (!(pref64_list ? read_pref64_entry(r, c) : read_value(r, c, false)))
			return false;
	} while (take(r, ','));
	return take(r, ']');
}

static bool read_value(struct reader *r, struct collector *c, bool pref64_list)
{
	skip_space(r);
	if (r->p >= r->end)
		return false;
	bool integer;
	uint64_t v;
	bool ok;
	switch (*r->p) {
	case '{':
	case '[':
		if (++r->depth > CLAT_NETWORKD_MAX_DEPTH)
			return false;
		ok = *r->p++ == '{' ? read_object(r, c) : read_array(r, c, pref64_list);
		r->depth--;
		return ok;
	case '"':
		return read_string(r, NULL, 0);
	case 't':
		return read_literal(r, "true");
	case 'f':
		return read_literal(r, "false");
	case 'n':
		return read_literal(r, "null");
	default:
		return read_number(r, &integer, &v);
	}
}

enum clat_networkd_result clat_networkd_pref64(const char *json, size_t len,
					       uint64_t now_boottime_usec,
					       struct clat_prefix_set *out,
					       int64_t *seconds_left)
{
	struct reader r = { .p = json, .end = json + len };
	struct collector c = { .now = now_boottime_usec, .out = out, .seconds_left = -1 };
	memset(out, 0, sizeof(*out));
	*seconds_left = 0;
	/* A varlink message ends with a NUL byte. */
	if (len > 0 && json[len - 1] == '\0')
		r.end--;
	skip_space(&r);
	if (r.p >= r.end || *r.p != '{' || !read_value(&r, &c, false) || c.error_reply) {
		memset(out, 0, sizeof(*out));
		return CLAT_NETWORKD_MALFORMED;
	}
	skip_space(&r);
	if (r.p != r.end) {
		memset(out, 0, sizeof(*out));
		return CLAT_NETWORKD_MALFORMED;
	}
	if (out->count == 0)
		return CLAT_NETWORKD_NONE;
	*seconds_left = c.seconds_left;
	return CLAT_NETWORKD_FOUND;
}
