/* Can this kernel run the supervisor? User notification (5.0) with
 * SECCOMP_IOCTL_NOTIF_ADDFD and its SETFD flag (5.9) is the minimum;
 * WAIT_KILLABLE_RECV (5.19) keeps signals from racing a socket swap. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "supervise.h"

static bool kernel_at_least(const char *release, unsigned major, unsigned minor)
{
	unsigned a = 0, b = 0;
	if (sscanf(release, "%u.%u", &a, &b) != 2)
		return false;
	return a > major || (a == major && b >= minor);
}

void clat_sv_probe(struct clat_sv_kernel *out)
{
	struct utsname u;
	struct sock_fprog prog;
	memset(out, 0, sizeof(*out));
	if (!clat_sv_filter(&prog, true)) {
		snprintf(out->why, sizeof(out->why), "no supervisor filter for this architecture "
			 "(x86-64 only)");
		return;
	}
	if (uname(&u) != 0 || !kernel_at_least(u.release, 5, 9)) {
		snprintf(out->why, sizeof(out->why), "kernel %s is older than 5.9 (seccomp "
			 "user notification with SECCOMP_ADDFD_FLAG_SETFD)",
			 uname(&u) == 0 ? u.release : "?");
		return;
	}
	unsigned action = SECCOMP_RET_USER_NOTIF;
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0) {
		snprintf(out->why, sizeof(out->why), "seccomp user notification is not available "
			 "(%s)", strerror(errno));
		return;
	}
	out->usable = true;
	out->wait_killable = kernel_at_least(u.release, 5, 19);
}
