/* Classic BPF, validated and run in user space. Pure functions. */
#ifndef CLAT_BPF_H
#define CLAT_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Classic BPF (the program's SO_ATTACH_FILTER for its IPv4 raw socket),
 * run by the library over the synthesised IPv4 packet. A filter is valid
 * when 1 <= count <= 4096, every jump lands inside, it ends in RET, and
 * only the classic opcodes (LD/LDX/ST/STX/ALU/JMP/RET/MISC, abs, ind, len,
 * mem, msh) are used; extensions (SKF_AD_OFF, SKF_NET_OFF ...) are
 * invalid. */
struct sock_filter;
bool clat_bpf_valid(const struct sock_filter *prog, unsigned count);
/* Returns what the filter returns (0: drop; otherwise bytes to keep). Loads
 * outside the packet return 0, as the kernel does. */
uint32_t clat_bpf_run(const struct sock_filter *prog, unsigned count,
		      const uint8_t *pkt, size_t len);

#endif
