/* The glue every hook shares: when to translate a destination, and how the
 * program's IPv4 view of a translated socket is rebuilt. */
#ifndef CLAT_TRANSLATE_H
#define CLAT_TRANSLATE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "core/destination.h"
#include "state/fdtable.h"


/* One real call aimed at a destination (connect, sendto, sendmsg ...).
 * dest: the core's decision when addr is its first candidate, NULL when
 * addr is the program's own destination. */
typedef ssize_t (*clat_dest_call)(int fd, const struct sockaddr *addr, socklen_t len,
				  const struct clat_destination *dest, void *ctx);

/* Runs call for addr on fd. An AF_INET destination (or ::ffff:a.b.c.d on
 * an AF_INET6 socket: Java, dual-stack programs) may be translated: the
 * socket is switched to IPv6 (or recorded MAPPED6) and aimed at the NAT64
 * address when the mode and policy say so. In auto mode the real IPv4
 * call runs first and only "no route" errors (ENETUNREACH, EHOSTUNREACH)
 * lead to translation; whatever fails on the way leaves the program with
 * the result and errno of the real call. Anything else (NULL, IPv6,
 * AF_UNIX) goes to call as it is. */
ssize_t clat_call_dest(int fd, const struct sockaddr *addr, socklen_t len, clat_dest_call call,
		       void *ctx);

/* The kernel's IPv6 address -> the name the program must see: AF_INET for a
 * TRANSLATED socket, ::ffff:a.b.c.d for a MAPPED6 one (state: the socket's,
 * clat_fd_state()). Returns the length of the result written to out (a
 * sockaddr_storage-sized buffer). */
socklen_t clat_peer_view(enum clat_fd_state state, const struct sockaddr_in6 *kernel,
			 struct sockaddr_storage *out);
/* The local name the program must see: the configured local IPv4 (RFC 7335,
 * default 192.0.0.4) with the real port, or 0.0.0.0 when unbound. */
socklen_t clat_local_view(enum clat_fd_state state, const struct sockaddr_in6 *kernel,
			  struct sockaddr_storage *out);
/* The IPv6 destination for an AF_INET one on a socket already TRANSLATED:
 * the NAT64 address, or ::ffff:a.b.c.d for destinations kept on IPv4. */
void clat_translated_dest(const struct sockaddr_in *dst, struct sockaddr_in6 *out);

/* The IPv4 address embedded in kernel under any known prefix (RFC 6052
 * s2.3), or its ::ffff: IPv4. */
bool clat_embedded_ipv4(const struct sockaddr_in6 *kernel, struct sockaddr_in *v4);

/* The record of fd if it is TRANSLATED or MAPPED6 (the only states whose
 * names need rewriting), else NULL. */
struct clat_fd *clat_fd_rewritten(int fd);

#endif
