// Package clustertest holds what tests and harnesses that run raftcache
// nodes share: free ports for nodes run as real processes (FreeAddrs), and
// an in-memory Network, with faults on demand, for nodes run inside the
// test (see the inproc sub-package, which starts whole clusters on it).
package clustertest

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
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
// so that no outgoing connection takes one before its process binds it,
// and each reserved for the rest of the calling process's life (see
// reservePort), so that no other caller, in this process or in a test
// binary running beside it, is given the same port while a node of this
// one is down between a kill and its restart.
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
		reserved, err := reservePort(port)
		if err != nil {
			return nil, err
		}
		if !reserved {
			continue // another caller's
		}
		addr := net.JoinHostPort(ip, strconv.Itoa(port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue // in use by something that does not reserve
		}
		l.Close()
		out = append(out, addr)
	}
	return out, nil
}

// reservePort takes an exclusive flock on a file named after port in a
// directory shared by every process of this machine, and keeps it until
// the process exits: it reports false if another open file holds it. go
// test runs each package's tests in a process of its own, all at once,
// and two of them choosing the same random port one run in ten was
// enough to fail a CI run ("bind: address already in use"). A lock, not
// a file's existence, marks the reservation, so the kernel drops it when
// its process ends, however it ends. The descriptor is a raw one, never
// closed: an *os.File's finalizer would release the lock while the port
// is still in use.
func reservePort(port int) (bool, error) {
	dir := filepath.Join(os.TempDir(), "raftcache-test-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return false, fmt.Errorf("port reservations: %w", err)
	}
	_ = os.Chmod(dir, 0o777|os.ModeSticky) // shared by every user, as /tmp
	name := filepath.Join(dir, strconv.Itoa(port))
	// Read-only is enough for flock, and lets any user lock a file
	// another user created.
	fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_CREAT|syscall.O_CLOEXEC, 0o666)
	if err != nil {
		return false, fmt.Errorf("port reservation %s: %w", name, err)
	}
	if err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		syscall.Close(fd)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false, nil
		}
		return false, fmt.Errorf("port reservation %s: %w", name, err)
	}
	return true, nil
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
