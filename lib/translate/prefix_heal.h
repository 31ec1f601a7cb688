/* Self-healing of translated calls after a network change: a call that
 * went to a discovered NAT64 prefix and failed with a path error leads to
 * one rediscovery; when the prefix changed, the call runs once more under
 * the new one, inside the same call. */
#ifndef CLAT_PREFIX_HEAL_H
#define CLAT_PREFIX_HEAL_H

#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>

#include <sys/types.h>

#include "core/destination.h"

/* Errors that blame the way to the destination, not the destination's
 * answer: no route (synchronous, or ICMPv6 destination unreachable turned
 * into errno by the kernel, RFC 4443 s3.1) and a connect that timed out. */
bool clat_path_error(int err);

/* The decision for v4 under the prefixes known now (core/destination.h):
 * true with d and *again set when it is synthesised somewhere else than
 * went. */
bool clat_heal_decide_again(const struct sockaddr_in *v4, const struct in6_addr *went,
			    struct clat_destination *d, struct sockaddr_in6 *again);

/* A call to d->candidate[0], synthesised for the program's v4, returned
 * result. A non-blocking connect (EINPROGRESS) is remembered in the fd's
 * record for the watch below and getsockopt(SO_ERROR). On a path error
 * with a discovered prefix, and another prefix found by
 * clat_prefix_heal(), d is decided again under it: true, and the caller
 * calls once more (twice when the first says ECONNABORTED: a TCP socket
 * whose connect failed is only reset by the next connect). Otherwise
 * false with errno as the call left it. */
bool clat_heal_after_call(int fd, const struct sockaddr_in *v4, struct clat_destination *d,
			  ssize_t result);

/* The first non-blocking TCP connect under a discovered prefix just taken
 * into use (cache, clatrun, a query) is watched: when the program's poll()
 * reports it failed on the way and a rediscovery finds another prefix, it
 * starts again under that one and poll() waits for it (the program never
 * sees the failure). True while one is watched. */
bool clat_heal_watching(void);
/* poll() returned ready > 0 for fds: the watched connect's entry is
 * handled as above; returns the count of entries still ready. */
int clat_heal_after_poll(struct pollfd *fds, nfds_t n, int ready);

/* Longest getsockopt(SO_ERROR) waits for the connect it starts again
 * under a new prefix (below): a program polling a non-blocking connect
 * learns its outcome only there, so the retry must end there too. */
#define CLAT_HEAL_WAIT_MS 3000

/* getsockopt(SO_ERROR) read *err on fd, a TRANSLATED socket. An error the
 * poll() watch took from the socket is given back here. When *err is
 * a path error ending a non-blocking connect that went under a discovered
 * prefix and never heard from its peer (TCP_INFO: no segment in), and
 * clat_prefix_heal() finds another prefix, the connect starts again under
 * it and is waited for (CLAT_HEAL_WAIT_MS at most): *err becomes its
 * outcome (0: connected; ETIMEDOUT when still pending). */
void clat_heal_so_error(int fd, int *err);

#endif
