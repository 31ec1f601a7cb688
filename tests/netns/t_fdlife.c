/* The per-fd state of a translated socket across the fd's life: dup, dup2,
 * dup3, fcntl(F_DUPFD*), close and reuse of the number, close_range,
 * closefrom, fork, high fd numbers and threads. See tcommon.h for the
 * environment. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tcommon.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* A fresh AF_INET socket bound and connected to 127.0.0.1 (never
 * translated): its names must be 127.0.0.1, whatever the fd number. */
static void expect_plain_loopback(int fd)
{
	struct sockaddr_in lo = t_sin("127.0.0.1", 0);
	struct sockaddr_in srv = t_sin("127.0.0.1", t_tcp_port());
	struct t_seen seen;
	char line[256];

	T_SYS(bind(fd, (struct sockaddr *)&lo, sizeof(lo)));
	T_SYS(connect(fd, (struct sockaddr *)&srv, sizeof(srv)));
	t_expect_domain(fd, AF_INET);
	t_expect_peer(fd, "127.0.0.1", t_tcp_port());
	t_expect_sock(fd, "127.0.0.1", -1);
	t_write_all(fd, "PEER\n");
	t_read_line(fd, line, sizeof(line));
	t_parse_seen(line, &seen);
	T_CHECK(strcmp(seen.fam, "4") == 0 && strcmp(seen.addr, "127.0.0.1") == 0,
		"a plain socket to 127.0.0.1 reached the server as IPv%s %s", seen.fam,
		seen.addr);
}

/* Closes fd, checks the next AF_INET socket gets its number, and that the
 * new socket carries none of the old state. */
static void expect_fresh_after_close(int fd, int (*closer)(int))
{
	int n;

	T_SYS(closer(fd));
	n = t_socket(SOCK_STREAM);
	if (n != fd)
		T_FAIL("the new socket got fd %d, not the closed %d (test setup)", n, fd);
	expect_plain_loopback(n);
	close(n);
}

static int close_one(int fd) { return close(fd); }

/* The copy is the same translated socket: IPv4 names, working data path,
 * also after the original is closed; the original's number is then free of
 * state. */
static void check_copy(int orig, int copy, bool cloexec)
{
	T_CHECK(copy != orig && copy >= 0, "bad copy fd %d of %d", copy, orig);
	T_CHECK(!!(fcntl(copy, F_GETFD) & FD_CLOEXEC) == cloexec,
		"FD_CLOEXEC on the copy: %d, want %d",
		!!(fcntl(copy, F_GETFD) & FD_CLOEXEC), cloexec);
	t_tcp_verify(copy, t_tcp_port());
	expect_fresh_after_close(orig, close_one);
	t_tcp_verify(copy, t_tcp_port());
	close(copy);
}

static void c_dup(void)
{
	int fd = t_tcp_connected();

	check_copy(fd, dup(fd), false);
}

static void c_dup2(void)
{
	int fd = t_tcp_connected();

	T_CHECK(dup2(fd, 1000) == 1000, "dup2(%d, 1000): %s", fd, t_errname(errno));
	check_copy(fd, 1000, false);
}

static void c_dup3(void)
{
	int fd = t_tcp_connected();

	T_CHECK(dup3(fd, 101, O_CLOEXEC) == 101, "dup3: %s", t_errname(errno));
	check_copy(fd, 101, true);
}

static void c_dupfd(void)
{
	int fd = t_tcp_connected(), c = fcntl(fd, F_DUPFD, 200);

	T_CHECK(c >= 200, "F_DUPFD: %d (%s)", c, t_errname(errno));
	check_copy(fd, c, false);
}

static void c_dupfd_cloexec(void)
{
	int fd = t_tcp_connected(), c = fcntl(fd, F_DUPFD_CLOEXEC, 300);

	T_CHECK(c >= 300, "F_DUPFD_CLOEXEC: %d (%s)", c, t_errname(errno));
	check_copy(fd, c, true);
}

/* dup2() of a plain socket over a translated fd number: the number now
 * names the plain socket. */
