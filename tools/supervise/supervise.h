/* The seccomp user-notification supervisor: clatrun runs a program that
 * libclat cannot reach (Go, static binaries) under a filter that hands its
 * IPv4 socket calls to clatrun, which answers them with an IPv6 socket
 * aimed at the NAT64 (RFC 6052 synthesis), as the library would.
 *
 * Pieces, one job each:
 *   probe.c      can this kernel do it (5.9+, user notification)
 *   filter.c     the BPF program: which calls, with which arguments, trap
 *   launch.c     fork, install the filter, exec, wait for the whole tree
 *   loop.c       worker threads receiving and answering notifications
 *   child_mem.c  reading and writing the program's memory
 *   twins.c      the IPv6 sockets installed in place of IPv4 ones
 *   swap.c       building a twin and installing it over the fd number
 *   on_socket.c  the twin made at socket() time (early twin), and its
 *                return to IPv4 when the program binds or listens
 *   epoll_move.c moving epoll registrations to the twin
 *   destination.c what an IPv4 destination becomes (shared core policy)
 *   mapper.c     the address mapper's shared table, read-only
 *   on_connect.c, on_send.c, on_recv.c, on_names.c, on_sockopt.c
 *                the handlers
 *   inspect.c    --supervise=auto: does a program need the supervisor */
#ifndef CLAT_SUPERVISE_H
#define CLAT_SUPERVISE_H

#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/destination.h"
#include "core/prefix_cache.h"

/* ---- probe.c ---- */
struct clat_sv_kernel {
	bool usable;          /* user notification with ADDFD/SETFD (5.9) */
	bool wait_killable;   /* SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (5.19) */
	char why[160];        /* plain words when not usable */
};
void clat_sv_probe(struct clat_sv_kernel *out);

/* ---- filter.c ---- */
struct sock_fprog;
/* The program for this architecture; false when it has none. early_twins
 * also traps socket(AF_INET, SOCK_STREAM), bind and listen. */
bool clat_sv_filter(struct sock_fprog *out, bool early_twins);

/* ---- settings shared by the handlers ---- */
struct clat_sv_settings {
	struct clat_prefix_set prefixes;
	bool translate_private_wkp;
	struct in_addr local_ipv4;  /* what a translated socket reports as its own */
	bool early_twins;           /* TCP sockets are AF_INET6 from socket() on */
	/* The address mapper (mapper.c), as configured (core/config.h). */
	bool map_enabled, map_pool_explicit;
	struct in_addr map_pool;
	unsigned map_pool_len;
	bool verbose;
};

/* ---- launch.c ---- */
/* Runs argv under the supervisor; returns the exit status for clatrun
 * (the main program's, 128+signal when killed), 2 when the filter cannot
 * be installed (never runs the program untranslated), 126/127 for exec. */
int clat_sv_run(const struct clat_sv_settings *settings, const struct clat_sv_kernel *kernel,
		char **argv);

/* ---- loop.c ---- */
/* Serves notifications on listener until no supervised process is left;
 * false when it cannot start. */
bool clat_sv_serve(int listener, const struct clat_sv_settings *settings);
/* Called by a handler before a call that may block (a blocking connect
 * or recv): makes sure another worker is free to receive. */
void clat_sv_may_block(void);

/* ---- the request a handler answers ---- */
struct clat_sv_req {
	int listener;
	const struct clat_sv_settings *settings;
	const struct seccomp_notif *notif;
	int pidfd;         /* of the calling thread, -1 until needed */
	bool pidfd_owned;  /* closed after the request (not a kept one) */
	pid_t tgid;
};
/* Handler results: a value >= 0 or -errno to return, CONTINUE, or
 * ANSWERED when the handler answered itself (SECCOMP_ADDFD_FLAG_SEND). */
#define CLAT_SV_CONTINUE INT64_MIN
#define CLAT_SV_ANSWERED (INT64_MIN + 1)
typedef int64_t (*clat_sv_handler)(struct clat_sv_req *req);

/* ---- child_mem.c ---- */
/* Copies len bytes at the child's addr; returns bytes read (short at an
 * unreadable page), -1 with errno. */
ssize_t clat_sv_read(pid_t tid, uint64_t addr, void *buf, size_t len);
/* Writes len bytes to the child's addr; 0 or -EFAULT (all or nothing is
 * not promised, as with the kernel's copy_to_user). */
int clat_sv_write(pid_t tid, uint64_t addr, const void *buf, size_t len);
/* One message of a sendmmsg/recvmmsg batch done with rc (its length or
 * -errno), the struct mmsghdr at mmsghdr: writes msg_len and counts it in
 * *done; false ends the batch (an error: *done becomes it if no message
 * went before, the kernel's rule). */
