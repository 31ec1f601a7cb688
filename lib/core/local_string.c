/* The string functions the library and its core use, as hidden local
 * definitions: calls to them (and the copies and clears the compiler
 * emits for structures) bind inside libclat.so at link time, so the
 * dynamic loader has nine fewer imports to look up in every process that
 * starts with the library preloaded (lazy_libc.h says why that matters).
 * They handle a few dozen bytes at a time (addresses, names, options).
 * Built without loop-to-library-call transformations, which would turn
 * these loops back into calls to themselves. */
#include <stddef.h>
#include <string.h>

#define LOCAL __attribute__((visibility("hidden"), optimize("no-tree-loop-distribute-patterns")))

LOCAL void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	while (n-- > 0)
		*d++ = *s++;
	return dst;
}

LOCAL void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	while (n-- > 0)
		*d++ = (unsigned char)c;
	return dst;
}

LOCAL int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n > 0; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

LOCAL void *memchr(const void *p, int c, size_t n)
{
	const unsigned char *s = p;
	for (; n > 0; n--, s++)
		if (*s == (unsigned char)c)
			return (void *)s;
	return NULL;
}

LOCAL size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n] != '\0')
		n++;
	return n;
}

LOCAL size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n] != '\0')
		n++;
	return n;
}

LOCAL char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (*s == '\0')
			return NULL;
	}
}

LOCAL int strcmp(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

LOCAL char *strcpy(char *restrict dst, const char *restrict src)
{
	char *d = dst;
	while ((*d++ = *src++) != '\0')
		;
	return dst;
}
