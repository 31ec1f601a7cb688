#include "log_escape.h"

size_t clat_log_escape(const char *in, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t used = 0;

	if (outlen == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		char seq[4];
		size_t n;
		if (c == '\\') {
			seq[0] = '\\';
			seq[1] = '\\';
			n = 2;
		} else if (c < 0x20 || c > 0x7e) {
			seq[0] = '\\';
			seq[1] = 'x';
			seq[2] = hex[c >> 4];
			seq[3] = hex[c & 0xf];
			n = 4;
		} else {
			seq[0] = (char)c;
			n = 1;
		}
		if (used + n > outlen - 1)
			break;
		for (size_t k = 0; k < n; k++)
			out[used++] = seq[k];
	}
	out[used] = '\0';
	return used;
}
