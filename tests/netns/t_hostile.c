/* t_hostile: the steps of run-hostile.sh, one command per run, printing
 * what happened one line each (the script greps them). Run under libclat
 * (LD_PRELOAD) in the test namespace, where NAME has only an AAAA record
 * (/etc/hosts) so that the address mapper hands out a pool address.
 *
 *   t_hostile resolve NAME
 *       resolve NAME A.B.C.D | resolve NAME error TEXT
 *   t_hostile connect A.B.C.D PORT
 *       connect ok PEER-LINE | connect ERRNO          (t_server's "PEER")
 *   t_hostile drop NAME ATTACK-IPV6
 *       As root: resolve NAME (root's table is mapped), setresuid/setresgid
 *       to 65534 and resolve NAME again (a mapper call), then try what
 *       the unprivileged code could do to root's table:
 *       table-mapping rw|ro|none           (from /proc/self/maps)
 *       attack wrote ATTACK-IPV6 into slot N | attack impossible
 *       open-rw ok | open-rw ERRNO         (root's table file, for a lock)
 *       and stays alive until stdin reaches EOF ("holding").
 *   t_hostile truncate NAME NAME2
 *       resolve NAME, truncate the table file (found in /proc/self/maps)
 *       to one page under the live mapping, then resolve NAME and NAME2
 *       and connect to NAME's address: each answer printed; the process
 *       must get answers, not SIGBUS.
 *   t_hostile hold PATH
 *       takes the open-file-description lock on PATH ("held"), then waits
 *       for stdin to reach EOF (or to be killed).
 * Exit status: 0 (the lines say what happened), 2 usage or setup error. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/addrmap.h"
#include "tcommon.h"

#define NOBODY 65534

static bool resolve(const char *name, struct in_addr *out)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res;
	int rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc != 0) {
		printf("resolve %s error %s\n", name, gai_strerror(rc));
		return false;
	}
	*out = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	char text[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, out, text, sizeof(text));
	printf("resolve %s %s\n", name, text);
	return true;
}

static void connect_to(struct in_addr addr, unsigned port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = addr };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		printf("connect %s\n", t_errname(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	char line[256];
	ssize_t n = -1;
	if (write(fd, "PEER\n", 5) == 5) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, T_IO_TIMEOUT_MS) == 1)
			n = read(fd, line, sizeof(line) - 1);
	}
	line[n > 0 ? n : 0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	printf("connect ok %s\n", line);
	close(fd);
}

/* The table's mapping in /proc/self/maps: its start, its path, writable. */
static bool find_table(char *path, size_t pathlen, unsigned long *start, bool *writable)
{
	FILE *maps = fopen("/proc/self/maps", "re");
	char line[1024];
	bool found = false;
	while (!found && maps != NULL && fgets(line, sizeof(line), maps) != NULL) {
		char perms[8], *p = strchr(line, '/');
		if (p == NULL || strstr(p, "/addrmap-v") == NULL ||
		    sscanf(line, "%lx-%*x %7s", start, perms) != 2)
			continue;
		p[strcspn(p, "\n")] = '\0';
		snprintf(path, pathlen, "%s", p);
		*writable = perms[1] == 'w';
		found = true;
	}
	if (maps != NULL)
		fclose(maps);
	return found;
}

static void wait_for_eof(void)
{
	char buf[64];
	printf("holding\n");
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
}

static int drop(const char *name, const char *attack_text)
{
	struct in_addr addr;
	struct in6_addr attack;
	char path[512] = "";
	unsigned long start;
	bool writable;
	if (inet_pton(AF_INET6, attack_text, &attack) != 1 || !resolve(name, &addr))
		return 2;
	if (!find_table(path, sizeof(path), &start, &writable)) {
		printf("setup: root's table is not mapped\n");
		return 2;
	}
	printf("root-table %s\n", path);
	if (setgroups(0, NULL) != 0 || setresgid(NOBODY, NOBODY, NOBODY) != 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) != 0) {
		printf("setup: cannot drop to %d: %s\n", NOBODY, t_errname(errno));
		return 2;
	}
	printf("dropped euid=%u\n", (unsigned)geteuid());
	resolve(name, &addr);
	char now_path[512];
	unsigned long now_start;
	if (!find_table(now_path, sizeof(now_path), &now_start, &writable) ||
	    strcmp(now_path, path) != 0) {
		printf("table-mapping none\n");
		printf("attack impossible\n");
	} else {
		printf("table-mapping %s\n", writable ? "rw" : "ro");
		if (writable) {
			/* What unprivileged code could do with a writable mapping. */
			const struct clat_map_header *map = (const void *)now_start;
			uint32_t index = ntohl(addr.s_addr) & ((1u << 12) - 1);
			unsigned char *slot = (unsigned char *)now_start + map->header_size +
					      index * map->slot_size;
			memcpy(slot + offsetof(struct clat_map_slot, ipv6), &attack, sizeof(attack));
			printf("attack wrote %s into slot %u\n", attack_text, (unsigned)index);
		} else {
			printf("attack impossible\n");
		}
	}
	int fd = open(path, O_RDWR | O_CLOEXEC);
	printf("open-rw %s\n", fd >= 0 ? "ok" : t_errname(errno));
	wait_for_eof();
	return 0;
}

static int truncate_table(const char *name, const char *name2)
{
	struct in_addr addr, other;
	char path[512];
	unsigned long start;
	bool writable;
	if (!resolve(name, &addr))
		return 2;
	if (!find_table(path, sizeof(path), &start, &writable)) {
		printf("setup: no table mapped\n");
		return 2;
	}
	if (truncate(path, 4096) != 0) {
		printf("setup: truncate %s: %s\n", path, t_errname(errno));
		return 2;
	}
	printf("truncated %s\n", path);
	fflush(stdout);
	resolve(name, &other);
	resolve(name2, &other);
	connect_to(addr, (unsigned)atoi(getenv("T_TCP") ? getenv("T_TCP") : "7001"));
	printf("alive\n");
	return 0;
}

static int hold(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	if (fd < 0 || fcntl(fd, F_OFD_SETLKW, &fl) != 0) {
		printf("setup: cannot lock %s: %s\n", path, t_errname(errno));
		return 2;
	}
	printf("held\n");
	wait_for_eof();
	return 0;
}

int main(int argc, char **argv)
{
	struct in_addr addr;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "resolve") == 0) {
		resolve(argv[2], &addr);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "connect") == 0 && inet_pton(AF_INET, argv[2], &addr) == 1) {
		connect_to(addr, (unsigned)atoi(argv[3]));
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "drop") == 0)
		return drop(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "truncate") == 0)
		return truncate_table(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "hold") == 0)
		return hold(argv[2]);
	fprintf(stderr, "usage: t_hostile resolve NAME | connect A.B.C.D PORT | "
		"drop NAME ATTACK-IPV6 | truncate NAME NAME2 | hold PATH\n");
	return 2;
}
