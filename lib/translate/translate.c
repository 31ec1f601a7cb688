#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "state/addrmap_store.h"
#include "core/policy.h"
#include "core/sockaddr.h"
#include "translate/family_switch.h"
#include "state/active_prefix.h"
#include "state/log.h"
#include "sys/realcalls.h"
#include "state/settings.h"
#include "translate/translate.h"

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

/* The prefix and synthesised address for dst, or false with the reason
 * logged when policy keeps dst on IPv4. */
static bool synthesize_for(struct in_addr dst, in_port_t port, struct sockaddr_in6 *out)
{
	const struct clat_settings *s = clat_settings();
	const struct clat_prefix *prefix = clat_active_prefix();
	if (prefix == NULL)
		return false;
	enum clat_verdict verdict =
		clat_policy_decide(prefix, s->config.translate_private_wkp, dst);
	if (verdict != CLAT_VERDICT_TRANSLATE) {
		char text[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &dst, text, sizeof(text));
		clat_log("%s kept on IPv4: %s", text, clat_verdict_text(verdict));
		return false;
	}
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = port, .sin_addr = dst };
	clat_sockaddr_synthesize(prefix, &sin, out);
	return true;
}

/* A pool address of the RFC 6535 mapper stands for an IPv6 host reached
 * directly, not through the NAT64 (s2.3). */
static bool mapped_for(struct in_addr dst, in_port_t port, struct sockaddr_in6 *out)
{
	struct in6_addr ipv6;
	if (!clat_addrmap_to_ipv6(dst, &ipv6))
		return false;
	memset(out, 0, sizeof(*out));
	out->sin6_family = AF_INET6;
	out->sin6_port = port;
	out->sin6_addr = ipv6;
	return true;
}

void clat_translated_dest(const struct sockaddr_in *dst, struct sockaddr_in6 *out)
{
	/* Loopback and the rest of the never-translate set stay on IPv4
	 * without asking for a prefix (an inbound server answering a local
	 * client must not wait for discovery). */
	if (clat_ipv4_is_special(dst->sin_addr)) {
		clat_sockaddr_v4mapped(dst, out);
		return;
	}
	if (!mapped_for(dst->sin_addr, dst->sin_port, out) &&
	    !synthesize_for(dst->sin_addr, dst->sin_port, out))
		clat_sockaddr_v4mapped(dst, out);
}

/* Runs the real IPv4 attempt that auto mode makes first. Returns true when
 * its result is final (success, or an error other than "no route"). */
static bool ipv4_attempt_is_final(int fd, const struct sockaddr *dst, socklen_t len,
				  clat_dest_call call, void *ctx, ssize_t *result)
{
	if (clat_settings()->config.mode != CLAT_MODE_AUTO)
		return false;
	*result = call(fd, dst, len, ctx);
	return *result >= 0 || !no_ipv4_route(errno);
}

ssize_t clat_call_ipv4_dest(int fd, const struct sockaddr_in *dst, socklen_t len,
			    clat_dest_call call, void *ctx)
{
	struct clat_fd *rec = clat_fd_find(fd);
	struct sockaddr_in6 dst6;

	if (rec != NULL && clat_fd_state(rec) == CLAT_FD_TRANSLATED) {
		clat_translated_dest(dst, &dst6);
		return call(fd, (struct sockaddr *)&dst6, sizeof(dst6), ctx);
	}
	if ((rec != NULL && clat_fd_state(rec) == CLAT_FD_PINNED) || !clat_settings()->enabled ||
	    clat_ipv4_is_special(dst->sin_addr))
		return call(fd, (const struct sockaddr *)dst, len, ctx);
	/* A mapped pool address exists only because the name had no IPv4:
	 * straight to its IPv6 host, whatever the mode. Unmapped pool
	 * addresses are not translated (RFC 6535 s2.1). */
	if (clat_addrmap_in_pool(dst->sin_addr)) {
		if (!mapped_for(dst->sin_addr, dst->sin_port, &dst6) ||
		    clat_switch_to_ipv6(fd) == NULL)
			return call(fd, (const struct sockaddr *)dst, len, ctx);
		return call(fd, (struct sockaddr *)&dst6, sizeof(dst6), ctx);
	}

	ssize_t result = -1;
	if (ipv4_attempt_is_final(fd, (const struct sockaddr *)dst, len, call, ctx, &result))
		return result;
	int ipv4_errno = errno;
	bool tried_ipv4 = clat_settings()->config.mode == CLAT_MODE_AUTO;

	if (!synthesize_for(dst->sin_addr, dst->sin_port, &dst6) ||
	    clat_switch_to_ipv6(fd) == NULL) {
		if (!tried_ipv4)
			return call(fd, (const struct sockaddr *)dst, len, ctx);
		errno = ipv4_errno; /* fail open: the program sees the IPv4 result */
		return result;
	}
	return call(fd, (struct sockaddr *)&dst6, sizeof(dst6), ctx);
}

ssize_t clat_call_v4mapped_dest(int fd, const struct sockaddr_in6 *dst, socklen_t len,
				clat_dest_call call, void *ctx)
{
	struct clat_fd *rec = clat_fd_find(fd);
	struct sockaddr_in v4;
	struct sockaddr_in6 dst6;

	clat_sockaddr_from_v4mapped(dst, &v4);
	bool known = rec != NULL && clat_fd_state(rec) == CLAT_FD_MAPPED6;
	if ((!known && !clat_settings()->enabled) || clat_ipv4_is_special(v4.sin_addr))
		return call(fd, (const struct sockaddr *)dst, len, ctx);
	if (clat_addrmap_in_pool(v4.sin_addr)) {
		if (!mapped_for(v4.sin_addr, v4.sin_port, &dst6) ||
		    (rec = clat_fd_obtain(fd)) == NULL)
			return call(fd, (const struct sockaddr *)dst, len, ctx);
		dst6.sin6_flowinfo = dst->sin6_flowinfo;
		clat_fd_set_state(rec, CLAT_FD_MAPPED6);
		return call(fd, (struct sockaddr *)&dst6, sizeof(dst6), ctx);
	}

	ssize_t result = -1;
	if (!known &&
	    ipv4_attempt_is_final(fd, (const struct sockaddr *)dst, len, call, ctx, &result))
		return result;
	int ipv4_errno = errno;
	bool tried_ipv4 = !known && clat_settings()->config.mode == CLAT_MODE_AUTO;

	if (!synthesize_for(v4.sin_addr, v4.sin_port, &dst6) ||
	    (rec = clat_fd_obtain(fd)) == NULL) {
		if (!tried_ipv4)
			return call(fd, (const struct sockaddr *)dst, len, ctx);
		errno = ipv4_errno;
		return result;
	}
	dst6.sin6_flowinfo = dst->sin6_flowinfo;
	clat_fd_set_state(rec, CLAT_FD_MAPPED6);
	return call(fd, (struct sockaddr *)&dst6, sizeof(dst6), ctx);
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
	 * address, made now if it has none (RFC 6535 s2.4, rfc-requirements
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
