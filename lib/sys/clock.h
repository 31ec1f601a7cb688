/* The monotonic clock in milliseconds: deadlines of bounded waits
 * (discovery queries, staggered connects, PREF64 listening). */
#ifndef CLAT_CLOCK_H
#define CLAT_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Bound on first call (its system headers are all included above). */
#include "sys/lazy_libc.h"

static inline int64_t clat_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
