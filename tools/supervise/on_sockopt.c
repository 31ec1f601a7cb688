/* IPv4-level options (the level the filter traps) on a twin: set (also as
 * they are) and read on its IPv6 equivalent through the shared table (core/sockopt.c, RFC 7915
 * s4.1 for TOS/TTL); IPv4-only options without meaning there are accepted
 * and dropped, as the library does; SO_DOMAIN reads AF_INET. Other
 * sockets: the kernel. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/sockopt.h"
#include "supervise.h"

#define OPTVAL_MAX 64

int64_t clat_sv_on_setsockopt(struct clat_sv_req *req)
{
	const __u64 *a = req->notif->data.args;
	struct clat_sv_twin twin;
	int mine, level, name;
	uint32_t optlen = (uint32_t)a[4];
	if (optlen > OPTVAL_MAX || !clat_sv_twin_find(req, (int)a[0], &twin, &mine))
		return CLAT_SV_CONTINUE;
	enum clat_sockopt_class c = clat_sockopt_classify(IPPROTO_IP, (int)a[2], &level, &name);
	if (c != CLAT_SOCKOPT_MAP && c != CLAT_SOCKOPT_DROP) {
		close(mine);
		return CLAT_SV_CONTINUE;
	}
	unsigned char value[OPTVAL_MAX];
	int64_t rc = 0;
	if (clat_sv_read((pid_t)req->notif->pid, a[3], value, optlen) != (ssize_t)optlen) {
		rc = -EFAULT;
	} else if (c == CLAT_SOCKOPT_MAP) {
		int as_int = value[0];
		const void *v = value;
		/* IP_TOS/IP_TTL may be one byte; the IPv6 options want an int. */
		if (optlen == 1) {
			v = &as_int;
			optlen = sizeof(as_int);
		}
		rc = setsockopt(mine, level, name, v, optlen) == 0 ? 0 : -errno;
		/* The IPv4 value too, best effort: it applies to a kept
		 * (::ffff:) connection of an early twin and goes with it when
		 * it becomes AF_INET again (on_socket.c). */
		if (rc == 0)
			(void)setsockopt(mine, IPPROTO_IP, (int)a[2], value, (uint32_t)a[4]);
	}
	close(mine);
	return rc;
}

/* SO_DOMAIN on a twin: AF_INET, the family the program created. */
static int64_t socket_domain(struct clat_sv_req *req)
{
	const __u64 *a = req->notif->data.args;
	pid_t tid = (pid_t)req->notif->pid;
	struct clat_sv_twin twin;
	int32_t room, family = AF_INET, len = sizeof(family);
	if (clat_sv_read(tid, a[4], &room, sizeof(room)) != (ssize_t)sizeof(room) ||
	    room < (int32_t)sizeof(family) || !clat_sv_twin_find(req, (int)a[0], &twin, NULL))
		return CLAT_SV_CONTINUE;
	if (clat_sv_write(tid, a[3], &family, sizeof(family)) != 0 ||
	    clat_sv_write(tid, a[4], &len, sizeof(len)) != 0)
		return -EFAULT;
	return 0;
}

int64_t clat_sv_on_getsockopt(struct clat_sv_req *req)
{
	const __u64 *a = req->notif->data.args;
	pid_t tid = (pid_t)req->notif->pid;
	struct clat_sv_twin twin;
	int mine, level, name;
	int32_t room;
	if ((int)a[1] == SOL_SOCKET)
		return socket_domain(req);
	if (!clat_sockopt_query_v6((int)a[2], &level, &name) ||
	    clat_sv_read(tid, a[4], &room, sizeof(room)) != (ssize_t)sizeof(room) || room < 0 ||
	    !clat_sv_twin_find(req, (int)a[0], &twin, &mine))
		return CLAT_SV_CONTINUE;
	unsigned char value[OPTVAL_MAX];
	socklen_t len = (socklen_t)room < OPTVAL_MAX ? (socklen_t)room : OPTVAL_MAX;
	int rc = getsockopt(mine, level, name, value, &len);
	int err = errno;
	close(mine);
	if (rc != 0)
		return -err;
	if ((int)a[2] == IP_MTU && len == sizeof(int)) {
		int mtu;
		memcpy(&mtu, value, sizeof(mtu));
		mtu -= 20; /* RFC 7915 s5.2: the IPv4 path MTU is 20 bytes less */
		memcpy(value, &mtu, sizeof(mtu));
	}
	int32_t out = (int32_t)len;
	if (clat_sv_write(tid, a[3], value, len) != 0 || clat_sv_write(tid, a[4], &out, sizeof(out)) != 0)
		return -EFAULT;
	return 0;
}
