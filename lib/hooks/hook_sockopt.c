/* setsockopt/getsockopt. Before a switch, options set on a watched AF_INET
 * socket are recorded for replay; options that tie the socket to IPv4
 * (SO_BROADCAST, IPv4 multicast: RFC 6535 s4.1, s4.6) pin it. After a
 * switch, IPPROTO_IP options are answered by their IPv6 twins (RFC 7915
 * s5.1: TOS <-> traffic class, TTL <-> hop limit) and SO_DOMAIN still says
 * AF_INET. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/icmp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "export.h"
#include "core/sockaddr.h"
#include "core/sockopt.h"
#include "sys/realcalls.h"
#include "translate/family_switch.h"
#include "translate/prefix_heal.h"
#include "translate/translate.h"

/* RFC 7915 s5.2 / docs/requirements.md E.38: an IPv4 packet through the NAT64
 * carries a 20-byte IPv4 header where IPv6 had 40. */
#define CLAT_IPV6_IPV4_HEADER_DIFFERENCE 20

/* SOL_RAW ICMP_FILTER: a mask of ICMPv4 types to drop (raw(7)). */
static bool keep_icmp_filter(struct clat_fd *rec, const void *value, socklen_t len)
{
	if (value == NULL || len < sizeof(rec->icmp_filter))
		return false;
	memcpy(&rec->icmp_filter, value, sizeof(rec->icmp_filter));
	return true;
}

/* Keeps a classic BPF program (SO_ATTACH_FILTER); false if it is too big
 * to keep, or malformed. */
static bool keep_filter(struct clat_fd *rec, const void *value, socklen_t len)
{
	const struct sock_fprog *prog = value;
	if (value == NULL || len < sizeof(*prog) || prog->len == 0 || prog->len > CLAT_BPF_MAX ||
	    prog->filter == NULL)
		return false;
	memcpy(rec->bpf, prog->filter, prog->len * sizeof(prog->filter[0]));
	rec->bpf_count = prog->len;
	return true;
}

/* Options that need more than recording: a socket filter (its program
 * lives in the caller's memory, and a raw ICMP socket's filter is for IPv4
 * packets), and IP_HDRINCL (the program writes IPv4 headers itself: the
 * socket stays IPv4). True when handled here. */
static bool record_special(struct clat_fd *rec, int level, int optname,
			   const void *value, socklen_t len)
{
	if (level == SOL_RAW && optname == ICMP_FILTER) {
		keep_icmp_filter(rec, value, len);
		return true;
	}
	if (level == SOL_SOCKET && optname == SO_ATTACH_FILTER) {
		if (!keep_filter(rec, value, len))
			clat_fd_set_state(rec, CLAT_FD_PINNED);
		return true;
	}
	if (level == SOL_SOCKET && optname == SO_DETACH_FILTER) {
		rec->bpf_count = 0;
		return true;
	}
	if (level == IPPROTO_IP && optname == IP_HDRINCL) {
		int on = 0;
		if (value != NULL && len >= sizeof(int))
			memcpy(&on, value, sizeof(on));
		if (on)
			clat_fd_set_state(rec, CLAT_FD_PINNED);
		return true;
	}
	return false;
}

static void record_before_switch(struct clat_fd *rec, int level, int optname,
				 const void *value, socklen_t len)
{
	if (record_special(rec, level, optname, value, len))
		return;
	int v6_level, v6_optname;
	switch (clat_sockopt_classify(level, optname, &v6_level, &v6_optname)) {
	case CLAT_SOCKOPT_PINS_IPV4:
		clat_fd_set_state(rec, CLAT_FD_PINNED);
		break;
	case CLAT_SOCKOPT_COPY:
	case CLAT_SOCKOPT_MAP:
		if (!clat_fd_record_option(rec, level, optname, value, len))
			clat_fd_set_state(rec, CLAT_FD_PINNED); /* cannot replay it: stay IPv4 */
		break;
	case CLAT_SOCKOPT_DROP:
		break;
	}
}

