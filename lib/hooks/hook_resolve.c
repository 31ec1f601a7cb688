/* Name resolution for IPv4-only programs (RFC 6535 "bump-in-the-host",
 * s2.3): a lookup restricted to IPv4 whose name has no usable A record but
 * has AAAA records answers with IPv4 addresses: the embedded IPv4 for an
 * AAAA inside the NAT64 prefix (docs/requirements.md D.27), else a pool address
 * bound to the AAAA (D.26), which connect() later turns back into it.
 * Everything else (AF_UNSPEC, AF_INET6, AI_PASSIVE, numeric hosts,
 * localhost) goes to libc untouched (D.33). The AAAA records come from the
 * real getaddrinfo(AF_INET6), so /etc/hosts, NSS and the resolver settings
 * apply. Results are libc's own addrinfo nodes rewritten in place (a
 * sockaddr_in fits where a sockaddr_in6 was), so libc's freeaddrinfo frees
 * them whatever their origin. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "export.h"
#include "state/addrmap_store.h"
#include "core/addrmap.h"
#include "core/hostent.h"
#include "state/log.h"
#include "state/active_prefix.h"
#include "sys/realcalls.h"
#include "translate/translate.h"
#include "sys/lazy_libc.h" /* last: see there */

#define MAX_ADDRESSES 32 /* per answer; more AAAA records are not mapped */

static bool is_localhost(const char *name)
{
	size_t len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	/* RFC 6761 s6.3: localhost and every name under it. */
	return (len == 9 && strncasecmp(name, "localhost", 9) == 0) ||
	       (len > 10 && strncasecmp(name + len - 10, ".localhost", 10) == 0);
}

/* A name the mapper may answer for: not absent, not numeric, not local. */
static bool mappable_name(const char *name)
{
	struct in_addr ignored;
	return name != NULL && name[0] != '\0' && inet_aton(name, &ignored) == 0 &&
	       strchr(name, ':') == NULL && !is_localhost(name);
}

/* RFC 6535 s2.3.1 / D.28: A records that are all unspecified, loopback or
 * broadcast count as none. */
static bool usable_ipv4(struct in_addr addr)
{
	uint32_t a = ntohl(addr.s_addr);
	return (a >> 24) != 0 && (a >> 24) != 127 && a != 0xffffffffu;
}

static bool any_usable_ipv4(const struct addrinfo *list)
{
	for (const struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next)
		if (ai->ai_family == AF_INET && ai->ai_addr != NULL &&
		    usable_ipv4(((const struct sockaddr_in *)ai->ai_addr)->sin_addr))
			return true;
	return false;
}

/* The IPv4 address an IPv4-only program gets for ipv6 (D.26, D.27). */
static bool ipv4_for(const struct in6_addr *ipv6, const char *name, struct in_addr *out)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = *ipv6 };
	struct sockaddr_in sin;
	if (clat_active_prefix() != NULL && clat_embedded_ipv4(&sin6, &sin) &&
	    !IN6_IS_ADDR_V4MAPPED(ipv6)) {
		*out = sin.sin_addr;
		return true;
	}
	if (IN6_IS_ADDR_V4MAPPED(ipv6) || IN6_IS_ADDR_LOOPBACK(ipv6) ||
	    IN6_IS_ADDR_UNSPECIFIED(ipv6) || IN6_IS_ADDR_MULTICAST(ipv6))
		return false; /* nothing an IPv4 name could stand for */
	return clat_addrmap_for_ipv6(ipv6, true, name, out);
}

/* Rewrites every node of an AF_INET6 answer into AF_INET, or changes
 * nothing and returns false if any address cannot be mapped. */
static bool rewrite_answer(struct addrinfo *list, const char *name)
{
	struct in_addr mapped[MAX_ADDRESSES];
	unsigned n = 0;
	for (struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next, n++) {
		if (n == MAX_ADDRESSES || ai->ai_family != AF_INET6 || ai->ai_addr == NULL ||
		    ai->ai_addrlen < sizeof(struct sockaddr_in6) ||
		    !ipv4_for(&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, name, &mapped[n]))
			return false;
	}
	n = 0;
	for (struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next, n++) {
		in_port_t port = ((struct sockaddr_in6 *)ai->ai_addr)->sin6_port;
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = port,
					   .sin_addr = mapped[n] };
		memset(ai->ai_addr, 0, ai->ai_addrlen);
		memcpy(ai->ai_addr, &sin, sizeof(sin));
		ai->ai_family = AF_INET;
		ai->ai_addrlen = sizeof(sin);
	}
	return n > 0;
}

/* The AAAA side of a lookup: the same question for AF_INET6. */
static struct addrinfo *ipv6_answer(const char *name, const char *service,
				    const struct addrinfo *hints)
{
	struct addrinfo v6_hints = { .ai_family = AF_INET6, .ai_socktype = SOCK_STREAM };
	if (hints != NULL) {
		v6_hints = *hints;
		v6_hints.ai_family = AF_INET6;
		v6_hints.ai_flags &= ~(AI_V4MAPPED | AI_ALL | AI_ADDRCONFIG);
		v6_hints.ai_addr = NULL;
		v6_hints.ai_canonname = NULL;
		v6_hints.ai_next = NULL;
	}
	struct addrinfo *list = NULL;
	if (CLAT_REAL(getaddrinfo)(name, service, &v6_hints, &list) != 0)
		return NULL;
	return list;
}

