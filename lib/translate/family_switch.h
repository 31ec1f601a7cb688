/* The late family switch (ARCHITECTURE.md, "Life of a translated connect"):
 * replace a program's AF_INET socket by an AF_INET6 one under the same
 * descriptor number. */
#ifndef CLAT_FAMILY_SWITCH_H
#define CLAT_FAMILY_SWITCH_H

#include <netinet/in.h>

#include "state/fdtable.h"

/* Switches fd to AF_INET6: same type and protocol, O_NONBLOCK, FD_CLOEXEC,
 * recorded options replayed (translated), an earlier bind to 0.0.0.0:port
 * replayed as [::]:port, IPV6_V6ONLY off so that destinations kept on IPv4
 * can still be reached as ::ffff:a.b.c.d. Only TCP and UDP sockets are
 * switched. Returns the record (state TRANSLATED), or NULL with nothing
 * changed when the socket is not eligible or any step fails; errno is then
 * unspecified and the caller restores the one the program must see. */
struct clat_fd *clat_switch_to_ipv6(int fd);
/* The same for bind(0.0.0.0:port) with inbound on: the new TCP or UDP
 * socket is bound to [::]:port with IPV6_V6ONLY off before it replaces the
 * old one (NULL, nothing changed, errno from the failing step otherwise). */
struct clat_fd *clat_switch_for_inbound(int fd, in_port_t port);
/* Gives an early socket (made AF_INET6 at socket(), rec->early) back the
 * AF_INET socket the program asked for: same type, protocol, status and
 * descriptor flags, options and filter replayed as given, epoll sets and a
 * wildcard bind redone; state INET again (a later translated connect
 * switches it late). NULL with nothing changed when fd is no early socket
 * or a step fails. */
struct clat_fd *clat_switch_back_to_ipv4(int fd);
/* A new non-blocking, close-on-exec AF_INET6 TCP socket prepared as the
 * switch prepares one for rec (options and filter replayed), for another
 * connection attempt; -1 with errno on failure. */
int clat_twin_stream_socket(const struct clat_fd *rec);

#endif
