/* socket(): start watching AF_INET TCP/UDP sockets so that options set
 * before the first connect/sendto can be replayed after a family switch.
 * Nothing else happens here; the switch is late (design.md). */
#include <stddef.h>
#include <sys/socket.h>

#include "fdtable.h"
#include "realcalls.h"
#include "translate.h"

CLAT_EXPORT int socket(int domain, int type, int protocol)
{
	int fd = clat_real()->socket(domain, type, protocol);
	if (fd < 0)
		return fd;
	/* Drop a stale record (a number closed behind our back, by syscall()). */
	clat_fd_forget(fd);
	int base_type = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (domain == AF_INET && (base_type == SOCK_STREAM || base_type == SOCK_DGRAM)) {
		struct clat_fd *rec = clat_fd_obtain(fd);
		if (rec != NULL)
			rec->state = CLAT_FD_INET;
	}
	return fd;
}
