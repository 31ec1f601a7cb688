#!/usr/bin/env python3
"""IPv4-only socket clients for the libclat lab. Each mode uses AF_INET sockets
only, checks what the program sees (addresses stay IPv4), prints what it got and
a final "PYOK" line when every check passed; errors propagate (exit status 1).

  pyclient.py tcp-http HOST PORT MARKER    connect, GET /, getpeername/getsockname
  pyclient.py tcp-http-blocking HOST PORT MARKER
                                           the same with a blocking connect()
  pyclient.py tcp-byname NAME PORT MARKER  gethostbyname (A record), then tcp-http
  pyclient.py tcp-whoami HOST PORT         print the whoami line the server saw
  pyclient.py udp-echo HOST PORT           unconnected sendto/recvfrom
  pyclient.py udp-connected HOST PORT      connect, send, recv, getpeername
  pyclient.py udp-whoami HOST PORT         unconnected, print the whoami reply
"""
import socket
import sys

LOCAL_CLAT = "192.0.0.4"   # RFC 7335: what a translated socket reports as local
TIMEOUT = 5


def fail(msg):
    print("PYFAIL " + msg)
    sys.exit(1)


def tcp_http(host, port, marker, blocking=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if not blocking:  # a timeout makes the socket non-blocking underneath
        s.settimeout(TIMEOUT)
    s.connect((host, port))
    s.settimeout(TIMEOUT)
    peer, local = s.getpeername(), s.getsockname()
    print(f"peername={peer} sockname={local} family={s.family!r}")
    s.sendall(f"GET / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    print(data.decode(errors="replace").splitlines()[-1] if data else "(no data)")
    if peer != (host, port):
        fail(f"getpeername {peer} != {(host, port)}")
    if local[0] != LOCAL_CLAT:
        fail(f"getsockname address {local[0]} != {LOCAL_CLAT}")
    if marker.encode() not in data:
        fail("marker not in response")


def tcp_whoami(host, port):
    s = socket.create_connection((host, port), TIMEOUT)
    if s.family != socket.AF_INET:
        fail(f"create_connection used {s.family!r}")
    line = s.makefile().readline().strip()
    print(line)
    if not line.startswith("whoami "):
        fail("no whoami line")


def udp_echo(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    payload = b"clat-udp-echo-1234"
    s.sendto(payload, (host, port))
    data, addr = s.recvfrom(2048)
    print(f"recvfrom={addr} data={data!r} sockname={s.getsockname()}")
    if data != payload:
        fail("echo data differs")
    if addr != (host, port):
        fail(f"recvfrom address {addr} != {(host, port)}")


def udp_connected(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    s.connect((host, port))
    payload = b"clat-udp-connected-5678"
    s.send(payload)
    data = s.recv(2048)
    peer = s.getpeername()
    print(f"peername={peer} data={data!r} sockname={s.getsockname()}")
    if data != payload:
        fail("echo data differs")
    if peer != (host, port):
        fail(f"getpeername {peer} != {(host, port)}")


def udp_whoami(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    s.sendto(b"?", (host, port))
    data, addr = s.recvfrom(2048)
    print(data.decode().strip() + f" (from {addr})")
    if addr != (host, port):
        fail(f"recvfrom address {addr} != {(host, port)}")


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "tcp-http":
        tcp_http(host, port, sys.argv[4])
    elif mode == "tcp-http-blocking":
        tcp_http(host, port, sys.argv[4], blocking=True)
    elif mode == "tcp-byname":
        addr = socket.gethostbyname(host)
        print(f"gethostbyname({host!r}) = {addr}")
        tcp_http(addr, port, sys.argv[4])
    elif mode == "tcp-whoami":
        tcp_whoami(host, port)
    elif mode == "udp-echo":
        udp_echo(host, port)
    elif mode == "udp-connected":
        udp_connected(host, port)
    elif mode == "udp-whoami":
        udp_whoami(host, port)
    else:
        sys.exit(f"unknown mode {mode}")
    print("PYOK")


if __name__ == "__main__":
    main()
