/* p_probe: the client of the preload tests (run-preload.sh). It never sets
 * LD_PRELOAD or any CLAT_* variable itself: whatever translation happens
 * comes from /etc/ld.so.preload, LD_PRELOAD and /etc/clat.conf as the
 * script arranged them. The script also installs copies of it setuid root,
 * setgid root and with file capabilities, run by an unprivileged user.
 *
 *   p_probe info|tcp|udp
 *   p_probe suexec PROGRAM ARG...
 *
 * suexec is a setuid helper that keeps its caller's environment, as su
 * without "-" does: installed setuid root it makes all its ids root
 * (setresuid/setresgid 0), prints its identity, and execs PROGRAM with
 * environ as it finds it; the child is root and not in secure mode.
 *
 * Prints, one per line (the script greps them):
 *   ids ruid=R euid=E rgid=G egid=H secure=0|1     (getauxval(AT_SECURE))
 *   env NAME=VALUE | env NAME unset                 (CLAT_*, LD_PRELOAD)
 *   libclat PATH                                    (each copy mapped)
 *   libclat-copies N
 * tcp: connect to T_DST:T_TCP, ask t_server "PEER":
 *   connect ok | connect ERRNO
 *   server PEER FAM ADDR PORT LOCAL ADDR PORT       (what t_server saw)
 *   peer A.B.C.D:PORT                               (getpeername)
 * udp: sendto T_DST:T_UDP "INFO", wait for the answer:
 *   sendto ok | sendto ERRNO
 *   server INFO FAM ADDR PORT LOCAL ADDR ...
 *   from A.B.C.D:PORT                               (recvfrom's address)
 * Exit status: 0 connected/answered (or info), 1 the connection failed,
 * 2 anything else. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <unistd.h>

#include "perrname.h"

#define IO_TIMEOUT_MS 5000

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v != NULL && *v != '\0' ? v : def;
}

static struct sockaddr_in dest(const char *port_var, const char *port_def)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(env_or(port_var, port_def)));
	if (inet_pton(AF_INET, env_or("T_DST", "203.0.113.10"), &sin.sin_addr) != 1) {
		printf("bad T_DST\n");
		exit(2);
	}
	return sin;
}

static const char *fmt_sa(const struct sockaddr_storage *ss, socklen_t len)
{
	static char out[96];
	char a[INET6_ADDRSTRLEN];
	if (ss->ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		snprintf(out, sizeof(out), "%s:%u", a, ntohs(s->sin_port));
	} else if (ss->ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		snprintf(out, sizeof(out), "[%s]:%u", a, ntohs(s->sin6_port));
	} else {
		snprintf(out, sizeof(out), "(family %u len %u)", ss->ss_family, (unsigned)len);
	}
	return out;
}

static void show_identity(void)
{
	static const char *const vars[] = { "CLAT_PREFIX", "CLAT_MODE", "CLAT_CONFIG",
		"CLAT_DEBUG", "CLAT_DISCOVERED", "CLAT_CACHE_DIR", "LD_PRELOAD", NULL };
	printf("ids ruid=%u euid=%u rgid=%u egid=%u secure=%lu\n", (unsigned)getuid(),
	       (unsigned)geteuid(), (unsigned)getgid(), (unsigned)getegid(),
	       getauxval(AT_SECURE));
	for (int i = 0; vars[i] != NULL; i++) {
		const char *v = getenv(vars[i]);
		if (v != NULL)
			printf("env %s=%s\n", vars[i], v);
		else
			printf("env %s unset\n", vars[i]);
	}
	/* Every distinct file named like libclat that is mapped. */
	char seen[8][512];
	int copies = 0;
	char line[1024];
	FILE *maps = fopen("/proc/self/maps", "r");
	while (maps != NULL && fgets(line, sizeof(line), maps) != NULL) {
		char *path = strchr(line, '/');
		if (path == NULL || strstr(path, "libclat") == NULL)
			continue;
		path[strcspn(path, "\n")] = '\0';
		int known = 0;
		for (int i = 0; i < copies; i++)
			known |= strcmp(seen[i], path) == 0;
		if (!known && copies < 8) {
			snprintf(seen[copies++], sizeof(seen[0]), "%s", path);
			printf("libclat %s\n", path);
		}
	}
	if (maps != NULL)
		fclose(maps);
	printf("libclat-copies %d\n", copies);
}

static int wait_in(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, IO_TIMEOUT_MS);
}

static int probe_tcp(void)
{
	struct sockaddr_in sin = dest("T_TCP", "7001");
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		printf("socket %s\n", p_errname(errno));
		return 2;
	}
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		printf("connect %s\n", p_errname(errno));
		return 1;
	}
	printf("connect ok\n");
	if (write(fd, "PEER\n", 5) != 5) {
		printf("write %s\n", p_errname(errno));
		return 2;
	}
	char line[256];
	size_t n = 0;
	while (n + 1 < sizeof(line)) {
		if (wait_in(fd) != 1) {
			printf("read timeout\n");
			return 2;
		}
		ssize_t r = read(fd, line + n, 1);
		if (r != 1) {
			printf("read %s\n", r == 0 ? "EOF" : p_errname(errno));
			return 2;
		}
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	printf("server %s\n", line);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0) {
		printf("getpeername %s\n", p_errname(errno));
		return 2;
	}
	printf("peer %s\n", fmt_sa(&ss, len));
	close(fd);
	return 0;
}

static int probe_udp(void)
{
	struct sockaddr_in sin = dest("T_UDP", "7002");
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		printf("socket %s\n", p_errname(errno));
		return 2;
	}
	if (sendto(fd, "INFO", 4, 0, (struct sockaddr *)&sin, sizeof(sin)) != 4) {
		printf("sendto %s\n", p_errname(errno));
		return 1;
	}
	printf("sendto ok\n");
	if (wait_in(fd) != 1) {
		printf("recv timeout\n");
		return 1;
	}
	char buf[256];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	ssize_t r = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&ss, &len);
	if (r < 0) {
		printf("recvfrom %s\n", p_errname(errno));
		return 2;
	}
	buf[r] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	printf("server %s\n", buf);
	printf("from %s\n", fmt_sa(&ss, len));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc >= 3 && strcmp(argv[1], "suexec") == 0) {
		show_identity();
		if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) {
			printf("suexec: cannot become root: %s\n", strerror(errno));
			return 2;
		}
		execv(argv[2], argv + 2);
		printf("suexec: exec %s: %s\n", argv[2], strerror(errno));
		return 2;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: p_probe info|tcp|udp\n");
		return 2;
	}
	show_identity();
	if (strcmp(argv[1], "info") == 0)
		return 0;
	if (strcmp(argv[1], "tcp") == 0)
		return probe_tcp();
	if (strcmp(argv[1], "udp") == 0)
		return probe_udp();
	fprintf(stderr, "p_probe: unknown case '%s'\n", argv[1]);
	return 2;
}
