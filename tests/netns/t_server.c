/* t_server: the peer of the netns preload tests. Never run under libclat.
 *
 *   t_server -l LOGFILE [-t TCPPORT]... [-u UDPPORT]...
 *
 * Listens on [::] with IPV6_V6ONLY off, so it receives both what libclat
 * sends to the synthesised address on lo (an IPv6 peer) and plain IPv4
 * (a v4-mapped peer, reported as family 4). Every TCP connection and UDP
 * datagram is logged, one line each, to LOGFILE:
 *   tcp LPORT FAM PEERADDR PEERPORT LOCALADDR
 *   udp LPORT FAM PEERADDR PEERPORT LOCALADDR TCLASS HOPLIMIT
 * so that run-netns.sh can check from the server side which family reached it
 * (and that nothing reached it when nothing should).
 *
 * TCP (one forked child per connection): a line "PEER" is answered with
 * "PEER FAM ADDR PORT LOCAL ADDR PORT"; an HTTP "GET " request with a
 * 200 response whose body is "peer FAM ADDR PORT"; anything else is echoed.
 * UDP: a datagram starting with "INFO" is answered with
 * "INFO FAM ADDR PORT LOCAL ADDR TCLASS HOPLIMIT"; anything else is echoed.
 * Replies carry traffic class 0x10 and hop limit 33 (TOS/TTL for IPv4), which
 * the IP_RECVTOS/IP_RECVTTL tests look for. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_LISTEN 16
#define REPLY_TCLASS 0x10
#define REPLY_HOPS 33

static int log_fd = -1;

struct listener {
	int fd;
	int type;
	unsigned short port;
};

__attribute__((noreturn)) static void die(const char *what)
{
	fprintf(stderr, "t_server: %s: %s\n", what, strerror(errno));
	exit(1);
}

__attribute__((format(printf, 1, 2))) static void log_line(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* One write per line on an O_APPEND fd: lines from the forked
	 * children do not interleave. */
	if (write(log_fd, buf, (size_t)n) != n)
		perror("t_server: log");
}

/* "4 a.b.c.d" for v4-mapped, "6 x::y" otherwise. */
static void describe(const struct in6_addr *a, char *fam, char *out, size_t size)
{
	if (IN6_IS_ADDR_V4MAPPED(a)) {
		*fam = '4';
		inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)size);
	} else {
		*fam = '6';
		inet_ntop(AF_INET6, a, out, (socklen_t)size);
	}
}

static void set_reply_marks(int fd)
{
	int tclass = REPLY_TCLASS, hops = REPLY_HOPS;

	setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tclass, sizeof(tclass));
	setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops));
	/* The IPv4 twins, for v4-mapped peers (reference runs). */
	setsockopt(fd, IPPROTO_IP, IP_TOS, &tclass, sizeof(tclass));
	setsockopt(fd, IPPROTO_IP, IP_TTL, &hops, sizeof(hops));
}

static void open_listener(struct listener *l)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(l->port),
				     .sin6_addr = IN6ADDR_ANY_INIT };
	int one = 1, zero = 0;

	l->fd = socket(AF_INET6, l->type | SOCK_CLOEXEC, 0);
	if (l->fd == -1)
		die("socket");
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) == -1)
		die("IPV6_V6ONLY");
	set_reply_marks(l->fd);
	if (l->type == SOCK_DGRAM) {
		setsockopt(l->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
		setsockopt(l->fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one));
		setsockopt(l->fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
		setsockopt(l->fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		setsockopt(l->fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one));
		setsockopt(l->fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
	}
	if (bind(l->fd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1)
		die("bind");
	if (l->type == SOCK_STREAM && listen(l->fd, 64) == -1)
		die("listen");
}

static ssize_t read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		ssize_t r = read(fd, buf + n, 1);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return n ? (ssize_t)n : r;
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
	return (ssize_t)n;
}

static void write_str(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t w = write(fd, s, len);

		if (w <= 0)
			return;
		s += w;
		len -= (size_t)w;
	}
}

