#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "state/addrmap_store.h"
#include "core/destination.h"
#include "core/sockaddr.h"
#include "translate/family_switch.h"
#include "state/active_prefix.h"
#include "state/ipv4_route.h"
#include "translate/datagram_heal.h"
#include "translate/prefix_heal.h"
#include "state/log.h"
#include "sys/realcalls.h"
#include "state/settings.h"
#include "translate/translate.h"
#include "sys/lazy_libc.h" /* last: see there */

/* "No route" as the kernel reports it synchronously (route lookup in
 * connect/sendto). Anything else is a real answer the program must get. */
static bool no_ipv4_route(int err)
{
	return err == ENETUNREACH || err == EHOSTUNREACH;
}

struct clat_fd *clat_fd_rewritten(int fd)
{
	struct clat_fd *rec = clat_fd_find(fd);
	enum clat_fd_state state = rec == NULL ? CLAT_FD_NONE : clat_fd_state(rec);
	return state == CLAT_FD_TRANSLATED || state == CLAT_FD_MAPPED6 ? rec : NULL;
}

static enum clat_map_answer map_lookup(void *arg, struct in_addr addr, struct in6_addr *host)
{
	(void)arg;
	if (!clat_addrmap_in_pool(addr))
		return CLAT_MAP_OUTSIDE_POOL;
	return clat_addrmap_to_ipv6(addr, host) ? CLAT_MAP_FOUND : CLAT_MAP_UNMAPPED;
}

/* The core's decision for dst with this process's settings (one place:
 * lib/core/destination.c). With with_prefixes false it stops at
 * NEEDS_PREFIX, so that auto mode's IPv4 attempt runs before discovery
 * and the never-translate set never waits for it. */
static void decide(const struct sockaddr_in *dst, bool socket_is_ipv6, bool with_prefixes,
		   struct clat_destination *out)
{
	struct clat_dest_inputs in = {
		.translate_private_wkp = clat_settings()->config.translate_private_wkp,
		.socket_is_ipv6 = socket_is_ipv6,
		.map_lookup = map_lookup,
	};
	clat_destination_decide(&in, dst, out);
	if (out->kind != CLAT_DEST_NEEDS_PREFIX || !with_prefixes)
		return;
	in.prefixes = clat_active_prefixes();
	clat_destination_decide(&in, dst, out);
	/* No prefix at all is logged once, where discovery gives up. */
	if ((out->kind == CLAT_DEST_KEEP || out->kind == CLAT_DEST_V4MAPPED) &&
	    out->reason != CLAT_DEST_BECAUSE_NO_PREFIX) {
		char text[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &dst->sin_addr, text, sizeof(text));
		clat_log("%s kept on IPv4: %s", text, clat_dest_reason_text(out->reason));
	}
}

void clat_translated_dest(const struct sockaddr_in *dst, struct sockaddr_in6 *out)
{
	struct clat_destination d;
	decide(dst, true, true, &d);
	*out = d.candidate[0];
}

/* Runs the real IPv4 attempt that auto mode makes first. Returns true when
 * its result is final (success, or an error other than "no route"). None
 * (*tried false) when it could only fail: no IPv4 route and no IPv4
 * address but loopback (state/ipv4_route.h); should the switch fail, the
 * caller makes the real call then (fail open). */
static bool ipv4_attempt_is_final(int fd, const struct sockaddr *dst, socklen_t len,
				  clat_dest_call call, void *ctx, ssize_t *result, bool *tried)
{
	*tried = false;
	if (clat_settings()->config.mode != CLAT_MODE_AUTO || clat_ipv4_unreachable())
		return false;
	*tried = true;
	*result = call(fd, dst, len, NULL, ctx);
	return *result >= 0 || !no_ipv4_route(errno);
}

/* Mode auto on an early socket (AF_INET6 since socket(), made so because
 * the host had no IPv4 route then): the IPv4 attempt goes out on the same
 * dual-stack socket as ::ffff:a.b.c.d, so that an IPv4 route that appeared
 * since, or an address only the local table knows, is used as it would be
 * without the library. Costs the one failing call the late switch makes
 * too where the host has an IPv4 address; nothing in mode always or on a
 * host without IPv4. */
static bool early_ipv4_attempt_is_final(int fd, const struct sockaddr_in *dst,
					clat_dest_call call, void *ctx, ssize_t *result)
{
	if (clat_settings()->config.mode != CLAT_MODE_AUTO || clat_ipv4_unreachable())
		return false;
	struct sockaddr_in6 mapped;
	clat_sockaddr_v4mapped(dst, &mapped);
	int saved_errno = errno;
	*result = call(fd, (struct sockaddr *)&mapped, sizeof(mapped), NULL, ctx);
	if (*result >= 0 || !no_ipv4_route(errno))
		return true;
	errno = saved_errno;
	return false;
}

