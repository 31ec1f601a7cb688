/* bnet: the programs the benchmark (bench/run-bench.sh) measures with.
 * Never part of the build; run-bench.sh compiles it with gcc -O2.
 *
 * Every client measures one thing and prints one number on stdout; the
 * address family of each client socket follows the address literal given
 * (an IPv4 literal makes an AF_INET socket: an IPv4-only program).
 *
 * Servers (never run under libclat; each exits by itself after
 * SERVER_LIFETIME seconds, so none outlives a killed benchmark):
 *   bnet sink-server ADDR PORT     one connection at a time; its first byte
 *                                  picks the job: 'B' read to EOF, answer the
 *                                  byte count (8 bytes); 'P' echo bytes to EOF
 *   bnet accept-server ADDR PORT   accept and close at once, forever
 *   bnet udp-echo ADDR PORT        echo every datagram to its sender
 * ADDR "::" listens dual-stack (IPV6_V6ONLY off).
 *
 * Clients:
 *   bnet bulk ADDR PORT MBYTES     send MBYTES MiB, wait for the server's
 *                                  count: prints Mbit/s (connect included)
 * The others print "WALL CPU": microseconds per operation elapsed, and of
 * CPU time (user + system, this process and its waited-for children):
 *   bnet rr ADDR PORT N            N 1-byte ping-pongs over one connection
 *   bnet cycles ADDR PORT N        N x (socket, connect, read EOF, close)
 *   bnet pcycles T ADDR PORT N     T threads each doing N cycles at once:
 *                                  per cycle of all threads together
 *   bnet udp-rr ADDR PORT N        one unconnected UDP socket, N x (sendto
 *                                  ADDR, recvfrom with a name)
 *   bnet unix-rr N                 AF_UNIX socketpair to a forked echo child,
 *                                  N x (sendto, recvfrom); the child's CPU
 *                                  time counts too
 *   bnet spawn N [VAR=VAL...] -- PROG [ARG...]
 *                                  posix_spawn PROG N times with exactly that
 *                                  environment, waiting for each
 *   bnet switch-steps ADDR4 PORT N the system calls libclat's family switch
 *                                  makes (lib/translate/family_switch.c, and auto mode's
 *                                  IPv4 attempt), one step at a time on N fresh
 *                                  AF_INET sockets, without the library:
 *                                  prints "STEP MICROSECONDS" lines
 *   bnet cycles-mt ADDR PORT T N   T threads, N cycles in all (N/T each):
 *                                  microseconds per cycle of the whole
 *                                  (1e6 / that is the connect rate)
 *   bnet many ADDR PORT COUNT tcp|udp
 *                                  opens COUNT sockets at once (TCP: connected
 *                                  to an accept-server; UDP: connected to a
 *                                  udp-echo, one datagram each), prints the
 *                                  private dirty memory they added, bytes per
 *                                  socket (smaps_rollup; the kernel's socket
 *                                  memory is not in it)
 *   bnet fd-call ADDR PORT FD N    a UDP socket connected to ADDR, moved to
 *                                  descriptor number FD (dup2), then N
 *                                  getsockname calls on it: nanoseconds per
 *                                  call (libclat looks FD up in its table)
 *   bnet rss                       prints this process's VmRSS in kB
 *   bnet dirty                     prints its private dirty memory in kB
 *                                  (smaps_rollup: what no other process shares)
 *
 * Each measured loop runs WARMUP times first (untimed), then N times inside
 * a function named bench_* (never inlined), so that callgrind
 * --toggle-collect=bench_* counts exactly N iterations and no start-up. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SERVER_LIFETIME 3600 /* seconds */
#define CHUNK (128 * 1024)
#define UDP_TIMEOUT_MS 200
#define UDP_MAX_RETRIES 1000
#define WARMUP 10 /* untimed, uncounted iterations before each measured loop */

#define NOINLINE __attribute__((noinline))

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...);
static int usage(void);

