/* getpeername/getsockname on a twin: the program sees AF_INET, as with the
 * library: the peer is the IPv4 address embedded in the IPv6 one (RFC 6052
 * s2.3), the local address is the configured local IPv4 (192.0.0.4 by
 * default, RFC 7335) with the twin's real port, or the real IPv4 address
 * of a kept connection (::ffff:a.b.c.d on an early twin), 0.0.0.0 while
 * unbound. Other sockets: the kernel. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/sockaddr.h"
#include "supervise.h"

/* The copy-out rule of getsockname(2): min(room, real) bytes, then the
 * real length; a negative room is EINVAL. */
static int64_t write_name(pid_t tid, uint64_t addr, uint64_t lenp, const struct sockaddr_in *sin)
{
	int32_t room, real = sizeof(*sin);
	if (clat_sv_read(tid, lenp, &room, sizeof(room)) != (ssize_t)sizeof(room))
		return -EFAULT;
	if (room < 0)
		return -EINVAL;
	size_t n = (size_t)room < sizeof(*sin) ? (size_t)room : sizeof(*sin);
	if (clat_sv_write(tid, addr, sin, n) != 0 || clat_sv_write(tid, lenp, &real, sizeof(real)) != 0)
		return -EFAULT;
	return 0;
}

static int64_t name_of(struct clat_sv_req *req, bool peer)
{
	const __u64 *a = req->notif->data.args;
	struct clat_sv_twin twin;
	int mine;
	if (!clat_sv_twin_find(req, (int)a[0], &twin, &mine))
		return CLAT_SV_CONTINUE;
	struct sockaddr_in6 sin6;
	socklen_t len = sizeof(sin6);
	int rc = peer ? getpeername(mine, (struct sockaddr *)&sin6, &len) :
		getsockname(mine, (struct sockaddr *)&sin6, &len);
	int err = errno;
	close(mine);
	if (rc != 0)
		return -err;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = sin6.sin6_port };
	if (peer) {
		if (!clat_sv_peer_view(req->settings, &sin6, &sin))
			return CLAT_SV_CONTINUE; /* a plain IPv6 peer: the kernel's view */
	} else if (clat_sockaddr_from_v4mapped(&sin6, &sin)) {
		/* a kept destination: its real local address */
	} else if (!IN6_IS_ADDR_UNSPECIFIED(&sin6.sin6_addr)) {
		sin.sin_addr = req->settings->local_ipv4;
	}
	return write_name((pid_t)req->notif->pid, a[1], a[2], &sin);
}

int64_t clat_sv_on_getpeername(struct clat_sv_req *req) { return name_of(req, true); }
int64_t clat_sv_on_getsockname(struct clat_sv_req *req) { return name_of(req, false); }
