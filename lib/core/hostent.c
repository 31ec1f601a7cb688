/* struct hostent packed into one caller-supplied buffer. */
#include "hostent.h"

#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

int clat_hostent_build(struct hostent *out, char *buf, size_t buflen, const char *name,
		       const struct in_addr *addrs, size_t count)
{
	if (out == NULL || buf == NULL || name == NULL || (addrs == NULL && count > 0))
		return EINVAL;
	/* Pointer arrays first, at pointer alignment; then addresses, name. */
	size_t pad = (alignof(char *) - (uintptr_t)buf % alignof(char *)) % alignof(char *);
	size_t name_len = strlen(name) + 1;
	if (count > (SIZE_MAX / 2 - name_len - pad) / (sizeof(char *) + sizeof(*addrs)))
		return ERANGE;
	size_t need = pad + (count + 1) * sizeof(char *) /* h_addr_list */ +
		      sizeof(char *) /* h_aliases: empty */ + count * sizeof(*addrs) + name_len;
	if (buflen < need)
		return ERANGE;

	char **addr_list = (char **)(void *)(buf + pad);
	char **aliases = addr_list + count + 1;
	char *addr_bytes = (char *)(aliases + 1);
	char *name_copy = addr_bytes + count * sizeof(*addrs);

	for (size_t i = 0; i < count; i++) {
		memcpy(addr_bytes + i * sizeof(*addrs), &addrs[i], sizeof(*addrs));
		addr_list[i] = addr_bytes + i * sizeof(*addrs);
	}
	addr_list[count] = NULL;
	aliases[0] = NULL;
	memcpy(name_copy, name, name_len);

	out->h_name = name_copy;
	out->h_aliases = aliases;
	out->h_addrtype = AF_INET;
	out->h_length = (int)sizeof(*addrs);
	out->h_addr_list = addr_list;
	return 0;
}
