#include <string.h>

#include "prefix_order.h"

enum clat_prefix_step clat_prefix_choose(const clat_prefix_step_fn steps[CLAT_STEP_COUNT],
					 void *ctx, struct clat_prefix_choice *out)
{
	for (int step = CLAT_STEP_EXPLICIT; step < CLAT_STEP_COUNT; step++) {
		memset(out, 0, sizeof(*out));
		if (steps[step] != NULL && steps[step](ctx, out) && out->set.count > 0)
			return (enum clat_prefix_step)step;
	}
	memset(out, 0, sizeof(*out));
	return CLAT_STEP_COUNT;
}

const char *clat_prefix_step_name(enum clat_prefix_step step)
{
	switch (step) {
	case CLAT_STEP_EXPLICIT:
		return "prefix setting";
	case CLAT_STEP_PREF64:
		return "PREF64";
	case CLAT_STEP_CLATRUN:
		return "clatrun";
	case CLAT_STEP_DISCOVERY:
		return "discovery";
	case CLAT_STEP_FALLBACK:
		return "fallback-prefix";
	case CLAT_STEP_COUNT:
		break;
	}
	return "none";
}
