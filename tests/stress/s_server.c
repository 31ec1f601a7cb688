/* s_server: the peer of the stress tests (tests/stress). Never run under
 * libclat.
 *
 *   s_server -a SYNTH -t TCPPORT -u UDPPORT -s SLOWUDPPORT -b BLACKPORT
 *            [-d DNSPORT -D DELAYMS -p PREFIX96]
 *
 * Everything listens on [::] with IPV6_V6ONLY off (v4-mapped peers are plain
 * IPv4 clients, the reference runs).
 *
 * TCP: two threads, each with its own SO_REUSEPORT listener and epoll set.
 * Every accepted connection is counted by its local address: "synth" when it
 * is SYNTH (what libclat's translated connects reach), "mapped" when it is
 * v4-mapped, "other" otherwise. A connection is kept until EOF or reset;
 * a line "COUNT" is answered with "COUNT synth mapped other", anything else
 * is echoed back.
 *
 * UDP: every datagram is echoed back to its sender (two threads on one
 * socket, an 8 MB receive buffer so that loopback never drops).
 *
 * Black TCP (-b): a listener with a backlog of 0 that never accepts, filled
 * at start by a connection of s_server's own: every later SYN is dropped
 * (accept queue full), so connects to it block (the signal tests).
 *
 * Slow UDP: a datagram "DELAY ms" is answered, ms milliseconds later, with
 * "LATE ms" (one at a time; the signal tests use it to block a recvfrom).
 *
 * DNS (optional): answers AAAA ipv4only.arpa with PREFIX96 + 192.0.0.170 and
 * .171 (TTL 3600), DELAYMS after the query arrived, so that a process's
 * prefix discovery holds libclat's discovery lock that long. Any other query
 * is answered NODATA at once. The number of ipv4only.arpa queries is logged
 * to stderr as "dns queries N" at each answer.
 *
 * Ready when all sockets are bound: it then prints "ready" on stdout. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TCP_THREADS 2
#define UDP_THREADS 2

static struct in6_addr synth;
static atomic_ulong n_synth, n_mapped, n_other;
static unsigned short tcp_port;

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "s_server: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int bound_socket(int type, unsigned short port, int reuseport)
{
	struct sockaddr_in6 any = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	int fd = socket(AF_INET6, type | SOCK_CLOEXEC, 0), off = 0, on = 1;

	if (fd == -1)
		die("socket");
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1))
		die("setsockopt");
	if (bind(fd, (struct sockaddr *)&any, sizeof(any)) == -1)
		die("bind");
	return fd;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the client went away: its problem */
		buf += w;
		len -= (size_t)w;
	}
}

static void *tcp_thread(void *arg)
{
	int lfd = bound_socket(SOCK_STREAM | SOCK_NONBLOCK, tcp_port, 1);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd };

	(void)arg;
	if (listen(lfd, 4096) == -1)
		die("listen");
	if (ep == -1 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == -1)
		die("epoll");
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, -1);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				for (;;) {
					struct sockaddr_in6 local;
					socklen_t len = sizeof(local);
					int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

					if (c == -1)
						break; /* EAGAIN, or a connection reset early */
					if (getsockname(c, (struct sockaddr *)&local, &len) == 0 &&
					    local.sin6_family == AF_INET6 &&
					    memcmp(&local.sin6_addr, &synth, sizeof(synth)) == 0)
						atomic_fetch_add(&n_synth, 1);
					else if (IN6_IS_ADDR_V4MAPPED(&local.sin6_addr))
						atomic_fetch_add(&n_mapped, 1);
					else
						atomic_fetch_add(&n_other, 1);
					struct epoll_event cev = { .events = EPOLLIN | EPOLLRDHUP,
								   .data.fd = c };
					if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev) == -1)
						close(c);
				}
				continue;
			}
			char buf[512];
			ssize_t r = read(fd, buf, sizeof(buf));

			if (r == -1 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0) {
				close(fd); /* also leaves the epoll set */
				continue;
			}
			if (r >= 5 && memcmp(buf, "COUNT", 5) == 0) {
				char out[128];
				int len = snprintf(out, sizeof(out), "COUNT %lu %lu %lu\n",
						   atomic_load(&n_synth), atomic_load(&n_mapped),
						   atomic_load(&n_other));
				write_all(fd, out, (size_t)len);
			} else {
				write_all(fd, buf, (size_t)r);
			}
		}
	}
	return NULL;
}

