/* Staggered connection attempts over several NAT64 prefixes (RFC 8305 s5,
 * s7.1; rfc-requirements E.42): with prefixes P1..Pn, a blocking connect to
 * an IPv4 address starts on P1 under the program's own descriptor; if that
 * has not connected after the Connection Attempt Delay (or failed sooner),
 * the next attempt starts on a twin socket for P2, and so on, earlier ones
 * still running. The first to connect ends up under the program's number
 * (dup3, as the family switch does); the others are closed.
 *
 * Only blocking TCP sockets: a non-blocking connect must return
 * EINPROGRESS at once, and nothing would be left to start the later
 * attempts; it uses P1 alone (ARCHITECTURE.md). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/attempts.h"
#include "family_switch.h"
#include "fdtable.h"
#include "log.h"
#include "prefix_source.h"
#include "realcalls.h"
#include "settings.h"
#include "staggered_connect.h"

struct attempt {
	int fd;     /* -1: not started or over */
	int error;  /* its failure (SO_ERROR or connect's errno), 0 if none */
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The destinations to race, or 0/1 when fd gets a plain connect. */
static unsigned plan(int fd, const struct sockaddr_in *asked, const struct sockaddr_in6 *first,
		     int *status_flags, struct clat_fd **rec_out, struct sockaddr_in6 *dests)
{
	struct clat_fd *rec = clat_fd_find(fd);
	if (rec == NULL || clat_fd_state(rec) != CLAT_FD_TRANSLATED ||
	    rec->kind != CLAT_KIND_STREAM || rec->bound || rec->epoll_replayed)
		return 0;
	/* One prefix, the usual case, costs no system call here. */
	struct clat_prefix_set set;
	clat_known_prefixes(&set);
	if (set.count < 2)
		return 0;
	unsigned n = clat_attempt_destinations(&set, clat_settings()->config.translate_private_wkp,
					       asked, dests, CLAT_MAX_PREFIXES);
	/* A mapped pool address or a v4-mapped fallback is not ours to race. */
	if (n < 2 || memcmp(&dests[0].sin6_addr, &first->sin6_addr, sizeof(first->sin6_addr)) != 0)
		return 0;
	*status_flags = CLAT_REAL(fcntl)(fd, F_GETFL);
	if (*status_flags < 0 || (*status_flags & O_NONBLOCK))
		return 0;
	*rec_out = rec;
	return n;
}

/* The signals a fault raises in the thread that caused it: they cannot
 * arrive while the thread waits in a system call, so their handlers (crash
 * reporters, sanitizer runtimes) say nothing about this interruption. */
static bool synchronous_only(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
	       sig == SIGTRAP || sig == SIGSYS;
}

/* A blocking connect interrupted by a handler without SA_RESTART, or on a
 * socket with a send timeout, fails with EINTR; otherwise it resumes
 * (signal(7)). poll() cannot say which signal came, so any handler without
 * SA_RESTART that could have run counts: at worst EINTR where the kernel
 * would have resumed, which POSIX allows connect() anyway. */
static bool interruption_is_final(bool has_timeout)
{
	if (has_timeout)
		return true;
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;
		if (sig == SIGKILL || sig == SIGSTOP || synchronous_only(sig) ||
		    sigaction(sig, NULL, &sa) != 0)
			continue;
		if (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN &&
		    !(sa.sa_flags & SA_RESTART))
			return true;
	}
	return false;
}

/* Starts attempt i; true when it connected at once. */
static bool start(struct attempt *a, unsigned i, int fd, const struct clat_fd *rec,
		  const struct sockaddr_in6 *dest)
{
	a->fd = i == 0 ? fd : clat_twin_stream_socket(rec);
	if (a->fd < 0) {
		a->error = errno;
		return false;
	}
	if (CLAT_REAL(connect)(a->fd, (const struct sockaddr *)dest, sizeof(*dest)) == 0)
		return true;
	/* EALREADY: the program's own socket is still connecting from an
	 * interrupted race; it goes on as this race's first attempt. */
	if (errno == EINPROGRESS || (i == 0 && errno == EALREADY))
		return false;
	a->error = errno;
	if (i != 0)
		CLAT_REAL(close)(a->fd);
	a->fd = -1;
	return false;
}

