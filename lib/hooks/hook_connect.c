/* connect(): the main entry to translation. errno contract: exactly that of
 * the real connect on the socket the program ends up using; EINPROGRESS for
 * non-blocking sockets comes from the kernel's AF_INET6 connect unchanged. */
#include <sys/socket.h>

#include "export.h"
#include "sys/realcalls.h"
#include "translate/staggered_connect.h"
#include "translate/translate.h"

/* A destination synthesised under several prefixes goes through the
 * staggered attempts (RFC 8305), which are a plain connect with one. */
static ssize_t real_connect(int fd, const struct sockaddr *addr, socklen_t len,
			    const struct clat_destination *dest, void *ctx)
{
	(void)ctx;
	if (dest != NULL && dest->kind == CLAT_DEST_SYNTHESIZED && dest->count > 1)
		return clat_connect_staggered(fd, dest);
	return CLAT_REAL(connect)(fd, addr, len);
}

CLAT_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	return (int)clat_call_dest(fd, addr, len, real_connect, NULL);
}
