/* libFuzzer target: ICMP translation, IPv4 header synthesis and the
 * classic BPF interpreter (lib/core/icmp.c).
 *
 * Input: byte 0 picks the part under test (mod 6), the rest feeds it:
 *  0  clat_icmp6_packet_to_v4: output size (2 bytes), hop limit, traffic
 *     class, local IPv4, source IPv6, prefix set (count + table indexes),
 *     then the ICMPv6 message (exact-size heap block).
 *  1  echo both ways in place (exact-size block).
 *  2  clat_icmp6_error_to_v4 / clat_extended_err_to_v4 / clat_icmp4_errno
 *     against a reference table written from RFC 7915 s5.2.
 *  3  clat_ipv4_header_build with every field and the buffer size fuzzed.
 *  4  clat_bpf_valid + clat_bpf_run: packet length (2 bytes), packet, then
 *     the program (8 bytes an instruction).
 *  5  clat_inet_checksum and clat_ipv4_for against references.
 * Invariants: outputs fit the given buffers (exact-size blocks) and hold
 * what RFC 7915 says: IPv4 header 0x45 with the right total length,
 * addresses, TTL, TOS and a header checksum that verifies; an ICMPv4
 * checksum that verifies; an echo's body untouched; an error's type and
 * code as the reference table gives, its quoted packet with a valid IPv4
 * header and its transport bytes unchanged. For BPF: every program the
 * validator accepts, run by an independent reference interpreter, never
 * reads scratch memory before writing it, never jumps outside the program
 * and never runs off its end, and both interpreters return the same. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>

#include "fuzz_util.h"
#include "bpf.h"
#include "icmp.h"

/* ---- references ------------------------------------------------------ */

/* RFC 7915 s5.2 as the header documents it. */
static bool ref_error(uint8_t t6, uint8_t c6, uint32_t info6, uint8_t *t4, uint8_t *c4,
		      uint32_t *info4)
{
	*info4 = 0;
	switch (t6) {
	case 1:
		*t4 = 3;
		switch (c6) {
		case 0: case 2: case 3: *c4 = 1; return true;
		case 1: *c4 = 10; return true;
		case 4: *c4 = 3; return true;
		default: return false;
		}
	case 2:
		*t4 = 3;
		*c4 = 4;
		*info4 = info6 < 88 ? 68 : (info6 - 20 > 65535 ? 65535 : info6 - 20);
		return true;
	case 3:
		*t4 = 11;
		*c4 = c6;
		return true;
	case 4:
		if (c6 == 1) {
			*t4 = 3;
			*c4 = 2;
			return true;
		}
		if (c6 != 0)
			return false;
		*t4 = 12;
		*c4 = 0;
		if (info6 <= 1) *info4 = info6;
		else if (info6 == 4 || info6 == 5) *info4 = 2;
		else if (info6 == 6) *info4 = 9;
		else if (info6 == 7) *info4 = 8;
		else if (info6 >= 8 && info6 <= 23) *info4 = 12;
		else if (info6 >= 24 && info6 <= 39) *info4 = 16;
		else return false;
		return true;
	default:
		return false;
	}
}

static int ref_errno(uint8_t type, uint8_t code, int fallback)
{
	static const int unreach[16] = {
		ENETUNREACH, EHOSTUNREACH, ENOPROTOOPT, ECONNREFUSED, EMSGSIZE, EOPNOTSUPP,
		ENETUNREACH, EHOSTDOWN, ENONET, ENETUNREACH, EHOSTUNREACH, ENETUNREACH,
		EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH,
	};
	if (type == 3)
		return code < 16 ? unreach[code] : EHOSTUNREACH;
	if (type == 11)
		return EHOSTUNREACH;
	if (type == 12)
		return EPROTO;
	return fallback;
}

static struct in_addr ref_ipv4_for(const struct clat_prefix_set *set, const struct in6_addr *a)
{
	struct in_addr v4;
	unsigned n = set == NULL ? 0 : (set->count > CLAT_MAX_PREFIXES ? CLAT_MAX_PREFIXES : set->count);

	for (unsigned i = 0; i < n; i++)
		if (clat_extract(&set->prefix[i], a, &v4))
			return v4;
	if (IN6_IS_ADDR_V4MAPPED(a)) {
		memcpy(&v4, a->s6_addr + 12, 4);
		return v4;
	}
	v4.s_addr = htonl(0xc0000008u); /* RFC 7600: 192.0.0.8 */
	return v4;
}

