/* Classic BPF: the validator and interpreter that run a program's
 * SO_ATTACH_FILTER over the IPv4 packets the library synthesises for its
 * raw ICMP sockets (Documentation/networking/filter.rst; the checks of
 * bpf_check_classic() and check_load_and_stores() in net/core/filter.c). */
#include <linux/filter.h>
#include <string.h>

#include "bpf.h"

/* The opcodes the kernel accepts from user space (chk_code_allowed()).
 * Ancillary loads use the same opcodes with special offsets, rejected
 * separately. */
static const bool clat_bpf_codes[] = {
	[BPF_ALU | BPF_ADD | BPF_K] = true, [BPF_ALU | BPF_ADD | BPF_X] = true,
	[BPF_ALU | BPF_SUB | BPF_K] = true, [BPF_ALU | BPF_SUB | BPF_X] = true,
	[BPF_ALU | BPF_MUL | BPF_K] = true, [BPF_ALU | BPF_MUL | BPF_X] = true,
	[BPF_ALU | BPF_DIV | BPF_K] = true, [BPF_ALU | BPF_DIV | BPF_X] = true,
	[BPF_ALU | BPF_MOD | BPF_K] = true, [BPF_ALU | BPF_MOD | BPF_X] = true,
	[BPF_ALU | BPF_AND | BPF_K] = true, [BPF_ALU | BPF_AND | BPF_X] = true,
	[BPF_ALU | BPF_OR | BPF_K] = true,  [BPF_ALU | BPF_OR | BPF_X] = true,
	[BPF_ALU | BPF_XOR | BPF_K] = true, [BPF_ALU | BPF_XOR | BPF_X] = true,
	[BPF_ALU | BPF_LSH | BPF_K] = true, [BPF_ALU | BPF_LSH | BPF_X] = true,
	[BPF_ALU | BPF_RSH | BPF_K] = true, [BPF_ALU | BPF_RSH | BPF_X] = true,
	[BPF_ALU | BPF_NEG] = true,
	[BPF_LD | BPF_W | BPF_ABS] = true,  [BPF_LD | BPF_H | BPF_ABS] = true,
	[BPF_LD | BPF_B | BPF_ABS] = true,  [BPF_LD | BPF_W | BPF_LEN] = true,
	[BPF_LD | BPF_W | BPF_IND] = true,  [BPF_LD | BPF_H | BPF_IND] = true,
	[BPF_LD | BPF_B | BPF_IND] = true,  [BPF_LD | BPF_IMM] = true,
	[BPF_LD | BPF_MEM] = true,
	[BPF_LDX | BPF_W | BPF_LEN] = true, [BPF_LDX | BPF_B | BPF_MSH] = true,
	[BPF_LDX | BPF_IMM] = true,         [BPF_LDX | BPF_MEM] = true,
	[BPF_ST] = true,                    [BPF_STX] = true,
	[BPF_MISC | BPF_TAX] = true,        [BPF_MISC | BPF_TXA] = true,
	[BPF_RET | BPF_K] = true,           [BPF_RET | BPF_A] = true,
	[BPF_JMP | BPF_JA] = true,
	[BPF_JMP | BPF_JEQ | BPF_K] = true, [BPF_JMP | BPF_JEQ | BPF_X] = true,
	[BPF_JMP | BPF_JGE | BPF_K] = true, [BPF_JMP | BPF_JGE | BPF_X] = true,
	[BPF_JMP | BPF_JGT | BPF_K] = true, [BPF_JMP | BPF_JGT | BPF_X] = true,
	[BPF_JMP | BPF_JSET | BPF_K] = true, [BPF_JMP | BPF_JSET | BPF_X] = true,
};

/* Negative offsets select the kernel's special loads: SKF_AD_OFF
 * ancillary data, SKF_NET_OFF / SKF_LL_OFF header-relative. The library
 * emulates none of them, so an absolute load from [SKF_LL_OFF, 2^32) is
 * invalid (the kernel accepts the NET/LL ones and the known ancillary
 * ones; a program relying on them gets EINVAL, not a wrong answer). */
#define CLAT_BPF_SPECIAL_OFF ((uint32_t)SKF_LL_OFF)

static bool clat_bpf_code_allowed(uint16_t code)
{
	return code < sizeof(clat_bpf_codes) / sizeof(clat_bpf_codes[0]) && clat_bpf_codes[code];
}

