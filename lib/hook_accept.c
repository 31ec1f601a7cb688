/* accept/accept4 on a rewritten listening socket: the new connection is
 * rewritten too, and its peer reported in the program's family. */
#include <sys/socket.h>

#include "core/sockaddr.h"
#include "realcalls.h"
#include "translate.h"

static int accepted(int listener_fd, int fd, struct sockaddr *addr, socklen_t *len,
		    const struct sockaddr_storage *kernel)
{
	const struct clat_fd *listener = clat_fd_rewritten(listener_fd);
	struct clat_fd *rec = clat_fd_obtain(fd);
	if (rec != NULL) {
		clat_fd_forget(fd);
		rec->state = listener->state;
	}
	if (addr != NULL && len != NULL) {
		struct sockaddr_storage view;
		socklen_t view_len = clat_peer_view(listener, (const struct sockaddr_in6 *)kernel,
						    &view);
		clat_sockaddr_copy_out(&view, view_len, addr, len);
	}
	return fd;
}

CLAT_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	if (clat_fd_rewritten(fd) == NULL) {
		int newfd = clat_real()->accept4(fd, addr, len, flags);
		clat_fd_forget(newfd);
		return newfd;
	}
	struct sockaddr_storage kernel;
	socklen_t kernel_len = sizeof(kernel);
	int newfd = clat_real()->accept4(fd, (struct sockaddr *)&kernel, &kernel_len, flags);
	return newfd < 0 ? newfd : accepted(fd, newfd, addr, len, &kernel);
}

CLAT_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	if (clat_fd_rewritten(fd) == NULL) {
		int newfd = clat_real()->accept(fd, addr, len);
		clat_fd_forget(newfd);
		return newfd;
	}
	struct sockaddr_storage kernel;
	socklen_t kernel_len = sizeof(kernel);
	int newfd = clat_real()->accept(fd, (struct sockaddr *)&kernel, &kernel_len);
	return newfd < 0 ? newfd : accepted(fd, newfd, addr, len, &kernel);
}
