/* libFuzzer target: decoding socket-call arguments copied from a
 * supervised program (lib/core/remote_msg.c).
 *
 * Input: a selector byte, an address pointer and length (8 bytes each),
 * a "sending" flag, an iovec count (2 bytes), then the rest as the bytes
 * read from the program (each decoder gets them in an exact-size block).
 * Invariants: nothing is read past the bytes given; an accepted sockaddr
 * is AF_INET with sin_zero cleared and needed 16 bytes; a decoded msghdr
 * has at most 1024 iovecs and a name length of at most 128 (0 without a
 * name); decoded iovecs each fit SSIZE_MAX and sum to at most MAX_RW_COUNT;
 * refusals are one of the kernel's errnos for these checks. */
#include <errno.h>
#include <limits.h>
#include <sys/socket.h>

#include "fuzz_util.h"
#include "remote_msg.h"

static uint64_t u64(struct fuzz_in *in)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | fuzz_u8(in);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	uint8_t which = fuzz_u8(&in);
	uint64_t ptr = u64(&in), len = u64(&in);
	int sending = fuzz_u8(&in) & 1;
	size_t count = fuzz_u16(&in) % (CLAT_REMOTE_IOV_MAX + 8);
	size_t rest = size - (in.pos < size ? in.pos : size);
	uint8_t *bytes = malloc(rest ? rest : 1);
	if (bytes == NULL)
		return 0;
	memcpy(bytes, data + (size - rest), rest);

	if (which % 3 == 0) {
		struct sockaddr_in out;
		size_t copy = clat_remote_addr_copy_len(len);
		FUZZ_CHECK(copy <= CLAT_REMOTE_ADDR_MAX, "copy length %zu", copy);
		enum clat_remote_addr kind = clat_remote_sockaddr(ptr, len, bytes, rest, &out);
		FUZZ_CHECK((kind == CLAT_REMOTE_ADDR_NONE) == (ptr == 0), "NULL pointer classification");
		if (kind == CLAT_REMOTE_ADDR_IPV4) {
			FUZZ_CHECK(out.sin_family == AF_INET && copy >= sizeof(out) && rest >= sizeof(out),
				   "accepted address");
			for (size_t i = 0; i < sizeof(out.sin_zero); i++)
				FUZZ_CHECK(out.sin_zero[i] == 0, "sin_zero not cleared");
		}
	} else if (which % 3 == 1) {
		struct clat_remote_msghdr m;
		int rc = clat_remote_msghdr_decode(bytes, rest, sending, &m);
		FUZZ_CHECK(rc == 0 || rc == -EFAULT || rc == -EMSGSIZE || rc == -EINVAL ||
				   rc == -ENOBUFS, "errno %d", rc);
		FUZZ_CHECK(rc != -EFAULT || rest < CLAT_REMOTE_MSGHDR_SIZE, "EFAULT with a whole header");
		if (rc == 0) {
			FUZZ_CHECK(m.iovlen <= CLAT_REMOTE_IOV_MAX, "iovlen %llu",
				   (unsigned long long)m.iovlen);
			FUZZ_CHECK(m.namelen <= CLAT_REMOTE_ADDR_MAX, "namelen %u", m.namelen);
			FUZZ_CHECK(m.name != 0 || m.namelen == 0, "name length without a name");
			FUZZ_CHECK(!sending || m.controllen <= INT_MAX, "control length");
		}
	} else {
		struct clat_remote_iov *iov = malloc((count ? count : 1) * sizeof(*iov));
		uint64_t total = 0;
		if (iov != NULL) {
			int rc = clat_remote_iov_decode(bytes, rest, count, iov, &total);
			FUZZ_CHECK(rc == 0 || rc == -EFAULT || rc == -EINVAL || rc == -EMSGSIZE,
				   "errno %d", rc);
			FUZZ_CHECK((rc == -EMSGSIZE) == (count > CLAT_REMOTE_IOV_MAX), "EMSGSIZE");
			if (rc == 0) {
				uint64_t sum = 0;
				for (size_t i = 0; i < count; i++) {
					FUZZ_CHECK(iov[i].len <= (uint64_t)SSIZE_MAX, "iov_len");
					sum += iov[i].len;
				}
				FUZZ_CHECK(sum == total && total <= CLAT_REMOTE_RW_MAX, "total %llu",
					   (unsigned long long)total);
			}
			free(iov);
		}
	}
	free(bytes);
	return 0;
}
