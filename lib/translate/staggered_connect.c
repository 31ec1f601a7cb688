/* Staggered connection attempts over several NAT64 prefixes (RFC 8305 s5,
 * s7.1; docs/requirements.md E.42): with prefixes P1..Pn, a blocking connect to
 * an IPv4 address starts on P1 under the program's own descriptor; if that
 * has not connected after the Connection Attempt Delay (or failed sooner
 * with an error that blames the path), the next attempt starts on a twin
 * socket for P2, and so on, earlier ones still running. The first to
 * connect ends up under the program's number (dup3, as the family switch
 * does); the others are closed.
 *
 * Only blocking TCP sockets whose file nothing else refers to: a
 * non-blocking connect must return EINPROGRESS at once and nothing would
 * be left to start the later attempts; they use P1 alone (ARCHITECTURE.md,
 * "Life of a translated connect", lists every case). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "sys/clock.h"
#include "core/attempts.h"
#include "translate/family_switch.h"
#include "state/fdtable.h"
#include "state/log.h"
#include "sys/realcalls.h"
#include "translate/staggered_connect.h"
#include "sys/lazy_libc.h" /* last: see there */

struct attempt {
	int fd;     /* -1: not started or over */
	int error;  /* its failure (SO_ERROR or connect's errno), 0 if none */
};

/* Everything a cancelled thread must undo (pthread_cancel in poll or
 * connect, both cancellation points): the twins closed, the program's
 * socket blocking again, the signal mask back. */
struct race {
	int fd;
	int status_flags;
	unsigned started;
	struct attempt at[CLAT_MAX_PREFIXES];
	bool masked;            /* program_mask holds the program's own mask */
	sigset_t program_mask;  /* else: none known, all signals count */
};

/* Three calls bound on first use (dlsym), not at load: -z now binds every
 * import of the library in every process at start (about 660 instructions
 * each, bench/README.md), and only a process that races several prefixes
 * needs these. RTLD_DEFAULT finds what a direct call would (a sanitizer's
 * interceptor included). */
static void *bound(void *_Atomic *slot, const char *name)
{
	void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (fn == NULL) {
		fn = dlsym(RTLD_DEFAULT, name);
		__atomic_store_n(slot, fn, __ATOMIC_RELEASE);
	}
	return fn;
}

static int lazy_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	static void *_Atomic slot;
	int (*fn)(int, const struct sigaction *, struct sigaction *) = bound(&slot, "sigaction");
	if (fn == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return fn(sig, act, old);
}

static int lazy_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	static void *_Atomic slot;
	int (*fn)(int, const sigset_t *, sigset_t *) = bound(&slot, "pthread_sigmask");
	return fn == NULL ? ENOSYS : fn(how, set, old);
}

static int lazy_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
		      const sigset_t *mask)
{
	static void *_Atomic slot;
	int (*fn)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *) =
		bound(&slot, "ppoll");
	if (fn == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return fn(fds, n, timeout, mask);
}

/* sigset_t bits as glibc and musl lay them out (signal sig is bit sig - 1
 * of an array of unsigned long), instead of three more imports. */
#define SIGSET_WORD_BITS (8 * sizeof(unsigned long))
static bool in_sigset(const sigset_t *set, int sig)
{
	const unsigned long *w = (const unsigned long *)(const void *)set;
	unsigned bit = (unsigned)sig - 1;
	return (w[bit / SIGSET_WORD_BITS] >> (bit % SIGSET_WORD_BITS)) & 1;
}
static void drop_from_sigset(sigset_t *set, int sig)
{
	unsigned long *w = (unsigned long *)(void *)set;
	unsigned bit = (unsigned)sig - 1;
	w[bit / SIGSET_WORD_BITS] &= ~(1UL << (bit % SIGSET_WORD_BITS));
}

/* Whether fd may race its candidates: a blocking TCP socket a twin can
 * stand in for. */
static bool may_race(int fd, int *status_flags, struct clat_fd **rec_out)
{
	struct clat_fd *rec = clat_fd_find(fd);
	if (rec == NULL || clat_fd_state(rec) != CLAT_FD_TRANSLATED ||
	    rec->kind != CLAT_KIND_STREAM || rec->bound || rec->twin_unsafe)
		return false;
	*status_flags = CLAT_REAL(fcntl)(fd, F_GETFL);
	if (*status_flags < 0 || (*status_flags & O_NONBLOCK))
		return false;
	*rec_out = rec;
	return true;
}

/* The signals a fault raises in the thread that caused it: they cannot
 * interrupt a wait, and blocking them would turn a crash handler's fault
 * into a kill. */
