/* The order the NAT64 prefix sources are tried in (lib/core/prefix_order.c),
 * shared by the library and clatrun. */
#include <string.h>

#include "core/prefix_order.h"
#include "suites.h"
#include "test_util.h"

/* Each stub records that it was asked; has[] says which have a prefix. */
struct probe {
	bool has[CLAT_STEP_COUNT];
	unsigned asked[CLAT_STEP_COUNT];
};

static bool answer(struct probe *p, enum clat_prefix_step step, const char *prefix,
		   struct clat_prefix_choice *out)
{
	p->asked[step]++;
	if (!p->has[step])
		return false;
	struct clat_prefix one = clat_test_prefix(prefix);
	clat_prefix_set_add(&out->set, &one);
	out->source = CLAT_SOURCE_DNS64;
	out->expires = 100 + step;
	return true;
}

#define STUB(step, prefix)                                                        \
	static bool stub_##step(void *ctx, struct clat_prefix_choice *out)        \
	{                                                                         \
		return answer(ctx, step, prefix, out);                            \
	}
STUB(CLAT_STEP_EXPLICIT, "2001:db8:1::/96")
STUB(CLAT_STEP_PREF64, "2001:db8:2::/96")
STUB(CLAT_STEP_CLATRUN, "2001:db8:3::/96")
STUB(CLAT_STEP_DISCOVERY, "2001:db8:4::/96")
STUB(CLAT_STEP_FALLBACK, "2001:db8:5::/96")

static const clat_prefix_step_fn all[CLAT_STEP_COUNT] = {
	stub_CLAT_STEP_EXPLICIT, stub_CLAT_STEP_PREF64, stub_CLAT_STEP_CLATRUN,
	stub_CLAT_STEP_DISCOVERY, stub_CLAT_STEP_FALLBACK,
};

START_TEST(first_source_with_a_prefix_wins)
{
	for (int winner = 0; winner < CLAT_STEP_COUNT; winner++) {
		struct probe p;
		struct clat_prefix_choice got;
		memset(&p, 0, sizeof(p));
		for (int i = winner; i < CLAT_STEP_COUNT; i++)
			p.has[i] = true;
		ck_assert_int_eq(clat_prefix_choose(all, &p, &got), winner);
		ck_assert_uint_eq(got.set.count, 1);
		ck_assert_uint_eq(got.set.prefix[0].addr[5], (unsigned)winner + 1);
		ck_assert_int_eq(got.expires, 100 + winner);
		/* Every earlier source was asked once, no later one at all. */
		for (int i = 0; i < CLAT_STEP_COUNT; i++)
			ck_assert_uint_eq(p.asked[i], i <= winner ? 1 : 0);
	}
}
END_TEST

START_TEST(none_has_one)
{
	struct probe p;
	struct clat_prefix_choice got;
	memset(&p, 0, sizeof(p));
	memset(&got, 0xa5, sizeof(got));
	ck_assert_int_eq(clat_prefix_choose(all, &p, &got), CLAT_STEP_COUNT);
	ck_assert_uint_eq(got.set.count, 0);
	ck_assert_int_eq(got.source, CLAT_SOURCE_NONE);
	ck_assert_str_eq(clat_prefix_step_name(CLAT_STEP_COUNT), "none");
}
END_TEST

START_TEST(missing_sources_skipped)
{
	clat_prefix_step_fn some[CLAT_STEP_COUNT];
	memcpy(some, all, sizeof(some));
	some[CLAT_STEP_EXPLICIT] = NULL;
	some[CLAT_STEP_PREF64] = NULL;
	struct probe p;
	struct clat_prefix_choice got;
	memset(&p, 0, sizeof(p));
	p.has[CLAT_STEP_EXPLICIT] = p.has[CLAT_STEP_FALLBACK] = true;
	ck_assert_int_eq(clat_prefix_choose(some, &p, &got), CLAT_STEP_FALLBACK);
	ck_assert_uint_eq(p.asked[CLAT_STEP_EXPLICIT], 0);
	ck_assert_str_eq(clat_prefix_step_name(CLAT_STEP_FALLBACK), "fallback-prefix");
}
END_TEST

Suite *clat_prefix_order_suite(void)
{
	Suite *s = suite_create("prefix_order");
	TCase *tc = tcase_create("choose");

	tcase_add_test(tc, first_source_with_a_prefix_wins);
	tcase_add_test(tc, none_has_one);
	tcase_add_test(tc, missing_sources_skipped);
	suite_add_tcase(s, tc);
	return s;
}