static void c_dup2_over(void)
{
	int t = t_tcp_connected(), p = t_socket(SOCK_STREAM);

	t_tcp_verify(t, t_tcp_port());
	T_CHECK(dup2(p, t) == t, "dup2: %s", t_errname(errno));
	close(p);
	expect_plain_loopback(t);
	close(t);
}

/* A UDP socket reusing a translated number starts with default options and
 * no name. */
static void c_close_reuse_udp(void)
{
	int fd = t_socket(SOCK_DGRAM), n;
	struct sockaddr_in dst = t_sin(t_dst(), t_udp_port());
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	t_setint(fd, IPPROTO_IP, IP_TOS, 0x28, "IP_TOS");
	T_CHECK(sendto(fd, "x", 1, 0, (struct sockaddr *)&dst, sizeof(dst)) == 1,
		"sendto: %s", t_errname(errno));
	close(fd);
	n = t_socket(SOCK_DGRAM);
	T_CHECK(n == fd, "new socket got fd %d, not %d (test setup)", n, fd);
	t_expect_domain(n, AF_INET);
	T_CHECK(t_getint(n, IPPROTO_IP, IP_TOS, "IP_TOS") == 0,
		"a fresh socket reports the closed socket's IP_TOS");
	T_SYS(getsockname(n, (struct sockaddr *)&ss, &len));
	t_expect_in("getsockname of a fresh socket", &ss, len, "0.0.0.0", 0);
	len = sizeof(ss);
	T_CHECK(getpeername(n, (struct sockaddr *)&ss, &len) == -1 && errno == ENOTCONN,
		"getpeername of a fresh socket: %s, want ENOTCONN", t_errname(errno));
	close(n);
}

static void c_close_reuse(void)
{
	int fd = t_tcp_connected();

	t_tcp_verify(fd, t_tcp_port());
	expect_fresh_after_close(fd, close_one);
}

/* A non-socket reusing the number is not a socket. */
static void c_close_reuse_file(void)
{
	int fd = t_tcp_connected(), n;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	close(fd);
	n = open("/dev/null", O_RDWR);
	T_CHECK(n == fd, "open got fd %d, not %d (test setup)", n, fd);
	T_CHECK(getpeername(n, (struct sockaddr *)&ss, &len) == -1 && errno == ENOTSOCK,
		"getpeername on /dev/null: %s, want ENOTSOCK", t_errname(errno));
	close(n);
}

static int close_range_one(int fd) { return close_range((unsigned)fd, (unsigned)fd, 0); }

static void c_close_range(void)
{
	int fd = t_tcp_connected();

	t_tcp_verify(fd, t_tcp_port());
	if (close_range((unsigned)fd + 100, (unsigned)fd + 100, 0) == -1 && errno == ENOSYS)
		t_skip("close_range not supported");
	expect_fresh_after_close(fd, close_range_one);
}

/* CLOSE_RANGE_CLOEXEC closes nothing: the state stays. */
static void c_close_range_cloexec(void)
{
	int fd = t_tcp_connected();

	if (close_range((unsigned)fd, (unsigned)fd, CLOSE_RANGE_CLOEXEC) == -1)
		t_skip("close_range(CLOSE_RANGE_CLOEXEC) not supported");
	T_CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "CLOSE_RANGE_CLOEXEC did not set FD_CLOEXEC");
	t_tcp_verify(fd, t_tcp_port());
	close(fd);
}

/* closefrom() (glibc: the close_range system call, not a hookable call to
 * close_range()) followed by a reuse of the number. */
static void c_closefrom(void)
{
	int fd = t_tcp_connected(), hi;

	t_tcp_verify(fd, t_tcp_port());
	/* Move the translated socket to a number above everything else. */
	hi = fcntl(fd, F_DUPFD, 500);
	T_CHECK(hi >= 500, "F_DUPFD: %s", t_errname(errno));
	close(fd);
	t_tcp_verify(hi, t_tcp_port());
	closefrom(hi);
	T_CHECK(fcntl(hi, F_GETFD) == -1 && errno == EBADF, "closefrom left fd %d open", hi);
	fd = t_socket(SOCK_STREAM);
	T_CHECK(dup2(fd, hi) == hi, "dup2: %s", t_errname(errno));
	close(fd);
	expect_plain_loopback(hi);
	close(hi);
}

