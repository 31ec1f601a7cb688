/* A blocking TCP connect over several NAT64 prefixes (RFC 8305 s5, s7.1;
 * docs/requirements.md E.42), as the library's staggered connect does it:
 * the program's own socket tries the first prefix; when it has not
 * connected after the Connection Attempt Delay, or failed sooner with an
 * error that blames the path, the next prefix is tried on a socket of the
 * supervisor's, earlier attempts still running. The first to connect ends
 * up under the program's fd number (clat_sv_install: same number, flags,
 * epoll registrations); the others are closed.
 *
 * Only for a program inside a blocking connect: a non-blocking one gets
 * its answer at once, after which no pending notification is left to put
 * a later winner under its number (it uses the first prefix alone). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/attempts.h"
#include "supervise.h"

#define SIGNAL_CHECK_MS 50

struct attempt {
	int fd;    /* -1: not started, or over */
	int error; /* its failure, 0 if none */
};

struct race {
	struct clat_sv_req *req;
	int mine;      /* our copy of the program's socket: attempt 0 */
	int protocol;
	unsigned started;
	struct attempt at[CLAT_MAX_PREFIXES];
};

static int connect_error(int fd, const struct sockaddr_in6 *dst)
{
	return connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) == 0 ? 0 : errno;
}

/* A socket of our own for a later prefix, with the program's options
 * (read from its socket: IPv4-level ones become their IPv6 twins). */
static int attempt_socket(const struct race *r)
{
	int s = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, r->protocol);
	if (s < 0)
		return -1;
	int off = 0; /* dual-stack, as the early twin it may replace */
	if (setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) != 0 ||
	    !clat_sv_copy_options(r->mine, s, SOCK_STREAM, AF_INET6)) {
		int err = errno;
		close(s);
		errno = err;
		return -1;
	}
	return s;
}

/* Starts attempt i; true when it connected at once. The program's socket
 * is started with O_NONBLOCK set on its file for the call, as
 * on_connect.c does; EALREADY there means an earlier, interrupted connect
 * is still running: it goes on as attempt 0. */
static bool start(struct race *r, unsigned i, const struct sockaddr_in6 *dst, int64_t first_rc)
{
	struct attempt *a = &r->at[i];
	int err;
	if (i == 0) {
		a->fd = r->mine;
		if (first_rc != CLAT_SV_CONTINUE) {
			err = (int)-first_rc;
		} else {
			int flags = fcntl(r->mine, F_GETFL);
			if (flags < 0 || fcntl(r->mine, F_SETFL, flags | O_NONBLOCK) != 0) {
				err = errno;
			} else {
				err = connect_error(r->mine, dst);
				fcntl(r->mine, F_SETFL, flags);
			}
		}
		if (err == EALREADY)
			err = EINPROGRESS;
	} else {
		a->fd = attempt_socket(r);
		err = a->fd < 0 ? errno : connect_error(a->fd, dst);
	}
	if (err == 0)
		return true;
	if (err != EINPROGRESS) {
		a->error = err;
		if (a->fd >= 0 && a->fd != r->mine)
			close(a->fd);
		a->fd = -1;
	}
	return false;
}

/* SO_SNDTIMEO of the program's socket, as a deadline (-1: none). */
static int64_t send_deadline(int fd, int64_t now)
{
	struct timeval limit = { 0 };
	getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, &(socklen_t){ sizeof(limit) });
	if (limit.tv_sec == 0 && limit.tv_usec == 0)
		return -1;
	return now + (int64_t)limit.tv_sec * 1000 + limit.tv_usec / 1000;
}