static void *udp_thread(void *arg)
{
	int fd = *(int *)arg;

	for (;;) {
		char buf[2048];
		struct sockaddr_in6 peer;
		socklen_t len = sizeof(peer);
		ssize_t r = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &len);

		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			die("udp recvfrom");
		if (sendto(fd, buf, (size_t)r, 0, (struct sockaddr *)&peer, len) == -1)
			fprintf(stderr, "s_server: udp sendto: %s\n", strerror(errno));
	}
	return NULL;
}

static void *slow_thread(void *arg)
{
	int fd = *(int *)arg;

	for (;;) {
		char buf[256], out[64];
		struct sockaddr_in6 peer;
		socklen_t len = sizeof(peer);
		ssize_t r = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&peer, &len);
		long ms;

		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			die("slow recvfrom");
		buf[r] = '\0';
		if (sscanf(buf, "DELAY %ld", &ms) != 1 || ms < 0 || ms > 10000)
			ms = 0;
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
		int n = snprintf(out, sizeof(out), "LATE %ld", ms);
		sendto(fd, out, (size_t)n, 0, (struct sockaddr *)&peer, len);
	}
	return NULL;
}

/* ---- DNS: the bare minimum of RFC 1035 for one name. */
static int dns_fd = -1;
static long dns_delay_ms;
static struct in6_addr dns_prefix;