static int set_on_translated(struct clat_fd *rec, int fd, int level, int optname,
			     const void *value, socklen_t len)
{
	/* The raw ICMP socket's filters are run by the library on the IPv4
	 * packets it builds (icmp_io.c), never by the kernel on ICMPv6;
	 * ping sets ICMP_FILTER again after the first error it sees. */
	if (rec->kind == CLAT_KIND_RAW_ICMP && level == SOL_RAW && optname == ICMP_FILTER) {
		if (keep_icmp_filter(rec, value, len))
			return 0;
		errno = EINVAL;
		return -1;
	}
	if (rec->kind == CLAT_KIND_RAW_ICMP && level == SOL_SOCKET &&
	    (optname == SO_ATTACH_FILTER || optname == SO_DETACH_FILTER)) {
		if (optname == SO_DETACH_FILTER) {
			rec->bpf_count = 0;
			return 0;
		}
		if (keep_filter(rec, value, len))
			return 0;
		errno = len < sizeof(struct sock_fprog) ? EINVAL : ENOMEM;
		return -1;
	}
	int v6_level = level, v6_optname = optname;
	if (level != IPPROTO_IP ||
	    clat_sockopt_classify(level, optname, &v6_level, &v6_optname) != CLAT_SOCKOPT_MAP)
		return CLAT_REAL(setsockopt)(fd, level, optname, value, len);
	int as_int;
	if (len == 1 && value != NULL) { /* IP_TOS and IP_TTL accept one byte */
		as_int = *(const unsigned char *)value;
		value = &as_int;
		len = sizeof(as_int);
	}
	return CLAT_REAL(setsockopt)(fd, v6_level, v6_optname, value, len);
}

/* What an early socket records besides its options, as record_special()
 * does for an AF_INET one; false when it cannot be kept. */
static bool early_record(struct clat_fd *rec, int level, int optname, const void *value,
			 socklen_t len)
{
	if (level == SOL_SOCKET && optname == SO_ATTACH_FILTER)
		return keep_filter(rec, value, len);
	if (level == SOL_SOCKET && optname == SO_DETACH_FILTER) {
		rec->bpf_count = 0;
		return true;
	}
	return clat_fd_record_option(rec, level, optname, value, len);
}

/* An early socket (AF_INET6 since socket(), hook_socket.c) takes options
 * as a switched one does, and records them as an AF_INET one does. An
 * option that pins a socket to IPv4, one the IPv6 socket refuses, or one
 * that cannot be recorded gives the program its AF_INET socket back first
 * (clat_switch_back_to_ipv4), which then takes the option itself. */
static int set_on_early(struct clat_fd *rec, int fd, int level, int optname,
			const void *value, socklen_t len)
{
	/* What the program's AF_INET socket answers to IPv6-level options
	 * (ip_setsockopt: not its level); Python's http.server, for one,
	 * tries IPV6_V6ONLY on any socket and ignores the failure. */
	if (level == IPPROTO_IPV6 || level == IPPROTO_ICMPV6) {
		errno = ENOPROTOOPT;
		return -1;
	}
	int v6_level, v6_optname;
	bool pins = clat_sockopt_classify(level, optname, &v6_level, &v6_optname) ==
			    CLAT_SOCKOPT_PINS_IPV4 ||
		    (level == IPPROTO_IP && optname == IP_HDRINCL);
	int saved_errno = errno;
	if (!pins) {
		if (set_on_translated(rec, fd, level, optname, value, len) == 0) {
			if (early_record(rec, level, optname, value, len))
				return 0;
			if (clat_switch_back_to_ipv4(fd) == NULL)
				rec->early = false; /* set, not kept: stays AF_INET6 for good */
			errno = saved_errno;
			return 0;
		}
		saved_errno = errno;
	}
	if (clat_switch_back_to_ipv4(fd) == NULL) {
		errno = saved_errno;
		return pins ? CLAT_REAL(setsockopt)(fd, level, optname, value, len) : -1;
	}
	errno = saved_errno;
	int rc = CLAT_REAL(setsockopt)(fd, level, optname, value, len);
	if (rc == 0)
		record_before_switch(rec, level, optname, value, len);
	return rc;
}