/* Errors after which the AAAA records are worth asking for; a timeout
 * (EAI_AGAIN) is not one: it would only double the wait. */
static bool no_ipv4_answer(int rc)
{
	return rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_ADDRFAMILY;
}

CLAT_EXPORT int getaddrinfo(const char *node, const char *service,
			    const struct addrinfo *hints, struct addrinfo **res)
{
	if (hints == NULL || hints->ai_family != AF_INET ||
	    (hints->ai_flags & (AI_PASSIVE | AI_NUMERICHOST)) || !mappable_name(node) ||
	    !clat_addrmap_enabled())
		return CLAT_REAL(getaddrinfo)(node, service, hints, res);

	/* The library gives the program IPv4 (192.0.0.4 on translated
	 * sockets) even where the host has no IPv4 address, which is what
	 * AI_ADDRCONFIG asks about. */
	struct addrinfo v4_hints = *hints;
	v4_hints.ai_flags &= ~AI_ADDRCONFIG;
	struct addrinfo *v4 = NULL;
	int rc = CLAT_REAL(getaddrinfo)(node, service, &v4_hints, &v4);
	if ((rc == 0 && any_usable_ipv4(v4)) || (rc != 0 && !no_ipv4_answer(rc))) {
		if (rc == 0)
			*res = v4;
		return rc;
	}
	int saved_errno = errno;
	struct addrinfo *v6 = ipv6_answer(node, service, hints);
	if (v6 == NULL || !rewrite_answer(v6, node)) {
		if (v6 != NULL)
			freeaddrinfo(v6);
		errno = saved_errno;
		if (rc == 0)
			*res = v4;
		return rc;
	}
	if (v4 != NULL)
		freeaddrinfo(v4);
	clat_log("getaddrinfo %s: IPv6-only name answered from the address mapper", node);
	*res = v6;
	return 0;
}

/* IPv4 addresses for name's AAAA records (the gethostbyname family). */
static size_t mapped_addresses(const char *name, struct in_addr *out, size_t max)
{
	struct addrinfo *v6 = ipv6_answer(name, NULL, NULL);
	size_t n = 0;
	for (struct addrinfo *ai = v6; ai != NULL && n < max; ai = ai->ai_next) {
		struct in_addr addr;
		if (ai->ai_family != AF_INET6 ||
		    !ipv4_for(&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, name, &addr)) {
			n = 0; /* all or nothing, as for getaddrinfo */
			break;
		}
		bool seen = false;
		for (size_t i = 0; i < n; i++)
			seen |= out[i].s_addr == addr.s_addr;
		if (!seen)
			out[n++] = addr;
	}
	if (v6 != NULL)
		freeaddrinfo(v6);
	return n;
}

static bool hostent_usable(const struct hostent *he)
{
	if (he == NULL || he->h_addrtype != AF_INET || he->h_length != 4)
		return false;
	for (char **p = he->h_addr_list; *p != NULL; p++) {
		struct in_addr addr;
		memcpy(&addr, *p, sizeof(addr));
		if (usable_ipv4(addr))
			return true;
	}
	return false;
}

/* gethostbyname and gethostbyaddr return static data (POSIX allows it,
 * glibc does the same); this is ours, under a lock while it is filled. */
static struct {
	pthread_mutex_t lock;
	struct hostent he;
	char buf[2048];
} static_answer = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct hostent *static_hostent(const char *name, const struct in_addr *addrs, size_t n)
{
	pthread_mutex_lock(&static_answer.lock);
	int rc = clat_hostent_build(&static_answer.he, static_answer.buf,
				    sizeof(static_answer.buf), name, addrs, n);
	pthread_mutex_unlock(&static_answer.lock);
	return rc == 0 ? &static_answer.he : NULL;
}

/* The IPv4-only lookups: the real answer when it has a usable address,
 * else the mapper's; the real failure (and h_errno) when neither has. */
static struct hostent *ipv4_hostent(const char *name, struct hostent *real_answer)
{
	if (hostent_usable(real_answer) || !mappable_name(name) || !clat_addrmap_enabled())
		return real_answer;
	int saved_h_errno = h_errno, saved_errno = errno;
	struct in_addr addrs[MAX_ADDRESSES];
	size_t n = mapped_addresses(name, addrs, MAX_ADDRESSES);
	struct hostent *he = n > 0 ? static_hostent(name, addrs, n) : NULL;
	if (he == NULL) {
		h_errno = saved_h_errno;
		errno = saved_errno;
		return real_answer;
	}
	return he;
}

CLAT_EXPORT struct hostent *gethostbyname(const char *name)
{
	return ipv4_hostent(name, CLAT_REAL(gethostbyname)(name));
}

CLAT_EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
	struct hostent *he = CLAT_REAL(gethostbyname2)(name, af);
	return af == AF_INET ? ipv4_hostent(name, he) : he;
}

