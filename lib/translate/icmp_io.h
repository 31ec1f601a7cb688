/* Payload translation for switched ICMP sockets (ping sockets and raw ICMP
 * sockets): echo requests go out as ICMPv6 echo (RFC 7915 s4.2), and what
 * comes back is delivered as an IPv4 socket would deliver it (s5.2). */
#ifndef CLAT_ICMP_IO_H
#define CLAT_ICMP_IO_H

#include <sys/socket.h>
#include <sys/types.h>

#include "state/fdtable.h"

/* True for the kinds whose payload is ICMP. */
bool clat_fd_is_icmp(const struct clat_fd *rec);
/* sendmsg of an ICMPv4 message on a switched ICMP socket (kernel is the
 * already-shadowed msghdr: IPv6 name and control). */
ssize_t clat_icmp_sendmsg(int fd, const struct msghdr *kernel, int flags);
/* recvmsg on a switched ICMP socket, with the program's msghdr: payload,
 * name and ancillary data in IPv4 form. Raw sockets get an IPv4 header in
 * front and the program's socket filter applied; untranslatable messages
 * are skipped as if they had not arrived. */
ssize_t clat_icmp_recvmsg(int fd, const struct clat_fd *rec, struct msghdr *msg, int flags);

#endif
