#include <errno.h>
#include <netinet/icmp6.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "core/bpf.h"
#include "core/icmp.h"
#include "translate/icmp_io.h"
#include "translate/msg_shadow.h"
#include "state/active_prefix.h"
#include "sys/realcalls.h"
#include "state/settings.h"
#include "sys/lazy_libc.h" /* last: see there */

/* Messages up to this size are bounced on the stack; larger ones (ping -s
 * 60000) through the heap. */
#define STACK_BOUNCE 4096
#define IPV4_HEADER 20
#define MAX_ICMP (65535 + IPV4_HEADER)

bool clat_fd_is_icmp(const struct clat_fd *rec)
{
	return rec != NULL && (rec->kind == CLAT_KIND_PING || rec->kind == CLAT_KIND_RAW_ICMP);
}

static size_t iov_total(const struct iovec *iov, size_t count)
{
	size_t total = 0;
	for (size_t i = 0; i < count; i++)
		total += iov[i].iov_len;
	return total;
}

static void gather(const struct iovec *iov, size_t count, uint8_t *out)
{
	for (size_t i = 0; i < count; i++) {
		memcpy(out, iov[i].iov_base, iov[i].iov_len);
		out += iov[i].iov_len;
	}
}

static size_t scatter(const uint8_t *data, size_t len, const struct iovec *iov, size_t count)
{
	size_t done = 0;
	for (size_t i = 0; i < count && done < len; i++) {
		size_t n = len - done < iov[i].iov_len ? len - done : iov[i].iov_len;
		memcpy(iov[i].iov_base, data + done, n);
		done += n;
	}
	return done;
}

static uint8_t *bounce(size_t len, uint8_t *stack)
{
	return len <= STACK_BOUNCE ? stack : malloc(len);
}

static void unbounce(uint8_t *buf, const uint8_t *stack)
{
	if (buf != stack)
		free(buf);
}

ssize_t clat_icmp_sendmsg(int fd, const struct msghdr *kernel, int flags)
{
	uint8_t stack[STACK_BOUNCE];
	size_t len = iov_total(kernel->msg_iov, kernel->msg_iovlen);
	if (len > MAX_ICMP) {
		errno = EMSGSIZE;
		return -1;
	}
	uint8_t *buf = bounce(len, stack);
	if (buf == NULL) {
		errno = ENOBUFS;
		return -1;
	}
	gather(kernel->msg_iov, kernel->msg_iovlen, buf);
	/* Only echo requests have an ICMPv6 twin to send; the IPv4 stack
	 * refuses other types on ping sockets the same way (EINVAL). */
	if (!clat_icmp_echo_request_to_v6(buf, len)) {
		unbounce(buf, stack);
		errno = EINVAL;
		return -1;
	}
	struct iovec one = { buf, len };
	struct msghdr msg = *kernel;
	msg.msg_iov = &one;
	msg.msg_iovlen = 1;
	ssize_t sent = CLAT_REAL(sendmsg)(fd, &msg, flags);
	unbounce(buf, stack);
	return sent;
}

/* The hop limit and traffic class of a received message, for the IPv4
 * header of a raw socket (IPV6_RECVHOPLIMIT/TCLASS are on, family_switch). */
static void header_fields(const struct msghdr *kernel, uint8_t *hops, uint8_t *tclass)
{
	*hops = 64;
	*tclass = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(kernel); c != NULL;
	     c = CMSG_NXTHDR((struct msghdr *)kernel, c)) {
		int value;
		if (c->cmsg_level != IPPROTO_IPV6 || c->cmsg_len < CMSG_LEN(sizeof(int)))
			continue;
		memcpy(&value, CMSG_DATA(c), sizeof(value));
		if (c->cmsg_type == IPV6_HOPLIMIT)
			*hops = (uint8_t)value;
		else if (c->cmsg_type == IPV6_TCLASS)
			*tclass = (uint8_t)value;
	}
}

/* Turns the ICMPv6 message in buf (got bytes) into what the program's
 * socket delivers, in out; returns its length, 0 to skip it. */