static bool synchronous_only(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
	       sig == SIGTRAP || sig == SIGSYS;
}

/* A blocking connect interrupted by a handler without SA_RESTART, or on a
 * socket with a send timeout, fails with EINTR; otherwise it resumes
 * (signal(7)). ppoll() cannot say which signal came, so any handler
 * without SA_RESTART that could have run (not blocked in this thread)
 * counts: at worst EINTR where the kernel would have resumed, which POSIX
 * allows connect() anyway. */
static bool interruption_is_final(bool has_timeout, const sigset_t *program_mask)
{
	if (has_timeout)
		return true;
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;
		if (sig == SIGKILL || sig == SIGSTOP || synchronous_only(sig) ||
		    in_sigset(program_mask, sig) || lazy_sigaction(sig, NULL, &sa) != 0)
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

/* Closes every twin but keep (-1: all of them). */
static void close_twins(struct race *r, int keep)
{
	for (unsigned i = 0; i < r->started; i++)
		if (r->at[i].fd >= 0 && r->at[i].fd != r->fd && (int)i != keep) {
			CLAT_REAL(close)(r->at[i].fd);
			r->at[i].fd = -1;
		}
}

/* pthread_cleanup handler: the race ends here, nothing kept. */
static void abandon(void *arg)
{
	struct race *r = arg;
	close_twins(r, -1);
	CLAT_REAL(fcntl)(r->fd, F_SETFL, r->status_flags);
	if (r->masked)
		lazy_sigmask(SIG_SETMASK, &r->program_mask, NULL);
}

/* fd still names the socket the race began with: another thread may have
 * closed it and the number may be someone else's file by now. */
static bool same_file(int fd, const struct stat *was)
{
	struct stat now;
	return fstat(fd, &now) == 0 && now.st_ino == was->st_ino && now.st_dev == was->st_dev;
}

/* Puts attempt keep's socket under fd, blocking again with the program's
 * other status flags and FD_CLOEXEC; on any failure fd keeps its own
 * socket, made blocking again. */
static bool take_over(struct race *r, int keep, const struct stat *was)
{
	int from = keep < 0 ? r->fd : r->at[keep].fd;
	if (!same_file(r->fd, was)) {
		if (from != r->fd)
			CLAT_REAL(close)(from);
		return false;
	}
	if (from == r->fd)
		return CLAT_REAL(fcntl)(r->fd, F_SETFL, r->status_flags) == 0;
	int fd_flags = CLAT_REAL(fcntl)(r->fd, F_GETFD);
	bool ok = fd_flags >= 0 && CLAT_REAL(fcntl)(from, F_SETFL, r->status_flags) == 0 &&
		  CLAT_REAL(dup3)(from, r->fd, (fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0) >= 0;
	CLAT_REAL(close)(from);
	r->at[keep].fd = -1;
	if (!ok)
		CLAT_REAL(fcntl)(r->fd, F_SETFL, r->status_flags);
	return ok;
}

/* The race itself; returns the winner's index, or -1 with *err set. */
static int run_race(struct race *r, const struct clat_fd *rec, const struct sockaddr_in6 *dests,
		    unsigned n, bool has_timeout, int64_t deadline)
{
	int64_t next_start = clat_now_ms();
	for (;;) {
		unsigned live = 0;
		for (unsigned i = 0; i < r->started; i++)
			live += r->at[i].fd >= 0;
		/* RFC 8305 s5: the next attempt after the delay, or at once when
		 * every earlier one has failed. */
		if (r->started < n && (live == 0 || clat_now_ms() >= next_start)) {
			unsigned i = r->started++;
			if (start(&r->at[i], i, r->fd, rec, &dests[i]))
				return (int)i;
			if (r->at[i].fd < 0 && !clat_attempt_error_may_help(r->at[i].error)) {
				errno = r->at[i].error;
				return -1;
			}
			next_start = clat_now_ms() + CLAT_ATTEMPT_DELAY_MS;
			continue;
		}
		if (live == 0) { /* all n failed: the first prefix's answer */
			errno = r->at[0].error;
			return -1;
		}
		struct pollfd pfd[CLAT_MAX_PREFIXES];
		unsigned index[CLAT_MAX_PREFIXES], count = 0;
		for (unsigned i = 0; i < r->started; i++)
			if (r->at[i].fd >= 0) {
				pfd[count] = (struct pollfd){ .fd = r->at[i].fd, .events = POLLOUT };
				index[count++] = i;
			}
		int64_t now = clat_now_ms();
		if (deadline >= 0 && now >= deadline) {
			errno = EINPROGRESS; /* connect(2) with SO_SNDTIMEO */
			return -1;
		}
		int wait = clat_attempt_wait_ms(now, r->started < n ? next_start : -1, deadline);
		struct timespec ts = { wait / 1000, (long)(wait % 1000) * 1000000 };
		/* Signals stay blocked but during this wait, so none is handled
		 * unnoticed between two waits. */
		int ready = lazy_ppoll(pfd, count, wait < 0 ? NULL : &ts,
				       r->masked ? &r->program_mask : NULL);
		if (ready < 0) {
			if (errno == EINTR && !interruption_is_final(has_timeout, &r->program_mask))
				continue;
			return -1;
		}
		for (unsigned k = 0; k < count; k++) {
			if (pfd[k].revents == 0)
				continue;
			struct attempt *a = &r->at[index[k]];
			int err = 0;
			if (CLAT_REAL(getsockopt)(a->fd, SOL_SOCKET, SO_ERROR, &err,
						  &(socklen_t){ sizeof(err) }) != 0)
				err = errno;
			if (err == 0) {
				/* Once more, as a blocking connect would have: it
				 * marks the socket connected (0 now), so that the
				 * program's next connect() gets EISCONN. */
				CLAT_REAL(connect)(a->fd, (const struct sockaddr *)&dests[index[k]],
						   sizeof(dests[index[k]]));
				return (int)index[k];
			}
			a->error = err;
			if (a->fd != r->fd)
				CLAT_REAL(close)(a->fd);
			a->fd = -1;
			if (!clat_attempt_error_may_help(err)) {
				errno = err;
				return -1;
			}
		}
	}
}

int clat_connect_staggered(int fd, const struct clat_destination *dest)
{
	const struct sockaddr_in6 *dests = dest->candidate, *first = &dest->candidate[0];
	unsigned n = dest->count;
	struct clat_fd *rec = NULL;
	int status_flags = 0;
	struct stat was;
	if (n < 2 || !may_race(fd, &status_flags, &rec) || fstat(fd, &was) != 0 ||
	    CLAT_REAL(fcntl)(fd, F_SETFL, status_flags | O_NONBLOCK) != 0)
		return CLAT_REAL(connect)(fd, (const struct sockaddr *)first, sizeof(*first));

	struct timeval send_timeout = { 0, 0 };
	CLAT_REAL(getsockopt)(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout,
			      &(socklen_t){ sizeof(send_timeout) });
	bool has_timeout = send_timeout.tv_sec > 0 || send_timeout.tv_usec > 0;
	int64_t t0 = clat_now_ms();
	int64_t deadline = has_timeout ? t0 + (int64_t)send_timeout.tv_sec * 1000 +
						send_timeout.tv_usec / 1000 : -1;

	struct race r = { .fd = fd, .status_flags = status_flags };
	for (unsigned i = 0; i < n; i++)
		r.at[i] = (struct attempt){ -1, 0 };
	sigset_t block; /* all but the fault signals; glibc keeps its own out */
	memset(&block, 0xff, sizeof(block));
	for (int sig = 1; sig < NSIG; sig++)
		if (synchronous_only(sig))
			drop_from_sigset(&block, sig);
	r.masked = lazy_sigmask(SIG_BLOCK, &block, &r.program_mask) == 0;
	if (!r.masked)
		memset(&r.program_mask, 0, sizeof(r.program_mask));

	int winner, err;
	pthread_cleanup_push(abandon, &r);
	winner = run_race(&r, rec, dests, n, has_timeout, deadline);
	err = errno;
	pthread_cleanup_pop(0);

	/* Interrupted or timed out: the connection goes on in the background,
	 * as the kernel's would, under fd: the first prefix's attempt if it is
	 * still running, else the newest one. */
	int keep = winner;
	if (keep < 0 && (err == EINTR || err == EINPROGRESS))
		for (unsigned i = 0; i < r.started; i++)
			if (r.at[i].fd >= 0 && (keep < 0 || r.at[keep].fd != fd))
				keep = (int)i;
	close_twins(&r, keep);
	bool placed = take_over(&r, keep, &was);
	if (r.masked)
		lazy_sigmask(SIG_SETMASK, &r.program_mask, NULL);
	if (winner >= 0) {
		clat_log("connect: fd %d: prefix %d of %u connected first, after %lld ms%s", fd,
			 winner + 1, n, (long long)(clat_now_ms() - t0),
			 placed ? "" : " (could not put it under the program's fd)");
		if (placed)
			return 0;
		err = EIO;
	}
	errno = err != 0 ? err : EIO;
	return -1;
}
