// Package clustertest holds what tests and harnesses that run raftcache
// nodes as real processes share.
package clustertest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
)

// Ports below the kernel's ephemeral range are never handed out to an
// outgoing connection, so a port reserved there stays free between the
// moment it is chosen and the moment a child process binds it, and after
// the child is killed and restarted on it. A port from ":0" is an
// ephemeral one: any test's client socket may take it in between, and a
// node then fails with "address already in use".
const (
	lowestPort       = 10000
	defaultEphemeral = 32768 // Linux's default ip_local_port_range start
	attemptsPerPort  = 64
)

// FreeAddrs returns n distinct addresses on ip ("127.0.0.1") whose ports
// were free a moment ago, chosen at random below the ephemeral port range
// so that parallel test processes rarely pick the same one and no
// outgoing connection takes one before its process binds it.
func FreeAddrs(ip string, n int) ([]string, error) {
	hi := ephemeralStart()
	if hi <= lowestPort+n {
		return ephemeralAddrs(ip, n)
	}
	seen := map[int]bool{}
	out := make([]string, 0, n)
	for tries := 0; len(out) < n; tries++ {
		if tries == attemptsPerPort*n {
			return nil, fmt.Errorf("reserve %d ports on %s: none free in %d..%d", n, ip, lowestPort, hi-1)
		}
		port := lowestPort + rand.IntN(hi-lowestPort)
		if seen[port] {
			continue
		}
		seen[port] = true
		addr := net.JoinHostPort(ip, strconv.Itoa(port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue // in use
		}
		l.Close()
		out = append(out, addr)
	}
	return out, nil
}

// ephemeralStart is the first port of the kernel's ephemeral range.
func ephemeralStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return defaultEphemeral
	}
	f := bytes.Fields(b)
	if len(f) == 0 {
		return defaultEphemeral
	}
	lo, err := strconv.Atoi(string(f[0]))
	if err != nil {
		return defaultEphemeral
	}
	return lo
}

// ephemeralAddrs is the fallback when the ephemeral range leaves no room
// below it: ports the kernel chooses, held until all n are chosen so they
// are distinct.
func ephemeralAddrs(ip string, n int) ([]string, error) {
	var out []string
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			return nil, fmt.Errorf("reserve a port on %s: %w", ip, err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	return out, nil
}
