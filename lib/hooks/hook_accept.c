/* accept/accept4 on a rewritten listening socket: the new connection is
 * rewritten too, and its peer reported in the program's family. */
#include <stdbool.h>
#include <sys/socket.h>

#include "export.h"
#include "core/sockaddr.h"
#include "sys/realcalls.h"
#include "translate/translate.h"

static int accepted(enum clat_fd_state listener_state, int fd, struct sockaddr *addr,
		    socklen_t *len, const struct sockaddr_storage *kernel)
{
	struct clat_fd *rec = clat_fd_obtain(fd);
	if (rec != NULL) {
		clat_fd_forget(fd);
		clat_fd_set_state(rec, listener_state);
	}
	if (addr != NULL && len != NULL) {
		struct sockaddr_storage view;
		socklen_t view_len = clat_peer_view(listener_state,
						    (const struct sockaddr_in6 *)kernel, &view);
		clat_sockaddr_copy_out(&view, view_len, addr, len);
	}
	return fd;
}

/* accept(2) is accept4(2) without flags; the real accept is still the one
 * called for it, in case another preload library hooks only that. */
static int accept_common(int fd, struct sockaddr *addr, socklen_t *len, int flags,
			 bool plain_accept)
{
	/* The listener's state as it is now, kept: another thread may close
	 * it while accept blocks, and its record must not be read after that. */
	const struct clat_fd *listener = clat_fd_rewritten(fd);
	/* Names the library cannot write are the kernel's to refuse (EFAULT). */
	bool rewritten = listener != NULL && (addr == NULL || clat_pointer_usable(addr)) &&
			 (len == NULL || clat_pointer_usable(len));
	enum clat_fd_state listener_state = rewritten ? clat_fd_state(listener) : CLAT_FD_NONE;
	struct sockaddr_storage kernel;
	socklen_t kernel_len = sizeof(kernel);
	struct sockaddr *name = rewritten ? (struct sockaddr *)&kernel : addr;
	socklen_t *name_len = rewritten ? &kernel_len : len;

	int newfd = plain_accept ? CLAT_REAL(accept)(fd, name, name_len)
				 : CLAT_REAL(accept4)(fd, name, name_len, flags);
	if (newfd < 0)
		return newfd;
	if (!rewritten) {
		clat_fd_forget(newfd);
		return newfd;
	}
	return accepted(listener_state, newfd, addr, len, &kernel);
}

CLAT_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	return accept_common(fd, addr, len, flags, false);
}

CLAT_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return accept_common(fd, addr, len, 0, true);
}