static void die(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	fputs("bnet: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(saved));
	exit(1);
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* CPU time (user + system) of this process and its waited-for children:
 * unlike wall time, it leaves out the time spent waiting for a CPU that
 * other processes on a busy machine hold. */
static double cpu_us(void)
{
	struct rusage self, children;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	double us = 0;
	const struct rusage *r[] = { &self, &children };
	for (int i = 0; i < 2; i++)
		us += (double)(r[i]->ru_utime.tv_sec + r[i]->ru_stime.tv_sec) * 1e6 +
		      (double)(r[i]->ru_utime.tv_usec + r[i]->ru_stime.tv_usec);
	return us;
}

struct stopwatch {
	double wall, cpu;
};

static struct stopwatch start_clock(void)
{
	return (struct stopwatch){ now_us(), cpu_us() };
}

/* "WALL CPU": microseconds per operation, elapsed and on the CPU. */
static void print_per_op(struct stopwatch t0, long n)
{
	double wall = now_us() - t0.wall, cpu = cpu_us() - t0.cpu;
	double div = (double)(n ? n : 1);
	printf("%.3f %.3f\n", wall / div, cpu / div);
}

static long parse_count(const char *text)
{
	char *end;
	errno = 0;
	long n = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0 || n > 1000000000L) {
		errno = EINVAL;
		die("bad count '%s'", text);
	}
	return n;
}

/* ADDR PORT -> sockaddr of the literal's own family. */
static socklen_t parse_addr(const char *addr, const char *port, struct sockaddr_storage *ss)
{
	long p = parse_count(port);
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		return sizeof(*sin6);
	}
	errno = EINVAL;
	die("bad address '%s'", addr);
}

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write");
		p += n;
		len -= (size_t)n;
	}
}

static void read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EPIPE;
		if (n <= 0)
			die("read");
		p += n;
		len -= (size_t)n;
	}
}

/* ------------------------------------------------------------ servers */

static int listen_on(const char *addr, const char *port, int type)
{
	struct sockaddr_storage ss;
	socklen_t len = parse_addr(addr, port, &ss);
	int fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	int one = 1, off = 0;
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0)
		die("bind %s port %s", addr, port);
	if (type == SOCK_STREAM && listen(fd, 512) != 0)
		die("listen");
	return fd;
}

static void serve_connection(int c)
{
	static char buf[CHUNK];
	char cmd;
	ssize_t n;
	if (read(c, &cmd, 1) != 1)
		return;
	if (cmd == 'B') {
		uint64_t total = 0;
		while ((n = read(c, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
			if (n > 0)
				total += (uint64_t)n;
		write_all(c, &total, sizeof(total));
	} else if (cmd == 'P') {
		int one = 1;
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while ((n = read(c, buf, sizeof(buf))) > 0)
			if (write(c, buf, (size_t)n) != n)
				return;
	}
}

__attribute__((noreturn)) static void sink_server(const char *addr, const char *port)
{
	int fd = listen_on(addr, port, SOCK_STREAM);
	for (;;) {
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		serve_connection(c);
		close(c);
	}
}

__attribute__((noreturn)) static void accept_server(const char *addr, const char *port)
{
	int fd = listen_on(addr, port, SOCK_STREAM);
	for (;;) {
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0)
			close(c);
		else if (errno != EINTR && errno != ECONNABORTED)
			die("accept");
	}
}

__attribute__((noreturn)) static void udp_echo(const char *addr, const char *port)
{
	int fd = listen_on(addr, port, SOCK_DGRAM);
	char buf[2048];
	for (;;) {
		struct sockaddr_storage from;
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
		if (n >= 0)
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
	}
}

/* ------------------------------------------------------------ clients */

static int connect_to(const struct sockaddr_storage *ss, socklen_t len)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, (const struct sockaddr *)ss, len) != 0)
		die("connect");
	return fd;
}

NOINLINE static uint64_t bench_bulk(const struct sockaddr_storage *ss, socklen_t len,
				    uint64_t bytes)
{
	static char buf[CHUNK];
	uint64_t echoed;
	memset(buf, 'x', sizeof(buf));
	int fd = connect_to(ss, len);
	write_all(fd, "B", 1);
	for (uint64_t sent = 0; sent < bytes; sent += CHUNK)
		write_all(fd, buf, CHUNK);
	shutdown(fd, SHUT_WR);
	read_all(fd, &echoed, sizeof(echoed));
	close(fd);
	return echoed;
}

