/* fake_ares.c - a host program that exports its own ares_* functions, as
 * Node.js does, for run-discovery.sh. Built at test time:
 *   gcc -rdynamic -o fake_ares fake_ares.c
 * Each fake writes "FAKE-ARES-CALLED name" to stderr and aborts, so any call
 * that lands here (libclat's c-ares captured by the host) kills the process.
 *
 *   fake_ares get HOST PORT MARKER   AF_INET TCP connect, HTTP GET /, prints the
 *                                    response; exit 0 when MARKER is in it
 *   fake_ares selftest               calls ares_query found with
 *                                    dlsym(RTLD_DEFAULT): must abort (the
 *                                    fakes are exported and reachable)
 *   fake_ares capture SONAME [deep]  dlopen(SONAME) the real c-ares, RTLD_LOCAL
 *                                    (plus RTLD_DEEPBIND with "deep"), and run
 *                                    its ares_query, which calls ares_send
 *                                    inside: without DEEPBIND that call lands in
 *                                    the fake (abort), with it in c-ares
 *                                    ("capture: not captured", exit 0).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static void fake(const char *name)
{
	char line[96];
	int n = snprintf(line, sizeof(line), "FAKE-ARES-CALLED %s\n", name);
	if (write(2, line, (size_t)n) < 0) {
		/* nothing to do: abort anyway */
	}
	abort();
}

/* Signatures as far as the ABI goes; none of them returns. */
int ares_library_init(int flags);
int ares_init_options(void *channel, void *options, int optmask);
void ares_query(void *channel, const char *name, int dnsclass, int type, void *cb, void *arg);
void ares_send(void *channel, const unsigned char *qbuf, int qlen, void *cb, void *arg);
void ares_process_fd(void *channel, int read_fd, int write_fd);

int ares_library_init(int flags)
{
	(void)flags;
	fake("ares_library_init");
	return 0;
}
int ares_init_options(void *channel, void *options, int optmask)
{
	(void)channel, (void)options, (void)optmask;
	fake("ares_init_options");
	return 0;
}
void ares_query(void *channel, const char *name, int dnsclass, int type, void *cb, void *arg)
{
	(void)channel, (void)name, (void)dnsclass, (void)type, (void)cb, (void)arg;
	fake("ares_query");
}
void ares_send(void *channel, const unsigned char *qbuf, int qlen, void *cb, void *arg)
{
	(void)channel, (void)qbuf, (void)qlen, (void)cb, (void)arg;
	fake("ares_send");
}
void ares_process_fd(void *channel, int read_fd, int write_fd)
{
	(void)channel, (void)read_fd, (void)write_fd;
	fake("ares_process_fd");
}

static int get(const char *host, const char *port, const char *marker)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	struct timeval tv = { .tv_sec = 5 };
	static char buf[65536];
	size_t used = 0;
	char req[256];

	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		fprintf(stderr, "fake_ares: bad IPv4 address %s\n", host);
		return 2;
	}
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("fake_ares: socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		perror("fake_ares: connect");
		return 1;
	}
	int n = snprintf(req, sizeof(req), "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", host);
	if (write(fd, req, (size_t)n) != n) {
		perror("fake_ares: write");
		return 1;
	}
	for (;;) {
		ssize_t got = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (got < 0) {
			perror("fake_ares: read");
			return 1;
		}
		if (got == 0 || (used += (size_t)got) == sizeof(buf) - 1)
			break;
	}
	buf[used] = '\0';
	close(fd);
	fputs(buf, stdout);
	if (strstr(buf, marker) == NULL) {
		fprintf(stderr, "fake_ares: marker %s not in the response\n", marker);
		return 1;
	}
	printf("\nFAKEOK\n");
	return 0;
}

static void no_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	(void)arg, (void)status, (void)timeouts, (void)abuf, (void)alen;
}

static int capture(const char *soname, int deep)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL | (deep ? RTLD_DEEPBIND : 0));
	if (h == NULL) {
		fprintf(stderr, "fake_ares: %s\n", dlerror());
		return 2;
	}
	int (*init)(int) = (int (*)(int))dlsym(h, "ares_library_init");
	int (*init_options)(void **, void *, int) =
		(int (*)(void **, void *, int))dlsym(h, "ares_init_options");
	void (*query)(void *, const char *, int, int, void *, void *) =
		(void (*)(void *, const char *, int, int, void *, void *))dlsym(h, "ares_query");
	void (*destroy)(void *) = (void (*)(void *))dlsym(h, "ares_destroy");
	void *channel = NULL;
	if (!init || !init_options || !query || !destroy || init(1 /* ARES_LIB_INIT_ALL */) != 0 ||
	    init_options(&channel, NULL, 0) != 0) {
		fprintf(stderr, "fake_ares: cannot set up %s\n", soname);
		return 2;
	}
	/* ipv4only.arpa AAAA; the callback runs at ares_destroy (cancelled). */
	query(channel, "ipv4only.arpa", 1, 28, (void *)no_answer, NULL);
	destroy(channel);
	printf("capture: not captured\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "get") == 0)
		return get(argv[2], argv[3], argv[4]);
	if (argc == 2 && strcmp(argv[1], "selftest") == 0) {
		void (*q)(void *, const char *, int, int, void *, void *) =
			(void (*)(void *, const char *, int, int, void *, void *))dlsym(RTLD_DEFAULT,
											   "ares_query");
		if (q == NULL || q != ares_query) {
			fprintf(stderr, "fake_ares: ares_query is not exported (build with -rdynamic)\n");
			return 2;
		}
		q(NULL, "ipv4only.arpa", 1, 28, NULL, NULL);
		return 3; /* not reached */
	}
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "capture") == 0)
		return capture(argv[2], argc == 4 && strcmp(argv[3], "deep") == 0);
	fprintf(stderr, "usage: fake_ares get HOST PORT MARKER | selftest | capture SONAME [deep]\n");
	return 2;
}
