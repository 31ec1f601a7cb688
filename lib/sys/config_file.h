/* The config file, read by one piece of code for the library and for
 * clatrun, so that clatrun refuses exactly what the library refuses. */
#ifndef CLAT_CONFIG_FILE_H
#define CLAT_CONFIG_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"

/* A config file is smaller than this; a larger one is refused, never cut. */
#define CLAT_CONFIG_MAX_BYTES 65536

enum clat_config_file_status {
	CLAT_CONFIG_FILE_LOADED,    /* read and parsed into the config */
	CLAT_CONFIG_FILE_ABSENT,    /* no such file: the defaults stand */
	CLAT_CONFIG_FILE_REFUSED,   /* why says what is wrong, naming the file */
	CLAT_CONFIG_FILE_TRANSIENT, /* a failure that may pass (EMFILE, ENOMEM) */
};

/* Reads path into buf (CLAT_CONFIG_MAX_BYTES bytes, the caller's: the
 * library's is mmap'ed) and parses it into cfg. Refused: a symbolic link
 * (O_NOFOLLOW), anything but a regular file (opened O_NONBLOCK, so a FIFO
 * never blocks), a file of CLAT_CONFIG_MAX_BYTES or more, a parse error,
 * and with secure (AT_SECURE) a file not owned by root or writable by
 * group or others. *secure_ok (may be NULL) tells whether a secure-mode
 * process would accept the file's owner and mode. */
enum clat_config_file_status clat_config_file_load(const char *path, bool secure, char *buf,
						   struct clat_config *cfg, bool *secure_ok,
						   char *why, size_t whylen);

#endif
