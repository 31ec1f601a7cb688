#!/usr/bin/env python3
"""PREF64 (RFC 8781) Router Advertisements for the libclat lab.

  pref64.py send --ifname IF --prefix P [--lifetime S] [--count N] [--interval S]
                 [--plc N] [--length N]
      Send N RAs (ICMPv6 type 134, hop limit 255, router lifetime 0) from IF's
      link-local address to ff02::1 with one PREF64 option (type 38):
        Type 38 | Length 2 | ScaledLifetime (13 bits) << 3 | PLC (3 bits) |
        Highest 96 bits of the prefix
      --plc and --length override the encoded values (to send options that a
      receiver must ignore: PLC 6/7, Length != 2, RFC 8781 section 4).
  pref64.py listen --seconds S [--min N]
      Join RTNLGRP_ND_USEROPT and print every RTM_NEWNDUSEROPT the kernel sends
      (it does so for the options of the RAs it accepts, ND_OPT_PREF64 since
      Linux 5.8); exit 0 once N (default 1) PREF64 options were seen, 1 if not
      within S seconds.
"""
import argparse
import ipaddress
import select
import socket
import struct
import sys
import time

ND_OPT_PREF64 = 38
PLC_OF_LEN = {96: 0, 64: 1, 56: 2, 48: 3, 40: 4, 32: 5}
LEN_OF_PLC = {v: k for k, v in PLC_OF_LEN.items()}

# linux/rtnetlink.h, linux/netlink.h
RTM_NEWNDUSEROPT = 68
RTNLGRP_ND_USEROPT = 20
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NDUSEROPT_SRCADDR = 1


def link_local(ifname):
    """IF's link-local address, from /proc/net/if_inet6."""
    with open("/proc/net/if_inet6") as f:
        for line in f:
            addr, _idx, _plen, scope, _flags, name = line.split()
            if name == ifname and int(scope, 16) == 0x20:
                return str(ipaddress.IPv6Address(bytes.fromhex(addr)))
    sys.exit(f"pref64.py: {ifname} has no link-local address")


def pref64_option(prefix, lifetime, plc=None, length=2):
    net = ipaddress.IPv6Network(prefix, strict=True)
    if plc is None:
        if net.prefixlen not in PLC_OF_LEN:
            sys.exit(f"pref64.py: no PLC for /{net.prefixlen}")
        plc = PLC_OF_LEN[net.prefixlen]
    scaled = min(lifetime // 8, 0x1FFF)  # 8781 s4: units of 8 s, 13 bits
    opt = struct.pack("!BBH", ND_OPT_PREF64, length, (scaled << 3) | (plc & 7))
    opt += net.network_address.packed[:12]
    # A Length other than 2 still describes the option's real size (8 * Length).
    return (opt + b"\0" * (8 * length))[: 8 * length]


def router_advertisement(option):
    # type, code, checksum (the kernel fills it in for ICMPv6 raw sockets),
    # cur hop limit, flags, router lifetime 0 (not a default router),
    # reachable time, retrans timer.
    return struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 0, 0, 0) + option


def send(args):
    ifindex = socket.if_nametoindex(args.ifname)
    src = link_local(args.ifname)
    option = pref64_option(args.prefix, args.lifetime, args.plc, args.length)
    ra = router_advertisement(option)
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    # RFC 4861 s6.1.2: receivers drop RAs whose hop limit is not 255 or whose
    # source is not link-local.
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
    s.bind((src, 0, 0, ifindex))
    for i in range(args.count):
        if i:
            time.sleep(args.interval)
        s.sendto(ra, ("ff02::1", 0, 0, ifindex))
    print(f"sent {args.count} RA(s) from {src}%{args.ifname}: PREF64 {args.prefix} "
          f"lifetime {args.lifetime} option {option.hex()}", flush=True)


def parse_pref64(opt):
    if len(opt) < 16 or opt[1] != 2:
        return f"PREF64 with Length {opt[1]} (invalid)"
    field = struct.unpack("!H", opt[2:4])[0]
    plc, lifetime = field & 7, (field >> 3) * 8
    if plc not in LEN_OF_PLC:
        return f"PREF64 with PLC {plc} (invalid) lifetime {lifetime}"
    plen = LEN_OF_PLC[plc]
    addr = ipaddress.IPv6Address(opt[4:16] + b"\0" * 4)
    net = ipaddress.IPv6Network((int(addr), plen), strict=False)
    return f"PREF64 {net} lifetime {lifetime}"


def listen(args):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    s.bind((0, 0))
    s.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, RTNLGRP_ND_USEROPT)
    print("listening on RTNLGRP_ND_USEROPT", flush=True)
    deadline = time.monotonic() + args.seconds
    seen = 0
    while seen < args.min:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if not select.select([s], [], [], left)[0]:
            break
        data = s.recv(65536)
        off = 0
        while off + 16 <= len(data):
            nlen, ntype = struct.unpack_from("=IH", data, off)
            if nlen < 16:
                break
            if ntype == RTM_NEWNDUSEROPT:
                seen += report(data[off + 16: off + nlen])
            off += (nlen + 3) & ~3
    print(f"{seen} PREF64 option(s) seen", flush=True)
    return 0 if seen >= args.min else 1


def report(msg):
    # struct nduseroptmsg: family, pad1, opts_len, ifindex, icmp_type,
    # icmp_code, pad2, pad3; then the options, then attributes.
    family, _p1, opts_len, ifindex, icmp_type, icmp_code = struct.unpack_from("=BBHiBB", msg)
    opts = msg[16: 16 + opts_len]
    src = ""
    rest = msg[16 + ((opts_len + 3) & ~3):]
    while len(rest) >= 4:
        alen, atype = struct.unpack_from("=HH", rest)
        if alen < 4:
            break
        if atype == NDUSEROPT_SRCADDR and alen >= 20:
            src = str(ipaddress.IPv6Address(rest[4:20]))
        rest = rest[(alen + 3) & ~3:]
    n = 0
    while len(opts) >= 2 and opts[1]:
        opt, opts = opts[: 8 * opts[1]], opts[8 * opts[1]:]
        what = parse_pref64(opt) if opt[0] == ND_OPT_PREF64 else f"option type {opt[0]}"
        n += opt[0] == ND_OPT_PREF64
        print(f"RTM_NEWNDUSEROPT family {family} ifindex {ifindex} icmp {icmp_type}/{icmp_code} "
              f"from {src or '?'}: {what} ({opt.hex()})", flush=True)
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("send")
    sp.add_argument("--ifname", required=True)
    sp.add_argument("--prefix", required=True)
    sp.add_argument("--lifetime", type=int, default=1800)
    sp.add_argument("--count", type=int, default=1)
    sp.add_argument("--interval", type=float, default=0.5)
    sp.add_argument("--plc", type=int)
    sp.add_argument("--length", type=int, default=2)
    lp = sub.add_parser("listen")
    lp.add_argument("--seconds", type=float, required=True)
    lp.add_argument("--min", type=int, default=1)
    args = ap.parse_args()
    if args.cmd == "send":
        if not 1 <= args.count <= 1000:
            sys.exit("pref64.py: --count must be 1..1000")
        send(args)
        return 0
    return listen(args)


if __name__ == "__main__":
    sys.exit(main())
