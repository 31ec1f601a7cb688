#!/usr/bin/env python3
"""whoami server for the libclat lab: on TCP and UDP PORT of ADDR, answer every
connection / datagram with "whoami IP PORT\n", the source address it saw.
Behind TAYGA that is an address of the NAT64 pool, which proves the NAT64 path."""
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


def udp_loop(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        _, (ip, sport) = s.recvfrom(2048)
        s.sendto(f"whoami {ip} {sport}\n".encode(), (ip, sport))


def main():
    addr, port = sys.argv[1], int(sys.argv[2])
    tcp = TCPServer((addr, port), TCPHandler)
    threading.Thread(target=udp_loop, args=(addr, port), daemon=True).start()
    tcp.serve_forever()


if __name__ == "__main__":
    main()
