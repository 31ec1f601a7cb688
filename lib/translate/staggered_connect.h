/* connect() over several NAT64 prefixes: RFC 8305 staggered attempts. */
#ifndef CLAT_STAGGERED_CONNECT_H
#define CLAT_STAGGERED_CONNECT_H

#include <netinet/in.h>

/* connect(fd, first) for a switched socket whose program asked for asked.
 * A blocking TCP socket, when more than one NAT64 prefix is known, tries
 * asked under each prefix in order, CLAT_ATTEMPT_DELAY_MS apart, and keeps
 * the first attempt that connects (RFC 8305 s5, s7.1). Everything else is
 * the real connect(fd, first). Same result and errno contract as connect(). */
int clat_connect_staggered(int fd, const struct sockaddr_in *asked,
			   const struct sockaddr_in6 *first);

#endif
