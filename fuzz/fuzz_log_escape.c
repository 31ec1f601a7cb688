/* libFuzzer target: log-line escaping (lib/core/log_escape.c).
 *
 * Input: the output buffer size (1 byte, 0..255), then the bytes to escape.
 * Invariants: nothing is written past outlen (the buffer is an exact-size
 * heap block); the result is NUL-terminated, as long as returned, and holds
 * printable ASCII only (no newline, no escape character: nothing a caller
 * chose can start a log line or drive a terminal); read back by an
 * independent unescaper it is exactly a prefix of the input, and the whole
 * input when outlen is at least 4 bytes per input byte plus one. */
#include "fuzz_util.h"
#include "log_escape.h"

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Reads out back into raw bytes; returns how many, or aborts on a form
 * the escaper must never produce. */
static size_t unescape(const char *out, size_t n, unsigned char *raw)
{
	size_t got = 0;
	for (size_t i = 0; i < n; got++) {
		if (out[i] != '\\') {
			raw[got] = (unsigned char)out[i++];
			continue;
		}
		FUZZ_CHECK(i + 1 < n, "lone backslash at the end");
		if (out[i + 1] == '\\') {
			raw[got] = '\\';
			i += 2;
			continue;
		}
		FUZZ_CHECK(out[i + 1] == 'x' && i + 3 < n, "bad escape at %zu", i);
		int hi = hex_value(out[i + 2]), lo = hex_value(out[i + 3]);
		FUZZ_CHECK(hi >= 0 && lo >= 0, "bad hex digits at %zu", i);
		raw[got] = (unsigned char)(hi << 4 | lo);
		FUZZ_CHECK(raw[got] < 0x20 || raw[got] > 0x7e, "printable byte 0x%02x escaped",
			   raw[got]);
		i += 4;
	}
	return got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	size_t outlen = fuzz_u8(&in), len;
	uint8_t *text = fuzz_rest_copy(&in, &len);
	char *out = fuzz_xmalloc(outlen);
	unsigned char *raw = fuzz_xmalloc(len);

	size_t n = clat_log_escape((const char *)text, len, out, outlen);
	if (outlen == 0) {
		FUZZ_CHECK(n == 0, "wrote %zu bytes into no room", n);
	} else {
		FUZZ_CHECK(n < outlen && out[n] == '\0' && strlen(out) == n, "length %zu", n);
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(out[i] >= 0x20 && out[i] <= 0x7e, "byte 0x%02x at %zu",
				   (unsigned char)out[i], i);
		size_t got = unescape(out, n, raw);
		FUZZ_CHECK(got <= len && memcmp(raw, text, got) == 0, "not a prefix of the input");
		if (outlen > 4 * len)
			FUZZ_CHECK(got == len, "cut at %zu of %zu with room for all", got, len);
	}
	free(raw);
	free(out);
	free(text);
	return 0;
}
