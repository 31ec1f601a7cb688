#!/usr/bin/env python3
"""forged_dns64.py ADDR PREFIX[,PREFIX...] TTL - a resolver on [ADDR]:53 (UDP)
that answers "ipv4only.arpa. IN AAAA" with 192.0.0.170 and 192.0.0.171
synthesised under each PREFIX in the order given (RFC 6052, /96 only; RFC 7050
s3: a host keeps the answer's order) and the given TTL, e.g. 2147483647, as a
forged or careless DNS64 would; every other question gets REFUSED. For
run-netchange.sh (a forged TTL) and run-supervise.sh (several prefixes).
"""
import ipaddress
import socket
import struct
import sys

QNAME = b"\x08ipv4only\x04arpa\x00"
AAAA, IN = 28, 1


def question_end(msg):
    """Offset just past the question's name, or None when it is not ours."""
    if len(msg) < 12 + len(QNAME) + 4 or msg[12:12 + len(QNAME)].lower() != QNAME:
        return None
    return 12 + len(QNAME)


def answer(msg, prefixes, ttl):
    qid, flags = struct.unpack("!HH", msg[:4])
    end = question_end(msg)
    rd = flags & 0x0100
    if end is None or struct.unpack("!HH", msg[end:end + 4]) != (AAAA, IN):
        return struct.pack("!HHHHHH", qid, 0x8000 | rd | 5, 0, 0, 0, 0)  # REFUSED
    question = msg[12:end + 4]
    head = struct.pack("!HHHHHH", qid, 0x8080 | rd, 1, 2 * len(prefixes), 0, 0)
    records = b""
    for prefix in prefixes:
        for last in (170, 171):
            addr = prefix.network_address.packed[:12] + bytes([192, 0, 0, last])
            records += struct.pack("!HHHIH", 0xC00C, AAAA, IN, ttl, 16) + addr
    return head + question + records


def main():
    addr, ttl = sys.argv[1], int(sys.argv[3])
    prefixes = [ipaddress.IPv6Network(p) for p in sys.argv[2].split(",")]
    if any(p.prefixlen != 96 for p in prefixes):
        sys.exit("forged_dns64.py: only /96 prefixes")
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    while True:
        msg, peer = s.recvfrom(512)
        if len(msg) >= 12:
            s.sendto(answer(msg, prefixes, ttl), peer)


if __name__ == "__main__":
    main()
