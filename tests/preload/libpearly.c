/* libpearly: a preload library whose constructor uses the network, for
 * run-preload.sh. libclat has no constructor of its own and sets itself up
 * on first use; this library's constructor makes the first hooked calls of
 * the process, before main and, depending on the preload order, before
 * any other constructor. When P_EARLY_DST is set, the constructor
 * connects an AF_INET TCP socket to P_EARLY_DST:P_EARLY_PORT, asks
 * t_server "PEER", and appends to P_EARLY_OUT (stderr when unset):
 *   early via=FILE                   (the object whose connect it calls)
 *   early connect ok | early connect ERRNO
 *   early server PEER FAM ADDR PORT LOCAL ADDR PORT */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "perrname.h"

static int out_fd = 2;

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	ssize_t w = write(out_fd, line, (size_t)n);
	(void)w;
}

__attribute__((constructor)) static void early_connect(void)
{
	const char *dst = getenv("P_EARLY_DST");
	const char *port = getenv("P_EARLY_PORT");
	const char *out = getenv("P_EARLY_OUT");
	if (dst == NULL)
		return;
	if (out != NULL)
		out_fd = open(out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (out_fd < 0)
		return;

	Dl_info info;
	void *sym = dlsym(RTLD_DEFAULT, "connect");
	say("early via=%s", sym != NULL && dladdr(sym, &info) && info.dli_fname ? info.dli_fname
										  : "?");
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(port != NULL ? port : "7001"));
	if (inet_pton(AF_INET, dst, &sin.sin_addr) != 1) {
		say("early bad address %s", dst);
		return;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		say("early socket %s", p_errname(errno));
		return;
	}
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		say("early connect %s", p_errname(errno));
		close(fd);
		return;
	}
	say("early connect ok");
	char line[256];
	size_t n = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (write(fd, "PEER\n", 5) == 5) {
		while (n + 1 < sizeof(line) && poll(&p, 1, 5000) == 1 &&
		       read(fd, line + n, 1) == 1 && line[n] != '\n')
			n++;
	}
	line[n] = '\0';
	say("early server %s", line);
	close(fd);
}
