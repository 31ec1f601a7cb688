/* Destination policy probe: tries T_DST with a blocking TCP connect, a
 * non-blocking TCP connect, an unconnected UDP sendto and a UDP connect, and
 * prints one line with the outcome of each, e.g.
 *   tcp=ENETUNREACH tcp-nb=ENETUNREACH udp=ENETUNREACH udp-connect=ENETUNREACH
 * run-netns.sh runs it with and without libclat and requires identical lines
 * for never-translated destinations (RFC 6890 special-purpose, the
 * well-known-prefix private ranges), plus a server log with no new entry. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tcommon.h"

static const char *outcome(int r)
{
	return r == 0 ? "ok" : t_errname(errno);
}

static void c_probe(void)
{
	struct sockaddr_in tcp = t_sin(t_dst(), t_tcp_port());
	struct sockaddr_in udp = t_sin(t_dst(), t_udp_port());
	int fd, r;

	fd = t_socket(SOCK_STREAM);
	r = connect(fd, (struct sockaddr *)&tcp, sizeof(tcp));
	printf("tcp=%s", outcome(r));
	close(fd);

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	T_SYS(fd);
	r = connect(fd, (struct sockaddr *)&tcp, sizeof(tcp));
	if (r == -1 && errno == EINPROGRESS) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		if (poll(&p, 1, 3000) == 1) {
			int err = t_getint(fd, SOL_SOCKET, SO_ERROR, "SO_ERROR");

			r = err ? -1 : 0;
			errno = err;
		} else {
			errno = ETIMEDOUT;
		}
	}
	printf(" tcp-nb=%s", outcome(r));
	close(fd);

	fd = t_socket(SOCK_DGRAM);
	r = sendto(fd, "p", 1, 0, (struct sockaddr *)&udp, sizeof(udp)) == 1 ? 0 : -1;
	printf(" udp=%s", outcome(r));
	close(fd);

	fd = t_socket(SOCK_DGRAM);
	r = connect(fd, (struct sockaddr *)&udp, sizeof(udp));
	printf(" udp-connect=%s\n", outcome(r));
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct t_case_entry cases[] = {
		{ "probe", c_probe },
		{ NULL, NULL },
	};

	return t_main(argc, argv, cases);
}