/* The same lifecycle through syscall(), as libuv (dig, node) closes its
 * descriptors: the copies are translated sockets, a closed number is free
 * of state. syscall-passthrough checks that other numbers are untouched
 * (it passes without the hook too). */
static int syscall_close(int fd) { return (int)syscall(SYS_close, fd); }

static void c_syscall_dup(void)
{
	int fd = t_tcp_connected();

	check_copy(fd, (int)syscall(SYS_dup, fd), false);
}

static void c_syscall_dup3(void)
{
	int fd = t_tcp_connected();

	T_CHECK(syscall(SYS_dup3, fd, 102, O_CLOEXEC) == 102, "syscall(SYS_dup3): %s",
		t_errname(errno));
	check_copy(fd, 102, true);
}

static void c_syscall_dupfd(void)
{
	int fd = t_tcp_connected(), c = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 400);

	T_CHECK(c >= 400, "syscall(SYS_fcntl, F_DUPFD_CLOEXEC): %d (%s)", c, t_errname(errno));
	check_copy(fd, c, true);
}

/* The number freed by closer goes to an AF_UNIX socket from socketpair(),
 * which is no hook: it must not answer as the translated socket closed
 * there before (socket() would drop a stale record itself, so only a
 * number taken by a call libclat does not see shows one). */
static void expect_unix_after_close(int fd, int (*closer)(int))
{
	int sv[2];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	T_SYS(closer(fd));
	T_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	T_CHECK(sv[0] == fd, "socketpair got fd %d, not %d (test setup)", sv[0], fd);
	T_CHECK(t_getint(sv[0], SOL_SOCKET, SO_DOMAIN, "SO_DOMAIN") == AF_UNIX,
		"SO_DOMAIN of an AF_UNIX socket on a number closed by syscall(): %d",
		t_getint(sv[0], SOL_SOCKET, SO_DOMAIN, "SO_DOMAIN"));
	T_SYS(getsockname(sv[0], (struct sockaddr *)&ss, &len));
	T_CHECK(ss.ss_family == AF_UNIX, "getsockname of an AF_UNIX socket: family %d",
		ss.ss_family);
	close(sv[0]);
	close(sv[1]);
}

static void c_syscall_close_reuse_unix(void)
{
	int fd = t_tcp_connected();

	t_tcp_verify(fd, t_tcp_port());
	expect_unix_after_close(fd, syscall_close);
}

static int syscall_close_range_one(int fd)
{
	return (int)syscall(SYS_close_range, fd, fd, 0);
}

static void c_syscall_close_range(void)
{
	int fd = t_tcp_connected();

	t_tcp_verify(fd, t_tcp_port());
	if (syscall(SYS_close_range, fd + 100, fd + 100, 0) == -1 && errno == ENOSYS)
		t_skip("close_range not supported");
	expect_unix_after_close(fd, syscall_close_range_one);
}

/* Every other system call passes through with its result and errno. */
static void c_syscall_passthrough(void)
{
	int fd = t_tcp_connected();

	T_CHECK(syscall(SYS_getpid) == getpid(), "syscall(SYS_getpid) is not getpid()");
	errno = 0;
	T_CHECK(syscall(SYS_close, -1) == -1 && errno == EBADF,
		"syscall(SYS_close, -1): %s, want EBADF", t_errname(errno));
	errno = 0;
	T_CHECK(syscall(SYS_dup, -1) == -1 && errno == EBADF,
		"syscall(SYS_dup, -1): %s, want EBADF", t_errname(errno));
	errno = 0;
	T_CHECK(syscall(100000) == -1 && errno == ENOSYS,
		"syscall(100000): %s, want ENOSYS", t_errname(errno));
	t_tcp_verify(fd, t_tcp_port());
	T_SYS(syscall_close(fd));
}

