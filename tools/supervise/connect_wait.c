/* Waiting on a twin for a program inside a blocking call (connect, recv):
 * the wait ends as the program's own would. With WAIT_KILLABLE_RECV the
 * kernel holds the program's signals while the supervisor answers, so the
 * supervisor looks for them itself: a pending, unblocked signal with a
 * handler ends the wait with EINTR (connect(2): the connection goes on in
 * the background, and a blocking connect again waits for it again), and
 * SO_SNDTIMEO/SO_RCVTIMEO end it as they would. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "supervise.h"

#define SIGNAL_CHECK_MS 50

static uint64_t status_mask(const char *line, const char *key)
{
	size_t n = strlen(key);
	if (strncmp(line, key, n) != 0)
		return 0;
	uint64_t mask = 0;
	sscanf(line + n, " %" SCNx64, &mask);
	return mask;
}

bool clat_sv_signal_pending(pid_t tid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	FILE *f = fopen(path, "re");
	uint64_t pending = 0, blocked = 0, caught = 0;
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		pending |= status_mask(line, "SigPnd:") | status_mask(line, "ShdPnd:");
		blocked |= status_mask(line, "SigBlk:");
		caught |= status_mask(line, "SigCgt:");
	}
	fclose(f);
	return (pending & ~blocked & caught) != 0;
}

int64_t clat_sv_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clat_sv_wait_ready(struct clat_sv_req *req, int fd, short events, int timeout_option)
{
	/* Most waits end within the first check (a loopback or LAN
	 * handshake): the timeout option is read only after it. */
	struct pollfd p = { .fd = fd, .events = events };
	if (poll(&p, 1, SIGNAL_CHECK_MS) > 0)
		return 0;
	struct timeval limit = { 0 };
	socklen_t len = sizeof(limit);
	getsockopt(fd, SOL_SOCKET, timeout_option, &limit, &len);
	int64_t deadline = limit.tv_sec || limit.tv_usec ?
		clat_sv_now_ms() - SIGNAL_CHECK_MS + (int64_t)limit.tv_sec * 1000 + limit.tv_usec / 1000 : -1;
	for (;;) {
		if (!clat_sv_still_valid(req))
			return -EINTR; /* the program is gone: nobody reads this */
		if (clat_sv_signal_pending((pid_t)req->notif->pid))
			return -EINTR;
		if (deadline >= 0 && clat_sv_now_ms() >= deadline)
			return -EAGAIN;
		if (poll(&p, 1, SIGNAL_CHECK_MS) > 0)
			return 0;
	}
}

int64_t clat_sv_connect_wait(struct clat_sv_req *req, int twin, const struct sockaddr_in6 *dst)
{
	int64_t rc = clat_sv_wait_ready(req, twin, POLLOUT, SO_SNDTIMEO);
	if (rc == -EAGAIN)
		return -EINPROGRESS; /* SO_SNDTIMEO: connect(2) EINPROGRESS */
	if (rc != 0)
		return rc;
	/* Connecting again, as a blocking connect does inside the kernel,
	 * marks the socket connected (a later connect is then EISCONN) or
	 * gives the error that ended it. */
	if (connect(twin, (const struct sockaddr *)dst, sizeof(*dst)) == 0 || errno == EISCONN)
		return 0;
	return -errno;
}