static void read_set(struct fuzz_in *in, struct clat_prefix_set *set)
{
	memset(set, 0, sizeof(*set));
	set->count = fuzz_u8(in) % (CLAT_MAX_PREFIXES + 1);
	for (unsigned i = 0; i < set->count; i++)
		set->prefix[i] = fuzz_table_prefix(fuzz_u8(in));
}

static void check_ipv4_header(const uint8_t *h, size_t total, struct in_addr src,
			      struct in_addr dst, uint8_t proto, uint8_t ttl, uint8_t tos)
{
	FUZZ_CHECK(h[0] == 0x45, "version/IHL %#x", h[0]);
	FUZZ_CHECK(h[1] == tos && h[8] == ttl && h[9] == proto, "TOS/TTL/protocol");
	FUZZ_CHECK(fuzz_get16(h + 2) == total, "total length %u, want %zu", fuzz_get16(h + 2), total);
	FUZZ_CHECK(fuzz_get16(h + 6) == 0, "flags/fragment offset");
	FUZZ_CHECK(memcmp(h + 12, &src, 4) == 0 && memcmp(h + 16, &dst, 4) == 0, "addresses");
	FUZZ_CHECK(fuzz_ref_checksum(h, 20) == 0, "header checksum does not verify");
}

/* ---- 0: whole ICMPv6 messages ----------------------------------------- */

static void packet_test(struct fuzz_in *in)
{
	size_t outlen = fuzz_u16(in) % 2048, len, n;
	uint8_t hop = fuzz_u8(in), tclass = fuzz_u8(in);
	struct in_addr local, src4;
	struct in6_addr src6;
	struct clat_prefix_set set;
	uint8_t *msg, *out;

	local.s_addr = htonl(fuzz_u32(in));
	fuzz_bytes(in, src6.s6_addr, 16);
	read_set(in, &set);
	msg = fuzz_rest_copy(in, &len);
	out = fuzz_xmalloc(outlen);

	n = clat_icmp6_packet_to_v4(msg, len, &src6, local, hop, tclass, &set, out, outlen);
	if (n == 0)
		goto done;
	FUZZ_CHECK(n <= outlen && n >= 28, "length %zu (outlen %zu)", n, outlen);
	src4 = ref_ipv4_for(&set, &src6);
	check_ipv4_header(out, n, src4, local, 1, hop, tclass);
	FUZZ_CHECK(fuzz_ref_checksum(out + 20, n - 20) == 0, "ICMPv4 checksum does not verify");
	if (msg[0] == 128 || msg[0] == 129) {
		FUZZ_CHECK(n == 20 + len, "echo length %zu from %zu", n, len);
		FUZZ_CHECK(out[20] == (msg[0] == 128 ? 8 : 0) && out[21] == msg[1], "echo type/code");
		FUZZ_CHECK(memcmp(out + 24, msg + 4, len - 4) == 0, "echo body changed");
	} else {
		uint8_t t4, c4, proto;
		uint32_t info4;
		const uint8_t *q6 = msg + 8, *q4 = out + 28;
		struct in_addr s, d;
		struct in6_addr a;

		FUZZ_CHECK(ref_error(msg[0], msg[1], fuzz_get32(msg + 4), &t4, &c4, &info4),
			   "translated ICMPv6 %u/%u, which RFC 7915 drops", msg[0], msg[1]);
		FUZZ_CHECK(out[20] == t4 && out[21] == c4, "error %u/%u -> %u/%u, want %u/%u", msg[0],
			   msg[1], out[20], out[21], t4, c4);
		if (t4 == 3 && c4 == 4)
			FUZZ_CHECK(fuzz_get32(out + 24) == info4, "MTU %u, want %u",
				   fuzz_get32(out + 24), info4);
		else if (t4 == 12)
			FUZZ_CHECK(fuzz_get32(out + 24) == info4 << 24, "pointer");
		else
			FUZZ_CHECK(fuzz_get32(out + 24) == 0, "unused word not zero");
		/* The quoted packet: 40-byte IPv6 header -> 20-byte IPv4 header. */
		FUZZ_CHECK(len >= 8 + 48 && n == len, "error length %zu from %zu", n, len);
		FUZZ_CHECK(q6[0] >> 4 == 6, "quoted packet is not IPv6");
		proto = q6[6] == 58 ? 1 : q6[6];
		FUZZ_CHECK(proto == 1 || proto == 6 || proto == 17, "next header %u translated", q6[6]);
		memcpy(a.s6_addr, q6 + 8, 16);
		s = ref_ipv4_for(&set, &a);
		memcpy(a.s6_addr, q6 + 24, 16);
		d = ref_ipv4_for(&set, &a);
		check_ipv4_header(q4, fuzz_get16(q6 + 4) + 20u, s, d, proto, q6[7],
				  (uint8_t)((q6[0] & 0x0f) << 4 | q6[1] >> 4));
		if (proto == 1) {
			FUZZ_CHECK((q6[40] == 128 && q4[20] == 8) || (q6[40] == 129 && q4[20] == 0),
				   "quoted ICMPv6 type %u -> %u", q6[40], q4[20]);
			FUZZ_CHECK(q4[21] == q6[41] && memcmp(q4 + 24, q6 + 44, len - 8 - 44) == 0,
				   "quoted echo changed");
		} else {
			FUZZ_CHECK(memcmp(q4 + 20, q6 + 40, len - 8 - 40) == 0, "quoted transport changed");
		}
	}
done:
	free(msg);
	free(out);
}

