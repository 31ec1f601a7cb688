/* Worker threads receive notifications from the one listener and answer
 * them. A worker about to block (a blocking connect or recv of the
 * program) first makes sure another one is idle, so parallel connects of
 * a threaded program proceed in parallel. Serving ends when the listener
 * reports POLLHUP: no process using the filter is left.
 *
 * Workers wait inside SECCOMP_IOCTL_NOTIF_RECV rather than in poll: with
 * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6) the kernel then hands the
 * CPU from the trapped thread to the worker and back, without a wakeup on
 * another CPU each way (a poller is always woken the ordinary way). The
 * serving thread alone polls, for POLLHUP; workers still waiting then are
 * ended with the process. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervise.h"

/* include/uapi/linux/seccomp.h (6.6), absent from older headers. */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

#define WORKERS_MIN 4
#define WORKERS_MAX 64

static int listener_fd;
static const struct clat_sv_settings *settings_in_use;
static atomic_int idle_workers, workers;
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static bool done;
static int spawn_wanted; /* workers asked for by clat_sv_may_block */
static struct seccomp_notif_sizes sizes;

void clat_sv_log(const struct clat_sv_settings *s, const char *fmt, ...)
{
	if (!s->verbose)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "clatrun: supervisor: %s\n", line);
}

static clat_sv_handler handler_for(int nr)
{
	switch (nr) {
	case SYS_socket: return clat_sv_on_socket;
	case SYS_bind: return clat_sv_on_bind;
	case SYS_listen: return clat_sv_on_listen;
	case SYS_connect: return clat_sv_on_connect;
	case SYS_sendto: return clat_sv_on_sendto;
	case SYS_sendmsg: return clat_sv_on_sendmsg;
	case SYS_sendmmsg: return clat_sv_on_sendmmsg;
	case SYS_recvfrom: return clat_sv_on_recvfrom;
	case SYS_recvmsg: return clat_sv_on_recvmsg;
	case SYS_recvmmsg: return clat_sv_on_recvmmsg;
	case SYS_getpeername: return clat_sv_on_getpeername;
	case SYS_getsockname: return clat_sv_on_getsockname;
	case SYS_setsockopt: return clat_sv_on_setsockopt;
	case SYS_getsockopt: return clat_sv_on_getsockopt;
	default: return NULL;
	}
}

static void answer(struct seccomp_notif *notif, struct seccomp_notif_resp *resp)
{
	struct clat_sv_req req = { .listener = listener_fd, .settings = settings_in_use,
				   .notif = notif, .pidfd = -1 };
	clat_sv_handler h = handler_for(notif->data.nr);
	int64_t rc = h != NULL ? h(&req) : CLAT_SV_CONTINUE;
	if (req.pidfd_owned)
		close(req.pidfd);
	if (rc == CLAT_SV_ANSWERED)
		return;
	memset(resp, 0, sizes.seccomp_notif_resp);
	resp->id = notif->id;
	if (rc == CLAT_SV_CONTINUE)
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	else if (rc < 0)
		resp->error = (int32_t)rc;
	else
		resp->val = rc;
	/* ENOENT: the caller is gone or was interrupted; nothing to answer. */
	ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_SEND, resp);
}

static void finish(void)
{
	pthread_mutex_lock(&done_lock);
	done = true;
	pthread_cond_signal(&done_cond);
	pthread_mutex_unlock(&done_lock);
}

/* POLLHUP: the last process using the filter is gone. Only hangup and
 * errors wake a poll for no events. */
static void *watch_hangup(void *arg)
{
	(void)arg;
	for (;;) {
		struct pollfd p = { .fd = listener_fd, .events = 0 };
		int n = poll(&p, 1, -1);
		if (n > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)))
			break;
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "clatrun: supervisor: poll: %s\n", strerror(errno));
			break;
		}
	}
	finish();
	return NULL;
}

static void *worker(void *arg)
{
	(void)arg;
	struct seccomp_notif *notif = malloc(sizes.seccomp_notif);
	struct seccomp_notif_resp *resp = malloc(sizes.seccomp_notif_resp);
	if (notif == NULL || resp == NULL) {
		free(notif);
		free(resp);
		atomic_fetch_sub(&workers, 1);
		return NULL;
	}
	for (;;) {
		memset(notif, 0, sizes.seccomp_notif);
		atomic_fetch_add(&idle_workers, 1);
		int rc = ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_RECV, notif);
		int err = errno;
		atomic_fetch_sub(&idle_workers, 1);
		if (rc == 0)
			answer(notif, resp);
		/* EINTR, and ENOENT for a caller gone before it was received. */
		else if (err != EINTR && err != ENOENT)
			break;
	}
	free(notif);
	free(resp);
	return NULL;
}

static bool start_worker(void)
{
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	atomic_fetch_add(&workers, 1);
	bool ok = pthread_create(&t, &attr, worker, NULL) == 0;
	if (!ok)
		atomic_fetch_sub(&workers, 1);
	pthread_attr_destroy(&attr);
	return ok;
}

/* New workers are started by the serving thread (woken here), which is
 * free while every worker may be busy. */
void clat_sv_may_block(void)
{
	if (atomic_load(&idle_workers) > 0 || atomic_load(&workers) >= WORKERS_MAX)
		return;
	pthread_mutex_lock(&done_lock);
	spawn_wanted++;
	pthread_cond_signal(&done_cond);
	pthread_mutex_unlock(&done_lock);
}

bool clat_sv_serve(int listener, const struct clat_sv_settings *settings)
{
	listener_fd = listener;
	settings_in_use = settings;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) {
		fprintf(stderr, "clatrun: supervisor: SECCOMP_GET_NOTIF_SIZES: %s\n", strerror(errno));
		return false;
	}
	if (sizes.seccomp_notif < sizeof(struct seccomp_notif))
		sizes.seccomp_notif = sizeof(struct seccomp_notif);
	if (sizes.seccomp_notif_resp < sizeof(struct seccomp_notif_resp))
		sizes.seccomp_notif_resp = sizeof(struct seccomp_notif_resp);
	/* Best effort: EINVAL or ENOTTY before 6.6. */
	(void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int want = cpus > WORKERS_MIN ? (int)(cpus < WORKERS_MAX ? cpus : WORKERS_MAX) : WORKERS_MIN;
	for (int i = 0; i < want; i++)
		if (!start_worker() && i == 0)
			return false;
	pthread_t hangup_watch;
	if (pthread_create(&hangup_watch, NULL, watch_hangup, NULL) != 0)
		return false;
	pthread_detach(hangup_watch);
	pthread_mutex_lock(&done_lock);
	while (!done) {
		if (spawn_wanted > 0) {
			spawn_wanted = 0;
			if (atomic_load(&workers) < WORKERS_MAX)
				start_worker();
			continue;
		}
		pthread_cond_wait(&done_cond, &done_lock);
	}
	pthread_mutex_unlock(&done_lock);
	return true;
}
