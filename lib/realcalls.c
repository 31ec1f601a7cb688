/* Resolves the real libc calls lazily. Hooks may run before our constructor
 * (another library's constructor can call connect), so resolution happens
 * on first use under pthread_once instead of at load time. */

#include <dlfcn.h>
#include <pthread.h>
#include <fcntl.h>
#include <stddef.h>
#include <unistd.h>

#include "realcalls.h"

/* Declared by glibc only under _FORTIFY_SOURCE (hook_recv.c defines it). */
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
		       struct sockaddr *addr, socklen_t *addrlen);
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);

static struct clat_realcalls real_calls;
static pthread_once_t real_calls_once = PTHREAD_ONCE_INIT;

/* dlsym(RTLD_NEXT) from inside libclat gives the definition after ours. A
 * result equal to our own hook would mean a loop (two copies of libclat, or
 * a broken link map): refuse it, as proxychains-ng's load_sym does. */
static void *next_symbol(const char *name, void *own)
{
	void *sym = dlsym(RTLD_NEXT, name);
	return sym == own ? NULL : sym;
}

#define RESOLVE(field) \
	(*(void **)&real_calls.field = next_symbol(#field, (void *)&field))


static void resolve_all(void)
{
	RESOLVE(socket);
	RESOLVE(connect);
	RESOLVE(bind);
	RESOLVE(send);
	RESOLVE(sendto);
	RESOLVE(sendmsg);
	RESOLVE(sendmmsg);
	RESOLVE(recvfrom);
	RESOLVE(recvmsg);
	RESOLVE(recv);
	RESOLVE(recvmmsg);
	RESOLVE(getpeername);
	RESOLVE(getsockname);
	RESOLVE(accept);
	RESOLVE(accept4);
	RESOLVE(setsockopt);
	RESOLVE(getsockopt);
	RESOLVE(close);
	RESOLVE(dup);
	RESOLVE(dup2);
	RESOLVE(dup3);
	RESOLVE(fcntl);
	RESOLVE(fcntl64);
	RESOLVE(__recvfrom_chk);
	RESOLVE(__recv_chk);
	RESOLVE(epoll_ctl);
	RESOLVE(close_range);
	RESOLVE(closefrom);
}

const struct clat_realcalls *clat_real(void)
{
	pthread_once(&real_calls_once, resolve_all);
	return &real_calls;
}
