/* Starts the program under the filter and supervises its whole tree.
 *
 * The child sets NO_NEW_PRIVS (required for an unprivileged filter: setuid
 * programs in the tree then run without their privileges), installs the
 * filter with a listener and writes the listener's fd NUMBER to clatrun
 * over a pipe (passing the fd itself with sendmsg would be trapped by the
 * filter it just installed); clatrun takes it with pidfd_getfd, lets the
 * child exec, and serves until the last process holding the filter is
 * gone. The exit status is the main program's. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/filter.h>

#include "supervise.h"

#define EXIT_USAGE 2
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127

static volatile pid_t main_child;
static int main_status;

static void forward(int sig)
{
	if (main_child > 0)
		kill(main_child, sig);
}

static void *wait_main(void *arg)
{
	(void)arg;
	int status;
	while (waitpid(main_child, &status, 0) < 0 && errno == EINTR)
		;
	main_status = WIFEXITED(status) ? WEXITSTATUS(status) :
		WIFSIGNALED(status) ? 128 + WTERMSIG(status) : EXIT_CANNOT_RUN;
	return NULL;
}

/* In the child: filter, report, wait for the go-ahead, exec. */
static __attribute__((noreturn)) void child(const struct clat_sv_settings *settings,
					    const struct clat_sv_kernel *kernel, char **argv,
					    int report, int go)
{
	struct sock_fprog prog;
	unsigned flags = SECCOMP_FILTER_FLAG_NEW_LISTENER;
	clat_sv_filter(&prog, settings->early_twins);
	if (kernel->wait_killable)
		flags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	int fd = -1, err = 0;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		err = errno;
	} else {
		fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
		/* An older kernel without WAIT_KILLABLE_RECV: signals may then
		 * interrupt a trapped call, which the handlers tolerate. */
		if (fd < 0 && errno == EINVAL && (flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV))
			fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
					  SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		err = fd < 0 ? errno : 0;
	}
	int msg[2] = { fd, err };
	if (write(report, msg, sizeof(msg)) != (ssize_t)sizeof(msg) || fd < 0)
		_exit(EXIT_USAGE);
	char byte;
	while (read(go, &byte, 1) < 0 && errno == EINTR)
		;
	close(fd);
	close(report);
	close(go);
	execvp(argv[0], argv);
	err = errno;
	fprintf(stderr, "clatrun: %s: %s\n", argv[0], strerror(err));
	_exit(err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN);
}

static int refuse(pid_t pid, int err, const char *program)
{
	if (err == EBUSY)
		fprintf(stderr, "clatrun: cannot supervise %s: it would run under another seccomp "
			"supervisor already (EBUSY: a container runtime or another clatrun "
			"--supervise); not running it untranslated. Use --supervise=never to run "
			"it with the preload library only.\n", program);
	else
		fprintf(stderr, "clatrun: cannot supervise %s: installing the seccomp filter "
			"failed: %s; not running it untranslated.\n", program, strerror(err));
	waitpid(pid, NULL, 0);
	return EXIT_USAGE;
}

int clat_sv_run(const struct clat_sv_settings *settings, const struct clat_sv_kernel *kernel,
		char **argv)
{
	int report[2], go[2];
	if (pipe2(report, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0) {
		perror("clatrun: pipe");
		return EXIT_CANNOT_RUN;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		perror("clatrun: fork");
		return EXIT_CANNOT_RUN;
	}
	if (pid == 0) {
		close(report[0]);
		close(go[1]);
		child(settings, kernel, argv, report[1], go[0]);
	}
	close(report[1]);
	close(go[0]);
	main_child = pid;
	int msg[2] = { -1, EIO };
	ssize_t got;
	while ((got = read(report[0], msg, sizeof(msg))) < 0 && errno == EINTR)
		;
	close(report[0]);
	if (got != (ssize_t)sizeof(msg) || msg[0] < 0)
		return refuse(pid, got == (ssize_t)sizeof(msg) ? msg[1] : EIO, argv[0]);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int listener = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, msg[0], 0);
	if (listener < 0) {
		int err = errno;
		kill(pid, SIGKILL);
		return refuse(pid, err, argv[0]);
	}
	close(pidfd);
	/* The supervisor must outlive the program: terminal signals go to
	 * the program's process group anyway, others are passed on. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = { .sa_handler = forward, .sa_flags = SA_RESTART };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	pthread_t waiter;
	if (pthread_create(&waiter, NULL, wait_main, NULL) != 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return EXIT_CANNOT_RUN;
	}
	close(go[1]); /* the go-ahead: the child execs */
	if (!clat_sv_serve(listener, settings))
		kill(pid, SIGKILL);
	pthread_join(waiter, NULL);
	return main_status;
}
