/* socket(): start watching AF_INET TCP/UDP sockets so that options set
 * before the first connect/sendto can be replayed after a family switch.
 * When every connect would be translated (mode always, or auto with no
 * IPv4 route), a TCP socket is made AF_INET6 here already (the early
 * switch): a translated connect then costs what a native one does. */
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/socket.h>

#include "export.h"
#include "state/fdtable.h"
#include "state/ipv4_route.h"
#include "state/log.h"
#include "sys/realcalls.h"
#include "state/settings.h"

#define CLAT_SPARE_FD_MIN 100
#include "translate/translate.h"

/* Programs that open a raw ICMP socket and then drop CAP_NET_RAW (ping)
 * could not get an ICMPv6 one at switch time: make it now, out of the way
 * of low descriptor numbers. -1 when not possible or not wanted. */
static int spare_icmpv6_socket(void)
{
	if (!clat_settings()->enabled)
		return -1;
	int saved_errno = errno;
	int fd = CLAT_REAL(socket)(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd >= 0) {
		int high = CLAT_REAL(fcntl)(fd, F_DUPFD_CLOEXEC, CLAT_SPARE_FD_MIN);
		if (high >= 0) {
			CLAT_REAL(close)(fd);
			fd = high;
		}
	}
	errno = saved_errno;
	return fd;
}

/* TCP only: a UDP socket doubles as the handle of IPv4 interface ioctls
 * (SIOCGIFADDR and the like, which an AF_INET6 socket refuses), and its
 * switch at the first send is paid once per socket, not per connection. */
static bool early_switch_wanted(int domain, int base_type, int protocol)
{
	if (domain != AF_INET || base_type != SOCK_STREAM ||
	    (protocol != 0 && protocol != IPPROTO_TCP))
		return false;
	const struct clat_settings *s = clat_settings();
	if (!s->enabled || s->late_switch)
		return false;
	return s->config.mode == CLAT_MODE_ALWAYS ||
	       (s->config.mode == CLAT_MODE_AUTO && clat_ipv4_unrouted());
}

/* A dual-stack TCP socket (IPV6_V6ONLY off, the kernel's default unless
 * net.ipv6.bindv6only says otherwise: destinations kept on IPv4, loopback,
 * go out as ::ffff:a.b.c.d) recorded as translated since birth;
 * -1 (errno untouched) when IPv6 is not to be had: the caller then makes
 * the AF_INET socket asked for. */
static int early_socket(int type)
{
	static const int off = 0;
	int saved_errno = errno;
	int fd = CLAT_REAL(socket)(AF_INET6, type, IPPROTO_TCP);
	if (fd >= 0 && !clat_ipv6_sockets_dual_stack() &&
	    CLAT_REAL(setsockopt)(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) != 0) {
		CLAT_REAL(close)(fd);
		fd = -1;
	}
	struct clat_fd *rec = NULL;
	if (fd >= 0) {
		clat_fd_forget(fd);
		rec = clat_fd_obtain(fd);
		if (rec == NULL) {
			CLAT_REAL(close)(fd);
			fd = -1;
		}
	}
	errno = saved_errno;
	if (rec == NULL)
		return -1;
	rec->sock_type = SOCK_STREAM;
	rec->sock_protocol = IPPROTO_TCP;
	rec->kind = CLAT_KIND_STREAM;
	rec->early = true;
	clat_fd_set_state(rec, CLAT_FD_TRANSLATED); /* last: publishes the rest */
	clat_log("switch: fd %d is AF_INET6 from socket() on (tcp, early switch)", fd);
	return fd;
}

CLAT_EXPORT int socket(int domain, int type, int protocol)
{
	int base_type = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (early_switch_wanted(domain, base_type, protocol)) {
		int early = early_socket(type);
		if (early >= 0)
			return early;
	}
	int fd = CLAT_REAL(socket)(domain, type, protocol);
	if (fd < 0)
		return fd;
	/* Drop a stale record (a number closed behind our back, by syscall()). */
	clat_fd_forget(fd);
	/* TCP, UDP, ping sockets; raw sockets only for ICMP (ping as root). */
	if (domain == AF_INET && (base_type == SOCK_STREAM || base_type == SOCK_DGRAM ||
				  (base_type == SOCK_RAW && protocol == IPPROTO_ICMP))) {
		struct clat_fd *rec = clat_fd_obtain(fd);
		if (rec != NULL) {
			rec->sock_type = base_type;
			/* Protocol 0 is the type's default (socket(2)). */
			rec->sock_protocol = protocol != 0 ? protocol :
					     base_type == SOCK_STREAM ? IPPROTO_TCP :
					     base_type == SOCK_DGRAM ? IPPROTO_UDP : 0;
			if (base_type == SOCK_RAW)
				rec->spare_fd_plus1 = spare_icmpv6_socket() + 1;
			clat_fd_set_state(rec, CLAT_FD_INET); /* last: publishes the rest */
		}
	}
	return fd;
}
