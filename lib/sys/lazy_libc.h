/* C library functions that libclat needs only once it has work to do
 * (settings, logging, prefix discovery and its cache file, the address
 * mapper), bound on their first call with dlsym(RTLD_DEFAULT) instead of by
 * the dynamic loader. With -z now the loader looks up every import of a
 * preloaded library when any process starts, whether or not it ever makes
 * a socket: ~600 instructions each (bench/README.md, idle cost). Binding
 * on first use moves that cost to the processes that use the function.
 *
 * It turns calls such as fopen(...) into calls through a pointer resolved
 * on first use (function-like macros, so `struct stat` and the like are
 * left alone). It includes the system headers that declare these names
 * first, so that a later #include of one of them is a no-op; include it
 * after the file's own system headers all the same (last). 
 * dlsym(RTLD_DEFAULT) searches the same global scope the loader binds an
 * import in, so a program's own definition (an allocator) still wins.
 * Every name here is part of the glibc ABI the library was linked
 * against. The module's copy of the core is compiled with this header
 * forced in first (-include, lib/Makefile.am). */
#ifndef CLAT_LAZY_LIBC_H
#define CLAT_LAZY_LIBC_H

#include <arpa/inet.h>
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <libgen.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/auxv.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* The address of symbol in the global scope, stored in *slot. */
void *clat_lazy_symbol(void **slot, const char *symbol);
/* The same for the next definition after this object's (RTLD_NEXT): for a
 * name libclat itself exports as a hook, whose global definition is ours. */
void *clat_lazy_next_symbol(void **slot, const char *symbol);
/* pthread_atfork() is a wrapper in libc_nonshared.a around
 * __register_atfork(), which takes the caller's object as well. */
int clat_lazy_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void));

/* One cache slot per call site; resolving twice stores the same value. */
#define CLAT_LAZY_WITH(resolver, name, symbol)                                     \
	((__typeof__(&name))({                                                    \
		static void *clat_lazy_slot_;                                     \
		void *clat_lazy_fn_ = __atomic_load_n(&clat_lazy_slot_, __ATOMIC_ACQUIRE); \
		clat_lazy_fn_ != NULL ? clat_lazy_fn_ : resolver(&clat_lazy_slot_, symbol); \
	}))
#define CLAT_LAZY(name, symbol) CLAT_LAZY_WITH(clat_lazy_symbol, name, symbol)

#define inet_ntop(...) CLAT_LAZY(inet_ntop, "inet_ntop")(__VA_ARGS__)
#define inet_pton(...) CLAT_LAZY(inet_pton, "inet_pton")(__VA_ARGS__)
#define snprintf(...) CLAT_LAZY(snprintf, "snprintf")(__VA_ARGS__)
#define vsnprintf(...) CLAT_LAZY(vsnprintf, "vsnprintf")(__VA_ARGS__)
/* What pthread_cleanup_push/pop expand to (staggered_connect.c); not
 * __sigsetjmp, which must be called directly (it returns twice). */
