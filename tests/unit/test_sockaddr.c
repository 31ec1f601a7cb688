/* sockaddr translation and the POSIX copy-out rule. */
#include <string.h>

#include "core/sockaddr.h"
#include "suites.h"
#include "test_util.h"

static struct sockaddr_in make_sin(const char *addr, uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr = clat_test_v4(addr);
	return sin;
}

static struct sockaddr_in6 make_sin6(const char *addr, uint16_t port)
{
	struct sockaddr_in6 sin6;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(port);
	sin6.sin6_addr = clat_test_v6(addr);
	return sin6;
}

START_TEST(synthesize)
{
	struct clat_prefix p = clat_test_prefix("2001:db8:122:344::/64");
	struct sockaddr_in sin = make_sin("192.0.2.33", 443);
	struct sockaddr_in6 out;

	memset(&out, 0xee, sizeof(out));
	clat_sockaddr_synthesize(&p, &sin, &out);
	ck_assert_int_eq(out.sin6_family, AF_INET6);
	ck_assert_uint_eq(ntohs(out.sin6_port), 443);
	ck_assert_uint_eq(out.sin6_flowinfo, 0); /* RFC 7915 s4.1 */
	ck_assert_uint_eq(out.sin6_scope_id, 0);
	ck_assert_mem_eq(out.sin6_addr.s6_addr,
			 clat_test_v6("2001:db8:122:344:c0:2:2100::").s6_addr, 16);
}
END_TEST

START_TEST(v4mapped)
{
	struct sockaddr_in sin = make_sin("127.0.0.1", 8080), back;
	struct sockaddr_in6 out;

	memset(&out, 0xee, sizeof(out));
	clat_sockaddr_v4mapped(&sin, &out);
	ck_assert_int_eq(out.sin6_family, AF_INET6);
	ck_assert_uint_eq(ntohs(out.sin6_port), 8080);
	ck_assert_uint_eq(out.sin6_flowinfo, 0);
	ck_assert_uint_eq(out.sin6_scope_id, 0);
	ck_assert_mem_eq(out.sin6_addr.s6_addr, clat_test_v6("::ffff:127.0.0.1").s6_addr, 16);

	memset(&back, 0xee, sizeof(back));
	ck_assert(clat_sockaddr_from_v4mapped(&out, &back));
	ck_assert_mem_eq(&back, &sin, sizeof(sin)); /* sin_zero cleared too */
}
END_TEST

START_TEST(from_v4mapped_rejects)
{
	static const char *const others[] = { "::1", "64:ff9b::c000:221", "::192.0.2.33",
					      "::fffe:c000:221", "2001:db8::" };
	struct sockaddr_in out;

	for (size_t i = 0; i < CLAT_TEST_COUNT(others); i++) {
		struct sockaddr_in6 sin6 = make_sin6(others[i], 1);

		ck_assert_msg(!clat_sockaddr_from_v4mapped(&sin6, &out), "%s", others[i]);
	}
}
END_TEST

START_TEST(to_ipv4_embedded)
{
	struct clat_prefix p = clat_test_prefix("2001:db8:64::/96");
	struct sockaddr_in6 sin6 = make_sin6("2001:db8:64::203.0.113.10", 53);
	struct sockaddr_in out, expected = make_sin("203.0.113.10", 53);

	memset(&out, 0xee, sizeof(out));
	ck_assert(clat_sockaddr_to_ipv4(&p, &sin6, &out));
	ck_assert_mem_eq(&out, &expected, sizeof(out));
}
END_TEST

START_TEST(to_ipv4_mapped)
{
	struct clat_prefix p = clat_test_prefix("2001:db8:64::/96");
	struct sockaddr_in6 sin6 = make_sin6("::ffff:127.0.0.1", 22);
	struct sockaddr_in out, expected = make_sin("127.0.0.1", 22);

	ck_assert(clat_sockaddr_to_ipv4(&p, &sin6, &out));
	ck_assert_mem_eq(&out, &expected, sizeof(out));
	memset(&out, 0xee, sizeof(out));
	ck_assert(clat_sockaddr_to_ipv4(NULL, &sin6, &out));
	ck_assert_mem_eq(&out, &expected, sizeof(out));
}
END_TEST