/* ---- 1: echo in place -------------------------------------------------- */

static void echo_test(struct fuzz_in *in)
{
	size_t len;
	uint8_t *msg = fuzz_rest_copy(in, &len);
	uint8_t *orig = fuzz_xmalloc(len);
	bool ok;

	memcpy(orig, msg, len);
	ok = clat_icmp_echo_request_to_v6(msg, len);
	FUZZ_CHECK(ok == (len >= 8 && orig[0] == 8 && orig[1] == 0), "request_to_v6 accepted %d", ok);
	if (ok) {
		FUZZ_CHECK(msg[0] == 128 && msg[1] == 0 && msg[2] == 0 && msg[3] == 0, "v6 header");
		FUZZ_CHECK(memcmp(msg + 4, orig + 4, len - 4) == 0, "request body changed");
		/* Looped back: 128 -> 8, the original with a valid checksum. */
		FUZZ_CHECK(clat_icmp_echo_to_v4(msg, len), "128 not taken back");
		FUZZ_CHECK(msg[0] == 8 && memcmp(msg + 4, orig + 4, len - 4) == 0, "round trip");
		FUZZ_CHECK(fuzz_ref_checksum(msg, len) == 0, "round trip checksum");
	} else {
		FUZZ_CHECK(len == 0 || memcmp(msg, orig, len) == 0, "refused message changed");
	}

	memcpy(msg, orig, len);
	ok = clat_icmp_echo_to_v4(msg, len);
	FUZZ_CHECK(ok == (len >= 8 && (orig[0] == 128 || orig[0] == 129)), "echo_to_v4 %d", ok);
	if (ok) {
		FUZZ_CHECK(msg[0] == (orig[0] == 128 ? 8 : 0) && msg[1] == orig[1], "type/code");
		FUZZ_CHECK(memcmp(msg + 4, orig + 4, len - 4) == 0, "reply body changed");
		FUZZ_CHECK(fuzz_ref_checksum(msg, len) == 0, "reply checksum");
	} else {
		FUZZ_CHECK(len == 0 || memcmp(msg, orig, len) == 0, "refused message changed");
	}
	free(msg);
	free(orig);
}

/* ---- 2: error mapping ----------------------------------------------- */