static void serve_tcp(int fd, unsigned short lport)
{
	struct sockaddr_in6 peer, local;
	socklen_t plen = sizeof(peer), llen = sizeof(local);
	char pfam, lfam, paddr[INET6_ADDRSTRLEN], laddr[INET6_ADDRSTRLEN];
	char line[1024], reply[1200];
	ssize_t n;

	alarm(30); /* bound a child whose client never closes */
	if (getpeername(fd, (struct sockaddr *)&peer, &plen) == -1 ||
	    getsockname(fd, (struct sockaddr *)&local, &llen) == -1)
		die("getpeername/getsockname");
	describe(&peer.sin6_addr, &pfam, paddr, sizeof(paddr));
	describe(&local.sin6_addr, &lfam, laddr, sizeof(laddr));
	log_line("tcp %u %c %s %u %s", lport, pfam, paddr, ntohs(peer.sin6_port), laddr);
	while ((n = read_line(fd, line, sizeof(line))) > 0) {
		if (strcmp(line, "PEER\n") == 0) {
			snprintf(reply, sizeof(reply), "PEER %c %s %u LOCAL %s %u\n", pfam,
				 paddr, ntohs(peer.sin6_port), laddr, ntohs(local.sin6_port));
			write_str(fd, reply);
		} else if (strncmp(line, "GET ", 4) == 0) {
			char body[200];

			/* Skip the request headers up to the blank line. */
			while ((n = read_line(fd, line, sizeof(line))) > 0 &&
			       strcmp(line, "\r\n") != 0 && strcmp(line, "\n") != 0)
				;
			snprintf(body, sizeof(body), "peer %c %s %u\n", pfam, paddr,
				 ntohs(peer.sin6_port));
			snprintf(reply, sizeof(reply),
				 "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
				 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
				 strlen(body), body);
			write_str(fd, reply);
			break;
		} else {
			write_str(fd, line);
		}
	}
	close(fd);
	_exit(0);
}

static void accept_tcp(const struct listener *l)
{
	int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
	pid_t pid;

	if (fd == -1)
		return;
	pid = fork();
	if (pid == 0)
		serve_tcp(fd, l->port);
	close(fd);
}

/* Traffic class, hop limit and destination address of a received datagram,
 * from the IPv6 or (for v4-mapped peers) the IPv4 control messages. */
static void parse_cmsgs(struct msghdr *msg, int *tclass, int *hops, char *local,
			size_t size)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS)
			memcpy(tclass, CMSG_DATA(c), sizeof(int));
		else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)
			memcpy(hops, CMSG_DATA(c), sizeof(int));
		else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			char fam;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			describe(&pi.ipi6_addr, &fam, local, size);
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS)
			*tclass = *(unsigned char *)CMSG_DATA(c);
		else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL)
			memcpy(hops, CMSG_DATA(c), sizeof(int));
		else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			inet_ntop(AF_INET, &pi.ipi_addr, local, (socklen_t)size);
		}
	}
}

static void serve_udp(const struct listener *l)
{
	char buf[2048], reply[2300], ctrl[512];
	char pfam, paddr[INET6_ADDRSTRLEN], local[INET6_ADDRSTRLEN] = "?";
	struct sockaddr_in6 peer;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
	struct msghdr msg = { .msg_name = &peer, .msg_namelen = sizeof(peer),
			      .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctrl, .msg_controllen = sizeof(ctrl) };
	int tclass = -1, hops = -1;
	ssize_t n = recvmsg(l->fd, &msg, MSG_DONTWAIT);

	if (n < 0)
		return;
	buf[n] = '\0';
	parse_cmsgs(&msg, &tclass, &hops, local, sizeof(local));
	describe(&peer.sin6_addr, &pfam, paddr, sizeof(paddr));
	log_line("udp %u %c %s %u %s %d %d", l->port, pfam, paddr, ntohs(peer.sin6_port),
		 local, tclass, hops);
	if (strncmp(buf, "INFO", 4) == 0) {
		snprintf(reply, sizeof(reply), "INFO %c %s %u LOCAL %s %d %d", pfam, paddr,
			 ntohs(peer.sin6_port), local, tclass, hops);
		sendto(l->fd, reply, strlen(reply), 0, (struct sockaddr *)&peer,
		       msg.msg_namelen);
	} else {
		sendto(l->fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, msg.msg_namelen);
	}
}

int main(int argc, char **argv)
{
	struct listener ls[MAX_LISTEN];
	struct pollfd pfd[MAX_LISTEN];
	struct sigaction sa = { .sa_handler = SIG_IGN, .sa_flags = SA_NOCLDWAIT };
	int n = 0, opt, i;
	const char *logpath = NULL;

	while ((opt = getopt(argc, argv, "l:t:u:")) != -1) {
		if (opt == 'l') {
			logpath = optarg;
			continue;
		}
		if ((opt != 't' && opt != 'u') || n == MAX_LISTEN)
			goto usage;
		ls[n].type = opt == 't' ? SOCK_STREAM : SOCK_DGRAM;
		ls[n].port = (unsigned short)atoi(optarg);
		n++;
	}
	if (!logpath || n == 0)
		goto usage;
	log_fd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (log_fd == -1)
		die(logpath);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < n; i++) {
		open_listener(&ls[i]);
		pfd[i].fd = ls[i].fd;
		pfd[i].events = POLLIN;
	}
	for (;;) {
		if (poll(pfd, (nfds_t)n, -1) == -1) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		for (i = 0; i < n; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			if (ls[i].type == SOCK_STREAM)
				accept_tcp(&ls[i]);
			else
				serve_udp(&ls[i]);
		}
	}
usage:
	fprintf(stderr, "usage: t_server -l LOGFILE [-t TCPPORT]... [-u UDPPORT]...\n");
	return 2;
}
