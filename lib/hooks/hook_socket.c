/* socket(): start watching AF_INET TCP/UDP sockets so that options set
 * before the first connect/sendto can be replayed after a family switch.
 * Nothing else happens here; the switch is late
 * (ARCHITECTURE.md, "Life of a translated connect"). */
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/socket.h>

#include "export.h"
#include "state/fdtable.h"
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

CLAT_EXPORT int socket(int domain, int type, int protocol)
{
	int fd = CLAT_REAL(socket)(domain, type, protocol);
	if (fd < 0)
		return fd;
	/* Drop a stale record (a number closed behind our back, by syscall()). */
	clat_fd_forget(fd);
	int base_type = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
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
