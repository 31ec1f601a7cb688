/* clatrun --enable-service / --disable-service: libclat for one systemd
 * service, not the whole machine.
 *
 * Enabling writes the drop-in /etc/systemd/system/UNIT.d/zz-libclat.conf:
 * for a dynamically linked program Environment=LD_PRELOAD=<library> (after
 * any LD_PRELOAD the unit sets already); for a Go or statically linked one,
 * which LD_PRELOAD cannot reach, ExecStart= reset and the unit's command
 * wrapped in "clatrun --supervise=always --". Disabling removes that file.
 * Both are idempotent, need root, run "systemctl daemon-reload" when
 * systemd runs (/run/systemd/system exists) and write nothing on bad input. */
#ifndef CLATRUN_SERVICE_ADMIN_H
#define CLATRUN_SERVICE_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#define CLAT_SYSTEMD_ETC "/etc/systemd/system"
#define CLAT_DROPIN_NAME "zz-libclat.conf"
/* First line of every drop-in clatrun writes: its mark of origin. */
#define CLAT_DROPIN_MARKER "# libclat: written by clatrun --enable-service"

/* enable: true writes, false removes. library: the libclat path for
 * LD_PRELOAD; clatrun: this program's path for the supervisor wrap.
 * Returns clatrun's exit status: 0 done or nothing to do, 1 refused or
 * failed, 2 bad input (name, unknown or template unit, foreign drop-in). */
int clatrun_service_admin(bool enable, const char *unit, const char *library,
			  const char *clatrun);

/* The services with a clatrun drop-in, for --doctor: calls fn(unit, arg)
 * for each, in directory order; returns how many. */
unsigned clatrun_services_enabled(void (*fn)(const char *unit, void *arg), void *arg);

#endif