static void wait_child(pid_t pid, const char *what)
{
	int st;

	T_CHECK(waitpid(pid, &st, 0) == pid, "waitpid: %s", t_errname(errno));
	T_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: child failed (status 0x%x)",
		what, st);
}

/* The child of fork() sees the translated socket as the parent does. */
static void c_fork(void)
{
	int fd = t_tcp_connected();
	pid_t pid;

	t_tcp_verify(fd, t_tcp_port());
	pid = fork();
	T_SYS(pid);
	if (pid == 0) {
		t_case = "fork (child)";
		t_tcp_verify(fd, t_tcp_port());
		_exit(0);
	}
	wait_child(pid, "use in the child");
	t_tcp_verify(fd, t_tcp_port());
	close(fd);
}

/* A child that closes and reuses the number does not disturb the parent. */
static void c_fork_reuse(void)
{
	int fd = t_tcp_connected();
	pid_t pid;

	pid = fork();
	T_SYS(pid);
	if (pid == 0) {
		t_case = "fork-reuse (child)";
		expect_fresh_after_close(fd, close_one);
		_exit(0);
	}
	wait_child(pid, "reuse in the child");
	t_tcp_verify(fd, t_tcp_port());
	close(fd);
}

/* Translation of a socket whose number is near RLIMIT_NOFILE. */
static void c_highfd(void)
{
	struct rlimit rl;
	int fd, hi;

	T_SYS(getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_max > 65536)
		rl.rlim_max = 65536;
	rl.rlim_cur = rl.rlim_max;
	T_SYS(setrlimit(RLIMIT_NOFILE, &rl));
	hi = (int)rl.rlim_cur - 1;
	fd = t_socket(SOCK_STREAM);
	T_CHECK(dup2(fd, hi) == hi, "dup2(%d, %d): %s", fd, hi, t_errname(errno));
	close(fd);
	{
		struct sockaddr_in dst = t_sin(t_dst(), t_tcp_port());

		T_SYS(connect(hi, (struct sockaddr *)&dst, sizeof(dst)));
	}
	t_tcp_verify(hi, t_tcp_port());
	close(hi);
}

#define THREADS 8
#define PER_THREAD 10

static void *thread_main(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < PER_THREAD; i++) {
		int fd = t_tcp_connected();

		t_tcp_verify(fd, t_tcp_port());
		close(fd);
	}
	return NULL;
}

/* Concurrent switches from several threads (failures exit the process). */
static void c_threads(void)
{
	pthread_t th[THREADS];
	int i;

	for (i = 0; i < THREADS; i++)
		T_CHECK(pthread_create(&th[i], NULL, thread_main, NULL) == 0,
			"pthread_create");
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
}

int main(int argc, char **argv)
{
	static const struct t_case_entry cases[] = {
		{ "dup", c_dup },
		{ "dup2", c_dup2 },
		{ "dup3", c_dup3 },
		{ "dupfd", c_dupfd },
		{ "dupfd-cloexec", c_dupfd_cloexec },
		{ "dup2-over", c_dup2_over },
		{ "close-reuse", c_close_reuse },
		{ "close-reuse-udp", c_close_reuse_udp },
		{ "close-reuse-file", c_close_reuse_file },
		{ "close-range", c_close_range },
		{ "close-range-cloexec", c_close_range_cloexec },
		{ "closefrom", c_closefrom },
		{ "syscall-dup", c_syscall_dup },
		{ "syscall-dup3", c_syscall_dup3 },
		{ "syscall-dupfd", c_syscall_dupfd },
		{ "syscall-close-reuse-unix", c_syscall_close_reuse_unix },
		{ "syscall-close-range", c_syscall_close_range },
		{ "syscall-passthrough", c_syscall_passthrough },
		{ "fork", c_fork },
		{ "fork-reuse", c_fork_reuse },
		{ "highfd", c_highfd },
		{ "threads", c_threads },
		{ NULL, NULL },
	};

	return t_main(argc, argv, cases);
}
