/* p_failopen: fail-open checks for run-preload.sh. An AF_INET socket to
 * T_DST (no IPv4 route in the test namespace) is used after the family
 * switch has been made impossible, and the program must see what it sees
 * without libclat: the IPv4 call's result and errno, the socket still
 * AF_INET, and not one descriptor more or less.
 *
 *   p_failopen tcp|udp BLOCK
 *
 * BLOCK (installed after the socket is made, before connect/sendto):
 *   none             nothing: the control case (translated under libclat)
 *   seccomp-eperm    seccomp filter: socket(AF_INET6, ...) fails with EPERM
 *   seccomp-eafnosupport  the same with EAFNOSUPPORT (as ipv6.disable=1)
 *   seccomp-dup3     dup3() fails with EPERM (the switch's last step)
 *   seccomp-v6opt    setsockopt(IPPROTO_IPV6, ...) fails with EPERM (the
 *                    switch's IPV6_V6ONLY for UDP)
 *   emfile           RLIMIT_NOFILE leaves no descriptor for the AF_INET6
 *                    socket; afterwards the limit is raised again and the
 *                    same socket tries once more ("retry")
 *   emfile-cold      the same, but without the warm-up below: the first
 *                    call libclat sees happens with no descriptor left
 * With P_BLOCK_FIRST=1 a seccomp BLOCK is installed before the socket is
 * made instead.
 * Before the test socket is made, every BLOCK but emfile-cold warms the
 * library up with a UDP connect to 127.0.0.1:9 (never translated, but it
 * makes libclat load its settings), so that the blocked step is the switch
 * itself.
 * The filters are hand-written classic BPF (no libseccomp) and each is
 * checked to work with a raw system call before the test.
 *
 * Environment: T_DST, T_TCP, T_UDP as for p_probe; T_EXPECT the outcome of
 * the call: "ok" or an errno name (default ENETUNREACH); T_RETRY_EXPECT
 * the same for emfile's retry (default: T_EXPECT).
 * Prints "result ..." (and "retry ...") lines; "server ..." when t_server
 * answered. Exit status: 0 as expected, 1 not as expected, 2 setup error,
 * 77 unsupported architecture. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "perrname.h"

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

#define MAX_FDS 1024
#define IO_TIMEOUT_MS 5000

static int failures;

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v != NULL && *v != '\0' ? v : def;
}

/* Open descriptors, probed with the raw system call: no descriptor is
 * needed to look (opendir would need one, and there is none under EMFILE). */
static void fd_snapshot(unsigned char *open_fds)
{
	for (int fd = 0; fd < MAX_FDS; fd++)
		open_fds[fd] = syscall(SYS_fcntl, fd, F_GETFD) != -1;
}

static void fd_compare(const unsigned char *before, const char *what)
{
	unsigned char after[MAX_FDS];
	fd_snapshot(after);
	for (int fd = 0; fd < MAX_FDS; fd++) {
		if (before[fd] != after[fd]) {
			printf("FAIL %s: fd %d %s\n", what, fd, after[fd] ? "appeared" : "vanished");
			failures++;
		}
	}
}

/* The socket's real family, past libclat's getsockopt hook. */
static const char *real_domain(int fd)
{
	int domain = -1;
	socklen_t len = sizeof(domain);
	if (syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0)
		return "?";
	return domain == AF_INET ? "AF_INET" : domain == AF_INET6 ? "AF_INET6" : "other";
}

#ifdef NATIVE_ARCH
/* Filter: syscall nr (with args[argi] == val when argi >= 0) fails with
 * err; everything else is allowed. */
static int install_filter(long nr, int argi, unsigned val, int err)
{
	struct sock_filter f[16];
	unsigned n = 0;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	if (argi >= 0) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 3);
		/* The low 32 bits of the argument (little endian). */
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			offsetof(struct seccomp_data, args) + 8 * (unsigned)argi);
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, val, 0, 1);
	} else {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
					      SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA));
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		printf("setup: seccomp: %s\n", p_errname(errno));
		return -1;
	}
	return 0;
}
#endif

static void expect_blocked(long rc, int want, const char *what)
{
	if (rc != -1 || errno != want) {
		printf("setup: %s should fail with %s, got %ld/%s\n", what, p_errname(want), rc,
		       rc == -1 ? p_errname(errno) : "0");
		exit(2);
	}
	printf("setup: %s fails with %s\n", what, p_errname(want));
}

static struct rlimit saved_nofile;

