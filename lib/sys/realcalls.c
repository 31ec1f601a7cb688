/* Resolves the real libc calls lazily, each on its own first use: a
 * trampoline looks the name up with dlsym(RTLD_NEXT) and replaces itself
 * in the table. Hooks may run before our constructor (another library's
 * constructor can call connect), and a process pays only for the calls it
 * makes (dlsym of all of them at once cost ~24,000 instructions per
 * process, bench/README.md). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "sys/realcalls.h"
#include "sys/lazy_libc.h" /* last: see there */

static struct clat_realcalls real_calls;

/* The bounds of the object this file is linked into (libclat.so, or
 * clatrun), from the linker: its ELF header and the end of its .bss. The
 * hidden declarations bind them inside this object. dladdr would name the
 * object too, but it scans the symbol table of the object it is given: two
 * calls cost ~95,000 instructions, which every program that closes a file
 * would pay once (bench, "whole run of /bin/cat /dev/null"). */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char _end[] __attribute__((visibility("hidden")));

static bool inside_own_object(const void *sym)
{
	uintptr_t at = (uintptr_t)sym;
	return at >= (uintptr_t)__ehdr_start && at < (uintptr_t)_end;
}

/* dlsym(RTLD_NEXT) from inside libclat gives the definition after ours. A
 * result inside our own object would mean a loop (two copies of libclat, or
 * a broken link map): refuse it, as proxychains-ng's load_sym refuses its
 * own hook. Comparing objects, not hook addresses, keeps this file free of
 * references to the hooks above it, so discovery and clatrun use it too. */
static void *next_symbol(const char *name)
{
	int saved_errno = errno;
	void *sym = dlsym(RTLD_NEXT, name);
	if (sym != NULL && inside_own_object(sym))
		sym = NULL;
	errno = saved_errno;
	return sym;
}

/* Resolves name into *slot (a function pointer in real_calls). A word-sized
 * aligned store: a racing thread sees the trampoline or the real call,
 * both correct. False when libc has no such function. */
static bool resolve(void *slot, const char *name)
{
	void *sym = next_symbol(name);
	if (sym == NULL)
		return false;
	__atomic_store_n((void **)slot, sym, __ATOMIC_RELEASE);
	return true;
}