static bool clat_bpf_is_cond_jump(uint16_t code)
{
	return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

static bool clat_bpf_insn_valid(const struct sock_filter *f, unsigned pc, unsigned count)
{
	unsigned left = count - pc - 1; /* instructions after this one */

	if (!clat_bpf_code_allowed(f->code))
		return false;
	switch (f->code) {
	case BPF_ALU | BPF_DIV | BPF_K:
	case BPF_ALU | BPF_MOD | BPF_K:
		return f->k != 0;
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_K:
		return f->k < 32;
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
		return f->k < BPF_MEMWORDS;
	case BPF_JMP | BPF_JA:
		return f->k < left;
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS:
		return f->k < CLAT_BPF_SPECIAL_OFF;
	default:
		if (clat_bpf_is_cond_jump(f->code))
			return f->jt < left && f->jf < left;
		return true;
	}
}

/* check_load_and_stores(): a memory cell is read only after a store on
 * every path to the read. masks[pc]: the cells valid on all jumps to pc
 * (instructions only run forward, so one pass suffices). */
static bool clat_bpf_mem_valid(const struct sock_filter *prog, unsigned count)
{
	uint16_t masks[BPF_MAXINSNS];
	uint16_t valid = 0;

	memset(masks, 0xff, count * sizeof(masks[0]));
	for (unsigned pc = 0; pc < count; pc++) {
		const struct sock_filter *f = &prog[pc];

		valid &= masks[pc];
		if (f->code == BPF_ST || f->code == BPF_STX) {
			valid |= (uint16_t)(1u << f->k);
		} else if (f->code == (BPF_LD | BPF_MEM) || f->code == (BPF_LDX | BPF_MEM)) {
			if (!(valid & (1u << f->k)))
				return false;
		} else if (f->code == (BPF_JMP | BPF_JA)) {
			masks[pc + 1 + f->k] &= valid;
			valid = 0xffff;
		} else if (clat_bpf_is_cond_jump(f->code)) {
			masks[pc + 1 + f->jt] &= valid;
			masks[pc + 1 + f->jf] &= valid;
			valid = 0xffff;
		}
	}
	return true;
}

bool clat_bpf_valid(const struct sock_filter *prog, unsigned count)
{
	uint16_t last;

	if (prog == NULL || count == 0 || count > BPF_MAXINSNS)
		return false;
	for (unsigned pc = 0; pc < count; pc++)
		if (!clat_bpf_insn_valid(&prog[pc], pc, count))
			return false;
	last = prog[count - 1].code;
	if (last != (BPF_RET | BPF_K) && last != (BPF_RET | BPF_A))
		return false;
	return clat_bpf_mem_valid(prog, count);
}

/* The machine: accumulator, index register, scratch memory. M starts
 * zeroed; a valid program never reads a cell before storing it. */
struct clat_bpf_vm {
	uint32_t a, x;
	uint32_t mem[BPF_MEMWORDS];
	const uint8_t *pkt;
	size_t len;
};

/* Big-endian load of size bytes at off; false when any byte is outside
 * the packet (the kernel then ends the filter with 0). */
static bool clat_bpf_fetch(const struct clat_bpf_vm *vm, uint32_t off, unsigned size,
			   uint32_t *val)
{
	uint32_t v = 0;

	if (off > vm->len || vm->len - off < size)
		return false;
	for (unsigned i = 0; i < size; i++)
		v = v << 8 | vm->pkt[off + i];
	*val = v;
	return true;
}

static unsigned clat_bpf_size(uint16_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_H:
		return 2;
	case BPF_B:
		return 1;
	default:
		return 4;
	}
}

/* BPF_LD: A = ... ; IND offsets are X + k, wrapping at 32 bits as in the
 * kernel (where a result in the negative special range would address a
 * header: here it is simply outside the packet). */
static bool clat_bpf_ld(struct clat_bpf_vm *vm, const struct sock_filter *f)
{
	switch (BPF_MODE(f->code)) {
	case BPF_ABS:
		return clat_bpf_fetch(vm, f->k, clat_bpf_size(f->code), &vm->a);
	case BPF_IND:
		return clat_bpf_fetch(vm, vm->x + f->k, clat_bpf_size(f->code), &vm->a);
	case BPF_LEN:
		vm->a = (uint32_t)vm->len;
		return true;
	case BPF_IMM:
		vm->a = f->k;
		return true;
	default: /* BPF_MEM */
		vm->a = vm->mem[f->k];
		return true;
	}
}

