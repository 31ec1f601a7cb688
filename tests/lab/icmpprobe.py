#!/usr/bin/env python3
"""ICMP and IP-option probes for the libclat lab (run-icmp.sh). The client modes
use AF_INET sockets only and check what an IPv4 program sees; each prints what it
got and a final "PYOK" line when every check passed ("PYFAIL why" and exit 1
otherwise; an OSError propagates, exit 1, so "Network is unreachable" shows).

  icmpprobe.py ping HOST          ping socket (SOCK_DGRAM, IPPROTO_ICMP): 3 echoes;
                                  the reply's ICMPv4 checksum (RFC 1071), type 0,
                                  id (the socket's "port"), seq, payload
  icmpprobe.py raw HOST           raw ICMP socket (root): 3 echoes; the IPv4 header
                                  (version, IHL, checksum, source, protocol) and
                                  the ICMPv4 reply as above
  icmpprobe.py udp-opts HOST PORT TOS TTL before|after
                                  UDP socket: IP_TOS, IP_TTL set before or after
                                  connect (which translates it), read back; IP_MTU;
                                  send one datagram (carrying MARKER)
  icmpprobe.py recverr HOST PORT TTL OFFENDER
                                  UDP socket with IP_RECVERR and IP_TTL: sendto,
                                  then MSG_ERRQUEUE must hold a sock_extended_err
                                  origin ICMP (2), type 11 (time exceeded), errno
                                  EHOSTUNREACH, offender OFFENDER
  icmpprobe.py capture IFNAME DST PORT SECONDS READY
                                  (in gw) AF_PACKET capture of IPv6 on IFNAME:
                                  print the traffic class and hop limit of the
                                  first UDP datagram to [DST]:PORT carrying the
                                  marker; touch READY once listening
"""
import os
import select
import socket
import struct
import sys
import time

TIMEOUT = 3
MARKER = b"clat-icmp-probe-7d2f"
ETH_P_IPV6 = 0x86DD
# linux/in.h, linux/errqueue.h (the socket module lacks some of them)
IP_MTU = 14
IP_RECVERR = 11
SO_EE_ORIGIN_ICMP = 2


def fail(msg):
    print("PYFAIL " + msg)
    sys.exit(1)


