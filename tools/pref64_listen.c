/* Waits for a PREF64 option (RFC 8781) in a Router Advertisement. The
 * kernel passes ND options it does not handle itself, PREF64 among them
 * (since Linux 5.8), to RTNLGRP_ND_USEROPT listeners as RTM_NEWNDUSEROPT;
 * there is no way to ask for the last one, so this waits for the next RA. */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/icmp6.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sys/clock.h"
#include "clatrun.h"
#include "core/pref64.h"

/* The PREF64 options of one RTM_NEWNDUSEROPT message from an RA. */
static size_t options_of(const struct nlmsghdr *nh, struct clat_pref64 *out, size_t max)
{
	if (nh->nlmsg_type != RTM_NEWNDUSEROPT ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct nduseroptmsg)))
		return 0;
	const struct nduseroptmsg *msg = NLMSG_DATA(nh);
	size_t room = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*msg));
	if (msg->nduseropt_family != AF_INET6 || msg->nduseropt_icmp_type != ND_ROUTER_ADVERT ||
	    msg->nduseropt_opts_len > room)
		return 0;
	return clat_pref64_scan((const uint8_t *)(msg + 1), msg->nduseropt_opts_len, out, max);
}

int clatrun_wait_pref64(unsigned seconds, struct clat_pref64 *found)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	int group = RTNLGRP_ND_USEROPT;
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local)) != 0 ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) != 0) {
		fprintf(stderr, "clatrun: cannot listen for router advertisements: %s\n",
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	long long deadline = clat_now_ms() + (long long)seconds * 1000;
	int result = 0;
	while (result == 0) {
		long long left = deadline - clat_now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		if (len <= 0)
			continue;
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)len);
		     nh = NLMSG_NEXT(nh, len)) {
			struct clat_pref64 options[4];
			size_t n = options_of(nh, options, 4);
			if (n > 0) {
				*found = options[0]; /* the first one announced wins */
				result = 1;
				break;
			}
		}
	}
	close(fd);
	return result;
}