START_TEST(to_ipv4_other)
{
	static const char *const others[] = {
		"2001:db8:65::c000:221",     /* outside P */
		"2001:db8:64::1:c000:221",   /* differs in bits 80-95 */
		"::1",
	};
	struct clat_prefix p = clat_test_prefix("2001:db8:64::/96");
	struct sockaddr_in out, expected = make_sin("0.0.0.0", 99);

	for (size_t i = 0; i < CLAT_TEST_COUNT(others); i++) {
		struct sockaddr_in6 sin6 = make_sin6(others[i], 99);

		memset(&out, 0xee, sizeof(out));
		ck_assert_msg(!clat_sockaddr_to_ipv4(&p, &sin6, &out), "%s", others[i]);
		ck_assert_mem_eq(&out, &expected, sizeof(out));
	}
}
END_TEST

START_TEST(to_ipv4_u_octet)
{
	struct clat_prefix p = clat_test_prefix("2001:db8:122:344::/64");
	struct sockaddr_in6 sin6 = make_sin6("2001:db8:122:344:1c0:2:2100::", 7);
	struct sockaddr_in out;

	ck_assert(!clat_sockaddr_to_ipv4(&p, &sin6, &out));
	ck_assert_uint_eq(out.sin_addr.s_addr, 0);
	ck_assert_uint_eq(ntohs(out.sin_port), 7);
	ck_assert(!clat_sockaddr_to_ipv4(NULL, &sin6, &out));
}
END_TEST

/* copy_out: buffer sizes from nothing to more than enough. */
static const socklen_t copy_lens[] = { 0, 1, 4, sizeof(struct sockaddr_in) - 1,
				       sizeof(struct sockaddr_in),
				       sizeof(struct sockaddr_storage) };

START_TEST(copy_out_sizes)
{
	struct sockaddr_in src = make_sin("192.0.0.4", 4242);
	struct sockaddr_storage dst;
	unsigned char sentinel[sizeof(dst)];
	socklen_t len = copy_lens[_i];
	size_t copied = len < sizeof(src) ? len : sizeof(src);

	memset(&dst, 0xa5, sizeof(dst));
	memset(sentinel, 0xa5, sizeof(sentinel));
	clat_sockaddr_copy_out(&src, sizeof(src), (struct sockaddr *)&dst, &len);
	ck_assert_uint_eq(len, sizeof(src)); /* full size: caller sees truncation */
	ck_assert_mem_eq(&dst, &src, copied);
	ck_assert_mem_eq((unsigned char *)&dst + copied, sentinel, sizeof(dst) - copied);
}
END_TEST

START_TEST(copy_out_null)
{
	struct sockaddr_in src = make_sin("192.0.0.4", 4242);
	struct sockaddr_storage dst, before;
	socklen_t len = sizeof(dst);

	clat_sockaddr_copy_out(&src, sizeof(src), NULL, &len);
	ck_assert_uint_eq(len, sizeof(src));

	memset(&dst, 0xa5, sizeof(dst));
	before = dst;
	clat_sockaddr_copy_out(&src, sizeof(src), (struct sockaddr *)&dst, NULL);
	ck_assert_mem_eq(&dst, &before, sizeof(dst));
	clat_sockaddr_copy_out(&src, sizeof(src), NULL, NULL);
	/* Pointers into page 0 are neither written nor read. */
	len = sizeof(dst);
	clat_sockaddr_copy_out(&src, sizeof(src), (struct sockaddr *)(uintptr_t)8, &len);
	ck_assert_uint_eq(len, sizeof(src));
	clat_sockaddr_copy_out(&src, sizeof(src), (struct sockaddr *)&dst, (socklen_t *)(uintptr_t)8);
}
END_TEST