CLAT_EXPORT int setsockopt(int fd, int level, int optname, const void *value, socklen_t len)
{
	struct clat_fd *rec = clat_fd_find(fd);
	/* A value the library cannot read is the kernel's to refuse (EFAULT). */
	if (rec == NULL || (len > 0 && !clat_pointer_usable(value)))
		return CLAT_REAL(setsockopt)(fd, level, optname, value, len);
	if (clat_fd_state(rec) == CLAT_FD_TRANSLATED && rec->early)
		return set_on_early(rec, fd, level, optname, value, len);
	if (clat_fd_state(rec) == CLAT_FD_TRANSLATED) {
		rec->twin_unsafe = true; /* not recorded for a twin to replay */
		return set_on_translated(rec, fd, level, optname, value, len);
	}
	int rc = CLAT_REAL(setsockopt)(fd, level, optname, value, len);
	if (rc == 0 && clat_fd_state(rec) == CLAT_FD_INET)
		record_before_switch(rec, level, optname, value, len);
	return rc;
}

/* Writes an int answer the way ip_getsockopt does: one byte when the
 * caller's buffer is smaller than an int and the value fits. */
static void put_int_answer(int answer, void *value, socklen_t *len)
{
	if (*len < (socklen_t)sizeof(int) && *len > 0 && answer >= 0 && answer <= 255) {
		*(unsigned char *)value = (unsigned char)answer;
		*len = 1;
		return;
	}
	socklen_t n = *len < (socklen_t)sizeof(int) ? *len : (socklen_t)sizeof(int);
	memcpy(value, &answer, n);
	*len = n;
}

static int get_ip_level(int fd, int optname, void *value, socklen_t *len)
{
	int v6_level, v6_optname;
	if (!clat_sockopt_query_v6(optname, &v6_level, &v6_optname))
		return CLAT_REAL(getsockopt)(fd, IPPROTO_IP, optname, value, len);
	int answer = 0;
	socklen_t answer_len = sizeof(answer);
	if (CLAT_REAL(getsockopt)(fd, v6_level, v6_optname, &answer, &answer_len) != 0)
		return -1;
	if (optname == IP_MTU)
		answer -= CLAT_IPV6_IPV4_HEADER_DIFFERENCE;
	put_int_answer(answer, value, len);
	return 0;
}

CLAT_EXPORT int getsockopt(int fd, int level, int optname, void *value, socklen_t *len)
{
	const struct clat_fd *rec = clat_fd_rewritten(fd);
	if (rec == NULL || clat_fd_state(rec) != CLAT_FD_TRANSLATED || !clat_pointer_usable(value) ||
	    !clat_pointer_usable(len))
		return CLAT_REAL(getsockopt)(fd, level, optname, value, len);
	if (rec->early && (level == IPPROTO_IPV6 || level == IPPROTO_ICMPV6)) {
		errno = ENOPROTOOPT; /* as set_on_early() */
		return -1;
	}
	if (level == IPPROTO_IP)
		return get_ip_level(fd, optname, value, len);
	if (rec->kind == CLAT_KIND_RAW_ICMP && level == SOL_RAW && optname == ICMP_FILTER) {
		socklen_t n = *len < sizeof(rec->icmp_filter) ? *len : sizeof(rec->icmp_filter);
		memcpy(value, &rec->icmp_filter, n);
		*len = n;
		return 0;
	}
	int rc = CLAT_REAL(getsockopt)(fd, level, optname, value, len);
	if (rc == 0 && level == SOL_SOCKET && optname == SO_ERROR && *len == sizeof(int)) {
		int err;
		memcpy(&err, value, sizeof(err));
		clat_heal_so_error(fd, &err);
		memcpy(value, &err, sizeof(err));
	}
	if (rc == 0 && level == SOL_SOCKET && optname == SO_DOMAIN && *len >= sizeof(int)) {
		int inet = AF_INET;
		memcpy(value, &inet, sizeof(inet));
	}
	return rc;
}