static ssize_t call_once(int fd, const struct clat_destination *d, uint32_t flowinfo,
			 clat_dest_call call, void *ctx)
{
	struct sockaddr_in6 dst6 = d->candidate[0];
	dst6.sin6_flowinfo = flowinfo;
	return call(fd, (const struct sockaddr *)&dst6, sizeof(dst6), d, ctx);
}

/* v4 is what d was made from: after a network change the call runs once
 * more under the rediscovered prefix (prefix_heal.h), or, for UDP, the
 * first retry runs under it. */
static ssize_t call_ipv6(int fd, const struct clat_fd *rec, const struct sockaddr_in *v4,
			 struct clat_destination *d, uint32_t flowinfo, clat_dest_call call, void *ctx)
{
	/* UDP says nothing about a lost way: a retry is the sign (datagram_heal.h). */
	if (rec != NULL && rec->kind == CLAT_KIND_DGRAM)
		clat_heal_datagram_out(v4, d);
	ssize_t result = call_once(fd, d, flowinfo, call, ctx);
	if (clat_heal_after_call(fd, v4, d, result)) {
		result = call_once(fd, d, flowinfo, call, ctx);
		if (result < 0 && errno == ECONNABORTED) /* a failed TCP connect's reset */
			result = call_once(fd, d, flowinfo, call, ctx);
	}
	return result;
}

/* Makes fd an IPv6 socket for a translated destination: an AF_INET one
 * is switched (family_switch.c); an AF_INET6 one that asked for
 * ::ffff:a.b.c.d only needs its record to say MAPPED6. */
static bool take_ipv6(int fd, bool v4mapped)
{
	if (!v4mapped)
		return clat_switch_to_ipv6(fd) != NULL;
	struct clat_fd *rec = clat_fd_obtain(fd);
	if (rec == NULL)
		return false;
	clat_fd_set_state(rec, CLAT_FD_MAPPED6);
	return true;
}

/* call for a program's IPv4 destination v4, which it asked for as asked
 * (AF_INET, or ::ffff:v4 with flowinfo on an AF_INET6 socket). */
static ssize_t call_for_ipv4(int fd, const struct sockaddr *asked, socklen_t len,
			     const struct sockaddr_in *v4, bool v4mapped, uint32_t flowinfo,
			     clat_dest_call call, void *ctx)
{
	struct clat_fd *rec = clat_fd_find(fd);
	enum clat_fd_state state = rec == NULL ? CLAT_FD_NONE : clat_fd_state(rec);
	struct clat_destination d;

	/* Already rewritten: every destination goes out over IPv6. */
	if (state == (v4mapped ? CLAT_FD_MAPPED6 : CLAT_FD_TRANSLATED)) {
		bool early = !v4mapped && rec->early;
		rec->early = false; /* in use now: no switching back */
		decide(v4, true, true, &d);
		ssize_t result;
		if (early && d.kind == CLAT_DEST_SYNTHESIZED &&
		    early_ipv4_attempt_is_final(fd, v4, call, ctx, &result))
			return result;
		return call_ipv6(fd, rec, v4, &d, flowinfo, call, ctx);
	}
	if (state == CLAT_FD_PINNED || !clat_settings()->enabled)
		return call(fd, asked, len, NULL, ctx);
	decide(v4, v4mapped, false, &d);
	/* A mapped pool address exists only because the name had no IPv4:
	 * straight to its IPv6 host, whatever the mode. */
	if (d.kind == CLAT_DEST_MAPPED && take_ipv6(fd, v4mapped))
		return call_ipv6(fd, clat_fd_find(fd), v4, &d, flowinfo, call, ctx);
	if (d.kind != CLAT_DEST_NEEDS_PREFIX)
		return call(fd, asked, len, NULL, ctx);

	ssize_t result = -1;
	bool tried_ipv4;
	if (ipv4_attempt_is_final(fd, asked, len, call, ctx, &result, &tried_ipv4))
		return result;
	int ipv4_errno = errno;

	decide(v4, v4mapped, true, &d);
	if (d.kind != CLAT_DEST_SYNTHESIZED || !take_ipv6(fd, v4mapped)) {
		if (!tried_ipv4)
			return call(fd, asked, len, NULL, ctx);
		errno = ipv4_errno; /* fail open: the program sees the IPv4 result */
		return result;
	}
	return call_ipv6(fd, clat_fd_find(fd), v4, &d, flowinfo, call, ctx);
}

