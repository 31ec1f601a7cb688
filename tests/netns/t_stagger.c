/* connect() over several NAT64 prefixes: RFC 8305 staggered attempts
 * (docs/requirements.md E.42). run-netns.sh gives the library its prefixes
 * through CLAT_DISCOVERED, some of them routed into a black hole (SYNs
 * vanish), and checks which prefix the server saw (T_SYNTH) and when the
 * connect returned. Timing bounds here are protocol facts, not speed: the
 * second attempt may not start before the 250 ms Connection Attempt Delay
 * (RFC 8305 s8), and must start long before a TCP timeout (minutes).
 *
 * Environment (besides tcommon.h's): T_MIN_MS, T_MAX_MS bounds of the
 * connect's duration; T_SNDTIMEO_MS a send timeout to set first. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tcommon.h"

#include <dirent.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>

static long env_ms(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 10) : def;
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Open descriptors: the extra sockets of a race must all be gone after. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	T_CHECK(d != NULL, "opendir /proc/self/fd: %s", t_errname(errno));
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* One translated UDP datagram first: settings, prefixes and the real calls
 * are loaded, so the timed connect measures the race alone. */
static void warm_up(void)
{
	int u = t_socket(SOCK_DGRAM);
	struct sockaddr_in sin = t_sin(t_dst(), t_udp_port());

	/* Its fate does not matter (UDP uses the first prefix, maybe a dead one). */
	ssize_t ignored = sendto(u, "warm", 4, 0, (struct sockaddr *)&sin, sizeof(sin));
	(void)ignored;
	close(u);
}

static void set_send_timeout(int fd, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	T_SYS(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
}

static void expect_duration(long ms, const char *what)
{
	long lo = env_ms("T_MIN_MS", 0), hi = env_ms("T_MAX_MS", 10000);

	printf("# %s after %ld ms (want %ld..%ld)\n", what, ms, lo, hi);
	T_CHECK(ms >= lo && ms <= hi, "%s after %ld ms, want %ld..%ld ms", what, ms, lo, hi);
}

/* Blocking connect to T_DST:T_TCP; the server must see the address under
 * the prefix T_SYNTH names. */
static void c_blocking(void)
{
	int fds, fd;
	struct sockaddr_in sin = t_sin(t_dst(), t_tcp_port());
	struct timespec t0;
	long timeout = env_ms("T_SNDTIMEO_MS", 0);

	warm_up();
	fds = count_fds();
	fd = t_socket(SOCK_STREAM);
	if (timeout > 0)
		set_send_timeout(fd, timeout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		T_FAIL("connect(%s) after %ld ms: %s", t_fmt_sa(&sin, sizeof(sin)),
		       elapsed_ms(&t0), t_errname(errno));
	expect_duration(elapsed_ms(&t0), "connected");
	T_CHECK(!(fcntl(fd, F_GETFL) & O_NONBLOCK), "the socket was left non-blocking");
	T_CHECK(!(fcntl(fd, F_GETFD) & FD_CLOEXEC), "FD_CLOEXEC appeared");
	T_CHECK(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 && errno == EISCONN,
		"connect again: want -1/EISCONN, got %s", t_errname(errno));
	t_tcp_verify(fd, t_tcp_port());
	close(fd);
	T_CHECK(count_fds() == fds, "%d descriptors open after the race, %d before",
		count_fds(), fds);
}

/* An option set before the connect is on whichever socket wins. */
static void c_option_kept(void)
{
	int fd = t_socket(SOCK_STREAM), tos;
	struct sockaddr_in sin = t_sin(t_dst(), t_tcp_port());

	t_setint(fd, IPPROTO_IP, IP_TOS, 0x28, "IP_TOS");
	T_SYS(connect(fd, (struct sockaddr *)&sin, sizeof(sin)));
	tos = t_getint(fd, IPPROTO_IP, IP_TOS, "IP_TOS");
	T_CHECK(tos == 0x28, "IP_TOS %#x after the race, want 0x28", (unsigned)tos);
	t_tcp_verify(fd, t_tcp_port());
	close(fd);
}

/* The same with FD_CLOEXEC, kept whichever attempt wins. */
static void c_cloexec(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = t_sin(t_dst(), t_tcp_port());

	T_SYS(fd);
	T_SYS(connect(fd, (struct sockaddr *)&sin, sizeof(sin)));
	T_CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "FD_CLOEXEC lost");
	t_tcp_verify(fd, t_tcp_port());
	close(fd);
}

/* Every prefix black-holed, with a send timeout: like the kernel's
 * connect(2), -1/EINPROGRESS once the timeout has passed. */
static void c_sndtimeo(void)
{
	int fd = t_socket(SOCK_STREAM);
	struct sockaddr_in sin = t_sin(t_dst(), t_tcp_port());
	struct timespec t0;
	int fds;

	warm_up();
	fds = count_fds();
	set_send_timeout(fd, env_ms("T_SNDTIMEO_MS", 600));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	T_CHECK(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 && errno == EINPROGRESS,
		"connect with every prefix black-holed: want -1/EINPROGRESS, got %s",
		t_errname(errno));
	expect_duration(elapsed_ms(&t0), "EINPROGRESS");
	T_CHECK(!(fcntl(fd, F_GETFL) & O_NONBLOCK), "the socket was left non-blocking");
	T_CHECK(count_fds() == fds, "%d descriptors open after the race, %d before (one "
		"attempt may stay, under the program's own number)", count_fds(), fds);
	close(fd);
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void alarm_in(long ms, int flags)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = flags };
	struct itimerval it = { .it_value = { ms / 1000, (ms % 1000) * 1000 } };

	sigemptyset(&sa.sa_mask);
	T_SYS(sigaction(SIGALRM, &sa, NULL));
	T_SYS(setitimer(ITIMER_REAL, &it, NULL));
}