static int bulk(const char *addr, const char *port, const char *mbytes)
{
	struct sockaddr_storage ss;
	socklen_t len = parse_addr(addr, port, &ss);
	uint64_t bytes = (uint64_t)parse_count(mbytes) * 1024 * 1024;
	double t0 = now_us();
	uint64_t got = bench_bulk(&ss, len, bytes);
	double t1 = now_us();
	if (got != bytes) {
		errno = EPROTO;
		die("server counted %llu bytes of %llu", (unsigned long long)got,
		    (unsigned long long)bytes);
	}
	printf("%.1f\n", (double)bytes * 8 / (t1 - t0)); /* bits per us = Mbit/s */
	return 0;
}

NOINLINE static void rr_loop(int fd, long n)
{
	char c = 'x';
	for (long i = 0; i < n; i++) {
		write_all(fd, &c, 1);
		read_all(fd, &c, 1);
	}
}

NOINLINE static void bench_rr(int fd, long n)
{
	rr_loop(fd, n);
}

static int rr(const char *addr, const char *port, const char *count)
{
	struct sockaddr_storage ss;
	socklen_t len = parse_addr(addr, port, &ss);
	long n = parse_count(count);
	int one = 1;
	int fd = connect_to(&ss, len);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	write_all(fd, "P", 1);
	rr_loop(fd, WARMUP);
	struct stopwatch t0 = start_clock();
	bench_rr(fd, n);
	print_per_op(t0, n);
	close(fd);
	return 0;
}

NOINLINE static void cycles_loop(const struct sockaddr_storage *ss, socklen_t len, long n)
{
	char c;
	for (long i = 0; i < n; i++) {
		int fd = connect_to(ss, len);
		/* The server closes first, so TIME_WAIT stays on its side and a
		 * long run cannot use up the client's ephemeral ports. */
		if (read(fd, &c, 1) != 0)
			die("expected EOF");
		close(fd);
	}
}

NOINLINE static void bench_cycles(const struct sockaddr_storage *ss, socklen_t len, long n)
{
	cycles_loop(ss, len, n);
}

struct pcycles_job {
	struct sockaddr_storage ss;
	socklen_t len;
	long n;
};

static void *pcycles_thread(void *arg)
{
	const struct pcycles_job *job = arg;
	cycles_loop(&job->ss, job->len, job->n);
	return NULL;
}

/* T threads connecting at once (the supervisor's workers in parallel). */
static int pcycles(const char *threads, const char *addr, const char *port, const char *count)
{
	struct pcycles_job job;
	long t = parse_count(threads);
	pthread_t ids[64];
	if (t < 1 || t > 64)
		die("pcycles wants 1 to 64 threads");
	job.len = parse_addr(addr, port, &job.ss);
	job.n = parse_count(count);
	cycles_loop(&job.ss, job.len, WARMUP);
	struct stopwatch t0 = start_clock();
	for (long i = 0; i < t; i++)
		if (pthread_create(&ids[i], NULL, pcycles_thread, &job) != 0)
			die("pthread_create");
	for (long i = 0; i < t; i++)
		pthread_join(ids[i], NULL);
	print_per_op(t0, job.n * t);
	return 0;
}

static int cycles(const char *addr, const char *port, const char *count)
{
	struct sockaddr_storage ss;
	socklen_t len = parse_addr(addr, port, &ss);
	long n = parse_count(count);
	cycles_loop(&ss, len, WARMUP); /* first-use work (settings, symbols) */
	struct stopwatch t0 = start_clock();
	bench_cycles(&ss, len, n);
	print_per_op(t0, n);
	return 0;
}

/* ------------------------------------------------------------ threads */

struct cycles_job {
	const struct sockaddr_storage *ss;
	socklen_t len;
	long n;
};

static void *cycles_thread(void *arg)
{
	const struct cycles_job *job = arg;
	cycles_loop(job->ss, job->len, job->n);
	return NULL;
}

#define MAX_THREADS 256

