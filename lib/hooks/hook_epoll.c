/* epoll_ctl(): remembers which epoll sets a not-yet-switched AF_INET socket
 * (or an early one, which may switch back) is in. dup3() during the family switch releases the old socket, and the
 * kernel then silently drops it from every set (epoll(7): a registration is
 * for a file and number pair), so the switch registers the new socket again
 * (libuv, for one, registers a UDP socket before its first send). */
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "export.h"
#include "state/fdtable.h"
#include "sys/realcalls.h"
#include "translate/translate.h"

CLAT_EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	int rc = CLAT_REAL(epoll_ctl)(epfd, op, fd, event);
	if (rc != 0)
		return rc;
	struct clat_fd *rec = clat_fd_find(fd);
	if (rec != NULL && clat_fd_state(rec) == CLAT_FD_TRANSLATED && op != EPOLL_CTL_DEL)
		rec->twin_unsafe = true; /* a twin under this number would drop out */
	bool early = rec != NULL && clat_fd_state(rec) == CLAT_FD_TRANSLATED && rec->early;
	if (rec == NULL || (clat_fd_state(rec) != CLAT_FD_INET && !early))
		return rc;
	uint32_t events = event != NULL ? event->events : 0;
	uint64_t data = event != NULL ? event->data.u64 : 0;
	if (clat_fd_record_epoll(rec, epfd, op, events, data))
		return rc;
	/* Cannot restore them all: an AF_INET socket stays IPv4, an early
	 * one stays AF_INET6. */
	if (early)
		rec->early = false;
	else
		clat_fd_set_state(rec, CLAT_FD_PINNED);
	return rc;
}