static void error_test(struct fuzz_in *in)
{
	struct clat_icmp_error v6, v4, alias;
	struct sock_extended_err ee, out, same;
	uint8_t t4, c4;
	uint32_t i4;
	bool ok, want;

	v6.type = fuzz_u8(in);
	v6.code = fuzz_u8(in);
	v6.info = fuzz_u32(in);
	memset(&v4, 0xa5, sizeof(v4));
	ok = clat_icmp6_error_to_v4(&v6, &v4);
	want = ref_error(v6.type, v6.code, v6.info, &t4, &c4, &i4);
	FUZZ_CHECK(ok == want, "ICMPv6 %u/%u info %u: %d, RFC 7915 says %d", v6.type, v6.code,
		   v6.info, ok, want);
	if (ok)
		FUZZ_CHECK(v4.type == t4 && v4.code == c4 && v4.info == i4,
			   "ICMPv6 %u/%u/%u -> %u/%u/%u, want %u/%u/%u", v6.type, v6.code, v6.info,
			   v4.type, v4.code, v4.info, t4, c4, i4);
	alias = v6;
	FUZZ_CHECK(clat_icmp6_error_to_v4(&alias, &alias) == ok, "aliasing");
	FUZZ_CHECK(!ok || memcmp(&alias, &v4, sizeof(v4)) == 0, "aliased result differs");
	FUZZ_CHECK(ok || memcmp(&alias, &v6, sizeof(v6)) == 0, "dropped error changed its input");

	{
		int fallback = (int)fuzz_u32(in);
		FUZZ_CHECK(clat_icmp4_errno(v6.type, v6.code, fallback) ==
				   ref_errno(v6.type, v6.code, fallback),
			   "errno for %u/%u", v6.type, v6.code);
	}

	memset(&ee, 0, sizeof(ee));
	ee.ee_errno = fuzz_u32(in);
	ee.ee_origin = fuzz_u8(in) % 8;
	ee.ee_type = v6.type;
	ee.ee_code = v6.code;
	ee.ee_pad = fuzz_u8(in);
	ee.ee_info = v6.info;
	ee.ee_data = fuzz_u32(in);
	ok = clat_extended_err_to_v4(&ee, &out);
	same = ee;
	FUZZ_CHECK(clat_extended_err_to_v4(&same, &same) == ok && (!ok || memcmp(&same, &out, sizeof(out)) == 0),
		   "aliased extended error differs");
	if (ee.ee_origin == SO_EE_ORIGIN_ICMP6) {
		FUZZ_CHECK(ok == want, "extended ICMP6 report kept %d", ok);
		if (ok)
			FUZZ_CHECK(out.ee_origin == SO_EE_ORIGIN_ICMP && out.ee_type == t4 &&
					   out.ee_code == c4 && out.ee_info == i4 &&
					   out.ee_errno == (uint32_t)ref_errno(t4, c4, (int)ee.ee_errno) &&
					   out.ee_data == ee.ee_data && out.ee_pad == ee.ee_pad,
				   "extended ICMP6 report");
	} else {
		FUZZ_CHECK(ok, "non-ICMP6 report dropped");
		FUZZ_CHECK(out.ee_origin == ee.ee_origin && out.ee_errno == ee.ee_errno &&
				   out.ee_type == ee.ee_type && out.ee_code == ee.ee_code &&
				   out.ee_data == ee.ee_data,
			   "non-ICMP6 report changed");
		if (ee.ee_origin == SO_EE_ORIGIN_LOCAL && ee.ee_errno == EMSGSIZE)
			FUZZ_CHECK(out.ee_info == (ee.ee_info < 88 ? 68u
						   : (ee.ee_info - 20 > 65535 ? 65535u : ee.ee_info - 20)),
				   "local EMSGSIZE MTU %u -> %u", ee.ee_info, out.ee_info);
		else
			FUZZ_CHECK(out.ee_info == ee.ee_info, "ee_info changed");
	}
}

/* ---- 3: IPv4 header ---------------------------------------------------- */

static void header_test(struct fuzz_in *in)
{
	size_t outlen = fuzz_u8(in) % 40, payload = fuzz_u32(in) % 70000, n;
	struct in_addr src, dst;
	uint8_t proto = fuzz_u8(in), ttl = fuzz_u8(in), tos = fuzz_u8(in);
	uint16_t id = fuzz_u16(in);
	uint8_t *out = fuzz_xmalloc(outlen);

	src.s_addr = htonl(fuzz_u32(in));
	dst.s_addr = htonl(fuzz_u32(in));
	n = clat_ipv4_header_build(out, outlen, src, dst, proto, ttl, tos, id, payload);
	FUZZ_CHECK(n == ((outlen >= 20 && payload <= 65515) ? 20u : 0u),
		   "built %zu (outlen %zu, payload %zu)", n, outlen, payload);
	if (n == 20) {
		check_ipv4_header(out, 20 + payload, src, dst, proto, ttl, tos);
		FUZZ_CHECK(fuzz_get16(out + 4) == id, "id");
		FUZZ_CHECK(clat_inet_checksum(out, 20) == 0, "clat_inet_checksum over a good header");
	}
	free(out);
}

/* ---- 4: classic BPF ---------------------------------------------------- */

