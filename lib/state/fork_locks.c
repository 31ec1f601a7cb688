#include "state/fork_locks.h"
#include "sys/lazy_libc.h" /* last: see there */

/* Only the thread that called fork() exists in the child (POSIX fork()), so
 * a lock another thread held then would stay held for ever. A free lock is
 * taken and released instead of being overwritten: that keeps it intact
 * and, as a lock/unlock pair, shows a race detector that the last unlock in
 * the parent happened before this child. Only a lock that is really held
 * (trylock: EBUSY) is initialised again. (Held by the forking thread
 * itself, which only a fork from a signal handler in the middle of a load
 * could do, the interrupted code later unlocks a fresh mutex: harmless with
 * glibc, as it was before.) */
void clat_lock_reset_in_child(pthread_mutex_t *lock)
{
	if (pthread_mutex_trylock(lock) == 0)
		pthread_mutex_unlock(lock);
	else
		pthread_mutex_init(lock, NULL);
}
