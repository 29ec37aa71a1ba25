package clustertest

import (
	"net"
	"strconv"
	"testing"
)

func TestFreeAddrsAreDistinctBindableAndNotEphemeral(t *testing.T) {
	addrs, err := FreeAddrs("127.0.0.1", 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) != 20 {
		t.Fatalf("got %d addresses, want 20", len(addrs))
	}
	hi := ephemeralStart()
	seen := map[string]bool{}
	for _, a := range addrs {
		if seen[a] {
			t.Fatalf("address %s returned twice", a)
		}
		seen[a] = true
		_, p, err := net.SplitHostPort(a)
		if err != nil {
			t.Fatal(err)
		}
		port, _ := strconv.Atoi(p)
		if hi > lowestPort+20 && (port < lowestPort || port >= hi) {
			t.Errorf("port %d is outside %d..%d", port, lowestPort, hi-1)
		}
		l, err := net.Listen("tcp", a)
		if err != nil {
			t.Fatalf("returned address %s cannot be bound: %v", a, err)
		}
		l.Close()
	}
}

// TestFreeAddrsReserves: a port handed out once is never handed out again
// while its process lives, to this process or any other (the lock that
// reserves it excludes every other open file, whoever opened it).
func TestFreeAddrsReserves(t *testing.T) {
	first, err := FreeAddrs("127.0.0.1", 50)
	if err != nil {
		t.Fatal(err)
	}
	second, err := FreeAddrs("127.0.0.1", 50)
	if err != nil {
		t.Fatal(err)
	}
	taken := map[string]bool{}
	for _, a := range first {
		taken[a] = true
	}
	for _, a := range second {
		if taken[a] {
			t.Errorf("%s handed out twice", a)
		}
	}
	_, p, _ := net.SplitHostPort(first[0])
	port, _ := strconv.Atoi(p)
	if ok, err := reservePort(port); err != nil || ok {
		t.Errorf("reservePort(%d) of a reserved port = %v, %v; want false", port, ok, err)
	}
}
