/* Options the program set on its IPv4 socket before connect, carried over
 * to the twin (and back, when an early twin becomes IPv4 again at bind).
 * Only options whose value differs from a fresh IPv4 socket's are set
 * again, so an untouched socket costs one getsockopt per option and no
 * setsockopt. IPv4-level options map to their IPv6 twins
 * through the shared table (core/sockopt.c, RFC 7915 s4.1 for TOS/TTL).
 * SO_BROADCAST is left behind: it has no IPv6 meaning (RFC 6535 s4.1),
 * and broadcast destinations are never translated (core/policy.c), while
 * Go sets it on every datagram socket. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/sockopt.h"
#include "supervise.h"

struct option_spec {
	int level, name;
};

static const struct option_spec options[] = {
	{ SOL_SOCKET, SO_REUSEADDR }, { SOL_SOCKET, SO_REUSEPORT },
	{ SOL_SOCKET, SO_KEEPALIVE }, { SOL_SOCKET, SO_PRIORITY },
	{ SOL_SOCKET, SO_RCVLOWAT }, { SOL_SOCKET, SO_OOBINLINE },
	{ SOL_SOCKET, SO_MARK }, { SOL_SOCKET, SO_RCVBUF }, { SOL_SOCKET, SO_SNDBUF },
	{ SOL_SOCKET, SO_LINGER }, { SOL_SOCKET, SO_RCVTIMEO }, { SOL_SOCKET, SO_SNDTIMEO },
	{ SOL_SOCKET, SO_BINDTODEVICE },
	{ IPPROTO_TCP, TCP_NODELAY }, { IPPROTO_TCP, TCP_KEEPIDLE },
	{ IPPROTO_TCP, TCP_KEEPINTVL }, { IPPROTO_TCP, TCP_KEEPCNT },
	{ IPPROTO_TCP, TCP_USER_TIMEOUT }, { IPPROTO_TCP, TCP_SYNCNT },
	{ IPPROTO_TCP, TCP_WINDOW_CLAMP }, { IPPROTO_TCP, TCP_NOTSENT_LOWAT },
	{ IPPROTO_TCP, TCP_FASTOPEN_CONNECT }, { IPPROTO_TCP, TCP_CONGESTION },
	{ IPPROTO_TCP, TCP_MAXSEG },
	{ IPPROTO_IP, IP_TOS }, { IPPROTO_IP, IP_TTL }, { IPPROTO_IP, IP_RECVTOS },
	{ IPPROTO_IP, IP_RECVTTL }, { IPPROTO_IP, IP_PKTINFO }, { IPPROTO_IP, IP_RECVERR },
	{ IPPROTO_IP, IP_MTU_DISCOVER }, { IPPROTO_IP, IP_FREEBIND },
	{ IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT }, { IPPROTO_IP, IP_MINTTL },
	{ IPPROTO_IP, IP_UNICAST_IF },
};
#define OPTION_COUNT (sizeof(options) / sizeof(options[0]))
#define VALUE_MAX 32

struct value {
	socklen_t len; /* 0: cannot be read on this socket type */
	unsigned char bytes[VALUE_MAX];
};

/* A fresh IPv4 socket's values, per type (stream, datagram). */
static struct value defaults[2][OPTION_COUNT];
static pthread_once_t defaults_once = PTHREAD_ONCE_INIT;

static bool is_tcp_option(const struct option_spec *o) { return o->level == IPPROTO_TCP; }

static void read_value(int fd, const struct option_spec *o, struct value *v)
{
	v->len = VALUE_MAX;
	memset(v->bytes, 0, sizeof(v->bytes));
	if (getsockopt(fd, o->level, o->name, v->bytes, &v->len) != 0)
		v->len = 0;
}

static void read_defaults(void)
{
	static const int types[2] = { SOCK_STREAM, SOCK_DGRAM };
	for (int t = 0; t < 2; t++) {
		int fd = socket(AF_INET, types[t] | SOCK_CLOEXEC, 0);
		for (size_t i = 0; i < OPTION_COUNT; i++) {
			defaults[t][i].len = 0;
			if (fd >= 0 && (types[t] == SOCK_STREAM || !is_tcp_option(&options[i])))
				read_value(fd, &options[i], &defaults[t][i]);
		}
		if (fd >= 0)
			close(fd);
	}
}

bool clat_sv_copy_options(int old, int fresh, int type, int fresh_family)
{
	pthread_once(&defaults_once, read_defaults);
	int t = type == SOCK_STREAM ? 0 : 1;
	for (size_t i = 0; i < OPTION_COUNT; i++) {
		const struct option_spec *o = &options[i];
		const struct value *d = &defaults[t][i];
		struct value v;
		if (d->len == 0)
			continue;
		read_value(old, o, &v);
		if (v.len == 0 || (v.len == d->len && memcmp(v.bytes, d->bytes, v.len) == 0))
			continue;
		int level = o->level, name = o->name;
		/* An AF_INET6 socket keeps IPv4-level values too (the twin's
		 * setsockopt handler sets both), read back as they are. */
		enum clat_sockopt_class c = fresh_family == AF_INET ? CLAT_SOCKOPT_COPY :
			clat_sockopt_classify(o->level, o->name, &level, &name);
		if (c != CLAT_SOCKOPT_COPY && c != CLAT_SOCKOPT_MAP)
			continue;
		const void *value = v.bytes;
		socklen_t len = v.len;
		int half;
		/* getsockopt reports the doubled buffer size (socket(7)). */
		if (o->level == SOL_SOCKET && (o->name == SO_RCVBUF || o->name == SO_SNDBUF)) {
			memcpy(&half, v.bytes, sizeof(half));
			half /= 2;
			value = &half;
			len = sizeof(half);
		}
		if (o->name == SO_BINDTODEVICE && o->level == SOL_SOCKET)
			len = (socklen_t)strnlen((const char *)v.bytes, v.len);
		if (setsockopt(fresh, level, name, value, len) != 0)
			return false;
	}
	return true;
}
