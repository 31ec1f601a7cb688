/* poll(): only while a connect under a newly used discovered prefix is
 * watched (translate/prefix_heal.h), so that its failure after a network
 * change is repaired before the program sees it; otherwise the real call
 * with one flag read. errno contract: that of the real poll. */
#include <poll.h>

#include "export.h"
#include "sys/realcalls.h"
#include "translate/prefix_heal.h"

CLAT_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	int ready = CLAT_REAL(poll)(fds, n, timeout);
	if (ready <= 0 || !clat_heal_watching())
		return ready;
	ready = clat_heal_after_poll(fds, n, ready);
	/* Only the failed connect was ready and it runs again: wait for the
	 * new attempt (once; a program's poll may return early anyway). */
	if (ready == 0 && timeout != 0)
		ready = CLAT_REAL(poll)(fds, n, timeout);
	return ready;
}