NOINLINE static void bench_cycles_mt(const struct sockaddr_storage *ss, socklen_t len,
				     int threads, long per_thread)
{
	pthread_t tid[MAX_THREADS];
	struct cycles_job job = { ss, len, per_thread };
	for (int i = 0; i < threads; i++)
		if ((errno = pthread_create(&tid[i], NULL, cycles_thread, &job)) != 0)
			die("pthread_create");
	for (int i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
}

static int cycles_mt(const char *addr, const char *port, const char *nthreads, const char *count)
{
	struct sockaddr_storage ss;
	socklen_t len = parse_addr(addr, port, &ss);
	long threads = parse_count(nthreads), n = parse_count(count);
	if (threads < 1 || threads > MAX_THREADS) {
		errno = EINVAL;
		die("threads: 1..%d", MAX_THREADS);
	}
	long per_thread = n / threads;
	cycles_loop(&ss, len, WARMUP);
	struct stopwatch t0 = start_clock();
	bench_cycles_mt(&ss, len, (int)threads, per_thread);
	print_per_op(t0, per_thread * threads);
	return 0;
}

/* ------------------------------------------------------------ scale */

static long private_dirty_kb(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	long kb = -1;
	if (f == NULL)
		die("smaps_rollup");
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "Private_Dirty:", 14) == 0)
			kb = strtol(line + 14, NULL, 10);
	fclose(f);
	return kb;
}

/* Room for count more descriptors (root may raise the hard limit). */
static void want_fds(long count)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit");
	rlim_t need = (rlim_t)count + 64;
	if (rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("RLIMIT_NOFILE %ld", (long)need);
}

static int many(const char *addr, const char *port, const char *count, const char *proto)
{
	struct sockaddr_storage ss;
	socklen_t len = parse_addr(addr, port, &ss);
	long n = parse_count(count);
	bool tcp = strcmp(proto, "tcp") == 0;
	if (!tcp && strcmp(proto, "udp") != 0)
		return usage();
	want_fds(n);
	int *fds = calloc((size_t)n + 1, sizeof(int));
	if (fds == NULL)
		die("calloc");
	long before = private_dirty_kb();
	for (long i = 0; i < n; i++) {
		if (tcp) {
			fds[i] = connect_to(&ss, len);
			continue;
		}
		fds[i] = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 || connect(fds[i], (const struct sockaddr *)&ss, len) != 0 ||
		    send(fds[i], "x", 1, 0) != 1)
			die("udp socket %ld", i);
	}
	long after = private_dirty_kb();
	printf("%.0f\n", (double)(after - before) * 1024.0 / (double)(n ? n : 1));
	for (long i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	return 0;
}

NOINLINE static void bench_fd_call(int fd, long n)
{
	struct sockaddr_storage name;
	for (long i = 0; i < n; i++) {
		socklen_t len = sizeof(name);
		if (getsockname(fd, (struct sockaddr *)&name, &len) != 0)
			die("getsockname");
	}
}

static int fd_call(const char *addr, const char *port, const char *fdnum, const char *count)
{
	struct sockaddr_storage ss;
	socklen_t len = parse_addr(addr, port, &ss);
	long target = parse_count(fdnum), n = parse_count(count);
	want_fds(target + 1);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&ss, len) != 0)
		die("udp socket");
	if (target != fd && (dup2(fd, (int)target) != (int)target || close(fd) != 0))
		die("dup2 to %ld", target);
	bench_fd_call((int)target, WARMUP);
	double t0 = now_us();
	bench_fd_call((int)target, n);
	printf("%.1f\n", (now_us() - t0) * 1000.0 / (double)(n ? n : 1));
	return 0;
}

/* One exchange; a lost datagram (there should be none on lo) is resent
 * after UDP_TIMEOUT_MS, at most UDP_MAX_RETRIES times in a whole run. */
NOINLINE static void udp_loop(int fd, const struct sockaddr_storage *ss, socklen_t len, long n)
{
	char buf[64] = "ping";
	long retries = 0;
	for (long i = 0; i < n; i++) {
		for (;;) {
			if (sendto(fd, buf, 16, 0, (const struct sockaddr *)ss, len) != 16)
				die("sendto");
			struct sockaddr_storage from;
			socklen_t flen = sizeof(from);
			ssize_t got = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
					       &flen);
			if (got == 16)
				break;
			if (got < 0 && (errno == EAGAIN || errno == EINTR) &&
			    ++retries <= UDP_MAX_RETRIES)
				continue;
			die("recvfrom");
		}
	}
}

