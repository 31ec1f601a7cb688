/* Building a struct hostent in a caller's buffer, as gethostbyname_r(3)
 * does, for the IPv4 answers the address mapper makes up (RFC 6535 s2.3).
 * Pure: no allocation, no globals. */
#ifndef CLAT_HOSTENT_H
#define CLAT_HOSTENT_H

#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>

/* Fills *out with name, no aliases, AF_INET and the count addresses, every
 * pointer aiming into buf. Returns 0, or ERANGE when buflen is too small
 * (the caller retries with a bigger buffer, as with glibc), or EINVAL. */
int clat_hostent_build(struct hostent *out, char *buf, size_t buflen, const char *name,
		       const struct in_addr *addrs, size_t count);

#endif
