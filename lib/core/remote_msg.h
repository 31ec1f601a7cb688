/* Decoding of socket-call arguments copied out of another process's memory
 * (the clatrun supervisor reads them from a supervised program). Pure: the
 * bytes may be anything a buggy or hostile program left there, so every
 * length is checked the way the kernel checks it, and a refusal names the
 * errno the kernel would give for the same arguments. */
#ifndef CLAT_REMOTE_MSG_H
#define CLAT_REMOTE_MSG_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* sizeof(struct sockaddr_storage): the kernel refuses longer addresses
 * (move_addr_to_kernel, EINVAL). */
#define CLAT_REMOTE_ADDR_MAX 128
/* UIO_MAXIOV: more iovecs in a msghdr is EMSGSIZE (sendmsg(2)). */
#define CLAT_REMOTE_IOV_MAX 1024
/* MAX_RW_COUNT on 4 KiB pages: the kernel moves at most this much in one call. */
#define CLAT_REMOTE_RW_MAX 0x7ffff000u

/* The x86-64/aarch64 layouts of struct msghdr and struct iovec as 8-byte
 * words, independent of this build's own types. */
#define CLAT_REMOTE_MSGHDR_SIZE 56
#define CLAT_REMOTE_IOVEC_SIZE 16
/* struct mmsghdr: the msghdr, then the unsigned int msg_len (padded). */
#define CLAT_REMOTE_MMSGHDR_SIZE 64

enum clat_remote_addr {
	CLAT_REMOTE_ADDR_NONE = 0, /* NULL pointer: no address */
	CLAT_REMOTE_ADDR_IPV4,     /* a usable sockaddr_in (stored in out) */
	CLAT_REMOTE_ADDR_OTHER,    /* anything else: the kernel decides */
};

/* Length a supervisor must copy for an address argument of addrlen (the
 * register's low 32 bits, as the kernel reads an int): 0 when the kernel
 * would refuse the length itself (negative or > CLAT_REMOTE_ADDR_MAX). */
size_t clat_remote_addr_copy_len(uint64_t addrlen);
/* Classifies got bytes copied from an address argument of addrlen (ptr is
 * the child's pointer, only compared with 0). */
enum clat_remote_addr clat_remote_sockaddr(uint64_t ptr, uint64_t addrlen, const void *bytes,
					   size_t got, struct sockaddr_in *out);

struct clat_remote_msghdr {
	uint64_t name;
	uint32_t namelen;
	uint64_t iov;
	uint64_t iovlen;
	uint64_t control;
	uint64_t controllen;
	int32_t flags;
};

/* Decodes a msghdr (got bytes; fewer than CLAT_REMOTE_MSGHDR_SIZE is
 * EFAULT). Returns 0 or the negative errno the kernel's sendmsg/recvmsg
 * gives for the header alone: EMSGSIZE for more than CLAT_REMOTE_IOV_MAX
 * iovecs, EINVAL for a negative name length (a longer one than
 * CLAT_REMOTE_ADDR_MAX is shortened to it, as the kernel does), ENOBUFS
 * for a control length past INT_MAX (sending). namelen is 0 without a name. */
int clat_remote_msghdr_decode(const void *bytes, size_t got, int sending,
			      struct clat_remote_msghdr *out);

struct clat_remote_iov {
	uint64_t base;
	uint64_t len;
};

/* Decodes count iovecs from got bytes into out (room for count). Returns
 * 0 with *total the bytes they describe, clamped to CLAT_REMOTE_RW_MAX as
 * the kernel clamps it, or -EFAULT when got is short, -EINVAL for an
 * iov_len above SSIZE_MAX (import_iovec). */
int clat_remote_iov_decode(const void *bytes, size_t got, size_t count,
			   struct clat_remote_iov *out, uint64_t *total);

#endif