NOINLINE static void bench_udp(int fd, const struct sockaddr_storage *ss, socklen_t len,
			       long n)
{
	udp_loop(fd, ss, len, n);
}

static int udp_rr(const char *addr, const char *port, const char *count)
{
	struct sockaddr_storage ss;
	socklen_t len = parse_addr(addr, port, &ss);
	long n = parse_count(count);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { 0, UDP_TIMEOUT_MS * 1000 };
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	udp_loop(fd, &ss, len, WARMUP);
	struct stopwatch t0 = start_clock();
	bench_udp(fd, &ss, len, n);
	print_per_op(t0, n);
	return 0;
}

NOINLINE static void unix_loop(int fd, long n)
{
	char c = 'x';
	for (long i = 0; i < n; i++) {
		if (sendto(fd, &c, 1, 0, NULL, 0) != 1 || recvfrom(fd, &c, 1, 0, NULL, NULL) != 1)
			die("unix round trip");
	}
}

NOINLINE static void bench_unix(int fd, long n)
{
	unix_loop(fd, n);
}

static int unix_rr(const char *count)
{
	long n = parse_count(count);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		die("socketpair");
	pid_t child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		char c;
		close(sv[0]);
		while (read(sv[1], &c, 1) == 1 && write(sv[1], &c, 1) == 1)
			;
		_exit(0);
	}
	close(sv[1]);
	unix_loop(sv[0], WARMUP);
	struct stopwatch t0 = start_clock();
	bench_unix(sv[0], n);
	close(sv[0]);
	waitpid(child, NULL, 0);
	print_per_op(t0, n);
	return 0;
}

NOINLINE static void spawn_loop(char **argv, char **env, long n)
{
	for (long i = 0; i < n; i++) {
		pid_t pid;
		int status;
		if ((errno = posix_spawn(&pid, argv[0], NULL, NULL, argv, env)) != 0)
			die("posix_spawn %s", argv[0]);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			errno = ECHILD;
			die("%s failed", argv[0]);
		}
	}
}

/* argv: bnet spawn N [VAR=VAL...] -- PROG [ARG...] */
static int spawn(int argc, char **argv)
{
	long n = parse_count(argv[2]);
	char *env[64];
	int k = 0, i = 3;
	for (; i < argc && strcmp(argv[i], "--") != 0 && k < 63; i++)
		env[k++] = argv[i];
	env[k] = NULL;
	if (i + 1 >= argc || strcmp(argv[i], "--") != 0)
		return usage();
	spawn_loop(&argv[i + 1], env, 3); /* page cache, dentries */
	struct stopwatch t0 = start_clock();
	spawn_loop(&argv[i + 1], env, n);
	print_per_op(t0, n);
	return 0;
}

/* What each system call of a translated connect costs on this machine: the
 * sequence of clat_call_ipv4_dest + clat_switch_to_ipv6 (auto mode) replayed
 * step by step. Times are per socket, in microseconds. */
enum { S_SOCKET4, S_CONNECT4, S_GETSOCKOPT3, S_FCNTL_GET2, S_SOCKET6, S_SETUP6, S_DUP3_CLOSE,
       S_CLOSE, S_COUNT };
static const char *const step_name[S_COUNT] = {
	"socket(AF_INET)", "connect-IPv4-ENETUNREACH", "getsockopt-x3", "fcntl-GETFL+GETFD",
	"socket(AF_INET6)", "fcntl-SETFL+setsockopt-V6ONLY", "dup3+close", "close",
};