/* BPF_LDX: X = ... ; MSH is 4 * (P[k] & 0xf), the IPv4 header length. */
static bool clat_bpf_ldx(struct clat_bpf_vm *vm, const struct sock_filter *f)
{
	uint32_t byte;

	switch (BPF_MODE(f->code)) {
	case BPF_MSH:
		if (!clat_bpf_fetch(vm, f->k, 1, &byte))
			return false;
		vm->x = (byte & 0xf) << 2;
		return true;
	case BPF_LEN:
		vm->x = (uint32_t)vm->len;
		return true;
	case BPF_IMM:
		vm->x = f->k;
		return true;
	default: /* BPF_MEM */
		vm->x = vm->mem[f->k];
		return true;
	}
}

/* BPF_ALU on A with K or X, 32-bit unsigned. Division or modulo by zero
 * ends the filter with 0, as the kernel does for X == 0 at run time.
 * Shift counts are taken modulo 32 (the JITs' behaviour; a valid program
 * has k < 32). */
static bool clat_bpf_alu(struct clat_bpf_vm *vm, const struct sock_filter *f)
{
	uint32_t v = BPF_SRC(f->code) == BPF_X ? vm->x : f->k;

	switch (BPF_OP(f->code)) {
	case BPF_ADD: vm->a += v; break;
	case BPF_SUB: vm->a -= v; break;
	case BPF_MUL: vm->a *= v; break;
	case BPF_OR: vm->a |= v; break;
	case BPF_AND: vm->a &= v; break;
	case BPF_XOR: vm->a ^= v; break;
	case BPF_LSH: vm->a <<= v & 31; break;
	case BPF_RSH: vm->a >>= v & 31; break;
	case BPF_NEG: vm->a = 0u - vm->a; break;
	case BPF_DIV:
	case BPF_MOD:
		if (v == 0)
			return false;
		vm->a = BPF_OP(f->code) == BPF_DIV ? vm->a / v : vm->a % v;
		break;
	default:
		return false;
	}
	return true;
}

/* BPF_JMP: how many instructions to skip after this one. */
static uint32_t clat_bpf_jump(const struct clat_bpf_vm *vm, const struct sock_filter *f)
{
	uint32_t v = BPF_SRC(f->code) == BPF_X ? vm->x : f->k;
	bool taken;

	switch (BPF_OP(f->code)) {
	case BPF_JA:
		return f->k;
	case BPF_JEQ: taken = vm->a == v; break;
	case BPF_JGT: taken = vm->a > v; break;
	case BPF_JGE: taken = vm->a >= v; break;
	default: /* BPF_JSET */ taken = (vm->a & v) != 0; break;
	}
	return taken ? f->jt : f->jf;
}

/* Executes one non-RET instruction; false ends the filter with 0. */
static bool clat_bpf_exec(struct clat_bpf_vm *vm, const struct sock_filter *f, size_t *pc)
{
	switch (BPF_CLASS(f->code)) {
	case BPF_LD:
		return clat_bpf_ld(vm, f);
	case BPF_LDX:
		return clat_bpf_ldx(vm, f);
	case BPF_ST:
		vm->mem[f->k] = vm->a;
		return true;
	case BPF_STX:
		vm->mem[f->k] = vm->x;
		return true;
	case BPF_ALU:
		return clat_bpf_alu(vm, f);
	case BPF_JMP:
		*pc += clat_bpf_jump(vm, f);
		return true;
	default: /* BPF_MISC */
		if (BPF_MISCOP(f->code) == BPF_TAX)
			vm->x = vm->a;
		else
			vm->a = vm->x;
		return true;
	}
}

/* Instructions indexing M, whose k the guard below bounds. */
static bool clat_bpf_uses_mem(uint16_t code)
{
	return code == BPF_ST || code == BPF_STX || code == (BPF_LD | BPF_MEM) ||
	       code == (BPF_LDX | BPF_MEM);
}

/* Meant for programs clat_bpf_valid accepted; anything else still cannot
 * make it read or write out of bounds or loop (every jump goes forward):
 * unknown opcodes, bad cells and running off the end return 0. */
uint32_t clat_bpf_run(const struct sock_filter *prog, unsigned count,
		      const uint8_t *pkt, size_t len)
{
	struct clat_bpf_vm vm;

	memset(&vm, 0, sizeof(vm));
	vm.pkt = pkt;
	vm.len = pkt != NULL ? len : 0;
	for (size_t pc = 0; prog != NULL && pc < count; pc++) {
		const struct sock_filter *f = &prog[pc];

		if (!clat_bpf_code_allowed(f->code) ||
		    (clat_bpf_uses_mem(f->code) && f->k >= BPF_MEMWORDS))
			return 0;
		if (BPF_CLASS(f->code) == BPF_RET)
			return BPF_RVAL(f->code) == BPF_A ? vm.a : f->k;
		if (!clat_bpf_exec(&vm, f, &pc))
			return 0;
	}
	return 0;
}
