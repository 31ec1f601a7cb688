/* clatrun --install-preload / --uninstall-preload: fleet mode on and off.
 *
 * Adds libclat to /etc/ld.so.preload, or removes it, by an atomic rewrite
 * (a temporary file in /etc, then rename), keeping every other entry. Both
 * are idempotent and need root. Installing first checks that the library
 * is safe to give to every process (a root-owned regular file on a path
 * only root can change, loadable, really libclat) and that the config file
 * parses. CLAT_PRELOAD_FILE names another file than /etc/ld.so.preload:
 * for tests only. */
#ifndef CLATRUN_PRELOAD_ADMIN_H
#define CLATRUN_PRELOAD_ADMIN_H

#include <stdbool.h>

#define CLAT_LD_SO_PRELOAD "/etc/ld.so.preload"

/* install: true adds, false removes. library: NULL for the installed
 * libclat (CLAT_INSTALLED_LIBRARY). config_path: the settings the fleet's
 * programs will read (checked on install only). Prints what it did and
 * returns clatrun's exit status: 0 done or nothing to do, 1 refused or
 * failed. */
int clatrun_preload_admin(bool install, const char *library, const char *config_path);

#endif
