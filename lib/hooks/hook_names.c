/* getpeername/getsockname on rewritten sockets report the program's view:
 * AF_INET (or ::ffff: for v4-mapped users), POSIX truncation rules. */
#include <sys/socket.h>

#include "export.h"
#include "core/sockaddr.h"
#include "sys/realcalls.h"
#include "translate/translate.h"

typedef int (*name_call)(int, struct sockaddr *, socklen_t *);
typedef socklen_t (*name_view)(enum clat_fd_state, const struct sockaddr_in6 *,
			       struct sockaddr_storage *);

static int rewritten_name(int fd, struct sockaddr *addr, socklen_t *len,
			  name_call call, name_view view)
{
	const struct clat_fd *rec = clat_fd_rewritten(fd);
	if (rec == NULL || !clat_pointer_usable(addr) || !clat_pointer_usable(len))
		return call(fd, addr, len); /* the kernel reports EFAULT etc. */

	struct sockaddr_storage kernel, program;
	socklen_t kernel_len = sizeof(kernel);
	int rc = call(fd, (struct sockaddr *)&kernel, &kernel_len);
	if (rc != 0)
		return rc;
	socklen_t program_len = view(clat_fd_state(rec), (struct sockaddr_in6 *)&kernel, &program);
	clat_sockaddr_copy_out(&program, program_len, addr, len);
	return 0;
}

CLAT_EXPORT int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	return rewritten_name(fd, addr, len, CLAT_REAL(getpeername), clat_peer_view);
}

CLAT_EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	return rewritten_name(fd, addr, len, CLAT_REAL(getsockname), clat_local_view);
}