/* The reentrant ones build into the caller's buffer; ERANGE asks the
 * caller for a bigger one, as glibc does. */
static int ipv4_hostent_r(const char *name, int rc, struct hostent *ret, char *buf,
			  size_t buflen, struct hostent **result, int *h_errnop)
{
	if (rc == ERANGE || (rc == 0 && hostent_usable(*result)) || !mappable_name(name) ||
	    !clat_addrmap_enabled())
		return rc;
	int saved_errno = errno;
	struct in_addr addrs[MAX_ADDRESSES];
	size_t n = mapped_addresses(name, addrs, MAX_ADDRESSES);
	errno = saved_errno;
	if (n == 0)
		return rc;
	int built = clat_hostent_build(ret, buf, buflen, name, addrs, n);
	if (built != 0) {
		*result = NULL;
		*h_errnop = NETDB_INTERNAL;
		errno = built;
		return built;
	}
	*result = ret;
	*h_errnop = 0;
	return 0;
}

CLAT_EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf,
				size_t buflen, struct hostent **result, int *h_errnop)
{
	int rc = CLAT_REAL(gethostbyname_r)(name, ret, buf, buflen, result, h_errnop);
	return ipv4_hostent_r(name, rc, ret, buf, buflen, result, h_errnop);
}

CLAT_EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
				 size_t buflen, struct hostent **result, int *h_errnop)
{
	int rc = CLAT_REAL(gethostbyname2_r)(name, af, ret, buf, buflen, result, h_errnop);
	if (af != AF_INET)
		return rc;
	return ipv4_hostent_r(name, rc, ret, buf, buflen, result, h_errnop);
}

/* The name behind a mapped pool address (D.29): the PTR record of the
 * IPv6 address if it has one, else the name the mapping was made for. */
static bool pool_name(struct in_addr addr, char *name, size_t len)
{
	struct in6_addr ipv6;
	char stored[CLAT_MAP_NAME_MAX];
	if (!clat_addrmap_reverse(addr, &ipv6, stored, sizeof(stored)))
		return false;
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = ipv6 };
	int saved_errno = errno;
	bool ok = CLAT_REAL(getnameinfo)((struct sockaddr *)&sin6, sizeof(sin6), name,
					 (socklen_t)len, NULL, 0, NI_NAMEREQD) == 0;
	errno = saved_errno;
	if (!ok && stored[0] != '\0' && strlen(stored) < len) {
		memcpy(name, stored, strlen(stored) + 1);
		ok = true;
	}
	return ok;
}

static bool pool_address_of(const void *addr, socklen_t len, int type, struct in_addr *out)
{
	if (addr == NULL || type != AF_INET || len != sizeof(*out))
		return false;
	memcpy(out, addr, sizeof(*out));
	return clat_addrmap_in_pool(*out);
}

CLAT_EXPORT struct hostent *gethostbyaddr(const void *addr, socklen_t len, int type)
{
	struct in_addr pool;
	char name[NI_MAXHOST];
	if (pool_address_of(addr, len, type, &pool) && pool_name(pool, name, sizeof(name))) {
		struct hostent *he = static_hostent(name, &pool, 1);
		if (he != NULL)
			return he;
	}
	return CLAT_REAL(gethostbyaddr)(addr, len, type);
}

CLAT_EXPORT int gethostbyaddr_r(const void *addr, socklen_t len, int type, struct hostent *ret,
				char *buf, size_t buflen, struct hostent **result,
				int *h_errnop)
{
	struct in_addr pool;
	char name[NI_MAXHOST];
	if (pool_address_of(addr, len, type, &pool) && pool_name(pool, name, sizeof(name))) {
		int rc = clat_hostent_build(ret, buf, buflen, name, &pool, 1);
		*result = rc == 0 ? ret : NULL;
		*h_errnop = rc == 0 ? 0 : NETDB_INTERNAL;
		if (rc != 0)
			errno = rc;
		return rc;
	}
	return CLAT_REAL(gethostbyaddr_r)(addr, len, type, ret, buf, buflen, result, h_errnop);
}

CLAT_EXPORT int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host,
			    socklen_t hostlen, char *serv, socklen_t servlen, int flags)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	char name[NI_MAXHOST];
	if (sa == NULL || salen < sizeof(*sin) || sa->sa_family != AF_INET || host == NULL ||
	    hostlen == 0 || (flags & NI_NUMERICHOST) || !clat_addrmap_in_pool(sin->sin_addr) ||
	    !pool_name(sin->sin_addr, name, sizeof(name)))
		return CLAT_REAL(getnameinfo)(sa, salen, host, hostlen, serv, servlen, flags);
	/* The service part is libc's business; only the host is ours. */
	if (serv != NULL && servlen > 0) {
		int rc = CLAT_REAL(getnameinfo)(sa, salen, NULL, 0, serv, servlen, flags);
		if (rc != 0)
			return rc;
	}
	if (strlen(name) >= hostlen)
		return EAI_OVERFLOW;
	memcpy(host, name, strlen(name) + 1);
	return 0;
}