struct pending {
	struct sockaddr_in6 peer;
	socklen_t peerlen;
	unsigned char msg[512];
	size_t len;
	int64_t due_ms;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Builds the answer in place; returns its length, or 0 to drop the query. */
static size_t dns_answer(unsigned char *m, size_t len, bool *ours)
{
	static const unsigned char name[] = "\x08ipv4only\x04" "arpa";
	size_t q = 12, end;

	*ours = false;
	if (len < 12 + 5 || (m[2] & 0x80) || m[4] != 0 || m[5] != 1)
		return 0;
	while (q < len && m[q] != 0)
		q += (size_t)m[q] + 1;
	end = q + 5;
	if (end > len)
		return 0;
	unsigned qtype = (unsigned)m[q + 1] << 8 | m[q + 2];
	bool is_name = q - 12 == sizeof(name) - 1 && strncasecmp((char *)m + 12, (const char *)name,
								sizeof(name) - 1) == 0;
	m[2] = 0x84 | (m[2] & 0x01); /* QR, AA, keep RD */
	m[3] = 0x80;                  /* RA, NOERROR */
	m[6] = m[7] = m[8] = m[9] = m[10] = m[11] = 0;
	if (!is_name || qtype != 28)
		return end;
	*ours = true;
	m[7] = 2;
	for (int i = 0; i < 2; i++) {
		unsigned char rr[28] = { 0xc0, 0x0c, 0, 28, 0, 1, 0, 0, 0x0e, 0x10, 0, 16 };

		memcpy(rr + 12, &dns_prefix, 16);
		rr[12 + 12] = 192;
		rr[12 + 13] = 0;
		rr[12 + 14] = 0;
		rr[12 + 15] = (unsigned char)(170 + i);
		if (end + sizeof(rr) > 512)
			return 0;
		memcpy(m + end, rr, sizeof(rr));
		end += sizeof(rr);
	}
	return end;
}

static void *dns_thread(void *arg)
{
	struct pending queue[256];
	unsigned count = 0;
	unsigned long queries = 0;

	(void)arg;
	for (;;) {
		int64_t now = now_ms(), wait = -1;

		for (unsigned i = 0; i < count;) {
			int64_t due = queue[i].due_ms;

			if (due <= now) {
				sendto(dns_fd, queue[i].msg, queue[i].len, 0,
				       (struct sockaddr *)&queue[i].peer, queue[i].peerlen);
				queue[i] = queue[--count];
				continue;
			}
			if (wait < 0 || due - now < wait)
				wait = due - now;
			i++;
		}
		struct pollfd p = { .fd = dns_fd, .events = POLLIN };
		if (poll(&p, 1, (int)wait) <= 0)
			continue;
		struct pending *e = &queue[count < 256 ? count : 255];
		e->peerlen = sizeof(e->peer);
		ssize_t r = recvfrom(dns_fd, e->msg, sizeof(e->msg), 0, (struct sockaddr *)&e->peer,
				     &e->peerlen);
		bool ours;

		if (r <= 0 || (e->len = dns_answer(e->msg, (size_t)r, &ours)) == 0)
			continue;
		if (!ours) {
			sendto(dns_fd, e->msg, e->len, 0, (struct sockaddr *)&e->peer, e->peerlen);
			continue;
		}
		fprintf(stderr, "dns queries %lu\n", ++queries);
		e->due_ms = now_ms() + dns_delay_ms;
		if (count < 256)
			count++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned short udp_port = 0, slow_port = 0, dns_port = 0, black_port = 0;
	pthread_t th;
	int opt, udp_fd, slow_fd;

	while ((opt = getopt(argc, argv, "a:t:u:s:b:d:D:p:")) != -1) {
		switch (opt) {
		case 'a':
			if (inet_pton(AF_INET6, optarg, &synth) != 1)
				die("bad -a");
			break;
		case 't': tcp_port = (unsigned short)atoi(optarg); break;
		case 'u': udp_port = (unsigned short)atoi(optarg); break;
		case 's': slow_port = (unsigned short)atoi(optarg); break;
		case 'b': black_port = (unsigned short)atoi(optarg); break;
		case 'd': dns_port = (unsigned short)atoi(optarg); break;
		case 'D': dns_delay_ms = atol(optarg); break;
		case 'p':
			if (inet_pton(AF_INET6, optarg, &dns_prefix) != 1)
				die("bad -p");
			break;
		default:
			fprintf(stderr, "usage: s_server -a SYNTH -t TCP -u UDP -s SLOW -b BLACK "
					"[-d DNSPORT -D DELAYMS -p PREFIX]\n");
			return 2;
		}
	}
	if (!tcp_port || !udp_port || !slow_port || !black_port)
		die("-t, -u, -s and -b are required");
	signal(SIGPIPE, SIG_IGN); /* a client that reset: its problem, not ours */
	udp_fd = bound_socket(SOCK_DGRAM, udp_port, 0);
	int big = 8 << 20;
	if (setsockopt(udp_fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) == -1)
		setsockopt(udp_fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	slow_fd = bound_socket(SOCK_DGRAM, slow_port, 0);
	{
		int black = bound_socket(SOCK_STREAM, black_port, 0);
		struct sockaddr_in6 self = { .sin6_family = AF_INET6, .sin6_port = htons(black_port),
					     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
		int filler = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (listen(black, 0) == -1 || filler == -1)
			die("black listener");
		if (connect(filler, (struct sockaddr *)&self, sizeof(self)) == -1 &&
		    errno != EINPROGRESS)
			die("black filler");
		/* Kept open, never accepted: the accept queue stays full. */
	}
	for (int i = 0; i < TCP_THREADS; i++)
		if (pthread_create(&th, NULL, tcp_thread, NULL) != 0)
			die("pthread_create");
	for (int i = 0; i < UDP_THREADS; i++)
		if (pthread_create(&th, NULL, udp_thread, &udp_fd) != 0)
			die("pthread_create");
	if (pthread_create(&th, NULL, slow_thread, &slow_fd) != 0)
		die("pthread_create");
	if (dns_port) {
		dns_fd = bound_socket(SOCK_DGRAM, dns_port, 0);
		if (pthread_create(&th, NULL, dns_thread, NULL) != 0)
			die("pthread_create");
	}
	/* Listeners are created by their threads: give them a moment, the
	 * script also waits for the ports with ss. */
	usleep(100000);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
