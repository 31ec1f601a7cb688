/* connect() over several NAT64 prefixes: RFC 8305 staggered attempts. */
#ifndef CLAT_STAGGERED_CONNECT_H
#define CLAT_STAGGERED_CONNECT_H

#include "core/destination.h"

/* connect() of a switched socket to a destination synthesised under
 * several prefixes (dest->candidate, in order). A blocking TCP socket
 * tries each, CLAT_ATTEMPT_DELAY_MS apart, and keeps the first attempt
 * that connects (RFC 8305 s5, s7.1). Everything else is the real connect
 * to the first candidate. Same result and errno contract as connect(). */
int clat_connect_staggered(int fd, const struct clat_destination *dest);

#endif