/* Makes the switch impossible. Returns -1 on a setup error, 77 to skip. */
static int block(const char *how, int fd)
{
	if (strcmp(how, "none") == 0)
		return 0;
	if (strcmp(how, "emfile") == 0 || strcmp(how, "emfile-cold") == 0) {
		struct rlimit tight;
		if (getrlimit(RLIMIT_NOFILE, &saved_nofile) != 0)
			return -1;
		/* socket() returned the lowest free number: every lower one is
		 * in use, so with this limit no new descriptor can be made. */
		tight = saved_nofile;
		tight.rlim_cur = (rlim_t)fd + 1;
		if (setrlimit(RLIMIT_NOFILE, &tight) != 0)
			return -1;
		expect_blocked(syscall(SYS_socket, AF_INET6, SOCK_STREAM, 0), EMFILE,
			       "socket(AF_INET6) under RLIMIT_NOFILE");
		return 0;
	}
#ifdef NATIVE_ARCH
	if (strcmp(how, "seccomp-eperm") == 0 || strcmp(how, "seccomp-eafnosupport") == 0) {
		int err = strcmp(how, "seccomp-eperm") == 0 ? EPERM : EAFNOSUPPORT;
		if (install_filter(SYS_socket, 0, AF_INET6, err) != 0)
			return -1;
		expect_blocked(syscall(SYS_socket, AF_INET6, SOCK_STREAM, 0), err,
			       "socket(AF_INET6, SOCK_STREAM)");
		expect_blocked(syscall(SYS_socket, AF_INET6, SOCK_DGRAM, 0), err,
			       "socket(AF_INET6, SOCK_DGRAM)");
		return 0;
	}
	if (strcmp(how, "seccomp-dup3") == 0) {
		if (install_filter(SYS_dup3, -1, 0, EPERM) != 0)
			return -1;
		expect_blocked(syscall(SYS_dup3, 1, 200, 0), EPERM, "dup3");
		return 0;
	}
	if (strcmp(how, "seccomp-v6opt") == 0) {
		int off = 0;
		if (install_filter(SYS_setsockopt, 1, IPPROTO_IPV6, EPERM) != 0)
			return -1;
		int probe = (int)syscall(SYS_socket, AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (probe < 0)
			return -1;
		long rc = syscall(SYS_setsockopt, probe, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
		int e = errno;
		syscall(SYS_close, probe);
		errno = e;
		expect_blocked(rc, EPERM, "setsockopt(IPPROTO_IPV6, IPV6_V6ONLY)");
		return 0;
	}
#else
	if (strncmp(how, "seccomp-", 8) == 0)
		return 77;
#endif
	printf("setup: unknown BLOCK '%s'\n", how);
	return -1;
}

/* Reads t_server's one-line answer (TCP) or datagram (UDP) and prints it. */
static void show_answer(int fd, int tcp)
{
	char buf[256];
	size_t n = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (tcp && write(fd, "PEER\n", 5) != 5)
		return;
	while (n + 1 < sizeof(buf) && poll(&p, 1, IO_TIMEOUT_MS) == 1) {
		ssize_t r = tcp ? read(fd, buf + n, 1) : recv(fd, buf, sizeof(buf) - 1, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (!tcp || buf[n - 1] == '\n')
			break;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	printf("server %s\n", n > 0 ? buf : "(no answer)");
}

/* One connect (TCP) or sendto (UDP); prints and checks the outcome. */
static void attempt(const char *label, int fd, int tcp, const char *want)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(env_or(tcp ? "T_TCP" : "T_UDP",
							 tcp ? "7001" : "7002")));
	inet_pton(AF_INET, env_or("T_DST", "203.0.113.10"), &sin.sin_addr);

	errno = 0;
	long rc = tcp ? connect(fd, (struct sockaddr *)&sin, sizeof(sin))
		      : sendto(fd, "INFO", 4, 0, (struct sockaddr *)&sin, sizeof(sin));
	const char *got = rc >= 0 ? "ok" : p_errname(errno);
	printf("%s %s %s=%ld errno=%s domain=%s\n", label, tcp ? "tcp" : "udp",
	       tcp ? "connect" : "sendto", rc, rc >= 0 ? "-" : p_errname(errno),
	       real_domain(fd));
	if (strcmp(got, want) != 0) {
		printf("FAIL %s: got %s, want %s\n", label, got, want);
		failures++;
	}
	if (rc >= 0)
		show_answer(fd, tcp);
}

int main(int argc, char **argv)
{
	unsigned char before[MAX_FDS];
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc != 3 || (strcmp(argv[1], "tcp") != 0 && strcmp(argv[1], "udp") != 0)) {
		fprintf(stderr, "usage: p_failopen tcp|udp BLOCK\n");
		return 2;
	}
	int tcp = strcmp(argv[1], "tcp") == 0;
	int emfile = strncmp(argv[2], "emfile", 6) == 0;
	const char *want = env_or("T_EXPECT", "ENETUNREACH");
	if (strcmp(argv[2], "emfile-cold") != 0) {
		struct sockaddr_in lo = { .sin_family = AF_INET, .sin_port = htons(9),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int warm = socket(AF_INET, SOCK_DGRAM, 0);
		if (warm < 0 || connect(warm, (struct sockaddr *)&lo, sizeof(lo)) != 0) {
			printf("setup: warm-up UDP connect to 127.0.0.1:9: %s\n", p_errname(errno));
			return 2;
		}
		close(warm);
	}
	/* P_BLOCK_FIRST=1: a seccomp BLOCK goes in before the socket is
	 * made, so that libclat's early switch (an AF_INET6 socket at
	 * socket()) meets it too. */
	bool first = getenv("P_BLOCK_FIRST") != NULL && strncmp(argv[2], "seccomp-", 8) == 0;
	int rc = first ? block(argv[2], -1) : 0;
	int fd = rc == 0 ? socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0) : -1;
	if (rc == 0 && fd < 0) {
		printf("setup: socket: %s\n", p_errname(errno));
		return 2;
	}
	if (!first)
		rc = block(argv[2], fd);
	if (rc == 77) {
		printf("SKIP: no seccomp filter for this architecture\n");
		return 77;
	}
	if (rc != 0)
		return 2;
	fd_snapshot(before);
	attempt("result", fd, tcp, want);
	/* A second try under the same conditions: same answer, nothing left
	 * behind by the first. */
	if (strcmp(want, "ok") != 0) {
		attempt("again", fd, tcp, want);
		fd_compare(before, "descriptors after the attempts");
	}
	if (emfile) {
		if (setrlimit(RLIMIT_NOFILE, &saved_nofile) != 0)
			return 2;
		attempt("retry", fd, tcp, env_or("T_RETRY_EXPECT", want));
	}
	printf("done, %d failure(s)\n", failures);
	return failures == 0 ? 0 : 1;
}
