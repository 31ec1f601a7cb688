/* bind(): a wildcard bind (0.0.0.0) is remembered and replayed as [::] on a
 * switch; a bind to a specific IPv4 address keeps the socket on IPv4
 * (RFC 6535 s4.2: the program chose its source address). */
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/sockaddr.h"
#include "realcalls.h"
#include "translate.h"

CLAT_EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	int rc = CLAT_REAL(bind)(fd, addr, len);
	if (rc != 0 || !clat_sockaddr_is_ipv4(addr, len))
		return rc;
	struct clat_fd *rec = clat_fd_find(fd);
	if (rec == NULL || rec->state != CLAT_FD_INET)
		return rc;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
	if (sin->sin_addr.s_addr == htonl(INADDR_ANY)) {
		rec->bound = true;
		rec->bound_port = sin->sin_port;
	} else {
		rec->state = CLAT_FD_PINNED;
	}
	return rc;
}
