/* sockaddr translation between the program's IPv4 view and the IPv6 socket. */
#include "sockaddr.h"

#include <string.h>

void clat_sockaddr_synthesize(const struct clat_prefix *prefix,
			      const struct sockaddr_in *sin,
			      struct sockaddr_in6 *out)
{
	memset(out, 0, sizeof(*out));
	out->sin6_family = AF_INET6;
	out->sin6_port = sin->sin_port;
	/* Flow label zero: RFC 7915 s4.1. */
	clat_synthesize(prefix, sin->sin_addr, &out->sin6_addr);
}

void clat_sockaddr_v4mapped(const struct sockaddr_in *sin, struct sockaddr_in6 *out)
{
	memset(out, 0, sizeof(*out));
	out->sin6_family = AF_INET6;
	out->sin6_port = sin->sin_port;
	/* ::ffff:0:0/96, RFC 4291 s2.5.5.2 */
	out->sin6_addr.s6_addr[10] = 0xff;
	out->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&out->sin6_addr.s6_addr[12], &sin->sin_addr.s_addr, 4);
}

static void clat_sockaddr_in_init(struct sockaddr_in *out, in_port_t port)
{
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = port;
}

bool clat_sockaddr_from_v4mapped(const struct sockaddr_in6 *sin6, struct sockaddr_in *out)
{
	if (!IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		return false;
	clat_sockaddr_in_init(out, sin6->sin6_port);
	memcpy(&out->sin_addr.s_addr, &sin6->sin6_addr.s6_addr[12], 4);
	return true;
}

bool clat_sockaddr_to_ipv4(const struct clat_prefix *prefix,
			   const struct sockaddr_in6 *sin6, struct sockaddr_in *out)
{
	if (clat_sockaddr_from_v4mapped(sin6, out))
		return true;
	clat_sockaddr_in_init(out, sin6->sin6_port);
	/* 6052 s2.3: the embedded IPv4 of a peer inside Pref64. */
	if (prefix != NULL && clat_extract(prefix, &sin6->sin6_addr, &out->sin_addr))
		return true;
	out->sin_addr.s_addr = 0;
	return false;
}

void clat_sockaddr_copy_out(const void *src, socklen_t srclen,
			    struct sockaddr *dst, socklen_t *len)
{
	if (!clat_pointer_usable(len))
		return;
	if (clat_pointer_usable(dst))
		memcpy(dst, src, *len < srclen ? *len : srclen);
	/* POSIX: the returned length is the full size, even when truncated. */
	*len = srclen;
}

bool clat_sockaddr_is_ipv4(const struct sockaddr *addr, socklen_t len)
{
	return clat_pointer_usable(addr) && len >= sizeof(struct sockaddr_in) &&
	       addr->sa_family == AF_INET;
}

bool clat_sockaddr_is_v4mapped(const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_in6 sin6;

	if (!clat_pointer_usable(addr) || len < sizeof(sin6))
		return false;
	memcpy(&sin6, addr, sizeof(sin6)); /* the caller's buffer may be unaligned */
	return sin6.sin6_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr);
}
