/* Shadow copies of a program's msghdr for translated sockets: the kernel
 * gets IPv6 names and ancillary data, the program gets IPv4 ones back. */
#ifndef CLAT_MSG_SHADOW_H
#define CLAT_MSG_SHADOW_H

#include <sys/socket.h>

#include "state/fdtable.h"

#define CLAT_SHADOW_CONTROL 512
/* recvmmsg/sendmmsg handle at most this many messages per call (both may
 * legally do less than asked); keeps the shadows small on thread stacks. */
#define CLAT_SHADOW_BATCH 16

struct clat_msg_shadow {
	struct sockaddr_storage name;
	unsigned char control[CLAT_SHADOW_CONTROL] __attribute__((aligned(8)));
};

/* recvmsg: kernel = user with name and (TRANSLATED only) control pointing
 * into shadow. */
void clat_shadow_recv_prepare(const struct clat_fd *rec, const struct msghdr *user,
			      struct clat_msg_shadow *shadow, struct msghdr *kernel);
/* recvmsg done: names and control back in the program's form. */
void clat_shadow_recv_finish(const struct clat_fd *rec, struct msghdr *user,
			     const struct clat_msg_shadow *shadow,
			     const struct msghdr *kernel);
/* sendmsg on a rewritten socket: kernel = user with the IPv6 form of its
 * name and (TRANSLATED only) control. Returns -1 with errno (ENOBUFS when
 * the control data does not fit, EINVAL when it is malformed). */
int clat_shadow_send_prepare(const struct clat_fd *rec, const struct msghdr *user,
			     struct clat_msg_shadow *shadow, struct msghdr *kernel);

#endif
