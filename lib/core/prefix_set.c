#include "prefix_set.h"

bool clat_prefix_set_add(struct clat_prefix_set *set, const struct clat_prefix *p)
{
	unsigned count = set->count < CLAT_MAX_PREFIXES ? set->count : CLAT_MAX_PREFIXES;

	for (unsigned i = 0; i < count; i++)
		if (clat_prefix_equal(&set->prefix[i], p))
			return true; /* 7050 s3: each prefix once, first position kept */
	if (set->count >= CLAT_MAX_PREFIXES)
		return false;
	set->prefix[set->count++] = *p;
	return true;
}
