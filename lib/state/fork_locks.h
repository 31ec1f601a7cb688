/* Locks across fork(): the library's own mutexes in a forked child. */
#ifndef CLAT_FORK_LOCKS_H
#define CLAT_FORK_LOCKS_H

#include <pthread.h>

/* For pthread_atfork() child handlers: leaves lock free and usable in the
 * child, whether or not another thread of the parent held it at fork(). */
void clat_lock_reset_in_child(pthread_mutex_t *lock);

#endif
