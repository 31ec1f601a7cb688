/* bind(): a wildcard bind (0.0.0.0) is remembered and replayed as [::] on a
 * switch; a bind to a specific IPv4 address keeps the socket on IPv4
 * (RFC 6535 s4.2: the program chose its source address). With inbound on,
 * a wildcard bind switches the socket at once, to [::] with IPV6_V6ONLY
 * off: IPv6 clients can reach it and IPv4 ones (loopback) still can.
 * Sockets that are AF_INET6 already: see bind_early() and bind_mapped(). */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "export.h"
#include "core/sockaddr.h"
#include "translate/family_switch.h"
#include "state/log.h"
#include "sys/realcalls.h"
#include "state/settings.h"
#include "translate/translate.h"
#include "sys/lazy_libc.h" /* last: see there */

static bool inbound_wanted(int fd, const struct sockaddr *addr, socklen_t len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
	if (!clat_sockaddr_is_ipv4(addr, len) || sin->sin_addr.s_addr != htonl(INADDR_ANY))
		return false;
	const struct clat_fd *rec = clat_fd_find(fd);
	if (rec == NULL || clat_fd_state(rec) != CLAT_FD_INET)
		return false;
	const struct clat_settings *s = clat_settings();
	return s->enabled && s->config.inbound;
}

/* A socket that is AF_INET6 already and cannot go back (switched, or an
 * early one whose number was duplicated): an IPv4 address is bound as
 * ::ffff:a.b.c.d (a local one works on the dual-stack socket; 0.0.0.0 is
 * [::]), so the program's own address is still its source. */
static bool bind_mapped(struct clat_fd *rec, int fd, const struct sockaddr *addr,
			socklen_t len, int *rc)
{
	if (!clat_sockaddr_is_ipv4(addr, len))
		return false;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
	struct sockaddr_in6 mapped = { .sin6_family = AF_INET6, .sin6_port = sin->sin_port };
	if (sin->sin_addr.s_addr != htonl(INADDR_ANY))
		clat_sockaddr_v4mapped(sin, &mapped);
	*rc = CLAT_REAL(bind)(fd, (const struct sockaddr *)&mapped, sizeof(mapped));
	if (*rc == 0 && sin->sin_addr.s_addr == htonl(INADDR_ANY)) {
		rec->bound = true;
		rec->bound_port = sin->sin_port;
	}
	return true;
}

/* An early socket (AF_INET6 since socket(), hook_socket.c): a wildcard
 * bind to port 0 (a client choosing nothing), or any wildcard bind with
 * inbound on, becomes [::]:port on it. Any other bind (a specific address,
 * or a server's port that IPv6 clients must not reach) first gives the
 * program its AF_INET socket back. True when done, *rc the result. */
static bool bind_early(int fd, const struct sockaddr *addr, socklen_t len, int *rc)
{
	struct clat_fd *rec = clat_fd_find(fd);
	if (rec == NULL || clat_fd_state(rec) != CLAT_FD_TRANSLATED)
		return false;
	if (!rec->early)
		return bind_mapped(rec, fd, addr, len, rc);
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
	if (clat_sockaddr_is_ipv4(addr, len) && sin->sin_addr.s_addr == htonl(INADDR_ANY) &&
	    (sin->sin_port == 0 || clat_settings()->config.inbound)) {
		struct sockaddr_in6 any6 = { .sin6_family = AF_INET6, .sin6_port = sin->sin_port };
		*rc = CLAT_REAL(bind)(fd, (const struct sockaddr *)&any6, sizeof(any6));
		if (*rc == 0) {
			rec->bound = true;
			rec->bound_port = sin->sin_port;
		}
		return true;
	}
	int saved_errno = errno;
	if (clat_switch_back_to_ipv4(fd) != NULL) {
		errno = saved_errno;
		return false; /* an AF_INET socket again: bind() goes on as for one */
	}
	errno = saved_errno;
	rec->early = false;
	return bind_mapped(rec, fd, addr, len, rc);
}

CLAT_EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	int early_rc;
	if (bind_early(fd, addr, len, &early_rc))
		return early_rc;
	if (inbound_wanted(fd, addr, len)) {
		int saved_errno = errno;
		in_port_t port = ((const struct sockaddr_in *)addr)->sin_port;
		if (clat_switch_for_inbound(fd, port) != NULL)
			return 0;
		/* Fail open: no IPv6 (or [::]:port taken while 0.0.0.0:port
		 * is free): the program gets its IPv4 bind. */
		clat_log("inbound: fd %d stays IPv4-only: %s", fd, strerror(errno));
		errno = saved_errno;
	}
	int rc = CLAT_REAL(bind)(fd, addr, len);
	if (rc != 0 || !clat_sockaddr_is_ipv4(addr, len))
		return rc;
	struct clat_fd *rec = clat_fd_find(fd);
	if (rec == NULL || clat_fd_state(rec) != CLAT_FD_INET)
		return rc;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
	if (sin->sin_addr.s_addr == htonl(INADDR_ANY)) {
		rec->bound = true;
		rec->bound_port = sin->sin_port;
	} else {
		clat_fd_set_state(rec, CLAT_FD_PINNED);
	}
	return rc;
}
