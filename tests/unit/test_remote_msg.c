/* Decoding of socket-call arguments read from a supervised program
 * (lib/core/remote_msg.c): the kernel's length rules and errnos. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>

#include "core/remote_msg.h"
#include "suites.h"
#include "test_util.h"

static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static void put32(unsigned char *p, int32_t v) { memcpy(p, &v, 4); }

/* A msghdr as the program lays it out (x86-64). */
static void msghdr_bytes(unsigned char *b, uint64_t name, int32_t namelen, uint64_t iovlen,
			 uint64_t controllen)
{
	memset(b, 0, CLAT_REMOTE_MSGHDR_SIZE);
	put64(b, name);
	put32(b + 8, namelen);
	put64(b + 16, 0x1000);
	put64(b + 24, iovlen);
	put64(b + 32, controllen ? 0x2000 : 0);
	put64(b + 40, controllen);
}

START_TEST(test_addr_copy_len)
{
	ck_assert_uint_eq(clat_remote_addr_copy_len(16), 16);
	ck_assert_uint_eq(clat_remote_addr_copy_len(128), 128);
	ck_assert_uint_eq(clat_remote_addr_copy_len(129), 0);    /* EINVAL in the kernel */
	ck_assert_uint_eq(clat_remote_addr_copy_len(0xffffffffu), 0); /* -1 */
	/* Only the low 32 bits count: the kernel takes an int. */
	ck_assert_uint_eq(clat_remote_addr_copy_len(0x100000010ull), 16);
}
END_TEST

START_TEST(test_sockaddr_classes)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(80) };
	struct sockaddr_in out;
	sin.sin_addr = clat_test_v4("203.0.113.10");
	memset(sin.sin_zero, 0x55, sizeof(sin.sin_zero));
	ck_assert_int_eq(clat_remote_sockaddr(0, 16, &sin, 16, &out), CLAT_REMOTE_ADDR_NONE);
	ck_assert_int_eq(clat_remote_sockaddr(1, 16, &sin, 16, &out), CLAT_REMOTE_ADDR_IPV4);
	ck_assert_uint_eq(out.sin_addr.s_addr, sin.sin_addr.s_addr);
	ck_assert_uint_eq(out.sin_port, htons(80));
	ck_assert_uint_eq(out.sin_zero[3], 0);
	/* Too short a length or copy, another family, a refused length: the kernel's. */
	ck_assert_int_eq(clat_remote_sockaddr(1, 15, &sin, 16, &out), CLAT_REMOTE_ADDR_OTHER);
	ck_assert_int_eq(clat_remote_sockaddr(1, 16, &sin, 15, &out), CLAT_REMOTE_ADDR_OTHER);
	ck_assert_int_eq(clat_remote_sockaddr(1, 200, &sin, 16, &out), CLAT_REMOTE_ADDR_OTHER);
	sin.sin_family = AF_INET6;
	ck_assert_int_eq(clat_remote_sockaddr(1, 28, &sin, 16, &out), CLAT_REMOTE_ADDR_OTHER);
}
END_TEST

START_TEST(test_msghdr_rules)
{
	unsigned char b[CLAT_REMOTE_MSGHDR_SIZE];
	struct clat_remote_msghdr m;
	msghdr_bytes(b, 0x7000, 16, 1, 0);
	ck_assert_int_eq(clat_remote_msghdr_decode(b, sizeof(b), 1, &m), 0);
	ck_assert_uint_eq(m.name, 0x7000);
	ck_assert_uint_eq(m.namelen, 16);
	ck_assert_uint_eq(m.iov, 0x1000);
	ck_assert_uint_eq(m.iovlen, 1);
	ck_assert_int_eq(clat_remote_msghdr_decode(b, sizeof(b) - 1, 1, &m), -EFAULT);
	msghdr_bytes(b, 0x7000, 16, CLAT_REMOTE_IOV_MAX, 0);
	ck_assert_int_eq(clat_remote_msghdr_decode(b, sizeof(b), 1, &m), 0);
	msghdr_bytes(b, 0x7000, 16, CLAT_REMOTE_IOV_MAX + 1, 0);
	ck_assert_int_eq(clat_remote_msghdr_decode(b, sizeof(b), 1, &m), -EMSGSIZE);
	msghdr_bytes(b, 0x7000, -1, 1, 0);
	ck_assert_int_eq(clat_remote_msghdr_decode(b, sizeof(b), 0, &m), -EINVAL);
	/* Longer than a sockaddr_storage: shortened, as __copy_msghdr does. */
	msghdr_bytes(b, 0x7000, 4096, 1, 0);
	ck_assert_int_eq(clat_remote_msghdr_decode(b, sizeof(b), 1, &m), 0);
	ck_assert_uint_eq(m.namelen, CLAT_REMOTE_ADDR_MAX);
	msghdr_bytes(b, 0, 16, 1, 0);
	ck_assert_int_eq(clat_remote_msghdr_decode(b, sizeof(b), 1, &m), 0);
	ck_assert_uint_eq(m.namelen, 0);
	msghdr_bytes(b, 0, 0, 1, (uint64_t)INT_MAX + 1);
	ck_assert_int_eq(clat_remote_msghdr_decode(b, sizeof(b), 1, &m), -ENOBUFS);
	ck_assert_int_eq(clat_remote_msghdr_decode(b, sizeof(b), 0, &m), 0);
}
END_TEST

START_TEST(test_iov_rules)
{
	unsigned char b[3 * CLAT_REMOTE_IOVEC_SIZE];
	struct clat_remote_iov iov[3];
	uint64_t total;
	put64(b, 0x1000);
	put64(b + 8, 5);
	put64(b + 16, 0x2000);
	put64(b + 24, 7);
	ck_assert_int_eq(clat_remote_iov_decode(b, 32, 2, iov, &total), 0);
	ck_assert_uint_eq(total, 12);
	ck_assert_uint_eq(iov[1].base, 0x2000);
	ck_assert_int_eq(clat_remote_iov_decode(b, 31, 2, iov, &total), -EFAULT);
	ck_assert_int_eq(clat_remote_iov_decode(b, 32, CLAT_REMOTE_IOV_MAX + 1, iov, &total),
			 -EMSGSIZE);
	put64(b + 24, (uint64_t)SSIZE_MAX + 1);
	ck_assert_int_eq(clat_remote_iov_decode(b, 32, 2, iov, &total), -EINVAL);
	/* Past MAX_RW_COUNT the kernel shortens the segments. */
	put64(b + 8, CLAT_REMOTE_RW_MAX - 1);
	put64(b + 24, 100);
	put64(b + 40, 100);
	ck_assert_int_eq(clat_remote_iov_decode(b, sizeof(b), 3, iov, &total), 0);
	ck_assert_uint_eq(total, CLAT_REMOTE_RW_MAX);
	ck_assert_uint_eq(iov[1].len, 1);
	ck_assert_uint_eq(iov[2].len, 0);
}
END_TEST

Suite *clat_remote_msg_suite(void)
{
	Suite *s = suite_create("remote_msg");
	TCase *tc = tcase_create("decode");
	tcase_add_test(tc, test_addr_copy_len);
	tcase_add_test(tc, test_sockaddr_classes);
	tcase_add_test(tc, test_msghdr_rules);
	tcase_add_test(tc, test_iov_rules);
	suite_add_tcase(s, tc);
	return s;
}