static int switch_steps(const char *addr, const char *port, const char *count)
{
	struct sockaddr_storage ss;
	socklen_t len = parse_addr(addr, port, &ss);
	long n = parse_count(count);
	double total[S_COUNT] = { 0 };
	for (long i = 0; i < n + WARMUP; i++) {
		double t[S_COUNT + 1];
		int v, off = 0, fd, newfd;
		socklen_t vlen;
		t[0] = now_us();
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		t[1] = now_us();
		if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) == 0 ||
		    (errno != ENETUNREACH && errno != EHOSTUNREACH))
			die("expected no IPv4 route to %s", addr);
		t[2] = now_us();
		vlen = sizeof(v);
		getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &vlen);
		vlen = sizeof(v);
		getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &vlen);
		vlen = sizeof(v);
		getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &vlen);
		t[3] = now_us();
		int fl = fcntl(fd, F_GETFL);
		int fdfl = fcntl(fd, F_GETFD);
		t[4] = now_us();
		newfd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
		t[5] = now_us();
		if (newfd < 0 || fcntl(newfd, F_SETFL, fl) != 0 ||
		    setsockopt(newfd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) != 0)
			die("AF_INET6 socket");
		t[6] = now_us();
		if (dup3(newfd, fd, (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
			die("dup3");
		close(newfd);
		t[7] = now_us();
		close(fd);
		t[8] = now_us();
		if (i >= WARMUP)
			for (int k = 0; k < S_COUNT; k++)
				total[k] += t[k + 1] - t[k];
	}
	for (int k = 0; k < S_COUNT; k++)
		printf("%s %.3f\n", step_name[k], total[k] / (double)(n ? n : 1));
	return 0;
}

/* Prints the number of a "Key:   N kB" line of a /proc file. */
static int proc_kb(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	char line[256];
	size_t klen = strlen(key);
	if (f == NULL)
		die("%s", path);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, klen) == 0) {
			printf("%ld\n", strtol(line + klen, NULL, 10));
			fclose(f);
			return 0;
		}
	errno = ENOENT;
	die("no %s in %s", key, path);
}

static int usage(void)
{
	fputs("usage: bnet sink-server|accept-server|udp-echo ADDR PORT\n"
	      "       bnet bulk ADDR PORT MBYTES | rr|cycles|udp-rr ADDR PORT N\n"
	      "       bnet pcycles THREADS ADDR PORT N\n"
	      "       bnet unix-rr N | spawn N [VAR=VALUE...] -- PROG [ARG...] | rss | dirty\n"
	      "       bnet switch-steps ADDR4 PORT N | cycles-mt ADDR PORT THREADS N\n"
	      "       bnet many ADDR PORT COUNT tcp|udp | fd-call ADDR PORT FD N\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	const char *m = argv[1];
	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && (strstr(m, "-server") != NULL || strcmp(m, "udp-echo") == 0))
		alarm(SERVER_LIFETIME);
	if (argc == 4 && strcmp(m, "sink-server") == 0)
		sink_server(argv[2], argv[3]);
	if (argc == 4 && strcmp(m, "accept-server") == 0)
		accept_server(argv[2], argv[3]);
	if (argc == 4 && strcmp(m, "udp-echo") == 0)
		udp_echo(argv[2], argv[3]);
	if (argc == 5 && strcmp(m, "bulk") == 0)
		return bulk(argv[2], argv[3], argv[4]);
	if (argc == 5 && strcmp(m, "rr") == 0)
		return rr(argv[2], argv[3], argv[4]);
	if (argc == 5 && strcmp(m, "cycles") == 0)
		return cycles(argv[2], argv[3], argv[4]);
	if (argc == 6 && strcmp(m, "pcycles") == 0)
		return pcycles(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 5 && strcmp(m, "udp-rr") == 0)
		return udp_rr(argv[2], argv[3], argv[4]);
	if (argc == 3 && strcmp(m, "unix-rr") == 0)
		return unix_rr(argv[2]);
	if (argc >= 5 && strcmp(m, "spawn") == 0)
		return spawn(argc, argv);
	if (argc == 5 && strcmp(m, "switch-steps") == 0)
		return switch_steps(argv[2], argv[3], argv[4]);
	if (argc == 6 && strcmp(m, "cycles-mt") == 0)
		return cycles_mt(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 6 && strcmp(m, "many") == 0)
		return many(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 6 && strcmp(m, "fd-call") == 0)
		return fd_call(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 2 && strcmp(m, "rss") == 0)
		return proc_kb("/proc/self/status", "VmRSS:");
	if (argc == 2 && strcmp(m, "dirty") == 0)
		return proc_kb("/proc/self/smaps_rollup", "Private_Dirty:");
	return usage();
}
