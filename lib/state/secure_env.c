/* In a secure-mode process (AT_SECURE: setuid, setgid, file capabilities)
 * the library ignores CLAT_* and also takes them out of the environment,
 * as the loader does for LD_*: a setuid program that keeps its caller's
 * environment (su without "-") must not hand the caller's CLAT_PREFIX,
 * CLAT_CONFIG or CLAT_DEBUG to the root processes it starts, which are not
 * in secure mode and would obey them. */
#include <string.h>
#include <sys/auxv.h>

extern char **environ;

/* A constructor, before main and before anything can copy environ; the
 * array is edited in place (no allocation), keeping the order of the rest. */
__attribute__((constructor)) static void clat_scrub_secure_environment(void)
{
	if (getauxval(AT_SECURE) == 0 || environ == NULL)
		return;
	char **kept = environ;
	for (char **var = environ; *var != NULL; var++)
		if (strncmp(*var, "CLAT_", 5) != 0)
			*kept++ = *var;
	*kept = NULL;
}
