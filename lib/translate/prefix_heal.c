#include <errno.h>
#include <stddef.h>
#include <linux/tcp.h> /* tcpi_segs_in: newer than glibc's tcp_info */
#include <poll.h>
#include <stdatomic.h>
#include <string.h>

#include "state/active_prefix.h"
#include "state/fdtable.h"
#include "state/settings.h"
#include "translate/prefix_heal.h"
#include "sys/realcalls.h"

bool clat_path_error(int err)
{
	return err == ENETUNREACH || err == EHOSTUNREACH || err == ETIMEDOUT;
}

/* No TCP segment ever came from the peer: the connect failed on the way,
 * not at a host that answered (an established connection that timed out
 * later must not be connected again). */
static bool never_answered(int fd)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);
	memset(&info, 0, sizeof(info));
	return CLAT_REAL(getsockopt)(fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0 &&
	       len >= offsetof(struct tcp_info, tcpi_segs_in) + sizeof(info.tcpi_segs_in) &&
	       info.tcpi_segs_in == 0;
}

/* Connects fd again to again after its connect failed: the first connect
 * after a failed one may only report the failure and reset the socket
 * (inet_stream_connect: ECONNABORTED); the next one starts. */
static int connect_again(int fd, const struct sockaddr_in6 *again)
{
	int rc = CLAT_REAL(connect)(fd, (const struct sockaddr *)again, sizeof(*again));
	if (rc != 0 && errno == ECONNABORTED)
		rc = CLAT_REAL(connect)(fd, (const struct sockaddr *)again, sizeof(*again));
	return rc;
}

/* fd + 1 of the non-blocking connect being watched, 0 for none: the first
 * one under a discovered prefix just taken into use (one per prefix). */
static atomic_int watched_plus1;

bool clat_heal_watching(void)
{
	return atomic_load_explicit(&watched_plus1, memory_order_relaxed) != 0;
}

/* A synthesised destination is no pool address, so no mapper is asked. */
bool clat_heal_decide_again(const struct sockaddr_in *v4, const struct in6_addr *went,
			    struct clat_destination *d, struct sockaddr_in6 *again)
{
	struct clat_dest_inputs in = {
		.prefixes = clat_active_prefixes(),
		.translate_private_wkp = clat_settings()->config.translate_private_wkp,
		.socket_is_ipv6 = true,
	};
	struct clat_destination fresh;
	clat_destination_decide(&in, v4, &fresh);
	if (fresh.kind != CLAT_DEST_SYNTHESIZED ||
	    memcmp(&fresh.candidate[0].sin6_addr, went, sizeof(*went)) == 0)
		return false;
	*d = fresh;
	*again = fresh.candidate[0];
	return true;
}

/* The pending connect on fd failed with err: when it failed on the way
 * and a rediscovery found another prefix, it starts again under that one
 * (true; *connected when it did at once). */
static bool restart_pending(int fd, struct clat_fd *rec, int err, bool *connected)
{
	struct sockaddr_in dst = rec->pending_dst;
	struct in6_addr went = rec->pending_dst6;
	rec->pending_dst.sin_family = AF_UNSPEC; /* one retry per connect at most */
	if (rec->kind != CLAT_KIND_STREAM || !clat_path_error(err) || !never_answered(fd) ||
	    !clat_prefix_heal(&went))
		return false;
	struct sockaddr_in6 again;
	struct clat_destination d;
	if (!clat_heal_decide_again(&dst, &went, &d, &again))
		return false;
	int saved = errno;
	int rc = connect_again(fd, &again);
	bool started = rc == 0 || errno == EINPROGRESS;
	*connected = rc == 0;
	if (started) {
		rec->pending_dst = dst;
		rec->pending_dst6 = again.sin6_addr;
		rec->pending_dst.sin_family = AF_INET;
	}
	errno = saved;
	return started;
}

int clat_heal_after_poll(struct pollfd *fds, nfds_t n, int ready)
{
	int fd = atomic_load_explicit(&watched_plus1, memory_order_relaxed) - 1;
	for (nfds_t i = 0; fd >= 0 && i < n; i++) {
		if (fds[i].fd != fd || fds[i].revents == 0)
			continue;
		atomic_store_explicit(&watched_plus1, 0, memory_order_relaxed);
		struct clat_fd *rec = clat_fd_find(fd);
		if (!(fds[i].revents & (POLLERR | POLLHUP)) || rec == NULL ||
		    rec->pending_dst.sin_family != AF_INET)
			break;
		int err = 0;
		socklen_t len = sizeof(err);
		bool connected;
		if (CLAT_REAL(getsockopt)(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err == 0)
			break;
		if (restart_pending(fd, rec, err, &connected)) {
			fds[i].revents = 0; /* the new attempt has not ended yet */
			ready--;
		} else {
			rec->held_error = err; /* for the program's SO_ERROR */
		}
		break;
	}
	return ready;
}

bool clat_heal_after_call(int fd, const struct sockaddr_in *v4, struct clat_destination *d,
			  ssize_t result)
{
	if (d->kind != CLAT_DEST_SYNTHESIZED || result >= 0)
		return false;
	int err = errno;
	if (err == EINPROGRESS) {
		struct clat_fd *rec = clat_fd_find(fd);
		if (rec != NULL) {
			if (rec->kind == CLAT_KIND_STREAM && clat_prefix_probation_claim())
				atomic_store_explicit(&watched_plus1, fd + 1, memory_order_relaxed);
			rec->pending_dst = *v4;
			rec->pending_dst.sin_family = AF_INET;
			rec->pending_dst6 = d->candidate[0].sin6_addr;
		}
		errno = err;
		return false;
	}
	struct sockaddr_in6 again;
	if (!clat_path_error(err) || !clat_prefix_heal(&d->candidate[0].sin6_addr) ||
	    !clat_heal_decide_again(v4, &d->candidate[0].sin6_addr, d, &again)) {
		errno = err;
		return false;
	}
	return true;
}

void clat_heal_so_error(int fd, int *err)
{
	struct clat_fd *rec = clat_fd_find(fd);
	if (rec != NULL && rec->held_error != 0 && *err == 0) {
		*err = rec->held_error;
		rec->held_error = 0;
		return;
	}
	if (rec == NULL || rec->pending_dst.sin_family != AF_INET)
		return;
	bool connected = false;
	if (*err == 0 || !restart_pending(fd, rec, *err, &connected)) {
		rec->pending_dst.sin_family = AF_UNSPEC;
		return;
	}
	rec->pending_dst.sin_family = AF_UNSPEC;
	if (connected) {
		*err = 0;
		return;
	}
	int saved = errno;
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(*err);
	if (CLAT_REAL(poll)(&p, 1, CLAT_HEAL_WAIT_MS) != 1 ||
	    CLAT_REAL(getsockopt)(fd, SOL_SOCKET, SO_ERROR, err, &len) != 0)
		*err = ETIMEDOUT;
	errno = saved;
}
