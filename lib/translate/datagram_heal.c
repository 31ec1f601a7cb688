#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "core/datagram_watch.h"
#include "state/active_prefix.h"
#include "state/log.h"
#include "state/settings.h"
#include "translate/datagram_heal.h"
#include "translate/prefix_heal.h"
#include "sys/lazy_libc.h" /* last: see there */

static struct clat_datagram_watch watch;
/* watch.open, readable without the lock: nothing to do while 0. */
static atomic_uint open_windows;
/* trylock only: a lock held by a thread that does not exist in a fork
 * child leaves the watch off there, never a hang (it is a hint). */
static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;

static void publish_open(void)
{
	atomic_store_explicit(&open_windows, watch.open, memory_order_relaxed);
}

bool clat_heal_datagram_out(const struct sockaddr_in *v4, struct clat_destination *d)
{
	/* An explicit prefix never heals (prefix_heal.h): nothing to count. */
	if (d->kind != CLAT_DEST_SYNTHESIZED || clat_settings()->config.has_prefix)
		return false;
	int64_t now = (int64_t)time(NULL);
	if (pthread_mutex_trylock(&watch_lock) != 0)
		return false;
	bool suspect = clat_watch_sent(&watch, v4->sin_addr.s_addr, now);
	publish_open();
	pthread_mutex_unlock(&watch_lock);
	struct in6_addr went = d->candidate[0].sin6_addr;
	struct sockaddr_in6 again;
	if (!suspect || !clat_prefix_heal(&went) || !clat_heal_decide_again(v4, &went, d, &again))
		return false;
	if (pthread_mutex_trylock(&watch_lock) == 0) {
		clat_watch_restart(&watch, v4->sin_addr.s_addr, now);
		pthread_mutex_unlock(&watch_lock);
	}
	clat_log("datagrams unanswered for %d s or more: now under the new prefix",
		 CLAT_UNANSWERED_SECONDS);
	return true;
}

void clat_heal_datagram_in(const struct sockaddr_in *v4)
{
	if (atomic_load_explicit(&open_windows, memory_order_relaxed) == 0 ||
	    v4->sin_family != AF_INET || pthread_mutex_trylock(&watch_lock) != 0)
		return;
	clat_watch_answered(&watch, v4->sin_addr.s_addr);
	publish_open();
	pthread_mutex_unlock(&watch_lock);
}

bool clat_heal_datagram_waiting(void)
{
	return atomic_load_explicit(&open_windows, memory_order_relaxed) != 0;
}
