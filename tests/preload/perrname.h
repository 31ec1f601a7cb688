/* Symbolic errno names for the preload test programs and libraries, so
 * that their output can be compared as text (run-preload.sh). */
#ifndef CLAT_TESTS_PRELOAD_PERRNAME_H
#define CLAT_TESTS_PRELOAD_PERRNAME_H

#include <errno.h>
#include <stdio.h>

static inline const char *p_errname(int err)
{
	static char buf[32];

	switch (err) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case EMFILE: return "EMFILE";
	case ENFILE: return "ENFILE";
	case ENOSYS: return "ENOSYS";
	case EAGAIN: return "EAGAIN";
	case EINPROGRESS: return "EINPROGRESS";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ENETUNREACH: return "ENETUNREACH";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ENOTSOCK: return "ENOTSOCK";
	default:
		snprintf(buf, sizeof(buf), "errno-%d", err);
		return buf;
	}
}

#endif
