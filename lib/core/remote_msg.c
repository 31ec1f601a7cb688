#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>

#include "remote_msg.h"

static uint64_t word(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

size_t clat_remote_addr_copy_len(uint64_t addrlen)
{
	int32_t len = (int32_t)(uint32_t)addrlen; /* the kernel takes an int */
	if (len < 0 || len > CLAT_REMOTE_ADDR_MAX)
		return 0;
	return (size_t)len;
}

enum clat_remote_addr clat_remote_sockaddr(uint64_t ptr, uint64_t addrlen, const void *bytes,
					   size_t got, struct sockaddr_in *out)
{
	if (ptr == 0)
		return CLAT_REMOTE_ADDR_NONE;
	size_t len = clat_remote_addr_copy_len(addrlen);
	/* Shorter than a sockaddr_in is EINVAL from the IPv4 code: let it say so. */
	if (len < sizeof(struct sockaddr_in) || got < sizeof(struct sockaddr_in))
		return CLAT_REMOTE_ADDR_OTHER;
	struct sockaddr_in sin;
	memcpy(&sin, bytes, sizeof(sin));
	if (sin.sin_family != AF_INET)
		return CLAT_REMOTE_ADDR_OTHER;
	*out = sin;
	memset(out->sin_zero, 0, sizeof(out->sin_zero));
	return CLAT_REMOTE_ADDR_IPV4;
}

int clat_remote_msghdr_decode(const void *bytes, size_t got, int sending,
			      struct clat_remote_msghdr *out)
{
	const unsigned char *p = bytes;
	if (got < CLAT_REMOTE_MSGHDR_SIZE)
		return -EFAULT;
	/* name 0, namelen 8 (int, padded), iov 16, iovlen 24, control 32,
	 * controllen 40, flags 48. */
	out->name = word(p);
	int32_t namelen;
	memcpy(&namelen, p + 8, sizeof(namelen));
	out->iov = word(p + 16);
	out->iovlen = word(p + 24);
	out->control = word(p + 32);
	out->controllen = word(p + 40);
	memcpy(&out->flags, p + 48, sizeof(out->flags));
	if (out->iovlen > CLAT_REMOTE_IOV_MAX)
		return -EMSGSIZE;
	/* __copy_msghdr: a negative name length is EINVAL, a longer one than
	 * a sockaddr_storage is shortened to it (both directions). */
	if (namelen < 0)
		return -EINVAL;
	out->namelen = out->name == 0 ? 0 : (uint32_t)namelen;
	if (out->namelen > CLAT_REMOTE_ADDR_MAX)
		out->namelen = CLAT_REMOTE_ADDR_MAX;
	if (sending && out->controllen > INT_MAX)
		return -ENOBUFS;
	return 0;
}

int clat_remote_iov_decode(const void *bytes, size_t got, size_t count,
			   struct clat_remote_iov *out, uint64_t *total)
{
	const unsigned char *p = bytes;
	if (count > CLAT_REMOTE_IOV_MAX)
		return -EMSGSIZE;
	if (got < count * CLAT_REMOTE_IOVEC_SIZE)
		return -EFAULT;
	uint64_t sum = 0;
	for (size_t i = 0; i < count; i++) {
		out[i].base = word(p + i * CLAT_REMOTE_IOVEC_SIZE);
		out[i].len = word(p + i * CLAT_REMOTE_IOVEC_SIZE + 8);
		if (out[i].len > (uint64_t)SSIZE_MAX)
			return -EINVAL;
		/* The kernel shortens the last segments past MAX_RW_COUNT. */
		if (out[i].len > CLAT_REMOTE_RW_MAX - sum)
			out[i].len = CLAT_REMOTE_RW_MAX - sum;
		sum += out[i].len;
	}
	*total = sum;
	return 0;
}
