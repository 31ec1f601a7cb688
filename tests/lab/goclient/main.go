// goclient: the Go net package's own system calls (no libc), for the
// supervisor tests (run-supervise.sh).
//
//	goclient http URL            GET URL, print the body
//	goclient get4 URL            the same over IPv4 only ("tcp4")
//	goclient tcp HOST:PORT       echo "ping" over TCP, print the reply and
//	                             the local and remote addresses
//	goclient udp HOST:PORT       connected UDP echo, print the reply and addresses
//	goclient udpfrom HOST:PORT   unconnected UDP (WriteTo/ReadFrom), print
//	                             the reply and the sender
//	goclient parallel N HOST:PORT  N goroutines each doing a TCP echo; print
//	                             "parallel ok N" when all N succeeded
//	goclient fork HOST:PORT      start itself (tcp HOST:PORT) as a child
//	                             process and print its output
//	goclient serve4 ADDR         listen on "tcp4" ADDR (127.0.0.1:0), dial
//	                             it, print what each end sees
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

func fail(err error) {
	fmt.Fprintln(os.Stderr, "goclient:", err)
	os.Exit(1)
}

func echo(network, addr string) (string, error) {
	c, err := net.DialTimeout(network, addr, 10*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return "", err
	}
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("reply %q local %s remote %s", buf[:n], c.LocalAddr(), c.RemoteAddr()), nil
}

func main() {
	if len(os.Args) < 3 {
		fail(fmt.Errorf("usage: goclient http|get4|tcp|udp|udpfrom|parallel|fork|serve4 ARG"))
	}
	switch os.Args[1] {
	case "http":
		client := http.Client{Timeout: 10 * time.Second}
		r, err := client.Get(os.Args[2])
		if err != nil {
			fail(err)
		}
		body, _ := io.ReadAll(r.Body)
		fmt.Print(string(body))
	case "get4":
		dial := func(ctx context.Context, _, addr string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp4", addr)
		}
		client := http.Client{Timeout: 10 * time.Second,
			Transport: &http.Transport{DialContext: dial}}
		r, err := client.Get(os.Args[2])
		if err != nil {
			fail(err)
		}
		body, _ := io.ReadAll(r.Body)
		fmt.Print(string(body))
	case "tcp", "udp":
		out, err := echo(os.Args[1], os.Args[2])
		if err != nil {
			fail(err)
		}
		fmt.Println(out)
	case "udpfrom":
		pc, err := net.ListenPacket("udp4", "0.0.0.0:0")
		if err != nil {
			fail(err)
		}
		dst, err := net.ResolveUDPAddr("udp4", os.Args[2])
		if err != nil {
			fail(err)
		}
		pc.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := pc.WriteTo([]byte("ping\n"), dst); err != nil {
			fail(err)
		}
		buf := make([]byte, 64)
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			fail(err)
		}
		fmt.Printf("reply %q from %s\n", buf[:n], from)
	case "parallel":
		n, _ := strconv.Atoi(os.Args[2])
		var wg sync.WaitGroup
		var mu sync.Mutex
		good := 0
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := echo("tcp", os.Args[3]); err == nil {
					mu.Lock()
					good++
					mu.Unlock()
				} else {
					fmt.Fprintln(os.Stderr, "goclient:", err)
				}
			}()
		}
		wg.Wait()
		fmt.Printf("parallel ok %d\n", good)
	case "serve4":
		ln, err := net.Listen("tcp4", os.Args[2])
		if err != nil {
			fail(err)
		}
		defer ln.Close()
		accepted := make(chan net.Conn, 1)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				fail(err)
			}
			accepted <- c
		}()
		c, err := net.DialTimeout("tcp4", ln.Addr().String(), 10*time.Second)
		if err != nil {
			fail(err)
		}
		defer c.Close()
		s := <-accepted
		defer s.Close()
		fmt.Printf("listener %s client local %s remote %s server peer %s\n", ln.Addr(),
			c.LocalAddr(), c.RemoteAddr(), s.RemoteAddr())
	case "fork":
		out, err := exec.Command(os.Args[0], "tcp", os.Args[2]).CombinedOutput()
		fmt.Print("child: ", string(out))
		if err != nil {
			fail(err)
		}
	default:
		fail(fmt.Errorf("unknown command %s", os.Args[1]))
	}
}