#define TRAMPOLINE_FAILING(ret, name, params, args, failure)                  \
	static ret first_##name params                                        \
	{                                                                     \
		if (!resolve(&real_calls.name, #name)) {        \
			errno = ENOSYS;                                        \
			return failure;                                        \
		}                                                              \
		return CLAT_REAL(name) args;                                   \
	}
#define TRAMPOLINE(ret, name, params, args) TRAMPOLINE_FAILING(ret, name, params, args, (ret)-1)

TRAMPOLINE(int, socket, (int d, int t, int p), (d, t, p))
TRAMPOLINE(int, connect, (int fd, const struct sockaddr *a, socklen_t l), (fd, a, l))
TRAMPOLINE(int, bind, (int fd, const struct sockaddr *a, socklen_t l), (fd, a, l))
TRAMPOLINE(ssize_t, send, (int fd, const void *b, size_t n, int f), (fd, b, n, f))
TRAMPOLINE(ssize_t, sendto, (int fd, const void *b, size_t n, int f,
			     const struct sockaddr *a, socklen_t l), (fd, b, n, f, a, l))
TRAMPOLINE(ssize_t, sendmsg, (int fd, const struct msghdr *m, int f), (fd, m, f))
TRAMPOLINE(int, sendmmsg, (int fd, struct mmsghdr *v, unsigned int n, int f), (fd, v, n, f))
TRAMPOLINE(ssize_t, recv, (int fd, void *b, size_t n, int f), (fd, b, n, f))
TRAMPOLINE(ssize_t, recvfrom, (int fd, void *b, size_t n, int f, struct sockaddr *a,
			       socklen_t *l), (fd, b, n, f, a, l))
TRAMPOLINE(ssize_t, recvmsg, (int fd, struct msghdr *m, int f), (fd, m, f))
TRAMPOLINE(int, recvmmsg, (int fd, struct mmsghdr *v, unsigned int n, int f,
			   struct timespec *t), (fd, v, n, f, t))
TRAMPOLINE(int, getpeername, (int fd, struct sockaddr *a, socklen_t *l), (fd, a, l))
TRAMPOLINE(int, getsockname, (int fd, struct sockaddr *a, socklen_t *l), (fd, a, l))
TRAMPOLINE(int, accept, (int fd, struct sockaddr *a, socklen_t *l), (fd, a, l))
TRAMPOLINE(int, accept4, (int fd, struct sockaddr *a, socklen_t *l, int f), (fd, a, l, f))
TRAMPOLINE(int, setsockopt, (int fd, int lv, int o, const void *v, socklen_t l),
	   (fd, lv, o, v, l))
TRAMPOLINE(int, getsockopt, (int fd, int lv, int o, void *v, socklen_t *l), (fd, lv, o, v, l))
TRAMPOLINE(int, close, (int fd), (fd))
TRAMPOLINE(int, dup, (int fd), (fd))
TRAMPOLINE(int, dup2, (int a, int b), (a, b))
TRAMPOLINE(int, dup3, (int a, int b, int f), (a, b, f))
TRAMPOLINE(ssize_t, __recvfrom_chk, (int fd, void *b, size_t n, size_t bl, int f,
				     struct sockaddr *a, socklen_t *l), (fd, b, n, bl, f, a, l))
TRAMPOLINE(ssize_t, __recv_chk, (int fd, void *b, size_t n, size_t bl, int f),
	   (fd, b, n, bl, f))
TRAMPOLINE(int, epoll_ctl, (int e, int op, int fd, struct epoll_event *ev), (e, op, fd, ev))
TRAMPOLINE(int, poll, (struct pollfd *f, nfds_t n, int t), (f, n, t))
TRAMPOLINE(int, close_range, (unsigned int a, unsigned int b, int f), (a, b, f))
/* getaddrinfo and getnameinfo report EAI_SYSTEM (errno set); the _r
 * lookups return the error number itself. */
TRAMPOLINE_FAILING(int, getaddrinfo, (const char *n, const char *s,
				      const struct addrinfo *h, struct addrinfo **r),
		   (n, s, h, r), EAI_SYSTEM)
TRAMPOLINE_FAILING(int, getnameinfo, (const struct sockaddr *a, socklen_t l, char *h,
				      socklen_t hl, char *s, socklen_t sl, int f),
		   (a, l, h, hl, s, sl, f), EAI_SYSTEM)
TRAMPOLINE_FAILING(int, gethostbyname_r, (const char *n, struct hostent *r, char *b,
					  size_t bl, struct hostent **res, int *e),
		   (n, r, b, bl, res, e), ENOSYS)
TRAMPOLINE_FAILING(int, gethostbyname2_r, (const char *n, int af, struct hostent *r,
					   char *b, size_t bl, struct hostent **res, int *e),
		   (n, af, r, b, bl, res, e), ENOSYS)
TRAMPOLINE_FAILING(int, gethostbyaddr_r, (const void *a, socklen_t l, int t,
					  struct hostent *r, char *b, size_t bl,
					  struct hostent **res, int *e),
		   (a, l, t, r, b, bl, res, e), ENOSYS)

/* The non-reentrant lookups return a pointer, and set h_errno on failure. */
#define HOSTENT_TRAMPOLINE(name, params, args)                                \
	static struct hostent *first_##name params                            \
	{                                                                     \
		if (!resolve(&real_calls.name, #name)) {        \
			h_errno = NO_RECOVERY;                                 \
			return NULL;                                           \
		}                                                              \
		return CLAT_REAL(name) args;                                   \
	}
HOSTENT_TRAMPOLINE(gethostbyname, (const char *n), (n))
HOSTENT_TRAMPOLINE(gethostbyname2, (const char *n, int af), (n, af))
HOSTENT_TRAMPOLINE(gethostbyaddr, (const void *a, socklen_t l, int t), (a, l, t))

/* fcntl takes at most one int or pointer; passing it on as a pointer is
 * what glibc itself does. */
#define FCNTL_TRAMPOLINE(name)                                                \
	static int first_##name(int fd, int cmd, ...)                         \
	{                                                                     \
		va_list ap;                                                   \
		va_start(ap, cmd);                                            \
		void *arg = va_arg(ap, void *);                               \
		va_end(ap);                                                   \
		if (!resolve(&real_calls.name, #name)) {        \
			errno = ENOSYS;                                        \
			return -1;                                             \
		}                                                              \
		return CLAT_REAL(name)(fd, cmd, arg);                          \
	}
FCNTL_TRAMPOLINE(fcntl)
FCNTL_TRAMPOLINE(fcntl64)

static void first_closefrom(int lowfd)
{
	if (resolve(&real_calls.closefrom, "closefrom"))
		CLAT_REAL(closefrom)(lowfd);
}

/* syscall(2) passes up to six arguments; a trampoline must pass all six. */
static long first_syscall(long number, ...)
{
	va_list ap;
	va_start(ap, number);
	struct clat_syscall_args a = clat_syscall_args_read(ap);
	va_end(ap);
	if (!resolve(&real_calls.syscall, "syscall")) {
		errno = ENOSYS;
		return -1;
	}
	return CLAT_REAL(syscall)(number, a.a1, a.a2, a.a3, a.a4, a.a5, a.a6);
}

static struct clat_realcalls real_calls = {
	.socket = first_socket, .connect = first_connect, .bind = first_bind,
	.send = first_send, .sendto = first_sendto, .sendmsg = first_sendmsg,
	.sendmmsg = first_sendmmsg, .recv = first_recv, .recvfrom = first_recvfrom,
	.recvmsg = first_recvmsg, .recvmmsg = first_recvmmsg,
	.getpeername = first_getpeername, .getsockname = first_getsockname,
	.accept = first_accept, .accept4 = first_accept4,
	.setsockopt = first_setsockopt, .getsockopt = first_getsockopt,
	.close = first_close, .dup = first_dup, .dup2 = first_dup2, .dup3 = first_dup3,
	.fcntl = first_fcntl, .fcntl64 = first_fcntl64,
	.__recvfrom_chk = first___recvfrom_chk, .__recv_chk = first___recv_chk,
	.epoll_ctl = first_epoll_ctl, .poll = first_poll, .close_range = first_close_range,
	.closefrom = first_closefrom, .syscall = first_syscall,
	.getaddrinfo = first_getaddrinfo, .getnameinfo = first_getnameinfo,
	.gethostbyname = first_gethostbyname, .gethostbyname2 = first_gethostbyname2,
	.gethostbyname_r = first_gethostbyname_r, .gethostbyname2_r = first_gethostbyname2_r,
	.gethostbyaddr = first_gethostbyaddr, .gethostbyaddr_r = first_gethostbyaddr_r,
};

const struct clat_realcalls *clat_real(void)
{
	return &real_calls;
}
