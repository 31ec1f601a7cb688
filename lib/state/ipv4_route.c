#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "state/ipv4_route.h"
#include "sys/clock.h"
#include "sys/sysfile.h"

/* route(8) flags in /proc/net/route's fourth column. */
#define ROUTE_FLAG_UP 0x0001u
#define ROUTE_FLAG_REJECT 0x0200u /* unreachable, prohibit, blackhole */

/* The Flags field (hex) of one line: "Iface Destination Gateway Flags ...". */
static unsigned line_flags(const char *line, const char *end)
{
	int field = 0;
	const char *p = line;
	while (p < end && field < 3) {
		while (p < end && *p != '\t' && *p != ' ')
			p++;
		while (p < end && (*p == '\t' || *p == ' '))
			p++;
		field++;
	}
	unsigned flags = 0;
	for (; p < end; p++) {
		unsigned digit;
		if (*p >= '0' && *p <= '9')
			digit = (unsigned)(*p - '0');
		else if (*p >= 'A' && *p <= 'F')
			digit = (unsigned)(*p - 'A' + 10);
		else
			break;
		flags = flags * 16 + digit;
	}
	return flags;
}

/* 1: no usable IPv4 route; 0: one at least; -1: unknown. The first route
 * line decides in practice, so one read of the file's start is enough;
 * a table whose start is all reject routes counts as unrouted. */
static int read_route_table(void)
{
	char buf[4096];
	int fd = clat_sys_open("/proc/net/route", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	ssize_t n = clat_sys_read(fd, buf, sizeof(buf));
	clat_sys_close(fd);
	if (n <= 0)
		return -1;
	const char *end = buf + n, *line = buf;
	bool header = true;
	while (line < end) {
		const char *eol = line;
		while (eol < end && *eol != '\n')
			eol++;
		if (eol == end && n == (ssize_t)sizeof(buf))
			break; /* a cut line: the lines read so far decide */
		if (!header) {
			unsigned flags = line_flags(line, eol);
			if ((flags & ROUTE_FLAG_UP) && !(flags & ROUTE_FLAG_REJECT))
				return 0;
		}
		header = false;
		line = eol + 1;
	}
	return 1;
}

/* 1: new AF_INET6 sockets are dual-stack (net.ipv6.bindv6only 0, the
 * default); 0: they are IPv6-only; -1: unknown. */
static int read_bindv6only(void)
{
	char c;
	int fd = clat_sys_open("/proc/sys/net/ipv6/bindv6only", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	ssize_t n = clat_sys_read(fd, &c, 1);
	clat_sys_close(fd);
	return n == 1 && (c == '0' || c == '1') ? c == '0' : -1;
}

/* 1: no IPv4 address but loopback ones (127/8); 0: another one; -1:
 * unknown. SIOCGIFCONF (netdevice(7)) lists every IPv4 address; the
 * socket is made and closed by direct system calls (no hook, no
 * interposer sees them). */
static int read_loopback_only(void)
{
	struct ifreq req[32];
	struct ifconf conf = { .ifc_len = sizeof(req), .ifc_req = req };
	int fd = (int)syscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int rc = (int)syscall(SYS_ioctl, fd, SIOCGIFCONF, &conf);
	clat_sys_close(fd);
	if (rc != 0)
		return -1;
	int n = conf.ifc_len / (int)sizeof(req[0]);
	for (int i = 0; i < n; i++) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&req[i].ifr_addr;
		if (sin->sin_family == AF_INET && (ntohl(sin->sin_addr.s_addr) >> 24) != 127)
			return 0;
	}
	return conf.ifc_len < (int)sizeof(req) ? 1 : -1; /* a full buffer may hide more */
}

static int unrouted = -1, dual_stack = -1, loopback_only = -1;

/* Both answers, read again once CLAT_IPV4_ROUTE_RECHECK_MS have passed.
 * Racing threads may both read; each stores whole, correct answers. */
static void refresh(void)
{
	static int64_t checked_at;
	int64_t now = clat_now_ms();
	int64_t then = __atomic_load_n(&checked_at, __ATOMIC_ACQUIRE);
	if (then != 0 && now - then < CLAT_IPV4_ROUTE_RECHECK_MS)
		return;
	int no_route = read_route_table();
	__atomic_store_n(&loopback_only, no_route == 1 ? read_loopback_only() : 0, __ATOMIC_RELAXED);
	__atomic_store_n(&unrouted, no_route, __ATOMIC_RELAXED);
	__atomic_store_n(&dual_stack, read_bindv6only(), __ATOMIC_RELAXED);
	__atomic_store_n(&checked_at, now != 0 ? now : 1, __ATOMIC_RELEASE);
}

bool clat_ipv4_unrouted(void)
{
	refresh();
	return __atomic_load_n(&unrouted, __ATOMIC_RELAXED) == 1;
}

bool clat_ipv4_unreachable(void)
{
	refresh();
	return __atomic_load_n(&unrouted, __ATOMIC_RELAXED) == 1 &&
	       __atomic_load_n(&loopback_only, __ATOMIC_RELAXED) == 1;
}

bool clat_ipv6_sockets_dual_stack(void)
{
	refresh();
	return __atomic_load_n(&dual_stack, __ATOMIC_RELAXED) == 1;
}
