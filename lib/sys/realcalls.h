/* The next definition of every libc function libclat hooks, found with
 * dlsym(RTLD_NEXT) so that libclat stacks with other preload libraries. */
#ifndef CLAT_REALCALLS_H
#define CLAT_REALCALLS_H

#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>

struct clat_realcalls {
	int (*socket)(int, int, int);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	ssize_t (*send)(int, const void *, size_t, int);
	ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	int (*sendmmsg)(int, struct mmsghdr *, unsigned int, int);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
	ssize_t (*recvmsg)(int, struct msghdr *, int);
	ssize_t (*recv)(int, void *, size_t, int);
	int (*recvmmsg)(int, struct mmsghdr *, unsigned int, int, struct timespec *);
	int (*getpeername)(int, struct sockaddr *, socklen_t *);
	int (*getsockname)(int, struct sockaddr *, socklen_t *);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	int (*close)(int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*fcntl64)(int, int, ...);
	ssize_t (*__recv_chk)(int, void *, size_t, size_t, int);
	ssize_t (*__recvfrom_chk)(int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *);
	int (*epoll_ctl)(int, int, int, struct epoll_event *);
	int (*poll)(struct pollfd *, nfds_t, int);
	int (*close_range)(unsigned int, unsigned int, int);
	void (*closefrom)(int);
	long (*syscall)(long, ...);
	/* Name resolution (hook_resolve.c, the RFC 6535 address mapper). */
	int (*getaddrinfo)(const char *, const char *, const struct addrinfo *,
			   struct addrinfo **);
	struct hostent *(*gethostbyname)(const char *);
	struct hostent *(*gethostbyname2)(const char *, int);
	int (*gethostbyname_r)(const char *, struct hostent *, char *, size_t,
			       struct hostent **, int *);
	int (*gethostbyname2_r)(const char *, int, struct hostent *, char *, size_t,
				struct hostent **, int *);
	struct hostent *(*gethostbyaddr)(const void *, socklen_t, int);
	int (*gethostbyaddr_r)(const void *, socklen_t, int, struct hostent *, char *,
			       size_t, struct hostent **, int *);
	int (*getnameinfo)(const struct sockaddr *, socklen_t, char *, socklen_t, char *,
			   socklen_t, int);
};

/* The six arguments syscall(2) may take after the number. Reading six
 * whatever the number is what glibc's own syscall() does: the unused ones
 * are whatever the registers and the caller's frame hold, and the kernel
 * ignores them. */
struct clat_syscall_args {
	long a1, a2, a3, a4, a5, a6;
};

static inline struct clat_syscall_args clat_syscall_args_read(va_list ap)
{
	struct clat_syscall_args args;
	args.a1 = va_arg(ap, long);
	args.a2 = va_arg(ap, long);
	args.a3 = va_arg(ap, long);
	args.a4 = va_arg(ap, long);
	args.a5 = va_arg(ap, long);
	args.a6 = va_arg(ap, long);
	return args;
}

/* Every entry is callable: a trampoline until its first call resolves it
 * (ENOSYS if libc lacks it, e.g. close_range before glibc 2.34). */
const struct clat_realcalls *clat_real(void);

/* The current entry for name. Trampolines replace entries while other
 * threads call them: an acquire load pairs with their release store (a
 * plain word load on every Linux target, but what TSan needs to see). */
#define CLAT_REAL(name) __atomic_load_n(&clat_real()->name, __ATOMIC_ACQUIRE)

#endif