ssize_t clat_call_dest(int fd, const struct sockaddr *addr, socklen_t len, clat_dest_call call,
		       void *ctx)
{
	if (clat_sockaddr_is_ipv4(addr, len))
		return call_for_ipv4(fd, addr, len, (const struct sockaddr_in *)addr, false, 0,
				     call, ctx);
	if (clat_sockaddr_is_v4mapped(addr, len)) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)addr;
		struct sockaddr_in v4;
		clat_sockaddr_from_v4mapped(sin6, &v4);
		return call_for_ipv4(fd, addr, len, &v4, true, sin6->sin6_flowinfo, call, ctx);
	}
	return call(fd, addr, len, NULL, ctx);
}

bool clat_embedded_ipv4(const struct sockaddr_in6 *kernel, struct sockaddr_in *v4)
{
	struct clat_prefix_set known;
	clat_known_prefixes(&known);
	for (unsigned i = 0; i < known.count; i++)
		if (clat_sockaddr_to_ipv4(&known.prefix[i], kernel, v4))
			return true;
	return clat_sockaddr_from_v4mapped(kernel, v4);
}

socklen_t clat_peer_view(enum clat_fd_state state, const struct sockaddr_in6 *kernel,
			 struct sockaddr_storage *out)
{
	struct sockaddr_in v4;
	bool known = clat_embedded_ipv4(kernel, &v4);
	if (kernel->sin6_family != AF_INET6) {
		/* AF_UNSPEC from a disconnected UDP socket: pass it on as it is. */
		memcpy(out, kernel, sizeof(*kernel));
		return sizeof(*kernel);
	}
	/* Any other IPv6 peer of a program that knows only IPv4: its pool
	 * address, made now if it has none (RFC 6535 s2.4, docs/requirements.md
	 * D.31: a datagram from an unmapped source). MAPPED6 sockets belong
	 * to programs that speak IPv6 and see such peers as they are. */
	if (!known && state == CLAT_FD_TRANSLATED &&
	    clat_addrmap_for_ipv6(&kernel->sin6_addr, true, NULL, &v4.sin_addr)) {
		v4.sin_family = AF_INET;
		v4.sin_port = kernel->sin6_port;
		known = true;
	}
	if (state == CLAT_FD_MAPPED6) {
		if (!known) {
			memcpy(out, kernel, sizeof(*kernel));
			return sizeof(*kernel);
		}
		clat_sockaddr_v4mapped(&v4, (struct sockaddr_in6 *)out);
		return sizeof(struct sockaddr_in6);
	}
	if (!known) {
		/* No pool address could be had (mapper off, pool full):
		 * report 0.0.0.0 rather than a wrong address. */
		v4.sin_family = AF_INET;
		v4.sin_port = kernel->sin6_port;
		v4.sin_addr.s_addr = htonl(INADDR_ANY);
	}
	memset(out, 0, sizeof(struct sockaddr_in));
	memcpy(out, &v4, sizeof(v4));
	return sizeof(struct sockaddr_in);
}

socklen_t clat_local_view(enum clat_fd_state state, const struct sockaddr_in6 *kernel,
			  struct sockaddr_storage *out)
{
	struct sockaddr_in v4 = { .sin_family = AF_INET, .sin_port = kernel->sin6_port };
	bool unspecified = IN6_IS_ADDR_UNSPECIFIED(&kernel->sin6_addr);

	if (kernel->sin6_family != AF_INET6) {
		memcpy(out, kernel, sizeof(*kernel));
		return sizeof(*kernel);
	}
	/* A destination kept on IPv4 (loopback) was reached over ::ffff:, so
	 * the real local IPv4 is known; otherwise report the CLAT's own IPv4
	 * address (RFC 6877 s5 / RFC 7335), as the program has no other. */
	struct sockaddr_in mapped;
	if (clat_sockaddr_from_v4mapped(kernel, &mapped))
		v4.sin_addr = mapped.sin_addr;
	else if (!unspecified)
		v4.sin_addr = clat_settings()->config.local_ipv4;
	if (state == CLAT_FD_MAPPED6) {
		if (unspecified)
			memcpy(out, kernel, sizeof(*kernel));
		else
			clat_sockaddr_v4mapped(&v4, (struct sockaddr_in6 *)out);
		return sizeof(struct sockaddr_in6);
	}
	memset(out, 0, sizeof(struct sockaddr_in));
	memcpy(out, &v4, sizeof(v4));
	return sizeof(v4);
}