/* Puts attempt i's socket under fd, blocking again (FD_CLOEXEC kept). */
static bool take_over(int fd, int status_flags, int from)
{
	int fd_flags = CLAT_REAL(fcntl)(fd, F_GETFD);
	if (from == fd)
		return CLAT_REAL(fcntl)(fd, F_SETFL, status_flags) == 0;
	bool ok = fd_flags >= 0 && CLAT_REAL(fcntl)(from, F_SETFL, status_flags) == 0 &&
		  CLAT_REAL(dup3)(from, fd, (fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0) >= 0;
	CLAT_REAL(close)(from);
	return ok;
}

int clat_connect_staggered(int fd, const struct sockaddr_in *asked,
			   const struct sockaddr_in6 *first)
{
	struct sockaddr_in6 dests[CLAT_MAX_PREFIXES];
	struct clat_fd *rec = NULL;
	int status_flags = 0;
	unsigned n = plan(fd, asked, first, &status_flags, &rec, dests);
	if (n < 2)
		return CLAT_REAL(connect)(fd, (const struct sockaddr *)first, sizeof(*first));

	struct timeval send_timeout = { 0, 0 };
	CLAT_REAL(getsockopt)(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout,
			      &(socklen_t){ sizeof(send_timeout) });
	bool has_timeout = send_timeout.tv_sec > 0 || send_timeout.tv_usec > 0;
	if (CLAT_REAL(fcntl)(fd, F_SETFL, status_flags | O_NONBLOCK) != 0)
		return CLAT_REAL(connect)(fd, (const struct sockaddr *)first, sizeof(*first));

	struct attempt at[CLAT_MAX_PREFIXES];
	for (unsigned i = 0; i < n; i++)
		at[i] = (struct attempt){ -1, 0 };
	int64_t t0 = now_ms(), next_start = t0;
	int64_t deadline = has_timeout ? t0 + (int64_t)send_timeout.tv_sec * 1000 +
						send_timeout.tv_usec / 1000 : -1;
	unsigned started = 0;
	int winner = -1, result_errno = 0;

	for (;;) {
		unsigned live = 0;
		for (unsigned i = 0; i < started; i++)
			live += at[i].fd >= 0;
		/* RFC 8305 s5: the next attempt after the delay, or at once when
		 * every earlier one has failed. */
		if (started < n && (live == 0 || now_ms() >= next_start)) {
			unsigned i = started++;
			if (start(&at[i], i, fd, rec, &dests[i])) {
				winner = (int)i;
				break;
			}
			/* A connect again after an interrupted or timed-out one
			 * that has connected since: EISCONN, as connect(2). */
			if (i == 0 && at[0].error == EISCONN) {
				CLAT_REAL(fcntl)(fd, F_SETFL, status_flags);
				return CLAT_REAL(connect)(fd, (const struct sockaddr *)first,
							  sizeof(*first));
			}
			next_start = now_ms() + CLAT_ATTEMPT_DELAY_MS;
			continue;
		}
		if (live == 0) { /* all n failed: the first prefix's answer */
			result_errno = at[0].error;
			break;
		}
		struct pollfd pfd[CLAT_MAX_PREFIXES];
		unsigned index[CLAT_MAX_PREFIXES], count = 0;
		for (unsigned i = 0; i < started; i++)
			if (at[i].fd >= 0) {
				pfd[count] = (struct pollfd){ .fd = at[i].fd, .events = POLLOUT };
				index[count++] = i;
			}
		int64_t now = now_ms();
		if (deadline >= 0 && now >= deadline) {
			result_errno = EINPROGRESS; /* connect(2) with SO_SNDTIMEO */
			break;
		}
		int wait = clat_attempt_wait_ms(now, started < n ? next_start : -1, deadline);
		int ready = poll(pfd, count, wait);
		if (ready < 0) {
			if (errno == EINTR && !interruption_is_final(has_timeout))
				continue;
			result_errno = errno;
			break;
		}
		for (unsigned k = 0; k < count && winner < 0; k++) {
			if (pfd[k].revents == 0)
				continue;
			struct attempt *a = &at[index[k]];
			int err = 0;
			if (CLAT_REAL(getsockopt)(a->fd, SOL_SOCKET, SO_ERROR, &err,
						  &(socklen_t){ sizeof(err) }) != 0)
				err = errno;
			if (err == 0) {
				winner = (int)index[k];
				/* Once more, as a blocking connect would have: it
				 * marks the socket connected (0 now), so that the
				 * program's next connect() gets EISCONN. */
				CLAT_REAL(connect)(a->fd, (const struct sockaddr *)&dests[winner],
						   sizeof(dests[winner]));
			} else {
				a->error = err;
				if (a->fd != fd)
					CLAT_REAL(close)(a->fd);
				a->fd = -1;
			}
		}
		if (winner >= 0)
			break;
	}

	/* Interrupted or timed out: the connection goes on in the background,
	 * as the kernel's would, under fd: the first prefix's attempt if it is
	 * still running, else the newest one. */
	int keep = winner;
	if (keep < 0 && (result_errno == EINTR || result_errno == EINPROGRESS))
		for (unsigned i = 0; i < started; i++)
			if (at[i].fd >= 0 && (keep < 0 || at[keep].fd != fd))
				keep = (int)i;
	for (unsigned i = 0; i < started; i++)
		if (at[i].fd >= 0 && at[i].fd != fd && (int)i != keep)
			CLAT_REAL(close)(at[i].fd);
	bool placed = keep < 0 ? CLAT_REAL(fcntl)(fd, F_SETFL, status_flags) == 0
			       : take_over(fd, status_flags, at[keep].fd);
	if (winner >= 0) {
		clat_log("connect: fd %d: prefix %d of %u connected first, after %lld ms%s", fd,
			 winner + 1, n, (long long)(now_ms() - t0),
			 placed ? "" : " (could not put it under the program's fd)");
		if (placed)
			return 0;
		result_errno = EIO;
	}
	errno = result_errno != 0 ? result_errno : EIO;
	return -1;
}
