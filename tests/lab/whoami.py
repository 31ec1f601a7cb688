#!/usr/bin/env python3
"""whoami server for the libclat lab: on TCP and UDP PORT of ADDR, answer every
connection / datagram with "whoami IP PORT\n", the source address it saw.
Behind TAYGA that is an address of the NAT64 pool, which proves the NAT64 path.
An IPv6 ADDR serves IPv6 (the lab's IPv6-only host for the address mapper)."""
import socket
import socketserver
import sys
import threading


class TCPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        ip, port = self.client_address[:2]
        self.request.sendall(f"whoami {ip} {port}\n".encode())


class TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def udp_loop(addr, port):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        _, peer = s.recvfrom(2048)
        ip, sport = peer[:2]
        s.sendto(f"whoami {ip} {sport}\n".encode(), peer)


def main():
    addr, port = sys.argv[1], int(sys.argv[2])
    TCPServer.address_family = family(addr)
    tcp = TCPServer((addr, port), TCPHandler)
    threading.Thread(target=udp_loop, args=(addr, port), daemon=True).start()
    tcp.serve_forever()


if __name__ == "__main__":
    main()
