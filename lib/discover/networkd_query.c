/* One varlink call to systemd-networkd: connect, send Describe, read the
 * NUL-terminated reply, all within CLAT_NETWORKD_TIMEOUT_MS. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/realcalls.h"
#include "core/networkd_json.h"
#include "discover/networkd_query.h"
#include "sys/lazy_libc.h" /* last: see there */

/* Waits for events on fd until the deadline; false on timeout or error. */
static bool wait_for(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - clat_now_ms();
		if (left <= 0)
			return false;
		struct pollfd p = { .fd = fd, .events = events };
		int n = CLAT_REAL(poll)(&p, 1, (int)left);
		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR)
			return false;
	}
}

static const char *socket_path(bool secure)
{
	const char *env = secure ? NULL : getenv("CLAT_NETWORKD_SOCKET");
	return env != NULL && env[0] == '/' ? env : CLAT_NETWORKD_SOCKET;
}

/* The whole reply in a malloc'd buffer, or NULL with note set. */
static char *call_describe(const char *path, size_t *len, bool *absent, char *note,
			   size_t notelen)
{
	static const char request[] = "{\"method\":\"io.systemd.Network.Describe\","
				      "\"parameters\":{}}";
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int64_t deadline = clat_now_ms() + CLAT_NETWORKD_TIMEOUT_MS;
	char *buf = NULL;
	*absent = false;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(note, notelen, "networkd socket path too long");
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int fd = CLAT_REAL(socket)(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(note, notelen, "socket: %s", strerror(errno));
		return NULL;
	}
	if (CLAT_REAL(connect)(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 && errno != EINPROGRESS &&
	    errno != EAGAIN) {
		*absent = errno == ENOENT || errno == ECONNREFUSED;
		snprintf(note, notelen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	/* The request and its terminating NUL (the varlink framing). */
	size_t sent = 0;
	while (sent < sizeof(request)) {
		if (!wait_for(fd, POLLOUT, deadline)) {
			snprintf(note, notelen, "%s: no answer within %d ms", path,
				 CLAT_NETWORKD_TIMEOUT_MS);
			goto fail;
		}
		ssize_t n = CLAT_REAL(send)(fd, request + sent, sizeof(request) - sent, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(note, notelen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n > 0)
			sent += (size_t)n;
	}
	size_t cap = 65536, used = 0;
	buf = malloc(cap);
	while (buf != NULL) {
		if (memchr(buf, '\0', used) != NULL)
			break;
		if (used == cap) {
			char *bigger = cap >= CLAT_NETWORKD_REPLY_MAX ? NULL : realloc(buf, cap * 2);
			if (bigger == NULL) {
				snprintf(note, notelen, "%s: reply too large", path);
				goto fail;
			}
			buf = bigger;
			cap *= 2;
		}
		if (!wait_for(fd, POLLIN, deadline)) {
			snprintf(note, notelen, "%s: no answer within %d ms", path,
				 CLAT_NETWORKD_TIMEOUT_MS);
			goto fail;
		}
		ssize_t n = CLAT_REAL(recv)(fd, buf + used, cap - used, 0);
		if (n == 0) {
			snprintf(note, notelen, "%s: closed without an answer", path);
			goto fail;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(note, notelen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n > 0)
			used += (size_t)n;
	}
	if (buf == NULL) {
		snprintf(note, notelen, "out of memory");
		goto fail;
	}
	CLAT_REAL(close)(fd);
	*len = (size_t)((char *)memchr(buf, '\0', used) - buf) + 1;
	return buf;
fail:
	free(buf);
	CLAT_REAL(close)(fd);
	return NULL;
}

enum clat_networkd_outcome clat_networkd_lookup(bool secure, int64_t now,
						struct clat_cache_entry *out,
						char *note, size_t notelen)
{
	const char *path = socket_path(secure);
	size_t len = 0;
	bool absent;
	int saved_errno = errno;
	note[0] = '\0';
	char *reply = call_describe(path, &len, &absent, note, notelen);
	errno = saved_errno;
	if (reply == NULL)
		return absent ? CLAT_NETWORKD_ABSENT : CLAT_NETWORKD_FAILED;

	struct timespec boot;
	clock_gettime(CLOCK_BOOTTIME, &boot);
	uint64_t boot_usec = (uint64_t)boot.tv_sec * 1000000u + (uint64_t)boot.tv_nsec / 1000u;
	struct clat_prefix_set set;
	int64_t left;
	enum clat_networkd_result r = clat_networkd_pref64(reply, len, boot_usec, &set, &left);
	free(reply);
	if (r == CLAT_NETWORKD_MALFORMED) {
		snprintf(note, notelen, "%s: not a Describe reply (or an error)", path);
		return CLAT_NETWORKD_FAILED;
	}
	if (r == CLAT_NETWORKD_NONE) {
		snprintf(note, notelen, "systemd-networkd has no PREF64 (RFC 8781) from any router");
		return CLAT_NETWORKD_NO_PREF64;
	}
	memset(out, 0, sizeof(*out));
	out->source = CLAT_SOURCE_PREF64;
	out->prefixes = set;
	out->fetched = now;
	out->expires = now + left; /* resolver stays "": no DNS server was asked */
	return CLAT_NETWORKD_PREFIX;
}
