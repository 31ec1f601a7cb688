/* Shared helpers for the libFuzzer targets in fuzz/: a byte reader over the
 * fuzzer's input, an invariant check that aborts (so a logic error is a
 * crash the fuzzer keeps), and small independent reference functions. */
#ifndef CLAT_FUZZ_UTIL_H
#define CLAT_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rfc6052.h"

/* An invariant: on violation print where and why, then abort(). */
#define FUZZ_CHECK(cond, ...)                                                         \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "fuzz invariant failed at %s:%d: %s: ", __FILE__, \
				__LINE__, #cond);                                      \
			fprintf(stderr, __VA_ARGS__);                                  \
			fputc('\n', stderr);                                           \
			abort();                                                       \
		}                                                                      \
	} while (0)

/* Consumes the fuzzer's bytes front to back; past the end it yields zeros. */
struct fuzz_in {
	const uint8_t *data;
	size_t size;
	size_t pos;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	return in->pos < in->size ? in->data[in->pos++] : 0;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);
	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t hi = fuzz_u16(in);
	return hi << 16 | fuzz_u16(in);
}

static inline void fuzz_bytes(struct fuzz_in *in, void *out, size_t n)
{
	uint8_t *o = out;
	for (size_t i = 0; i < n; i++)
		o[i] = fuzz_u8(in);
}

static inline size_t fuzz_left(const struct fuzz_in *in)
{
	return in->size - in->pos;
}

/* The rest of the input in a heap block of exactly its size, so that
 * AddressSanitizer sees any read past the length handed to the code.
 * Never NULL (malloc(0) may be): a one-byte block then, length 0. */
static inline uint8_t *fuzz_rest_copy(struct fuzz_in *in, size_t *len)
{
	size_t n = fuzz_left(in);
	uint8_t *p = malloc(n ? n : 1);

	if (p == NULL)
		abort();
	if (n)
		memcpy(p, in->data + in->pos, n);
	in->pos = in->size;
	*len = n;
	return p;
}

static inline void *fuzz_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		abort();
	return p;
}

/* Valid RFC 6052 prefixes, one per length and the WKP, for targets that
 * need a prefix to work with rather than to parse. */
static inline struct clat_prefix fuzz_table_prefix(unsigned index)
{
	static const struct clat_prefix table[] = {
		{ { 0x00, 0x64, 0xff, 0x9b }, 96 },                         /* WKP */
		{ { 0x20, 0x01, 0x0d, 0xb8 }, 32 },
		{ { 0x20, 0x01, 0x0d, 0xb8, 0x01 }, 40 },
		{ { 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22 }, 48 },
		{ { 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22, 0x03 }, 56 },
		{ { 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22, 0x03, 0x44 }, 64 },
		{ { 0x20, 0x01, 0x0d, 0xb8, 0x01, 0x22, 0x03, 0x44 }, 96 },
		{ { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 }, 48 },             /* RFC 8215 */
	};
	return table[index % (sizeof(table) / sizeof(table[0]))];
}

/* A prefix from 17 input bytes when they make a valid one, else one from
 * the table (chosen by the last byte). */
static inline struct clat_prefix fuzz_prefix(struct fuzz_in *in)
{
	struct clat_prefix p;

	fuzz_bytes(in, p.addr, sizeof(p.addr));
	p.len = fuzz_u8(in);
	if (clat_prefix_check(&p) == CLAT_PREFIX_OK)
		return p;
	return fuzz_table_prefix(p.len);
}

/* A prefix of one of the RFC 6052 lengths from 17 input bytes, the bits
 * past the length cleared; the caller keeps it when clat_prefix_check
 * accepts it (the u octet may still be set). */
static inline void fuzz_prefix_of_length(struct fuzz_in *in, struct clat_prefix *p)
{
	static const uint8_t lengths[] = { 32, 40, 48, 56, 64, 96 };

	memset(p, 0, sizeof(*p));
	fuzz_bytes(in, p->addr, 16);
	p->len = lengths[fuzz_u8(in) % sizeof(lengths)];
	for (unsigned bit = p->len; bit < 128; bit++)
		p->addr[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
}

/* RFC 1071 written out independently: the sum of big-endian 16-bit words
 * with end-around carry, complemented. */
static inline uint16_t fuzz_ref_checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < len; i++) {
		sum += (i % 2 == 0) ? (uint32_t)p[i] << 8 : p[i];
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return (uint16_t)~sum;
}

static inline uint16_t fuzz_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t fuzz_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#endif