static size_t translate_in(const struct clat_fd *rec, const struct msghdr *kernel,
			   const struct sockaddr_in6 *src, int flags, uint8_t *buf, size_t got,
			   uint8_t *out, size_t outlen)
{
	if (rec->kind == CLAT_KIND_PING || (flags & MSG_ERRQUEUE)) {
		/* Replies (and our own requests coming back on the error
		 * queue) keep their length: translate in place. */
		if (!clat_icmp_echo_to_v4(buf, got) && !(flags & MSG_ERRQUEUE))
			return 0;
		memcpy(out, buf, got < outlen ? got : outlen);
		return got;
	}
	uint8_t hops, tclass;
	struct clat_prefix_set prefixes;
	header_fields(kernel, &hops, &tclass);
	clat_known_prefixes(&prefixes);
	size_t len = clat_icmp6_packet_to_v4(buf, got, &src->sin6_addr,
					     clat_settings()->config.local_ipv4, hops, tclass,
					     &prefixes, out, outlen);
	/* raw(7) ICMP_FILTER: bit n set drops ICMPv4 type n. */
	if (len > IPV4_HEADER && out[IPV4_HEADER] < 32 &&
	    (rec->icmp_filter & (1U << out[IPV4_HEADER])))
		return 0;
	if (len > 0 && rec->bpf_count > 0) {
		uint32_t keep = clat_bpf_run(rec->bpf, rec->bpf_count, out, len);
		len = keep < len ? keep : len; /* 0: the program's filter drops it */
	}
	return len;
}

ssize_t clat_icmp_recvmsg(int fd, const struct clat_fd *rec, struct msghdr *msg, int flags)
{
	uint8_t in_stack[STACK_BOUNCE], out_stack[STACK_BOUNCE];
	size_t room = iov_total(msg->msg_iov, msg->msg_iovlen);
	size_t want = room + IPV4_HEADER > MAX_ICMP ? MAX_ICMP : room + IPV4_HEADER;
	uint8_t *in = bounce(want, in_stack), *out = bounce(want, out_stack);
	ssize_t result = -1;
	if (in == NULL || out == NULL) {
		errno = ENOBUFS;
		goto done;
	}
	for (;;) { /* skip what an IPv4 socket would not have seen */
		struct clat_msg_shadow shadow;
		struct msghdr kernel;
		struct iovec one = { in, want };
		struct msghdr user_view = *msg;
		user_view.msg_iov = &one;
		user_view.msg_iovlen = 1;
		clat_shadow_recv_prepare(rec, &user_view, &shadow, &kernel);
		if (kernel.msg_control != shadow.control) {
			kernel.msg_control = shadow.control; /* raw: need the hop limit */
			kernel.msg_controllen = sizeof(shadow.control);
		}
		kernel.msg_name = &shadow.name;
		kernel.msg_namelen = sizeof(shadow.name);
		ssize_t got = CLAT_REAL(recvmsg)(fd, &kernel, flags & ~MSG_TRUNC);
		if (got < 0)
			goto done;
		size_t len = translate_in(rec, &kernel, (struct sockaddr_in6 *)&shadow.name, flags,
					  in, (size_t)got, out, want);
		if (len == 0 && got > 0) {
			/* A peeked message would come back forever: take it off. */
			if (flags & MSG_PEEK)
				CLAT_REAL(recv)(fd, in, 1, (flags & ~MSG_PEEK) | MSG_TRUNC);
			continue; /* a non-blocking socket gets EAGAIN next */
		}
		clat_shadow_recv_finish(rec, msg, &shadow, &kernel);
		size_t copied = scatter(out, len, msg->msg_iov, msg->msg_iovlen);
		if (copied < len)
			msg->msg_flags |= MSG_TRUNC;
		result = (flags & MSG_TRUNC) ? (ssize_t)len : (ssize_t)copied;
		break;
	}
done:
	if (in != NULL)
		unbounce(in, in_stack);
	if (out != NULL)
		unbounce(out, out_stack);
	return result;
}
