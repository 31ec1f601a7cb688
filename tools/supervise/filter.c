/* The BPF program: as few calls as possible go to the supervisor, decided
 * by the registers alone where they can decide. read/write/send/recv are
 * never trapped; sendto/recvfrom only with an address pointer; setsockopt
 * and getsockopt only at the IPv4 level (and getsockopt's SO_DOMAIN). With
 * early twins, socket() too when it asks for AF_INET and SOCK_STREAM, and
 * bind and listen (an early twin goes back to IPv4 there; both are rare in
 * a client and cheap to hand over). io_uring would bypass the filter,
 * so io_uring_setup fails with ENOSYS (programs fall back to plain calls).
 * 32-bit and x32 calls are not decoded by the handlers: for them, creating
 * an IPv4 socket fails with EAFNOSUPPORT (i386 socketcall's SYS_SOCKET,
 * whose family is in memory, with ENOSYS); everything else runs as usual. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/net.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "supervise.h"

#if defined(__x86_64__)

#define X32_SYSCALL_BIT 0x40000000u
/* i386 numbers (arch/x86/entry/syscalls/syscall_32.tbl). */
#define I386_SOCKETCALL 102
#define I386_SOCKET 359
#define I386_IO_URING_SETUP 425

#define OFF_NR offsetof(struct seccomp_data, nr)
#define OFF_ARCH offsetof(struct seccomp_data, arch)
#define OFF_ARG_LO(n) (offsetof(struct seccomp_data, args) + 8 * (n))
#define OFF_ARG_HI(n) (OFF_ARG_LO(n) + 4)

/* Jump targets by name, resolved once the program is built. */
enum label { NEXT = 0, ALLOW, NOTIFY, NO_SYS, NO_AFINET, X32, I386, ADDR_ARG, LEVEL_ARG,
	     GET_LEVEL_ARG, SO_DOMAIN_ARG, SOCKET_ARG, X32_SOCKET, I386_SOCKET_ARG,
	     I386_SOCKETCALL_ARG, LABELS };

#define MAX_INS 96
struct builder {
	struct sock_filter ins[MAX_INS];
	unsigned char jt[MAX_INS], jf[MAX_INS];
	unsigned n;
	int at[LABELS];
};

static void emit(struct builder *b, struct sock_filter in, enum label t, enum label f)
{
	b->ins[b->n] = in;
	b->jt[b->n] = (unsigned char)t;
	b->jf[b->n] = (unsigned char)f;
	b->n++;
}

static void mark(struct builder *b, enum label l) { b->at[l] = (int)b->n; }
static void load(struct builder *b, unsigned off)
{
	emit(b, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, off), NEXT, NEXT);
}
static void jeq(struct builder *b, unsigned k, enum label t, enum label f)
{
	emit(b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, 0, 0), t, f);
}
static void jge(struct builder *b, unsigned k, enum label t, enum label f)
{
	emit(b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, k, 0, 0), t, f);
}
static void and(struct builder *b, unsigned k)
{
	emit(b, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, k), NEXT, NEXT);
}
static void ret(struct builder *b, unsigned v)
{
	emit(b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, v), NEXT, NEXT);
}