/* A handler without SA_RESTART interrupts a blocking connect: EINTR
 * (signal(7)), while the attempts are still running. */
static void c_eintr(void)
{
	int fd = t_socket(SOCK_STREAM);
	struct sockaddr_in sin = t_sin(t_dst(), t_tcp_port());
	struct timespec t0;

	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int fds;

	warm_up();
	fds = count_fds();
	alarm_in(env_ms("T_ALARM_MS", 400), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	T_CHECK(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 && errno == EINTR,
		"connect interrupted by a handler without SA_RESTART: want -1/EINTR, got %s",
		t_errname(errno));
	expect_duration(elapsed_ms(&t0), "EINTR");
	T_CHECK(alarms == 1, "the handler ran %d times", (int)alarms);
	T_CHECK(!(fcntl(fd, F_GETFL) & O_NONBLOCK), "the socket was left non-blocking");
	/* As after the kernel's interrupted connect: still connecting. */
	T_CHECK(poll(&p, 1, 0) == 0 && t_getint(fd, SOL_SOCKET, SO_ERROR, "SO_ERROR") == 0,
		"the connection attempt did not go on after EINTR");
	T_CHECK(count_fds() == fds, "%d descriptors open after the race, %d before", count_fds(),
		fds);
	close(fd);
}

/* A program that calls connect() again after EINTR: the race goes on
 * (the first attempt is still running under the fd) and the second prefix
 * wins; without several prefixes this second call would wait for the dead
 * first attempt. */
static void c_retry_after_eintr(void)
{
	int fd = t_socket(SOCK_STREAM);
	struct sockaddr_in sin = t_sin(t_dst(), t_tcp_port());
	struct timespec t0;
	int rc;

	warm_up();
	alarm_in(env_ms("T_ALARM_MS", 100), 0);
	T_CHECK(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 && errno == EINTR,
		"first connect: want -1/EINTR, got %s", t_errname(errno));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	T_CHECK(rc == 0 || errno == EISCONN, "connect again after EINTR: %s", t_errname(errno));
	expect_duration(elapsed_ms(&t0), "connected on the second call");
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	T_CHECK(rc == -1 && errno == EISCONN, "a third connect: want -1/EISCONN, got %s",
		t_errname(errno));
	t_tcp_verify(fd, t_tcp_port());
	close(fd);
}

/* With SA_RESTART the connect goes on through the signal and the next
 * prefix still wins. */
static void c_restart(void)
{
	int fd = t_socket(SOCK_STREAM);
	struct sockaddr_in sin = t_sin(t_dst(), t_tcp_port());
	struct timespec t0;

	warm_up();
	alarm_in(env_ms("T_ALARM_MS", 100), SA_RESTART);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		T_FAIL("connect with an SA_RESTART handler: %s", t_errname(errno));
	expect_duration(elapsed_ms(&t0), "connected");
	T_CHECK(alarms == 1, "the handler ran %d times", (int)alarms);
	t_tcp_verify(fd, t_tcp_port());
	close(fd);
}

/* A non-blocking connect returns EINPROGRESS at once and nothing is left
 * to start later attempts: the first prefix only (ARCHITECTURE.md). */
static void c_nonblock_first_only(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sin = t_sin(t_dst(), t_tcp_port());
	struct pollfd p;

	T_SYS(fd);
	T_CHECK(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 && errno == EINPROGRESS,
		"non-blocking connect: want -1/EINPROGRESS, got %s", t_errname(errno));
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	T_CHECK(poll(&p, 1, (int)env_ms("T_WAIT_MS", 800)) == 0,
		"the non-blocking connect completed: it was raced after all");
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct t_case_entry cases[] = {
		{ "blocking", c_blocking },
		{ "cloexec", c_cloexec },
		{ "option-kept", c_option_kept },
		{ "sndtimeo", c_sndtimeo },
		{ "eintr", c_eintr },
		{ "restart", c_restart },
		{ "retry-after-eintr", c_retry_after_eintr },
		{ "nonblock-first-only", c_nonblock_first_only },
		{ NULL, NULL },
	};

	return t_main(argc, argv, cases);
}