struct ref_vm {
	uint32_t a, x, mem[BPF_MEMWORDS];
	uint16_t init; /* cells written so far on this run */
};

static bool ref_load(const uint8_t *pkt, size_t len, uint64_t off, unsigned size, uint32_t *v)
{
	if (off + size > len)
		return false;
	*v = 0;
	for (unsigned i = 0; i < size; i++)
		*v = *v << 8 | pkt[off + i];
	return true;
}

/* Independent interpreter for programs clat_bpf_valid accepted; aborts
 * when the program does what a valid one cannot. */
static uint32_t ref_bpf(const struct sock_filter *prog, unsigned count, const uint8_t *pkt,
			size_t len)
{
	struct ref_vm vm;
	unsigned pc = 0;

	memset(&vm, 0, sizeof(vm));
	for (;;) {
		const struct sock_filter *f;
		unsigned size;
		uint32_t v, tmp;

		FUZZ_CHECK(pc < count, "valid program ran off its end (pc %u of %u)", pc, count);
		f = &prog[pc];
		size = BPF_SIZE(f->code) == BPF_B ? 1 : BPF_SIZE(f->code) == BPF_H ? 2 : 4;
		v = BPF_SRC(f->code) == BPF_X ? vm.x : f->k;
		switch (BPF_CLASS(f->code)) {
		case BPF_RET:
			return BPF_RVAL(f->code) == BPF_A ? vm.a : f->k;
		case BPF_LD:
			switch (BPF_MODE(f->code)) {
			case BPF_ABS:
				FUZZ_CHECK(f->k < (uint32_t)SKF_LL_OFF, "special load accepted");
				if (!ref_load(pkt, len, f->k, size, &vm.a))
					return 0;
				break;
			case BPF_IND:
				if (!ref_load(pkt, len, (uint32_t)(vm.x + f->k), size, &vm.a))
					return 0;
				break;
			case BPF_LEN: vm.a = (uint32_t)len; break;
			case BPF_IMM: vm.a = f->k; break;
			case BPF_MEM:
				FUZZ_CHECK(f->k < BPF_MEMWORDS && (vm.init >> f->k & 1),
					   "valid program reads M[%u] before writing it (pc %u)", f->k, pc);
				vm.a = vm.mem[f->k];
				break;
			default:
				FUZZ_CHECK(0, "bad LD mode accepted: %#x", f->code);
			}
			break;
		case BPF_LDX:
			switch (BPF_MODE(f->code)) {
			case BPF_MSH:
				if (!ref_load(pkt, len, f->k, 1, &tmp))
					return 0;
				vm.x = (tmp & 0xf) * 4;
				break;
			case BPF_LEN: vm.x = (uint32_t)len; break;
			case BPF_IMM: vm.x = f->k; break;
			case BPF_MEM:
				FUZZ_CHECK(f->k < BPF_MEMWORDS && (vm.init >> f->k & 1),
					   "valid program reads M[%u] before writing it (pc %u)", f->k, pc);
				vm.x = vm.mem[f->k];
				break;
			default:
				FUZZ_CHECK(0, "bad LDX mode accepted: %#x", f->code);
			}
			break;
		case BPF_ST:
		case BPF_STX:
			FUZZ_CHECK(f->k < BPF_MEMWORDS, "store to M[%u] accepted", f->k);
			vm.mem[f->k] = BPF_CLASS(f->code) == BPF_ST ? vm.a : vm.x;
			vm.init |= (uint16_t)(1u << f->k);
			break;
		case BPF_ALU:
			switch (BPF_OP(f->code)) {
			case BPF_ADD: vm.a += v; break;
			case BPF_SUB: vm.a -= v; break;
			case BPF_MUL: vm.a *= v; break;
			case BPF_AND: vm.a &= v; break;
			case BPF_OR: vm.a |= v; break;
			case BPF_XOR: vm.a ^= v; break;
			case BPF_LSH:
				FUZZ_CHECK(BPF_SRC(f->code) == BPF_X || v < 32, "shift by %u accepted", v);
				vm.a = vm.a << (v & 31);
				break;
			case BPF_RSH:
				FUZZ_CHECK(BPF_SRC(f->code) == BPF_X || v < 32, "shift by %u accepted", v);
				vm.a = vm.a >> (v & 31);
				break;
			case BPF_NEG: vm.a = -vm.a; break;
			case BPF_DIV:
			case BPF_MOD:
				FUZZ_CHECK(BPF_SRC(f->code) == BPF_X || v != 0, "division by constant 0 accepted");
				if (v == 0)
					return 0;
				vm.a = BPF_OP(f->code) == BPF_DIV ? vm.a / v : vm.a % v;
				break;
			default:
				FUZZ_CHECK(0, "bad ALU op accepted: %#x", f->code);
			}
			break;
		case BPF_JMP: {
			uint32_t skip;
			switch (BPF_OP(f->code)) {
			case BPF_JA: skip = f->k; break;
			case BPF_JEQ: skip = vm.a == v ? f->jt : f->jf; break;
			case BPF_JGT: skip = vm.a > v ? f->jt : f->jf; break;
			case BPF_JGE: skip = vm.a >= v ? f->jt : f->jf; break;
			case BPF_JSET: skip = (vm.a & v) ? f->jt : f->jf; break;
			default:
				FUZZ_CHECK(0, "bad JMP op accepted: %#x", f->code);
				return 0;
			}
			FUZZ_CHECK((uint64_t)pc + 1 + skip < count, "jump from %u by %u out of %u", pc, skip,
				   count);
			pc += skip;
			break;
		}
		case BPF_MISC:
			if (BPF_MISCOP(f->code) == BPF_TAX)
				vm.x = vm.a;
			else
				vm.a = vm.x;
			break;
		}
		pc++;
	}
}