/* The race; returns the winner's index, or -1 with *rc the answer. */
static int run(struct race *r, const struct sockaddr_in6 *dsts, unsigned n, int64_t first_rc,
	       int64_t *rc)
{
	int64_t now = clat_sv_now_ms(), next_start = now;
	int64_t deadline = send_deadline(r->mine, now);
	pid_t tid = (pid_t)r->req->notif->pid;
	for (;;) {
		unsigned live = 0;
		for (unsigned i = 0; i < r->started; i++)
			live += r->at[i].fd >= 0;
		now = clat_sv_now_ms();
		/* RFC 8305 s5: the next attempt after the delay, or at once when
		 * every earlier one has failed. */
		if (r->started < n && (live == 0 || now >= next_start)) {
			unsigned i = r->started++;
			if (start(r, i, &dsts[i], first_rc))
				return (int)i;
			if (r->at[i].fd < 0 && !clat_attempt_error_may_help(r->at[i].error)) {
				*rc = -r->at[i].error;
				return -1;
			}
			next_start = clat_sv_now_ms() + CLAT_ATTEMPT_DELAY_MS;
			continue;
		}
		if (live == 0) { /* all failed: the first prefix's answer */
			*rc = -r->at[0].error;
			return -1;
		}
		if (!clat_sv_still_valid(r->req) || clat_sv_signal_pending(tid)) {
			*rc = -EINTR; /* connect(2): the connection goes on */
			return -1;
		}
		if (deadline >= 0 && now >= deadline) {
			*rc = -EINPROGRESS; /* connect(2) with SO_SNDTIMEO */
			return -1;
		}
		struct pollfd pfd[CLAT_MAX_PREFIXES];
		unsigned index[CLAT_MAX_PREFIXES], count = 0;
		for (unsigned i = 0; i < r->started; i++)
			if (r->at[i].fd >= 0) {
				pfd[count] = (struct pollfd){ .fd = r->at[i].fd, .events = POLLOUT };
				index[count++] = i;
			}
		int wait = clat_attempt_wait_ms(now, r->started < n ? next_start : -1, deadline);
		if (wait < 0 || wait > SIGNAL_CHECK_MS)
			wait = SIGNAL_CHECK_MS; /* signals are looked for between polls */
		if (poll(pfd, count, wait) <= 0)
			continue;
		for (unsigned k = 0; k < count; k++) {
			if (pfd[k].revents == 0)
				continue;
			struct attempt *a = &r->at[index[k]];
			int err = 0;
			if (getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &err, &(socklen_t){ sizeof(err) }) != 0)
				err = errno;
			if (err == 0) {
				/* Once more, as the kernel's blocking connect does: the
				 * socket is then connected (a later connect: EISCONN). */
				connect(a->fd, (const struct sockaddr *)&dsts[index[k]],
					sizeof(dsts[index[k]]));
				return (int)index[k];
			}
			a->error = err;
			if (a->fd != r->mine)
				close(a->fd);
			a->fd = -1;
			if (!clat_attempt_error_may_help(err)) {
				*rc = -err;
				return -1;
			}
		}
	}
}

/* Puts attempt keep's socket under the program's number, in blocking mode
 * with the program's other status flags; 0 or -errno. */
static int take_over(struct race *r, int fd, unsigned keep, int status_flags, uint64_t ino)
{
	int s = r->at[keep].fd;
	r->at[keep].fd = -1;
	int err = 0;
	if (fcntl(s, F_SETFL, status_flags) != 0 || !clat_sv_twin_register(s, SOCK_STREAM))
		err = -errno;
	else
		err = clat_sv_install(r->req, fd, ino, s);
	close(s);
	return err;
}

int64_t clat_sv_race(struct clat_sv_req *req, int fd, int mine, int protocol,
		     const struct sockaddr_in6 *dsts, unsigned n, int64_t first_rc)
{
	struct stat was;
	int status_flags = fcntl(mine, F_GETFL);
	if (status_flags < 0 || fstat(mine, &was) != 0)
		return -errno;
	struct race r = { .req = req, .mine = mine, .protocol = protocol };
	for (unsigned i = 0; i < CLAT_MAX_PREFIXES; i++)
		r.at[i] = (struct attempt){ -1, 0 };
	int64_t t0 = clat_sv_now_ms(), rc = 0;
	if (n > CLAT_MAX_PREFIXES)
		n = CLAT_MAX_PREFIXES;
	clat_sv_may_block();
	int winner = run(&r, dsts, n, first_rc, &rc);
	/* Interrupted or timed out: the connection goes on under the
	 * program's number, as the kernel's would: the first prefix's attempt
	 * if it still runs, else the newest. */
	int keep = winner;
	if (keep < 0 && (rc == -EINTR || rc == -EINPROGRESS))
		for (unsigned i = 0; i < r.started; i++)
			if (r.at[i].fd >= 0 && (keep < 0 || r.at[keep].fd != mine))
				keep = (int)i;
	for (unsigned i = 0; i < r.started; i++)
		if (r.at[i].fd >= 0 && r.at[i].fd != mine && (int)i != keep) {
			close(r.at[i].fd);
			r.at[i].fd = -1;
		}
	int placed = keep > 0 ? take_over(&r, fd, (unsigned)keep, status_flags, (uint64_t)was.st_ino) : 0;
	if (winner >= 0) {
		clat_sv_log(req->settings, "connect: fd %d: prefix %d of %u connected first, after %lld ms%s",
			    fd, winner + 1, n, (long long)(clat_sv_now_ms() - t0),
			    placed == 0 ? "" : " (could not put it under the program's fd)");
		rc = placed;
	}
	return rc;
}