START_TEST(is_ipv4)
{
	struct sockaddr_in sin = make_sin("192.0.2.1", 80);
	struct sockaddr_in6 sin6 = make_sin6("::ffff:192.0.2.1", 80);
	struct sockaddr_storage big;

	ck_assert(clat_sockaddr_is_ipv4((struct sockaddr *)&sin, sizeof(sin)));
	ck_assert(!clat_sockaddr_is_ipv4((struct sockaddr *)&sin, sizeof(sin) - 1));
	ck_assert(!clat_sockaddr_is_ipv4((struct sockaddr *)&sin, 0));
	ck_assert(!clat_sockaddr_is_ipv4(NULL, sizeof(sin)));
	/* NULL plus a member offset: never read (the kernel says EFAULT). */
	ck_assert(!clat_sockaddr_is_ipv4((struct sockaddr *)(uintptr_t)8, sizeof(sin)));
	ck_assert(!clat_sockaddr_is_ipv4((struct sockaddr *)(uintptr_t)4095, sizeof(sin)));
	ck_assert(!clat_sockaddr_is_ipv4((struct sockaddr *)&sin6, sizeof(sin6)));
	memset(&big, 0, sizeof(big));
	memcpy(&big, &sin, sizeof(sin));
	ck_assert(clat_sockaddr_is_ipv4((struct sockaddr *)&big, sizeof(big)));
}
END_TEST

START_TEST(is_v4mapped)
{
	struct sockaddr_in6 mapped = make_sin6("::ffff:192.0.2.1", 80);
	struct sockaddr_in6 plain = make_sin6("2001:db8::1", 80);
	struct sockaddr_in sin = make_sin("192.0.2.1", 80);
	unsigned char unaligned[sizeof(mapped) + 1];

	ck_assert(clat_sockaddr_is_v4mapped((struct sockaddr *)&mapped, sizeof(mapped)));
	ck_assert(!clat_sockaddr_is_v4mapped((struct sockaddr *)&mapped, sizeof(mapped) - 1));
	ck_assert(!clat_sockaddr_is_v4mapped(NULL, sizeof(mapped)));
	ck_assert(!clat_sockaddr_is_v4mapped((struct sockaddr *)(uintptr_t)16, sizeof(mapped)));
	ck_assert(!clat_sockaddr_is_v4mapped((struct sockaddr *)&plain, sizeof(plain)));
	ck_assert(!clat_sockaddr_is_v4mapped((struct sockaddr *)&sin, sizeof(sin)));
	mapped.sin6_family = AF_INET;
	ck_assert(!clat_sockaddr_is_v4mapped((struct sockaddr *)&mapped, sizeof(mapped)));
	mapped.sin6_family = AF_INET6;
	memcpy(unaligned + 1, &mapped, sizeof(mapped));
	ck_assert(clat_sockaddr_is_v4mapped((struct sockaddr *)(void *)(unaligned + 1),
					    sizeof(mapped)));
}
END_TEST

Suite *clat_sockaddr_suite(void)
{
	Suite *s = suite_create("sockaddr");
	TCase *tc = tcase_create("translate");

	tcase_add_test(tc, synthesize);
	tcase_add_test(tc, v4mapped);
	tcase_add_test(tc, from_v4mapped_rejects);
	tcase_add_test(tc, to_ipv4_embedded);
	tcase_add_test(tc, to_ipv4_mapped);
	tcase_add_test(tc, to_ipv4_other);
	tcase_add_test(tc, to_ipv4_u_octet);
	suite_add_tcase(s, tc);

	tc = tcase_create("buffers");
	tcase_add_loop_test(tc, copy_out_sizes, 0, (int)CLAT_TEST_COUNT(copy_lens));
	tcase_add_test(tc, copy_out_null);
	tcase_add_test(tc, is_ipv4);
	tcase_add_test(tc, is_v4mapped);
	suite_add_tcase(s, tc);
	return s;
}