static void bpf_test(struct fuzz_in *in)
{
	size_t plen = fuzz_u16(in) % 1600, count, n;
	uint8_t *pkt = fuzz_xmalloc(plen), *raw;
	struct sock_filter *prog;
	uint32_t got;
	bool valid;

	fuzz_bytes(in, pkt, plen);
	raw = fuzz_rest_copy(in, &n);
	count = n / sizeof(struct sock_filter);
	prog = fuzz_xmalloc(count * sizeof(*prog));
	memcpy(prog, raw, count * sizeof(*prog));

	valid = clat_bpf_valid(prog, (unsigned)count);
	got = clat_bpf_run(prog, (unsigned)count, pkt, plen); /* safe on anything */
	if (valid) {
		FUZZ_CHECK(count >= 1 && count <= BPF_MAXINSNS, "count %zu accepted", count);
		FUZZ_CHECK(got == ref_bpf(prog, (unsigned)count, pkt, plen),
			   "interpreters disagree: %u vs %u", got, ref_bpf(prog, (unsigned)count, pkt, plen));
		/* A NULL packet is a packet of no bytes. */
		FUZZ_CHECK(clat_bpf_run(prog, (unsigned)count, NULL, plen) ==
				   ref_bpf(prog, (unsigned)count, NULL, 0),
			   "NULL packet");
	}
	FUZZ_CHECK(!clat_bpf_valid(NULL, 1) && !clat_bpf_valid(prog, 0), "empty programs");
	(void)clat_bpf_run(NULL, (unsigned)count, pkt, plen);
	free(prog);
	free(raw);
	free(pkt);
}

/* ---- 5: checksum and address mapping ------------------------------------ */

static void misc_test(struct fuzz_in *in)
{
	struct clat_prefix_set set;
	struct in6_addr a;
	struct in_addr got, want;
	size_t len;
	uint8_t *rest;

	read_set(in, &set);
	fuzz_bytes(in, a.s6_addr, 16);
	got = clat_ipv4_for(&set, &a);
	want = ref_ipv4_for(&set, &a);
	FUZZ_CHECK(got.s_addr == want.s_addr, "clat_ipv4_for");
	got = clat_ipv4_for(NULL, &a);
	want = ref_ipv4_for(NULL, &a);
	FUZZ_CHECK(got.s_addr == want.s_addr, "clat_ipv4_for without prefixes");
	set.count = 200; /* a corrupt count is capped, not trusted */
	(void)clat_ipv4_for(&set, &a);

	rest = fuzz_rest_copy(in, &len);
	FUZZ_CHECK(clat_inet_checksum(rest, len) == fuzz_ref_checksum(rest, len), "checksum");
	free(rest);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };

	switch (fuzz_u8(&in) % 6) {
	case 0: packet_test(&in); break;
	case 1: echo_test(&in); break;
	case 2: error_test(&in); break;
	case 3: header_test(&in); break;
	case 4: bpf_test(&in); break;
	default: misc_test(&in); break;
	}
	return 0;
}
