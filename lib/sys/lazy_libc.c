#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

#include "sys/lazy_libc.h"

/* The object this code is linked into, as __register_atfork() wants it
 * (crtbegin.o defines it for every shared object and executable). */
extern void *__dso_handle __attribute__((visibility("hidden")));
int __register_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void),
		      void *dso_handle);

static void *lazy_resolve(void *handle, void **slot, const char *symbol)
{
	/* dlsym may set errno or leave a dlerror() state: the caller's
	 * errno is the program's. */
	int saved_errno = errno;
	void *fn = dlsym(handle, symbol);
	errno = saved_errno;
	/* A word-sized aligned store: a racing thread resolves the same
	 * value itself or sees this one. */
	__atomic_store_n(slot, fn, __ATOMIC_RELEASE);
	return fn;
}

void *clat_lazy_symbol(void **slot, const char *symbol)
{
	return lazy_resolve(RTLD_DEFAULT, slot, symbol);
}

/* RTLD_NEXT is relative to the object of the code that calls dlsym: this
 * file's, the same object as the hooks. */
void *clat_lazy_next_symbol(void **slot, const char *symbol)
{
	return lazy_resolve(RTLD_NEXT, slot, symbol);
}

int clat_lazy_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
	static void *slot;
	void *fn = __atomic_load_n(&slot, __ATOMIC_ACQUIRE);
	if (fn == NULL)
		fn = clat_lazy_symbol(&slot, "__register_atfork");
	return ((__typeof__(&__register_atfork))fn)(prepare, parent, child, __dso_handle);
}