#define __pthread_register_cancel(...) CLAT_LAZY(__pthread_register_cancel, "__pthread_register_cancel")(__VA_ARGS__)
#define __pthread_unregister_cancel(...) CLAT_LAZY(__pthread_unregister_cancel, "__pthread_unregister_cancel")(__VA_ARGS__)
#define __pthread_unwind_next(...) CLAT_LAZY(__pthread_unwind_next, "__pthread_unwind_next")(__VA_ARGS__)
#define __h_errno_location(...) CLAT_LAZY(__h_errno_location, "__h_errno_location")(__VA_ARGS__)
#define clock_gettime(...) CLAT_LAZY(clock_gettime, "clock_gettime")(__VA_ARGS__)
#define dlopen(...) CLAT_LAZY(dlopen, "dlopen")(__VA_ARGS__)
#define mmap(...) CLAT_LAZY(mmap, "mmap")(__VA_ARGS__)
#define munmap(...) CLAT_LAZY(munmap, "munmap")(__VA_ARGS__)
#define pthread_once(...) CLAT_LAZY(pthread_once, "pthread_once")(__VA_ARGS__)
#define chmod(...) CLAT_LAZY(chmod, "chmod")(__VA_ARGS__)
#define closedir(...) CLAT_LAZY(closedir, "closedir")(__VA_ARGS__)
#define dirname(...) CLAT_LAZY(dirname, "dirname")(__VA_ARGS__)
#define fchmod(...) CLAT_LAZY(fchmod, "fchmod")(__VA_ARGS__)
#define fclose(...) CLAT_LAZY(fclose, "fclose")(__VA_ARGS__)
#define fgets(...) CLAT_LAZY(fgets, "fgets")(__VA_ARGS__)
#define flock(...) CLAT_LAZY(flock, "flock")(__VA_ARGS__)
#define fopen(...) CLAT_LAZY(fopen, "fopen")(__VA_ARGS__)
#define free(...) CLAT_LAZY(free, "free")(__VA_ARGS__)
#define freeaddrinfo(...) CLAT_LAZY(freeaddrinfo, "freeaddrinfo")(__VA_ARGS__)
#define freeifaddrs(...) CLAT_LAZY(freeifaddrs, "freeifaddrs")(__VA_ARGS__)
#define fstat(...) CLAT_LAZY(fstat, "fstat")(__VA_ARGS__)
#define ftruncate(...) CLAT_LAZY(ftruncate, "ftruncate")(__VA_ARGS__)
#define getauxval(...) CLAT_LAZY(getauxval, "getauxval")(__VA_ARGS__)
#define getenv(...) CLAT_LAZY(getenv, "getenv")(__VA_ARGS__)
#define geteuid(...) CLAT_LAZY(geteuid, "geteuid")(__VA_ARGS__)
#define getifaddrs(...) CLAT_LAZY(getifaddrs, "getifaddrs")(__VA_ARGS__)
#define getpid(...) CLAT_LAZY(getpid, "getpid")(__VA_ARGS__)
#define getrlimit(...) CLAT_LAZY(getrlimit, "getrlimit")(__VA_ARGS__)
#define getuid(...) CLAT_LAZY(getuid, "getuid")(__VA_ARGS__)
#define inet_aton(...) CLAT_LAZY(inet_aton, "inet_aton")(__VA_ARGS__)
#define lstat(...) CLAT_LAZY(lstat, "lstat")(__VA_ARGS__)
#define malloc(...) CLAT_LAZY(malloc, "malloc")(__VA_ARGS__)
#define mkdir(...) CLAT_LAZY(mkdir, "mkdir")(__VA_ARGS__)
#define mkostemp(...) CLAT_LAZY(mkostemp, "mkostemp")(__VA_ARGS__)
#define nanosleep(...) CLAT_LAZY(nanosleep, "nanosleep")(__VA_ARGS__)
#define open(...) CLAT_LAZY(open, "open")(__VA_ARGS__)
#define opendir(...) CLAT_LAZY(opendir, "opendir")(__VA_ARGS__)
#define posix_fallocate(...) CLAT_LAZY(posix_fallocate, "posix_fallocate")(__VA_ARGS__)
#define poll(...) CLAT_LAZY(poll, "poll")(__VA_ARGS__)
#define pthread_atfork(...) clat_lazy_atfork(__VA_ARGS__)
#define pthread_mutex_consistent(...) CLAT_LAZY(pthread_mutex_consistent, "pthread_mutex_consistent")(__VA_ARGS__)
#define pthread_mutex_init(...) CLAT_LAZY(pthread_mutex_init, "pthread_mutex_init")(__VA_ARGS__)
#define pthread_mutex_lock(...) CLAT_LAZY(pthread_mutex_lock, "pthread_mutex_lock")(__VA_ARGS__)
#define pthread_mutex_timedlock(...) CLAT_LAZY(pthread_mutex_timedlock, "pthread_mutex_timedlock")(__VA_ARGS__)
#define pthread_mutex_trylock(...) CLAT_LAZY(pthread_mutex_trylock, "pthread_mutex_trylock")(__VA_ARGS__)
#define pthread_mutex_unlock(...) CLAT_LAZY(pthread_mutex_unlock, "pthread_mutex_unlock")(__VA_ARGS__)
#define pthread_mutexattr_destroy(...) CLAT_LAZY(pthread_mutexattr_destroy, "pthread_mutexattr_destroy")(__VA_ARGS__)
#define pthread_mutexattr_init(...) CLAT_LAZY(pthread_mutexattr_init, "pthread_mutexattr_init")(__VA_ARGS__)
#define pthread_mutexattr_setpshared(...) CLAT_LAZY(pthread_mutexattr_setpshared, "pthread_mutexattr_setpshared")(__VA_ARGS__)
#define pthread_mutexattr_setrobust(...) CLAT_LAZY(pthread_mutexattr_setrobust, "pthread_mutexattr_setrobust")(__VA_ARGS__)
#define qsort(...) CLAT_LAZY(qsort, "qsort")(__VA_ARGS__)
#define read(...) CLAT_LAZY(read, "read")(__VA_ARGS__)
#define readdir(...) CLAT_LAZY(readdir, "readdir")(__VA_ARGS__)
#define realloc(...) CLAT_LAZY(realloc, "realloc")(__VA_ARGS__)
#define rename(...) CLAT_LAZY(rename, "rename")(__VA_ARGS__)
/* <stdio.h> binds the C99 sscanf to this name (-std=gnu11). */
#define sscanf(...) CLAT_LAZY(sscanf, "__isoc99_sscanf")(__VA_ARGS__)
#define stat(...) CLAT_LAZY(stat, "stat")(__VA_ARGS__)
#define strerror(...) CLAT_LAZY(strerror, "strerror")(__VA_ARGS__)
#define strncasecmp(...) CLAT_LAZY(strncasecmp, "strncasecmp")(__VA_ARGS__)
#define strncmp(...) CLAT_LAZY(strncmp, "strncmp")(__VA_ARGS__)
#define strtok_r(...) CLAT_LAZY(strtok_r, "strtok_r")(__VA_ARGS__)
/* libclat hooks syscall() (hook_fd.c); the library's own direct system
 * calls (sysfile.h) go past the hook to libc's. */
#define syscall(...) CLAT_LAZY_WITH(clat_lazy_next_symbol, syscall, "syscall")(__VA_ARGS__)
#define syslog(...) CLAT_LAZY(syslog, "syslog")(__VA_ARGS__)
#define time(...) CLAT_LAZY(time, "time")(__VA_ARGS__)
#define unlink(...) CLAT_LAZY(unlink, "unlink")(__VA_ARGS__)
#define write(...) CLAT_LAZY(write, "write")(__VA_ARGS__)
#define writev(...) CLAT_LAZY(writev, "writev")(__VA_ARGS__)

#endif
