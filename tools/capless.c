/* File-capability programs (Debian's ping has cap_net_raw): the loader
 * ignores LD_PRELOAD for them (AT_SECURE), so clatrun runs such a program
 * through its dynamic loader instead ("ld.so --argv0 NAME PATH ARGS"):
 * the kernel then executes the loader, which carries no capability, and the
 * program runs as the user, preloaded. This helps a program that works
 * without its capability: ping uses an ICMP datagram socket when
 * net.ipv4.ping_group_range lets the user's group (icmp(7)). setuid and
 * setgid programs are not run this way (clatrun warns instead): their
 * privilege is not optional. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "clatrun.h"

void clatrun_exec_without_caps(char **argv, bool verbose)
{
	char path[PATH_MAX], loader[PATH_MAX];
	struct stat st;
	/* Root runs it with its capabilities and preloaded already. */
	if (getuid() == 0 || !clat_sv_find_program(argv[0], path, sizeof(path)) ||
	    stat(path, &st) != 0 || (st.st_mode & (S_ISUID | S_ISGID)) ||
	    getxattr(path, "security.capability", NULL, 0) <= 0 ||
	    !clat_sv_elf_interp(path, loader, sizeof(loader)))
		return;
	size_t n = 0;
	while (argv[n] != NULL)
		n++;
	char **args = calloc(n + 4, sizeof(*args));
	if (args == NULL)
		return;
	args[0] = loader;
	args[1] = "--argv0";
	args[2] = argv[0];
	args[3] = path;
	memcpy(args + 4, argv + 1, (n - 1) * sizeof(*args));
	if (verbose)
		fprintf(stderr, "clatrun: %s has file capabilities: running it through %s without "
			"them, so that the library is loaded\n", path, loader);
	execv(loader, args);
	free(args); /* the loader cannot be run: the usual exec and its warning */
}