static void build(struct builder *b, bool early_twins)
{
	static const unsigned trapped[] = { __NR_connect, __NR_sendmsg, __NR_recvmsg,
					    __NR_sendmmsg, __NR_recvmmsg, __NR_getpeername,
					    __NR_getsockname };
	load(b, OFF_ARCH);
	jeq(b, AUDIT_ARCH_I386, I386, NEXT);
	jeq(b, AUDIT_ARCH_X86_64, NEXT, ALLOW); /* no third ABI on x86-64 */
	load(b, OFF_NR);
	jge(b, X32_SYSCALL_BIT, X32, NEXT);
	jeq(b, __NR_io_uring_setup, NO_SYS, NEXT);
	for (unsigned i = 0; i < sizeof(trapped) / sizeof(trapped[0]); i++)
		jeq(b, trapped[i], NOTIFY, NEXT);
	if (early_twins) {
		jeq(b, __NR_bind, NOTIFY, NEXT);
		jeq(b, __NR_listen, NOTIFY, NEXT);
		jeq(b, __NR_socket, SOCKET_ARG, NEXT);
	}
	jeq(b, __NR_sendto, ADDR_ARG, NEXT);
	jeq(b, __NR_recvfrom, ADDR_ARG, NEXT);
	jeq(b, __NR_setsockopt, LEVEL_ARG, NEXT);
	jeq(b, __NR_getsockopt, GET_LEVEL_ARG, ALLOW);

	mark(b, ADDR_ARG); /* a 64-bit pointer: trap unless both halves are 0 */
	load(b, OFF_ARG_LO(4));
	jeq(b, 0, NEXT, NOTIFY);
	load(b, OFF_ARG_HI(4));
	jeq(b, 0, ALLOW, NOTIFY);

	mark(b, LEVEL_ARG); /* an int: the low half */
	load(b, OFF_ARG_LO(1));
	jeq(b, IPPROTO_IP, NOTIFY, ALLOW);

	/* getsockopt: IPPROTO_IP, and SOL_SOCKET's SO_DOMAIN (a twin is
	 * AF_INET to the program). */
	mark(b, GET_LEVEL_ARG);
	load(b, OFF_ARG_LO(1));
	jeq(b, IPPROTO_IP, NOTIFY, NEXT);
	jeq(b, SOL_SOCKET, SO_DOMAIN_ARG, ALLOW);
	mark(b, SO_DOMAIN_ARG);
	load(b, OFF_ARG_LO(2));
	jeq(b, SO_DOMAIN, NOTIFY, ALLOW);

	/* socket(AF_INET, SOCK_STREAM | flags, ...): the type's low bits
	 * (SOCK_TYPE_MASK, 0xf) without SOCK_NONBLOCK/SOCK_CLOEXEC. */
	mark(b, SOCKET_ARG);
	load(b, OFF_ARG_LO(0));
	jeq(b, AF_INET, NEXT, ALLOW);
	load(b, OFF_ARG_LO(1));
	and(b, 0xf);
	jeq(b, SOCK_STREAM, NOTIFY, ALLOW);

	mark(b, X32); /* the number is still loaded */
	jeq(b, X32_SYSCALL_BIT | __NR_io_uring_setup, NO_SYS, NEXT);
	jeq(b, X32_SYSCALL_BIT | __NR_socket, X32_SOCKET, ALLOW);
	mark(b, X32_SOCKET);
	load(b, OFF_ARG_LO(0));
	jeq(b, AF_INET, NO_AFINET, ALLOW);

	mark(b, I386);
	load(b, OFF_NR);
	jeq(b, I386_IO_URING_SETUP, NO_SYS, NEXT);
	jeq(b, I386_SOCKET, I386_SOCKET_ARG, NEXT);
	jeq(b, I386_SOCKETCALL, I386_SOCKETCALL_ARG, ALLOW);
	mark(b, I386_SOCKET_ARG);
	load(b, OFF_ARG_LO(0));
	jeq(b, AF_INET, NO_AFINET, ALLOW);
	mark(b, I386_SOCKETCALL_ARG);
	load(b, OFF_ARG_LO(0));
	jeq(b, SYS_SOCKET, NO_SYS, ALLOW);

	mark(b, ALLOW);
	ret(b, SECCOMP_RET_ALLOW);
	mark(b, NOTIFY);
	ret(b, SECCOMP_RET_USER_NOTIF);
	mark(b, NO_SYS);
	ret(b, SECCOMP_RET_ERRNO | ENOSYS);
	mark(b, NO_AFINET);
	ret(b, SECCOMP_RET_ERRNO | EAFNOSUPPORT);

	for (unsigned i = 0; i < b->n; i++) {
		if (BPF_CLASS(b->ins[i].code) != BPF_JMP)
			continue;
		/* Every target lies ahead of its jump and within 255. */
		b->ins[i].jt = b->jt[i] == NEXT ? 0 : (unsigned char)(b->at[b->jt[i]] - (int)i - 1);
		b->ins[i].jf = b->jf[i] == NEXT ? 0 : (unsigned char)(b->at[b->jf[i]] - (int)i - 1);
	}
}

bool clat_sv_filter(struct sock_fprog *out, bool early_twins)
{
	static struct builder programs[2];
	struct builder *b = &programs[early_twins];
	if (b->n == 0)
		build(b, early_twins);
	out->len = (unsigned short)b->n;
	out->filter = b->ins;
	return true;
}

#else

bool clat_sv_filter(struct sock_fprog *out, bool early_twins)
{
	(void)out;
	(void)early_twins;
	return false;
}

#endif