def csum(data):
    """RFC 1071 Internet checksum; 0 when data holds a correct checksum."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_request(ident, seq, payload):
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    c = csum(hdr + payload)
    return struct.pack("!BBHHH", 8, 0, c, ident, seq) + payload


def check_reply(icmp, ident, seq, payload, what):
    if len(icmp) < 8:
        fail(f"{what}: reply of {len(icmp)} bytes")
    typ, code, ck, rid, rseq = struct.unpack("!BBHHH", icmp[:8])
    print(f"{what}: type={typ} code={code} cksum=0x{ck:04x} id={rid} seq={rseq} "
          f"len={len(icmp)} rfc1071={csum(icmp):#06x}")
    if typ != 0 or code != 0:
        fail(f"{what}: type {typ} code {code}, want echo reply 0/0")
    if csum(icmp) != 0:
        fail(f"{what}: ICMPv4 checksum 0x{ck:04x} is wrong (RFC 1071 sum "
             f"0x{csum(icmp):04x}, want 0)")
    if rid != ident:
        fail(f"{what}: id {rid}, want {ident}")
    if rseq != seq:
        fail(f"{what}: seq {rseq}, want {seq}")
    if icmp[8:] != payload:
        fail(f"{what}: payload differs ({len(icmp) - 8} bytes, want {len(payload)})")


def recv_deadline(s, size, what):
    r, _, _ = select.select([s], [], [], TIMEOUT)
    if not r:
        fail(f"{what}: no reply within {TIMEOUT} s")
    return s.recvfrom(size)


def ping_sock(host):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
    print(f"family={s.family!r} type={s.type!r}")
    for seq in (1, 2, 3):
        payload = MARKER + bytes(range(seq, seq + 40)) + b"odd"  # odd length
        s.sendto(echo_request(0, seq, payload), (host, 0))
        # A ping socket's echo id is its "port", bound by the first send; the
        # kernel writes it into the request.
        ident = s.getsockname()[1]
        if seq == 1:
            print(f"sockname={s.getsockname()}")
        data, src = recv_deadline(s, 65535, f"seq {seq}")
        if src[0] != host:
            fail(f"seq {seq}: reply from {src}, want {host}")
        check_reply(data, ident, seq, payload, f"seq {seq} from {src[0]}")
    s.close()
    print("PYOK ping socket")


def raw_sock(host):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = (os.getpid() & 0xFFFF) ^ 0x5A5A
    print(f"family={s.family!r} type={s.type!r}")
    for seq in (1, 2, 3):
        payload = MARKER + bytes(range(seq, seq + 40)) + b"odd"
        s.sendto(echo_request(ident, seq, payload), (host, 0))
        deadline = time.monotonic() + TIMEOUT
        while True:  # a raw socket sees every ICMP message: skip the others
            left = deadline - time.monotonic()
            if left <= 0:
                fail(f"seq {seq}: no echo reply within {TIMEOUT} s")
            r, _, _ = select.select([s], [], [], left)
            if not r:
                continue
            pkt, src = s.recvfrom(65535)
            if len(pkt) < 20 or pkt[0] >> 4 != 4:
                fail(f"seq {seq}: not an IPv4 packet: {pkt[:20].hex()}")
            ihl = (pkt[0] & 15) * 4
            icmp = pkt[ihl:]
            if len(icmp) >= 8 and icmp[0] == 0 and struct.unpack("!H", icmp[4:6])[0] == ident:
                break
            print(f"seq {seq}: skipping ICMP type {icmp[0] if icmp else '?'} from {src[0]}")
        hsrc, hdst = socket.inet_ntoa(pkt[12:16]), socket.inet_ntoa(pkt[16:20])
        tot, ttl, proto = struct.unpack("!H", pkt[2:4])[0], pkt[8], pkt[9]
        print(f"seq {seq}: IPv4 header ihl={ihl} tot_len={tot} ttl={ttl} proto={proto} "
              f"src={hsrc} dst={hdst} hdr_rfc1071={csum(pkt[:ihl]):#06x} recvfrom={src[0]}")
        if ihl < 20 or csum(pkt[:ihl]) != 0:
            fail(f"seq {seq}: IPv4 header checksum wrong")
        if proto != 1 or hsrc != host or src[0] != host:
            fail(f"seq {seq}: proto {proto} src {hsrc}/{src[0]}, want 1 and {host}")
        if tot != len(pkt):
            fail(f"seq {seq}: tot_len {tot}, packet is {len(pkt)} bytes")
        check_reply(icmp, ident, seq, payload, f"seq {seq}")
    s.close()
    print("PYOK raw socket")


def udp_opts(host, port, tos, ttl, when):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if when == "before":
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    s.connect((host, port))
    # Read now: a new IP_TOS drops the socket's cached route, and IP_MTU then
    # fails with ENOTCONN until the next send (Linux, IPv4 and IPv6 alike).
    mtu = s.getsockopt(socket.IPPROTO_IP, IP_MTU)
    if when == "after":
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    got_tos = s.getsockopt(socket.IPPROTO_IP, socket.IP_TOS)
    got_ttl = s.getsockopt(socket.IPPROTO_IP, socket.IP_TTL)
    print(f"after connect: IP_TOS={got_tos:#x} IP_TTL={got_ttl} IP_MTU={mtu} "
          f"sockname={s.getsockname()} peername={s.getpeername()}")
    if got_tos != tos or got_ttl != ttl:
        fail(f"read back IP_TOS {got_tos:#x} IP_TTL {got_ttl}, want {tos:#x} {ttl}")
    if mtu != 1480:
        fail(f"IP_MTU {mtu}, want 1480 (IPv6 path MTU 1500 - 20)")
    s.send(MARKER)
    s.close()
    print("PYOK udp options")


def parse_errqueue(s, what):
    p = select.poll()
    p.register(s, select.POLLERR)  # a queued error is POLLERR (select's xlist is POLLPRI)
    if not p.poll(TIMEOUT * 1000):
        fail(f"{what}: nothing on the error queue within {TIMEOUT} s")
    data, anc, flags, addr = s.recvmsg(2048, socket.CMSG_SPACE(512), socket.MSG_ERRQUEUE)
    for level, typ, cdata in anc:
        if level == socket.IPPROTO_IP and typ == IP_RECVERR and len(cdata) >= 16:
            ee_errno, origin, etype, code, _pad, info, _data = struct.unpack("=IBBBBII", cdata[:16])
            off = cdata[16:]
            fam = struct.unpack("=H", off[:2])[0] if len(off) >= 2 else -1
            offender = socket.inet_ntoa(off[4:8]) if fam == socket.AF_INET and len(off) >= 8 \
                else f"(family {fam})"
            print(f"{what}: ee_errno={ee_errno} ({os.strerror(ee_errno)}) origin={origin} "
                  f"type={etype} code={code} info={info} offender={offender} "
                  f"msg_name={addr} payload={data[:len(MARKER)]!r}")
            return ee_errno, origin, etype, code, offender, addr, data
    fail(f"{what}: no IP_RECVERR control message: {[(l, t) for l, t, _ in anc]} from {addr}")


def recverr(host, port, ttl, offender):
    import errno
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    s.sendto(MARKER, (host, port))
    ee_errno, origin, etype, code, off, addr, data = parse_errqueue(s, f"TTL {ttl}")
    if origin != SO_EE_ORIGIN_ICMP:
        fail(f"origin {origin}, want {SO_EE_ORIGIN_ICMP} (SO_EE_ORIGIN_ICMP)")
    if etype != 11 or code != 0:
        fail(f"ICMP type {etype} code {code}, want 11/0 (time exceeded in transit)")
    if ee_errno != errno.EHOSTUNREACH:
        fail(f"ee_errno {ee_errno}, want EHOSTUNREACH")
    if off != offender:
        fail(f"offender {off}, want {offender}")
    if addr is None or addr[0] != host or addr[1] != port:
        fail(f"msg_name {addr}, want ({host!r}, {port})")
    if not data.startswith(MARKER):
        fail(f"error queue payload {data[:32]!r} is not what was sent")
    s.close()
    print("PYOK recverr")


def capture(ifname, dst, port, seconds, ready):
    want = socket.inet_pton(socket.AF_INET6, dst)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IPV6))
    s.bind((ifname, ETH_P_IPV6))
    open(ready, "w").close()
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            fail(f"no UDP datagram to [{dst}]:{port} on {ifname} within {seconds} s")
        r, _, _ = select.select([s], [], [], left)
        if not r:
            continue
        pkt = s.recv(65535)
        if len(pkt) < 48 or pkt[0] >> 4 != 6 or pkt[6] != 17 or pkt[24:40] != want:
            continue
        if struct.unpack("!H", pkt[42:44])[0] != port or MARKER not in pkt[48:]:
            continue
        tclass = ((pkt[0] & 15) << 4) | (pkt[1] >> 4)
        print(f"captured on {ifname}: [{socket.inet_ntop(socket.AF_INET6, pkt[8:24])}] -> "
              f"[{dst}]:{port} traffic_class={tclass:#04x} hop_limit={pkt[7]}")
        return


def main(argv):
    if len(argv) < 2:
        fail(__doc__)
    mode, args = argv[1], argv[2:]
    if mode == "ping":
        ping_sock(args[0])
    elif mode == "raw":
        raw_sock(args[0])
    elif mode == "udp-opts":
        udp_opts(args[0], int(args[1]), int(args[2], 0), int(args[3]), args[4])
    elif mode == "recverr":
        recverr(args[0], int(args[1]), int(args[2]), args[3])
    elif mode == "capture":
        capture(args[0], args[1], int(args[2]), float(args[3]), args[4])
    else:
        fail(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv)