bool clat_sv_batch_record(pid_t tid, uint64_t mmsghdr, int64_t rc, int64_t *done);
/* The pidfd of the calling thread (kept by the worker between requests). */
int clat_sv_pidfd(struct clat_sv_req *req);
/* The child's fd as a file of ours (pidfd_getfd), -1 with errno. */
int clat_sv_getfd(struct clat_sv_req *req, int fd);
/* The inode of the child's fd N (readlink /proc/TID/fd/N "socket:[INO]"),
 * 0 when it is not a socket or is gone. */
uint64_t clat_sv_fd_inode(pid_t tid, int fd);
/* True while the notification is still pending (the caller has not been
 * interrupted or killed). */
bool clat_sv_still_valid(const struct clat_sv_req *req);

/* ---- twins.c ---- */
struct clat_sv_twin {
	uint64_t cookie;             /* SO_COOKIE of the IPv6 socket */
	int type;                    /* SOCK_STREAM / SOCK_DGRAM */
};
/* Remembers twin (our fd, about to be installed) by its cookie; false
 * with errno. */
bool clat_sv_twin_register(int twin, int type);
/* True when the child's fd N is a twin; *mine (optional) gets the fd as
 * our file, which the caller closes. */
bool clat_sv_twin_find(struct clat_sv_req *req, int fd, struct clat_sv_twin *out, int *mine);
/* The child's fd N as our file when it is a datagram twin, else -1. */
int clat_sv_datagram_twin(struct clat_sv_req *req, int fd);

/* ---- destination.c ---- */
enum clat_sv_dest {
	CLAT_SV_DEST_KEEP,       /* stays IPv4 (never-translate rules, no prefix) */
	CLAT_SV_DEST_V4MAPPED,   /* kept, but the socket is IPv6 already */
	CLAT_SV_DEST_TRANSLATED, /* synthesised (RFC 6052), or a mapped pool address's host */
};
/* Every destination to try for a translated one: one per prefix, in the
 * prefixes' order (RFC 8305 attempts), or the mapped host alone. */
struct clat_sv_candidates {
	unsigned count;
	struct sockaddr_in6 at[CLAT_MAX_PREFIXES];
};
/* What dst becomes; for TRANSLATED/V4MAPPED out is the IPv6 destination
 * (the first candidate); all (may be NULL) gets every candidate. */
enum clat_sv_dest clat_sv_destination(const struct clat_sv_settings *s,
				      const struct sockaddr_in *dst, bool socket_is_ipv6,
				      struct sockaddr_in6 *out, struct clat_sv_candidates *all,
				      const char **why);
/* The IPv4 view of an IPv6 peer (embedded, v4-mapped, or the pool address
 * mapped to it); false otherwise. */
bool clat_sv_peer_view(const struct clat_sv_settings *s, const struct sockaddr_in6 *sin6,
		       struct sockaddr_in *out);

/* ---- mapper.c ---- */
/* The address mapper's answer for addr (core/destination.h). */
enum clat_map_answer clat_sv_map_lookup(const struct clat_sv_settings *s, struct in_addr addr,
					struct in6_addr *host);
/* The pool address mapped to ipv6; false when there is none. */
bool clat_sv_map_reverse(const struct clat_sv_settings *s, const struct in6_addr *ipv6,
			 struct in_addr *out);

/* ---- swap.c ---- */
/* Replaces the child's AF_INET socket fd (our copy: old, which this closes) with an AF_INET6
 * twin of the same type, flags, options, epoll registrations. Returns our
 * copy of the twin (>= 0) or -errno; on error nothing changed in the child. */
/* connect_to (may be NULL): connected before the swap, without blocking;
 * *connect_rc gets 0 or -errno (-EINPROGRESS), or CLAT_SV_CONTINUE when
 * it was not done (the caller connects then). */
int clat_sv_swap(struct clat_sv_req *req, int fd, int old, int type, int protocol,
		 const struct sockaddr_in6 *connect_to, int64_t *connect_rc);
/* Puts fresh (our socket) at the child's number fd in place of the file
 * with inode old_ino, with the epoll registrations and close-on-exec flag
 * of the old one; 0 or -errno (nothing changed in the child then). */
int clat_sv_install(struct clat_sv_req *req, int fd, uint64_t old_ino, int fresh);
/* ---- connect_wait.c ---- */
/* Waits until fd (a twin) has events for a program in a blocking call: 0,
 * -EINTR when a signal the program handles arrives first (or it is gone),
 * -EAGAIN when the socket's timeout_option (SO_SNDTIMEO/SO_RCVTIMEO) runs out. */
int64_t clat_sv_wait_ready(struct clat_sv_req *req, int fd, short events, int timeout_option);
/* Waits for the twin's connect to finish for a program in a blocking
 * connect: 0 or -errno (SO_ERROR), -EINTR when a signal the program
 * handles arrives first, -EINPROGRESS when its SO_SNDTIMEO runs out. */
