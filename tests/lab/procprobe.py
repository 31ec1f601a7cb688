#!/usr/bin/env python3
"""Process-level probes for the discovery tests (run-discovery.sh): what a
process under LD_PRELOAD=libclat.so has mapped, and discovery across fork().
Prints facts, one per line, for the script to check; exit status 1 on an error.

  procprobe.py idle [HOST PORT MARKER]
      connections that need no translation: TCP to [::1], a Unix stream
      socket, TCP and UDP to 127.0.0.1 (all to listeners of its own); prints
      "libclat mapped: yes|no" and "idle: libcares mapped: yes|no". With HOST:
      then an IPv4 HTTP GET to HOST:PORT ("get: ok" when MARKER came back) and
      "after IPv4: libcares mapped: yes|no".
  procprobe.py fork-after HOST PORT MARKER
      GET (discovers), fork; the child GETs on a new AF_INET socket
      ("parent: ok", "child: ok", "child exit: 0").
  procprobe.py fork-before HOST PORT MARKER
      fork first; parent and child GET at the same time.
  procprobe.py fork-during HOST PORT
      a thread connects to HOST:PORT (discovery runs, slowly behind a silent
      resolver) while the main thread forks 0.3 s later; the child connects
      too: "child connect: ERROR after MS ms", "child exit: 0" (no deadlock on
      a lock the thread held at fork time).
  procprobe.py twice HOST PORT
      two AF_INET connects in one process; "connect N: ERROR after MS ms".
"""
import os
import socket
import sys
import threading
import time

TIMEOUT = 5


def mapped(name):
    with open("/proc/self/maps") as f:
        return "yes" if any(name in line for line in f) else "no"


def roundtrip(srv, cli):
    """Accepts cli's connection on srv, sends a byte each way."""
    conn, _ = srv.accept()
    cli.sendall(b"x")
    if conn.recv(1) != b"x":
        raise RuntimeError("no byte through the local connection")
    conn.sendall(b"y")
    if cli.recv(1) != b"y":
        raise RuntimeError("no byte back through the local connection")
    conn.close()
    cli.close()
    srv.close()


def local_tcp(family, addr):
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.settimeout(TIMEOUT)
    srv.bind((addr, 0))
    srv.listen(1)
    cli = socket.socket(family, socket.SOCK_STREAM)
    cli.settimeout(TIMEOUT)
    cli.connect(srv.getsockname()[:2])
    roundtrip(srv, cli)
    print(f"local tcp {addr}: ok")


def local_unix():
    path = "\0clat-procprobe-%d" % os.getpid()   # abstract: no file to clean up
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.settimeout(TIMEOUT)
    srv.bind(path)
    srv.listen(1)
    cli = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    cli.settimeout(TIMEOUT)
    cli.connect(path)
    roundtrip(srv, cli)
    print("local unix: ok")


def local_udp4():
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    a.settimeout(TIMEOUT)
    a.bind(("127.0.0.1", 0))
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b.settimeout(TIMEOUT)
    b.sendto(b"u", a.getsockname())
    data, _ = a.recvfrom(16)
    a.close()
    b.close()
    if data != b"u":
        raise RuntimeError("UDP 127.0.0.1 datagram lost")
    print("local udp 127.0.0.1: ok")


def get(host, port, marker, who="get"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect((host, port))
    s.sendall(f"GET / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    ok = marker.encode() in data
    print(f"{who}: {'ok' if ok else 'marker missing'}", flush=True)
    return ok


def idle(args):
    local_tcp(socket.AF_INET6, "::1")
    local_unix()
    local_tcp(socket.AF_INET, "127.0.0.1")
    local_udp4()
    print("libclat mapped: " + mapped("libclat"))
    print("idle: libcares mapped: " + mapped("libcares"), flush=True)
    if args:
        host, port, marker = args[0], int(args[1]), args[2]
        get(host, port, marker)
        print("after IPv4: libcares mapped: " + mapped("libcares"))


def wait_child(pid, seconds=8):
    """Exit status of child pid, killing it after seconds (bounded wait)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return "killed after %d s" % seconds


def child_get(host, port, marker):
    """In the child: GET, then leave without running the parent's cleanup."""
    code = 1
    try:
        code = 0 if get(host, port, marker, "child") else 1
    except Exception as e:  # noqa: BLE001 - report anything, never return
        print(f"child: error {e!r}", flush=True)
    finally:
        sys.stdout.flush()
        os._exit(code)


def fork_after(host, port, marker):
    if not get(host, port, marker, "parent"):
        sys.exit(1)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        child_get(host, port, marker)
    print(f"child exit: {wait_child(pid)}")


def fork_before(host, port, marker):
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        child_get(host, port, marker)
    try:
        get(host, port, marker, "parent")
    finally:
        print(f"child exit: {wait_child(pid)}")


def timed_connect(host, port, who):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    t0 = time.monotonic()
    try:
        s.connect((host, port))
        what = "connected"
    except OSError as e:
        what = f"error {e.strerror}"
    ms = int((time.monotonic() - t0) * 1000)
    s.close()
    print(f"{who}: {what} after {ms} ms", flush=True)


def fork_during(host, port):
    t = threading.Thread(target=timed_connect, args=(host, port, "thread connect"))
    t.start()
    time.sleep(0.3)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        try:
            timed_connect(host, port, "child connect")
        finally:
            os._exit(0)
    t.join(TIMEOUT + 2)
    print(f"child exit: {wait_child(pid, 5)}")


def twice(host, port):
    for n in (1, 2):
        timed_connect(host, port, f"connect {n}")


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "idle":
        idle(args)
    elif mode == "fork-after":
        fork_after(args[0], int(args[1]), args[2])
    elif mode == "fork-before":
        fork_before(args[0], int(args[1]), args[2])
    elif mode == "fork-during":
        fork_during(args[0], int(args[1]))
    elif mode == "twice":
        twice(args[0], int(args[1]))
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
