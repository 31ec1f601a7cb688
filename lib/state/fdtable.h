/* Per-descriptor state for the sockets libclat watches. The table is
 * indexed by fd number, grows in chunks mapped on first use (so a process
 * that never makes an IPv4 socket maps nothing, and fork's copy-on-write
 * stays cheap), and is kept right across close, dup*, fcntl(F_DUPFD*),
 * close_range and closefrom by the hooks in hook_fd.c. */
#ifndef CLAT_FDTABLE_H
#define CLAT_FDTABLE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/filter.h>
#include <sys/socket.h>

enum clat_fd_state {
	CLAT_FD_NONE = 0,    /* not ours to look at */
	CLAT_FD_INET,        /* AF_INET socket, not switched (options recorded) */
	CLAT_FD_PINNED,      /* AF_INET socket that must stay IPv4 */
	CLAT_FD_TRANSLATED,  /* was AF_INET, now AF_INET6 (the program thinks IPv4) */
	CLAT_FD_MAPPED6,     /* AF_INET6 socket whose ::ffff: peers go via the prefix */
};

#define CLAT_OPTLOG_ENTRIES 16
#define CLAT_OPTLOG_VALUE_MAX 40

/* setsockopt calls made before the switch, to replay on the new socket. */
struct clat_optlog_entry {
	int level;
	int optname;
	socklen_t len;
	unsigned char value[CLAT_OPTLOG_VALUE_MAX];
};
struct clat_optlog {
	unsigned count;
	struct clat_optlog_entry entry[CLAT_OPTLOG_ENTRIES];
};

/* epoll registrations of a not-yet-switched socket. The kernel drops them
 * when dup3() replaces the socket, so the switch adds them again. */
#define CLAT_EPOLL_MAX 4
struct clat_epoll_reg {
	int epfd;
	uint32_t events;
	uint64_t data;
};

/* What the switch made of the socket; the ICMP kinds need their payload
 * translated too (RFC 7915 s4.2, s5.2). */
enum clat_fd_kind {
	CLAT_KIND_STREAM = 0,
	CLAT_KIND_DGRAM,
	CLAT_KIND_PING,     /* SOCK_DGRAM + IPPROTO_ICMP (ping socket) */
	CLAT_KIND_RAW_ICMP, /* SOCK_RAW + IPPROTO_ICMP */
};

/* A raw ICMP socket's classic BPF filter is written for IPv4 packets: the
 * library keeps it and runs it on the IPv4 packets it synthesises. */
#define CLAT_BPF_MAX 64

struct clat_fd {
	/* enum clat_fd_state; read and written only through clat_fd_state()
	 * and clat_fd_set_state() below. */
	uint8_t state;
	uint8_t kind;           /* enum clat_fd_kind, set by the switch */
	/* What socket() was asked for (AF_INET, so the switch need not ask
	 * the kernel); 0 for sockets made before libclat saw them. */
	int sock_type, sock_protocol;
	/* TRANSLATED since socket() (hook_socket.c), neither connected nor
	 * sent on yet: options and epoll sets are still recorded, so that
	 * clat_switch_back_to_ipv4() can give the program its IPv4 socket when
	 * it binds to an IPv4 address or pins it. */
	bool early;
	bool bound;             /* the program bound it to 0.0.0.0:port */
	in_port_t bound_port;   /* network order, 0 = kernel's choice */
	/* Kept inline, not malloc'd: close() and friends are async-signal-safe
	 * and so must our bookkeeping be. */
	struct clat_optlog opts;
	unsigned epoll_count;
	struct clat_epoll_reg epoll[CLAT_EPOLL_MAX];
	/* Another socket must not replace this one under its number
	 * (staggered_connect.c): it went back into epoll sets at the switch,
	 * or got options or epoll registrations after it, or its file has
	 * another number too (dup), none of which a twin would carry. */
	bool twin_unsafe;
	/* Raw ICMP: an ICMPv6 raw socket made in socket(), while the program
	 * still had CAP_NET_RAW (ping drops it right after), fd + 1 or 0. */
	int spare_fd_plus1;
	/* Raw ICMP: the program's SOL_RAW ICMP_FILTER type mask (raw(7)),
	 * applied by the library to the ICMPv4 messages it builds. */
	uint32_t icmp_filter;
	unsigned bpf_count;     /* 0: no filter */
	struct sock_filter bpf[CLAT_BPF_MAX];
	/* A non-blocking connect in progress under a NAT64 prefix: the
	 * program's IPv4 destination (sin_family 0: none) and the address it
	 * went to, for prefix_heal.c if it fails. */
	struct sockaddr_in pending_dst;
	struct in6_addr pending_dst6;
	/* The connect's error, taken from the socket while prefix_heal.c
	 * watched it; the program's next getsockopt(SO_ERROR) gets it. */
	int held_error;
};

/* A record's state is the one field two threads may touch at once without
 * the program ordering them: thread A closes fd N (forgetting its record,
 * then the real close), thread B's socket() gets N back and fills the
 * record in. The kernel orders the two, but nothing a race detector or the
 * compiler can see does. So clat_fd_forget() stores CLAT_FD_NONE with
 * release semantics after clearing the other fields, and clat_fd_obtain()
 * and clat_fd_find() load it with acquire: whoever gets the number next sees
 * a cleared record (C11 s5.1.2.4 synchronizes-with). The same holds the
 * other way: whoever sets a state writes the fields that go with it first
 * (the family switch: kind; socket(): type and protocol), so a thread that
 * sees the state sees them. On x86 both are plain moves. */
static inline enum clat_fd_state clat_fd_state(const struct clat_fd *rec)
{
	return (enum clat_fd_state)__atomic_load_n(&rec->state, __ATOMIC_ACQUIRE);
}
static inline void clat_fd_set_state(struct clat_fd *rec, enum clat_fd_state state)
{
	__atomic_store_n(&rec->state, (uint8_t)state, __ATOMIC_RELEASE);
}

/* The record for fd, or NULL when none exists (never allocates). */
struct clat_fd *clat_fd_find(int fd);
/* The record for fd, allocating its chunk; NULL if fd is out of range or
 * memory is short (callers then fail open). */
struct clat_fd *clat_fd_obtain(int fd);
/* Forgets fd (close). */
void clat_fd_forget(int fd);
/* Makes newfd's record a copy of oldfd's (dup family). */
void clat_fd_copy(int oldfd, int newfd);
/* Forgets every fd in [first, last] (close_range, closefrom). */
void clat_fd_forget_range(unsigned first, unsigned last);

/* Records or replaces one option; false if it cannot be recorded (the
 * caller then pins the socket to IPv4 rather than lose the option). */
bool clat_fd_record_option(struct clat_fd *rec, int level, int optname,
			   const void *value, socklen_t len);

/* Follows epoll_ctl(op) for rec's fd in epfd; false when it cannot be kept
 * (too many sets: the caller pins the socket to IPv4). */
bool clat_fd_record_epoll(struct clat_fd *rec, int epfd, int op, uint32_t events,
			  uint64_t data);

#endif