int64_t clat_sv_connect_wait(struct clat_sv_req *req, int twin, const struct sockaddr_in6 *dst);

/* The monotonic clock in milliseconds. */
int64_t clat_sv_now_ms(void);
/* True when thread tid has a signal pending that it neither blocks nor
 * ignores and has a handler for (a fatal one kills it anyway). */
bool clat_sv_signal_pending(pid_t tid);

/* ---- stagger.c ---- */
/* A blocking TCP connect of the child's fd over dsts[0..n) (several
 * prefixes, RFC 8305 s5): mine is our copy of its socket (an AF_INET6
 * twin) and runs attempt 0 (first_rc: its connect's answer when already
 * started, else CLAT_SV_CONTINUE); later ones run on sockets of ours,
 * 250 ms apart, and the first to connect is put under the child's number.
 * Returns connect's answer for the program (0, -errno; -EINTR, and
 * -EINPROGRESS at SO_SNDTIMEO, with the attempt that goes on under fd). */
int64_t clat_sv_race(struct clat_sv_req *req, int fd, int mine, int protocol,
		     const struct sockaddr_in6 *dsts, unsigned n, int64_t first_rc);

/* ---- sockopt_copy.c ---- */
/* Sets on fresh the options old carries (differing from a fresh socket's):
 * IPv4-level ones as their IPv6 equivalents when fresh is AF_INET6, as they
 * are when it is AF_INET (an early twin going back to IPv4). */
bool clat_sv_copy_options(int old, int fresh, int type, int fresh_family);

/* ---- epoll_move.c ---- */
struct clat_sv_epoll_reg {
	int epfd;            /* the child's epoll fd */
	uint32_t events;
	uint64_t data;
};
/* The child's epoll registrations of fd N whose file has inode ino (at
 * most max); returns how many. */
size_t clat_sv_epoll_find(pid_t tgid, int fd, uint64_t ino, struct clat_sv_epoll_reg *regs,
			  size_t max);
/* Registers twin (our fd) under the child's number fd in each of regs;
 * false when one failed. */
bool clat_sv_epoll_add(struct clat_sv_req *req, int fd, int twin,
		       const struct clat_sv_epoll_reg *regs, size_t count);

/* ---- handlers (on_*.c) ---- */
/* The AF_INET address at args[ptr_arg] with length args[ptr_arg + 1];
 * false for anything the kernel should judge itself. */
bool clat_sv_read_ipv4(struct clat_sv_req *req, int ptr_arg, struct sockaddr_in *out);
/* Our copy of the program's fd when it is an AF_INET TCP or UDP socket,
 * else -1. */
int clat_sv_ipv4_socket(struct clat_sv_req *req, int fd, int *type, int *protocol);
/* Largest buffer a handler copies through itself in one call. */
#define CLAT_SV_BUF_MAX (1u << 20)
int64_t clat_sv_on_socket(struct clat_sv_req *req);
int64_t clat_sv_on_bind(struct clat_sv_req *req);
int64_t clat_sv_on_listen(struct clat_sv_req *req);
int64_t clat_sv_on_connect(struct clat_sv_req *req);
int64_t clat_sv_on_sendto(struct clat_sv_req *req);
int64_t clat_sv_on_sendmsg(struct clat_sv_req *req);
int64_t clat_sv_on_sendmmsg(struct clat_sv_req *req);
int64_t clat_sv_on_recvfrom(struct clat_sv_req *req);
int64_t clat_sv_on_recvmsg(struct clat_sv_req *req);
int64_t clat_sv_on_recvmmsg(struct clat_sv_req *req);
int64_t clat_sv_on_getpeername(struct clat_sv_req *req);
int64_t clat_sv_on_getsockname(struct clat_sv_req *req);
int64_t clat_sv_on_setsockopt(struct clat_sv_req *req);
int64_t clat_sv_on_getsockopt(struct clat_sv_req *req);

/* ---- inspect.c ---- */
enum clat_sv_need { CLAT_SV_NEED_NO, CLAT_SV_NEED_YES, CLAT_SV_NEED_UNKNOWN };
/* Does program (as given to execvp) bypass libc's dynamic symbols? why
 * gets plain words: "Go build information", "static (no PT_INTERP)", ... */
enum clat_sv_need clat_sv_inspect(const char *program, char *why, size_t whylen);
/* program looked up on PATH as execvp(3) does; false when not found. */
bool clat_sv_find_program(const char *program, char *path, size_t pathlen);
/* The dynamic loader (PT_INTERP) of the ELF program at path. */
bool clat_sv_elf_interp(const char *path, char *out, size_t outlen);

/* ---- log ---- */
void clat_sv_log(const struct clat_sv_settings *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
