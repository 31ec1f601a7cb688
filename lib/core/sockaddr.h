/* sockaddr translation between the program's IPv4 view and the IPv6 socket
 * that backs it. Pure functions. */
#ifndef CLAT_SOCKADDR_H
#define CLAT_SOCKADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "rfc6052.h"

/* False for a pointer into the first page (NULL, or NULL plus a member's
 * offset), where Linux never maps user memory (vm.mmap_min_addr is 4096
 * or more unless an administrator lowers it). The hooks leave a call with
 * such a pointer to the kernel, whose answer is EFAULT (connect(2),
 * ERRORS), instead of reading it themselves. Other bad pointers still
 * fault in the library: telling them apart would cost a system call. */
static inline bool clat_pointer_usable(const void *p)
{
	return (uintptr_t)p >= 4096;
}

/* sin -> [Pref64::sin_addr]:sin_port, flow info and scope zero. */
void clat_sockaddr_synthesize(const struct clat_prefix *prefix,
			      const struct sockaddr_in *sin,
			      struct sockaddr_in6 *out);
/* sin -> [::ffff:sin_addr]:sin_port (for destinations kept on IPv4 when a
 * switched dual-stack socket talks to them, e.g. loopback). */
void clat_sockaddr_v4mapped(const struct sockaddr_in *sin, struct sockaddr_in6 *out);
/* True when sin6 is ::ffff:a.b.c.d; stores a.b.c.d and the port in out. */
bool clat_sockaddr_from_v4mapped(const struct sockaddr_in6 *sin6, struct sockaddr_in *out);
/* IPv6 peer -> the IPv4 address the program must see: the embedded IPv4 for
 * an address inside prefix (6052 s2.3), the IPv4 of a v4-mapped address.
 * False for any other IPv6 address (out is then 0.0.0.0 with the port). */
bool clat_sockaddr_to_ipv4(const struct clat_prefix *prefix,
			   const struct sockaddr_in6 *sin6, struct sockaddr_in *out);
/* Copy-out with the POSIX rule for address buffers (connect(2)/accept(2)):
 * copy min(*len, srclen) bytes of src into dst, then set *len = srclen so
 * the caller can see it was truncated. A NULL dst or len copies nothing. */
void clat_sockaddr_copy_out(const void *src, socklen_t srclen,
			    struct sockaddr *dst, socklen_t *len);
/* A usable AF_INET destination: non-NULL, len >= sizeof(sockaddr_in), family. */
bool clat_sockaddr_is_ipv4(const struct sockaddr *addr, socklen_t len);
/* A usable AF_INET6 destination that is ::ffff:a.b.c.d. */
bool clat_sockaddr_is_v4mapped(const struct sockaddr *addr, socklen_t len);

#endif
