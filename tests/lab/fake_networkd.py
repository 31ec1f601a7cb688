#!/usr/bin/env python3
"""A stand-in for systemd-networkd's varlink socket (io.systemd.Network), for
libclat's discovery tests: answers io.systemd.Network.Describe with one link
whose NDisc.PREF64 list holds the given prefix, in the layout networkd-json.c
uses (Prefix as 16 bytes plus PrefixString, PrefixLength, LifetimeUSec on
CLOCK_BOOTTIME, ConfigProvider).

  fake_networkd.py SOCKET MODE [PREFIX/LEN LIFETIME_S]
  MODE: pref64 (the prefix, LIFETIME_S from now; 0 = already expired),
        none (a link without PREF64), error (a varlink error reply),
        silent (accept, read, never answer)
Every request is appended to SOCKET.log, so tests can count them."""
import ipaddress
import json
import os
import socket
import sys
import time


def reply(mode, prefix, lifetime):
    link = {"Index": 2, "Name": "eth0", "Type": "ether", "MTU": 1500,
            "Addresses": [{"Family": 10, "Address": list(ipaddress.IPv6Address("2001:db8:1::2").packed),
                           "PrefixLength": 64}]}
    if mode == "pref64":
        net = ipaddress.IPv6Network(prefix, strict=True)
        end = int(time.clock_gettime(time.CLOCK_BOOTTIME) * 1e6) + int(lifetime) * 1000000
        link["NDisc"] = {"PREF64": [{
            "Prefix": list(net.network_address.packed),
            "PrefixString": str(net.network_address),
            "PrefixLength": net.prefixlen,
            "LifetimeUSec": end,
            "ConfigProvider": list(ipaddress.IPv6Address("fe80::1").packed),
            "ConfigProviderString": "fe80::1"}]}
    if mode == "error":
        return {"error": "org.varlink.service.MethodNotFound",
                "parameters": {"method": "io.systemd.Network.Describe"}}
    return {"parameters": {"Interfaces": [{"Index": 1, "Name": "lo", "Type": "loopback"}, link]}}


def main():
    path, mode = sys.argv[1], sys.argv[2]
    prefix = sys.argv[3] if len(sys.argv) > 3 else None
    lifetime = sys.argv[4] if len(sys.argv) > 4 else "600"
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        data = b""
        while not data.endswith(b"\0"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        with open(path + ".log", "a") as log:
            log.write(data.rstrip(b"\0").decode(errors="replace") + "\n")
        if mode == "silent":
            time.sleep(5)
        else:
            conn.sendall(json.dumps(reply(mode, prefix, lifetime)).encode() + b"\0")
        conn.close()


if __name__ == "__main__":
    main()
