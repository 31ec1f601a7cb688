#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/ (and is how they were made).

    python3 fuzz/make-seeds.py            # rewrite fuzz/corpus/
    python3 fuzz/make-seeds.py OUTDIR     # write elsewhere

Every seed is a real-looking input laid out the way its target reads it
(see the comment at the top of each fuzz_*.c). Deterministic: running it
again gives the same files. Linux x86-64 layouts (struct cmsghdr with a
size_t length, struct sock_filter of 8 bytes).
"""
import ipaddress
import os
import shutil
import struct
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

# RFC 6052 s2.4 example prefixes (and the WKP), one per length.
PREFIXES = [
    ("64:ff9b::", 96),
    ("2001:db8::", 32),
    ("2001:db8:100::", 40),
    ("2001:db8:122::", 48),
    ("2001:db8:122:300::", 56),
    ("2001:db8:122:344::", 64),
    ("2001:db8:122:344::", 96),
    ("64:ff9b:1::", 48),
]
WKA1 = "192.0.0.170"
WKA2 = "192.0.0.171"


def v6(text):
    return ipaddress.IPv6Address(text).packed


def v4(text):
    return ipaddress.IPv4Address(text).packed


def synthesize(prefix, length, ipv4):
    """RFC 6052 s2.2: IPv4 octets after the prefix, skipping the u octet."""
    b = bytearray(v6(prefix)[: length // 8] + bytes(16 - length // 8))
    at = length // 8
    for octet in v4(ipv4):
        if at == 8:
            at += 1
        b[at] = octet
        at += 1
    return bytes(b)


written = {}


def put(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    written[target] = written.get(target, 0) + 1


# ---- fuzz_config: config files --------------------------------------------
def config_seeds():
    t = "fuzz_config"
    put(t, "full.conf", "# /etc/clat.conf\nprefix = 64:ff9b::/96\nmode = auto\n"
        "local-ipv4 = 192.0.0.4\ntranslate-private-wkp = no\nlog = syslog\n"
        "fallback-prefix = 2001:db8:64::/96\ndiscovery = yes\n")
    put(t, "minimal.conf", "mode = always\n")
    put(t, "empty-prefix.conf", "prefix =\nfallback-prefix =\nlog = 0\n")
    put(t, "crlf.conf", "prefix = 2001:db8:122:300::/56\r\nmode = OFF\r\ndiscovery = false\r\n")
    put(t, "comments.conf", "\n   # only comments\n\t\nlog = /var/log/clat.log # trailing comment\n"
        "translate-private-wkp = TRUE\n")
    put(t, "each-length.conf", "".join(f"prefix = {p}/{n}\n" for p, n in PREFIXES))
    put(t, "bad-key.conf", "prefix = 64:ff9b::/96\nunknown-key = 1\n")
    put(t, "bad-prefix.conf", "prefix = 2001:db8:0:0:ff00::/64\n")
    put(t, "bad-ipv4.conf", "local-ipv4 = 192.0.0.256\n")
    put(t, "no-equals.conf", "prefix 64:ff9b::/96\n")
    put(t, "log-stderr.conf", "log = 1\nmode = Always\nlocal-ipv4 = 192.0.0.2\n")
    # Env mode reads the same bytes split at '\n' as CLAT_PREFIX, CLAT_MODE,
    # CLAT_LOCAL_IPV4, CLAT_TRANSLATE_PRIVATE_WKP, CLAT_DEBUG,
    # CLAT_FALLBACK_PREFIX, CLAT_DISCOVERY ("\x01" = set but empty).
    put(t, "env-values.txt", "64:ff9b::/96\nalways\n192.0.0.4\nyes\nstderr\n2001:db8::/32\nno\n")
    put(t, "env-sparse.txt", "\n\n\n\n/tmp/clat.log\n\x01\n")


# ---- fuzz_prefix: prefix strings ------------------------------------------
def prefix_seeds():
    t = "fuzz_prefix"
    for i, (p, n) in enumerate(PREFIXES):
        put(t, f"len{n}-{i}.txt", f"{p}/{n}")
    put(t, "wkp-long-form.txt", "0064:ff9b:0000:0000:0000:0000:0000:0000/96")
    put(t, "mixed-dotted.txt", "64:ff9b::0.0.0.0/96")
    put(t, "u-octet.txt", "2001:db8:0:0:ff00::/64")
    put(t, "host-bits.txt", "2001:db8::1/32")
    put(t, "bad-length.txt", "2001:db8::/33")
    put(t, "no-length.txt", "2001:db8::")
    put(t, "v4mapped.txt", "::ffff:0:0/96")
    put(t, "link-local.txt", "fe80::/64")
    # A valid text followed by binary: a binary prefix, an IPv4, an IPv6.
    tail = v6("2001:db8:122::") + bytes([48]) + v4("198.51.100.7") + synthesize("2001:db8:122::", 48, "198.51.100.7") + b"\x20\x01"
    put(t, "text-and-binary.bin", b"64:ff9b::/96\x00" + tail)
    put(t, "binary-wkp.bin", v6("64:ff9b::") + bytes([96]) + v4("10.1.2.3") + synthesize("64:ff9b::", 96, "10.1.2.3") + b"\x10\x00")


# ---- fuzz_rfc7050: DNS answers for ipv4only.arpa ----------------------------
def dns_name(name):
    out = b""
    for label in name.split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def dns_header(qid, flags, qd, an, ns, ar):
    return struct.pack(">HHHHHH", qid, flags, qd, an, ns, ar)


QUESTION = dns_name("ipv4only.arpa") + struct.pack(">HH", 28, 1)


def aaaa_rr(addr, ttl=3600, name=b"\xc0\x0c"):
    return name + struct.pack(">HHIH", 28, 1, ttl, 16) + addr


def soa_rr(ttl=300, minimum=60, name=b"\xc0\x15"):
    # "arpa." SOA, MNAME and RNAME as full names.
    rdata = dns_name("a.root-servers.net") + dns_name("nstld.verisign-grs.com") + struct.pack(
        ">IIIII", 2024010101, 1800, 900, 604800, minimum)
    return name + struct.pack(">HHIH", 6, 1, ttl, len(rdata)) + rdata


def rfc7050_seeds():
    t = "fuzz_rfc7050"
    ok = 0x8180  # QR RD RA, NOERROR
    for i, (p, n) in enumerate(PREFIXES):
        msg = dns_header(0x1234, ok, 1, 2, 0, 0) + QUESTION + aaaa_rr(synthesize(p, n, WKA1), 600 + i) + aaaa_rr(synthesize(p, n, WKA2), 300)
        put(t, f"positive-len{n}-{i}.dns", msg)
    # Two different prefixes, answer order kept.
    msg = dns_header(7, ok, 1, 2, 0, 0) + QUESTION + aaaa_rr(synthesize("2001:db8:64::", 96, WKA1)) + aaaa_rr(synthesize("64:ff9b::", 96, WKA1), 120)
    put(t, "two-prefixes.dns", msg)
    # A CNAME first (compressed), then the AAAA under the target name.
    cname_target = dns_name("nat64.example")
    cname = b"\xc0\x0c" + struct.pack(">HHIH", 5, 1, 3600, len(cname_target)) + cname_target
    target_ptr = struct.pack(">H", 0xC000 | (12 + len(QUESTION) + 12))
    msg = dns_header(8, ok, 1, 2, 0, 0) + QUESTION + cname + aaaa_rr(synthesize("2001:db8:122:344::", 64, WKA1), 90, target_ptr)
    put(t, "cname-then-aaaa.dns", msg)
    # Upper case question name (0x20 randomisation).
    msg = dns_header(9, ok, 1, 1, 0, 0) + dns_name("IPv4Only.ARPA") + struct.pack(">HH", 28, 1) + aaaa_rr(synthesize("64:ff9b::", 96, WKA2))
    put(t, "mixed-case.dns", msg)
    # NODATA and NXDOMAIN with the SOA for the negative TTL (RFC 2308).
    msg = dns_header(10, ok, 1, 0, 1, 0) + QUESTION + soa_rr()
    put(t, "nodata-soa.dns", msg)
    msg = dns_header(11, 0x8183, 1, 0, 1, 0) + QUESTION + soa_rr(900, 3600)
    put(t, "nxdomain-soa.dns", msg)
    # AAAA without any well-known address (not an RFC 7050 DNS64).
    msg = dns_header(12, ok, 1, 1, 0, 0) + QUESTION + aaaa_rr(v6("2001:db8::1"))
    put(t, "no-wka.dns", msg)
    # EDNS OPT record in the additional section.
    opt = b"\x00" + struct.pack(">HHIH", 41, 1232, 0, 0)
    msg = dns_header(13, ok, 1, 1, 0, 1) + QUESTION + aaaa_rr(synthesize("2001:db8:100::", 40, WKA1)) + opt
    put(t, "edns.dns", msg)
    put(t, "servfail.dns", dns_header(14, 0x8182, 1, 0, 0, 0) + QUESTION)
    put(t, "truncated-tc.dns", dns_header(15, 0x8380, 1, 0, 0, 0) + QUESTION)


# ---- fuzz_pref64: ND options ------------------------------------------------
def pref64_opt(prefix, length, lifetime):
    plc = {96: 0, 64: 1, 56: 2, 48: 3, 40: 4, 32: 5}[length]
    field = (lifetime // 8) << 3 | plc
    return struct.pack(">BBH", 38, 2, field) + v6(prefix)[:12]


def pref64_seeds():
    t = "fuzz_pref64"
    for i, (p, n) in enumerate(PREFIXES):
        put(t, f"plc-len{n}-{i}.bin", b"\x01" + pref64_opt(p, n, 1800))
    # An RA's options: source link-layer address, MTU, PREF64, RDNSS.
    sll = struct.pack(">BB", 1, 1) + bytes.fromhex("020000000001")
    mtu = struct.pack(">BBHI", 5, 1, 0, 1500)
    rdnss = struct.pack(">BBHI", 25, 3, 0, 600) + v6("2001:db8::53")
    put(t, "ra-options.bin", b"\x04" + sll + mtu + pref64_opt("64:ff9b::", 96, 65528) + rdnss
        + pref64_opt("2001:db8:122::", 48, 0))
    put(t, "withdraw.bin", b"\x02" + pref64_opt("2001:db8::", 32, 0))
    put(t, "plc6.bin", b"\x01" + struct.pack(">BBH", 38, 2, 600 << 3 | 6) + v6("2001:db8::")[:12])
    put(t, "zero-length.bin", b"\x03" + mtu + b"\x26\x00" + bytes(14))


# ---- fuzz_sockaddr --------------------------------------------------------
def sockaddr_seeds():
    t = "fuzz_sockaddr"
    sin = struct.pack("<HH4s8x", 2, 0x5000, v4("203.0.113.10"))  # AF_INET, port 80 (network order)
    sin6 = struct.pack("<HHI16sI", 10, 0xbb01, 0, synthesize("64:ff9b::", 96, "203.0.113.10"), 0)
    for i, (p, n) in enumerate(PREFIXES):
        peer = synthesize(p, n, "198.51.100.1")
        put(t, f"peer-len{n}-{i}.bin", v6(p) + bytes([n]) + struct.pack(">H", 443) + v4("198.51.100.1")
            + struct.pack(">HI", 443, 0) + peer + struct.pack(">I", 0) + b"\x10" + sin)
    put(t, "v4mapped-peer.bin", v6("64:ff9b::") + b"\x60" + struct.pack(">H", 53) + v4("127.0.0.1")
        + struct.pack(">HI", 53, 0) + v6("::ffff:127.0.0.1") + struct.pack(">I", 0) + b"\x1c" + sin6)
    put(t, "outside-peer.bin", v6("2001:db8::") + b"\x20" + struct.pack(">H", 22) + v4("192.0.2.1")
        + struct.pack(">HI", 22, 7) + v6("2001:db8:ffff::1") + struct.pack(">I", 2) + b"\x08" + sin6[:20])


# ---- fuzz_remote_msg: arguments read from a supervised program -------------
def remote_msg_seeds():
    t = "fuzz_remote_msg"
    sin = struct.pack("<HH4s8x", 2, 0x0700, v4("203.0.113.10"))

    def head(which, ptr, length, sending, count):
        return bytes([which]) + struct.pack(">QQBH", ptr, length, sending, count)
    put(t, "sockaddr-in.bin", head(0, 0x7fff0000, 16, 0, 0) + sin)
    put(t, "sockaddr-short.bin", head(0, 0x7fff0000, 8, 0, 0) + sin[:8])
    put(t, "sockaddr-negative.bin", head(0, 0x7fff0000, 0xffffffff, 0, 0) + sin)
    msg = struct.pack("<QiiQQQQi4x", 0x7fff0000, 16, 0, 0x7fff1000, 1, 0, 0, 0)
    put(t, "msghdr-send.bin", head(1, 0, 0, 1, 0) + msg)
    put(t, "msghdr-huge-iovlen.bin", head(1, 0, 0, 1, 0)
        + struct.pack("<QiiQQQQi4x", 0x7fff0000, 16, 0, 0x7fff1000, 1 << 30, 0, 0, 0))
    iovs = struct.pack("<QQQQ", 0x7fff2000, 5, 0x7fff3000, 0x7fffffffffffffff)
    put(t, "iov-two.bin", head(2, 0, 0, 0, 2) + iovs)


# ---- fuzz_attempts: prefix sets, a destination, times -----------------------
def attempts_seeds():
    t = "fuzz_attempts"
    lengths = [32, 40, 48, 56, 64, 96]

    def prefix(p, n):
        return v6(p) + bytes([lengths.index(n)])

    def times(now, nxt, deadline):
        off = 1 << 30
        return struct.pack(">III", now, nxt + off, deadline + off)

    two = prefix("2001:db8:65::", 96) + prefix("2001:db8:64::", 96)
    put(t, "dead-then-good.bin", b"\x02" + two + b"\x08" + v4("203.0.113.10")
        + struct.pack(">H", 80) + times(1000, 1250, -1))
    put(t, "wkp-private.bin", b"\x02" + prefix("64:ff9b::", 96) + prefix("2001:db8:64::", 96)
        + b"\x08" + v4("10.1.2.3") + struct.pack(">H", 22) + times(1000, -1, 1100))
    put(t, "wkp-private-allowed.bin", b"\x02" + prefix("64:ff9b::", 96)
        + prefix("2001:db8:64::", 96) + b"\x09" + v4("10.1.2.3") + struct.pack(">H", 22)
        + times(1000, 900, -1))
    allp = b"".join(prefix(p, n) for p, n in PREFIXES[1:5])
    put(t, "four-lengths.bin", b"\x04" + allp + b"\x08" + v4("192.0.2.33")
        + struct.pack(">H", 443) + times(5, -1, -1))
    put(t, "loopback.bin", b"\x02" + two + b"\x08" + v4("127.0.0.1") + struct.pack(">H", 7)
        + times(0, 0, 0))
    put(t, "max-one.bin", b"\x02" + two + b"\x02" + v4("198.51.100.1")
        + struct.pack(">H", 53) + times(10, 3700000, -1))


# ---- fuzz_cmsg: control buffers ---------------------------------------------
def cmsg(level, ctype, data):
    length = 16 + len(data)
    pad = (-length) % 8
    return struct.pack("<QiI", length, level, ctype) + data + bytes(pad)


def cmsg_seeds():
    t = "fuzz_cmsg"
    IPPROTO_IP, IPPROTO_IPV6, SOL_SOCKET, SOL_UDP = 0, 41, 1, 17
    IP_TOS, IP_TTL, IP_PKTINFO = 1, 2, 8
    IPV6_PKTINFO, IPV6_HOPLIMIT, IPV6_TCLASS, IPV6_ORIGDSTADDR, IPV6_RECVERR = 50, 52, 67, 74, 25
    SO_TIMESTAMP, SCM_RIGHTS, UDP_GRO = 29, 1, 104
    head = struct.pack(">H", 256) + v4("192.0.0.4")
    pi6 = synthesize("64:ff9b::", 96, "192.0.0.4") + struct.pack("<I", 2)
    recv = (cmsg(IPPROTO_IPV6, IPV6_PKTINFO, pi6) + cmsg(IPPROTO_IPV6, IPV6_TCLASS, struct.pack("<i", 0xb8))
            + cmsg(IPPROTO_IPV6, IPV6_HOPLIMIT, struct.pack("<i", 57)))
    put(t, "recv-pktinfo-tclass-hoplimit.bin", head + recv)
    put(t, "recv-small-buffer.bin", struct.pack(">H", 40) + v4("192.0.0.4") + recv)
    ts = struct.pack("<qq", 1700000000, 123456)
    put(t, "recv-timestamp-origdst.bin", head + cmsg(SOL_SOCKET, SO_TIMESTAMP, ts)
        + cmsg(IPPROTO_IPV6, IPV6_ORIGDSTADDR, struct.pack("<HHI16sI", 10, 0x3500, 0, v6("::ffff:127.0.0.53"), 0))
        + cmsg(SOL_UDP, UDP_GRO, struct.pack("<H", 1400)))
    put(t, "recv-recverr.bin", head + cmsg(IPPROTO_IPV6, IPV6_RECVERR, struct.pack("<IBBBBII", 113, 3, 1, 0, 0, 0, 0) + bytes(28)))
    send = (cmsg(IPPROTO_IP, IP_PKTINFO, struct.pack("<i4s4s", 3, v4("192.0.2.1"), v4("0.0.0.0")))
            + cmsg(IPPROTO_IP, IP_TOS, b"\x10") + cmsg(IPPROTO_IP, IP_TTL, struct.pack("<i", 64)))
    put(t, "send-pktinfo-tos-ttl.bin", head + send)
    put(t, "send-rights.bin", head + cmsg(SOL_SOCKET, SCM_RIGHTS, struct.pack("<ii", 3, 4))
        + cmsg(IPPROTO_IP, IP_TOS, struct.pack("<i", 0x28)))
    # The last message without its padding, as the kernel allows.
    put(t, "last-unpadded.bin", head + cmsg(IPPROTO_IP, IP_TTL, struct.pack("<i", 1)) + cmsg(IPPROTO_IP, IP_TOS, b"\x04")[:17])
    put(t, "bad-length.bin", head + struct.pack("<QiI", 8, 0, 1) + bytes(8))


# ---- fuzz_icmp ----------------------------------------------------------
def ipv6_header(payload_len, nh, src, dst, hop=64, tclass=0):
    first = (6 << 28) | (tclass << 20)
    return struct.pack(">IHBB", first, payload_len, nh, hop) + v6(src) + v6(dst)


def icmp_seeds():
    t = "fuzz_icmp"
    me = synthesize("64:ff9b::", 96, "192.0.0.4")
    peer = synthesize("64:ff9b::", 96, "203.0.113.10")
    # Mode 0: outlen, hop, tclass, local, src6, set (count + indexes), message.
    def mode0(msg, src=peer, outlen=1500):
        return b"\x00" + struct.pack(">H", outlen) + b"\x39\x00" + v4("192.0.0.4") + v6_bytes(src) + b"\x02\x00\x01" + msg
    def v6_bytes(a):
        return a if isinstance(a, bytes) else v6(a)
    echo_reply = struct.pack(">BBHHH", 129, 0, 0, 0x1234, 1) + bytes(range(56))
    put(t, "echo-reply.bin", mode0(echo_reply))
    put(t, "echo-request-looped.bin", mode0(struct.pack(">BBHHH", 128, 0, 0, 7, 9) + b"ping"))
    udp = struct.pack(">HHHH", 40000, 53, 8 + 12, 0) + b"hello world!"
    inner_udp = ipv6_header(len(udp), 17, me, peer) + udp
    tcp = struct.pack(">HHIIBBHHH", 50000, 443, 1, 0, 5 << 4, 2, 65535, 0, 0)
    inner_tcp = ipv6_header(len(tcp), 6, me, peer) + tcp
    inner_echo = ipv6_header(64, 58, me, peer) + struct.pack(">BBHHH", 128, 0, 0xabcd, 0x1234, 1) + bytes(56)
    errors = [
        ("unreach-noroute-udp", 1, 0, 0, inner_udp),
        ("unreach-prohibited-tcp", 1, 1, 0, inner_tcp),
        ("unreach-port-udp", 1, 4, 0, inner_udp),
        ("unreach-addr-echo", 1, 3, 0, inner_echo),
        ("ptb-1280-tcp", 2, 0, 1280, inner_tcp),
        ("ptb-small", 2, 0, 60, inner_udp),
        ("time-exceeded-echo", 3, 0, 0, inner_echo),
        ("param-pointer-6", 4, 0, 6, inner_udp),
        ("param-pointer-24", 4, 0, 24, inner_tcp),
        ("param-next-header", 4, 1, 40, inner_udp),
        ("param-option-dropped", 4, 2, 42, inner_udp),
    ]
    for name, typ, code, info, inner in errors:
        put(t, f"v6-{name}.bin", mode0(struct.pack(">BBHI", typ, code, 0, info) + inner))
    # From a router outside the prefix (shown as 192.0.0.8).
    put(t, "v6-router-outside.bin", mode0(struct.pack(">BBHI", 3, 0, 0, 0) + inner_udp, src="2001:db8::1"))
    # Mode 1: ICMPv4 echo request / ICMPv6 echo reply in place.
    put(t, "echo-request-v4.bin", b"\x01" + struct.pack(">BBHHH", 8, 0, 0xf7fd, 1, 1) + b"abcdefgh")
    put(t, "echo-reply-v6.bin", b"\x01" + echo_reply)
    # Mode 2: type, code, info, fallback, ee_errno, origin, pad, data.
    for name, typ, code, info, origin, err in [("ptb", 2, 0, 1500, 3, 90), ("unreach", 1, 4, 0, 3, 111),
                                                ("param", 4, 0, 7, 3, 71), ("local-emsgsize", 0, 0, 1400, 1, 90)]:
        put(t, f"err-{name}.bin", b"\x02" + struct.pack(">BBIIIBBI", typ, code, info, 5, err, origin, 0, 0))
    # Mode 3: outlen, payload, proto, ttl, tos, id, src, dst.
    put(t, "header.bin", b"\x03" + struct.pack(">BIBBBH", 20, 64, 1, 64, 0, 0) + v4("203.0.113.10") + v4("192.0.0.4"))
    put(t, "header-too-big.bin", b"\x03" + struct.pack(">BIBBBH", 24, 65516, 17, 1, 0xb8, 7) + v4("10.0.0.1") + v4("10.0.0.2"))
    # Mode 4: packet length, packet, program. Programs as tcpdump -dd
    # compiles them for an IPv4 raw socket (no link-layer header).
    pkt = (struct.pack(">BBHHHBBH", 0x45, 0, 84, 0, 0, 57, 1, 0) + v4("203.0.113.10") + v4("192.0.0.4")
           + struct.pack(">BBHHH", 0, 0, 0, 0x1234, 1) + bytes(56))
    def prog(*insns):
        return b"".join(struct.pack("<HBBI", *i) for i in insns)
    icmp_only = prog((0x30, 0, 0, 9), (0x15, 0, 1, 1), (0x06, 0, 0, 0x40000), (0x06, 0, 0, 0))
    # icmp[icmptype] == icmp-echoreply: ldx msh, ind load.
    echoreply = prog((0x30, 0, 0, 9), (0x15, 0, 5, 1), (0x28, 0, 0, 6), (0x45, 3, 0, 0x1fff),
                     (0xb1, 0, 0, 0), (0x50, 0, 0, 0), (0x15, 1, 0, 0), (0x06, 0, 0, 0), (0x06, 0, 0, 0x40000))
    # Scratch memory and ALU: A = len; M[0] = A; A = M[0] * 2; ret A.
    scratch = prog((0x80, 0, 0, 0), (0x02, 0, 0, 0), (0x60, 0, 0, 0), (0x24, 0, 0, 2),
                   (0x07, 0, 0, 0), (0x87, 0, 0, 0), (0x16, 0, 0, 0))
    for name, p in [("icmp-only", icmp_only), ("echoreply", echoreply), ("scratch", scratch)]:
        put(t, f"bpf-{name}.bin", b"\x04" + struct.pack(">H", len(pkt)) + pkt + p)
    # An out-of-packet load and a read of an unwritten cell (invalid).
    put(t, "bpf-oob.bin", b"\x04" + struct.pack(">H", 20) + pkt[:20] + prog((0x20, 0, 0, 100), (0x16, 0, 0, 0)))
    put(t, "bpf-uninit.bin", b"\x04" + struct.pack(">H", 20) + pkt[:20] + prog((0x60, 0, 0, 3), (0x16, 0, 0, 0)))
    # Mode 5: prefix set, address, then checksum data.
    put(t, "ipv4-for.bin", b"\x05\x03\x00\x01\x06" + synthesize("2001:db8:122:344::", 96, "198.51.100.9") + pkt)


# ---- fuzz_prefix_cache --------------------------------------------------
def cache_seeds():
    t = "fuzz_prefix_cache"
    put(t, "dns64.cache", b"\x00" + b"version 1\nsource dns64\nnegative no\nprefix 64:ff9b::/96\n"
        b"prefix 2001:db8:122:344::/64\nfetched 1764130000\nexpires 1764133600\nresolver 2001:db8:1::1\n")
    put(t, "negative.cache", b"\x00" + b"version 1\nsource dns64\nnegative yes\nfetched 1764130000\n"
        b"expires 1764130300\nresolver 192.0.2.53\n")
    put(t, "pref64.cache", b"\x00" + b"version 1\nsource pref64\nnegative no\nprefix 2001:db8::/32\n"
        b"fetched 0\nexpires 1800\nresolver -\n")
    put(t, "config-no-resolver.cache", b"\x00" + b"version 1\nsource config\nnegative no\n"
        b"prefix 2001:db8:100::/40\nfetched 1700000000\nexpires 1700000000\n")
    put(t, "cut-short.cache", b"\x00" + b"version 1\nsource fallback\nnegative no\nprefix 64:ff9b::/96\nfetched 17")
    # Format mode: source, negative, count, 4 prefix slots, times, flag, size, resolver.
    put(t, "format-entry.bin", b"\x01" + bytes([3, 0, 2, 0, 2, 4, 6]) + struct.pack(">QQ", 1764130000, 1764133600)
        + b"\x00" + b"\x80" + b"2001:db8::53\x00")


# ---- fuzz_sockopt --------------------------------------------------------
def sockopt_seeds():
    t = "fuzz_sockopt"
    for name, level, opt in [("ip-tos", 0, 1), ("ip-ttl", 0, 2), ("ip-multicast-if", 0, 32),
                             ("so-broadcast", 1, 6), ("so-reuseaddr", 1, 2), ("tcp-nodelay", 6, 1),
                             ("ip-mtu", 0, 14), ("sol-raw-icmp-filter", 255, 1)]:
        put(t, f"{name}.bin", struct.pack(">ii", level, opt))


# ---- fuzz_hostent / fuzz_addrmap (RFC 6535 address mapper) ---------------
def hostent_seeds():
    t = "fuzz_hostent"
    put(t, "two-addrs.bin", struct.pack(">HBB", 512, 2, 0) + v4("198.18.0.1") + v4("198.18.0.2") + b"legacy.example.com")
    put(t, "misaligned-tight.bin", struct.pack(">HBB", 45, 1, 3) + v4("198.18.0.9") + b"a.example")
    put(t, "no-addrs.bin", struct.pack(">HBB", 64, 0, 0) + b"ipv6only.example.net")
    put(t, "too-small.bin", struct.pack(">HBB", 8, 4, 1) + bytes(16) + b"x")


def addrmap_seeds():
    t = "fuzz_addrmap"
    # pool length (24 + n), pool, patches (offset, count, bytes), now, ops (op, id, time step).
    ops = b"".join(bytes([op, ident, step]) for op, ident, step in
                   [(0x01, 1, 1), (0x11, 2, 1), (0x01, 1, 0), (0x23, 3, 15), (0x05, 4, 2), (0x07, 5, 9)])
    put(t, "fresh-24.bin", b"\x00" + v4("198.18.0.0") + b"\x00" + struct.pack(">I", 1764130000) + ops)
    put(t, "small-30.bin", b"\x06" + v4("198.18.0.0") + b"\x00" + struct.pack(">I", 100) + ops * 3)
    # Header fields another process left: next_free past the end, rate count at the limit.
    put(t, "patched-header.bin", b"\x04" + v4("100.64.0.0") + b"\x02" + struct.pack(">HB", 32, 4) + b"\xff\xff\x00\x00"
        + struct.pack(">HB", 36, 4) + struct.pack("<I", 256) + struct.pack(">I", 5) + ops)


# ---- fuzz_networkd (PREF64 from systemd-networkd's Describe JSON) -----------
def networkd_seeds():
    t = "fuzz_networkd"
    now = struct.pack(">Q", 5000000000)
    def entry(prefix_bytes, length, lifetime):
        return ('{"Prefix":[%s],"PrefixString":"x","PrefixLength":%d,"LifetimeUSec":%d,'
                '"ConfigProvider":[254,128,0,0,0,0,0,0,0,0,0,0,0,0,0,1]}'
                % (",".join(str(b) for b in prefix_bytes), length, lifetime))
    p96 = [32, 1, 13, 184, 0, 100] + [0] * 10
    p40 = [32, 1, 13, 184, 100] + [0] * 11
    link = '{"Index":2,"Name":"eth0","Flags":69699,"Addresses":[{"Family":10,"PrefixLength":64}],"NDisc":{"PREF64":[%s]}}'
    put(t, "describe-96.json", now + ('{"parameters":{"Interfaces":[{"Index":1,"Name":"lo"},%s]}}\0'
                                      % (link % entry(p96, 96, 5600000000))).encode())
    put(t, "two-links.json", now + ('{"parameters":{"Interfaces":[%s,%s]}}'
                                    % (link % entry(p96, 96, 5100000000), link % entry(p40, 40, 5300000000))).encode())
    put(t, "expired.json", now + ('{"parameters":{"Interfaces":[%s]}}' % (link % entry(p96, 96, 1))).encode())
    put(t, "text-only.json", now + b'{"PREF64":[{"PrefixString":"64:ff9b::","PrefixLength":96}]}')
    put(t, "error.json", now + b'{"error":"org.varlink.service.MethodNotFound","parameters":{}}\0')
    put(t, "escapes.json", now + b'{"a":"x\\"\\\\\\u00e9\\n","b":[true,false,null,-1.5e3,{}],"PREF64":[]}')


# ---- fuzz_log_escape: log values ------------------------------------------
def log_escape_seeds():
    t = "fuzz_log_escape"
    put(t, "path", bytes([200]) + b"/tmp/clat debug.log")
    put(t, "forged-line", bytes([255]) + b"/x\nlibclat[1]: settings: mode auto")
    put(t, "terminal", bytes([64]) + b"\x1b[2J\x1b]0;title\x07\r\t\x7f\x80\xff\\x0a")
    put(t, "tight", bytes([6]) + b"ab\ncd")


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    config_seeds()
    prefix_seeds()
    rfc7050_seeds()
    pref64_seeds()
    sockaddr_seeds()
    remote_msg_seeds()
    attempts_seeds()
    cmsg_seeds()
    icmp_seeds()
    cache_seeds()
    sockopt_seeds()
    hostent_seeds()
    addrmap_seeds()
    networkd_seeds()
    log_escape_seeds()
    for target in sorted(written):
        print(f"{target}: {written[target]} seeds")


if __name__ == "__main__":
    main()
