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
#include <stddef.h>

#define CLAT_LD_SO_PRELOAD "/etc/ld.so.preload"

/* install: true adds, false removes. library: NULL for the installed
 * libclat (CLAT_INSTALLED_LIBRARY). config_path: the settings the fleet's
 * programs will read (checked on install only). Prints what it did and
 * returns clatrun's exit status: 0 done or nothing to do, 1 refused or
 * failed. */
int clatrun_preload_admin(bool install, const char *library, const char *config_path);

/* Helpers for clatrun's other files under /etc (service_admin.c). */
struct stat;
/* Reads a whole small regular file (not through a symbolic link). 0: read
 * (len set, buf NUL-terminated); ENOENT: absent; another errno on failure
 * (EFBIG: too large). */
int clatrun_slurp(const char *path, char *buf, size_t max, size_t *len, struct stat *st);
/* Replaces path with text: temporary file next to it, old's owner and mode
 * (root and 0644 when old is NULL), fsync, rename, fsync of the directory.
 * An empty text removes the file. 0, or 1 after a message. */
int clatrun_replace_file(const char *path, const char *text, const struct stat *old);
/* Runs fn(arg) in a child, with its standard output and error captured in
 * out (up to outlen - 1 bytes). Returns the child's wait status, -1 on
 * error. */
int clatrun_in_child(int (*fn)(const char *), const char *arg, char *out, size_t outlen);
/* out (captured output) as one line, trailing blanks cut, in place. */
const char *clatrun_one_line(char *out);

#endif
