/* The process's settings: the config file and CLAT_* environment, read
 * once, lazily, on the first call that may need to translate. */
#ifndef CLAT_SETTINGS_H
#define CLAT_SETTINGS_H

#include <stdbool.h>

#include "core/config.h"
#include "core/prefix_set.h"

struct clat_settings {
	bool enabled;    /* false: every hook is a plain pass-through */
	bool secure;     /* AT_SECURE: environment ignored */
	/* CLAT_EARLY_SWITCH=0: AF_INET TCP sockets are never made AF_INET6
	 * at socket(), only at their first translated connect (the late
	 * switch, which UDP always takes). */
	bool late_switch;
	struct clat_config config;
	struct clat_prefix_set explicit_prefixes; /* config.prefix, when set */
	char config_path[256];
	char why_disabled[CLAT_CONFIG_ERR_MAX + 320];
};

const struct clat_settings *clat_settings(void);


#endif
