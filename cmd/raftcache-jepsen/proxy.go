package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// rule is what a proxy does with the raft traffic of one source node.
type rule int

const (
	rulePass      rule = iota // forward both ways
	ruleDrop                  // close existing connections, refuse new ones
	ruleBlackhole             // hold connections open and forward nothing
)

func (r rule) String() string {
	switch r {
	case ruleDrop:
		return "drop"
	case ruleBlackhole:
		return "blackhole"
	default:
		return "pass"
	}
}

// proxy sits in front of one node's raft listener: peers dial the proxy
// (the node's -raft_advertise address), and the proxy dials the real port.
// Each node dials from its own loopback IP (-raft_source), so the proxy
// knows which node a connection comes from and can cut exactly that link.
type proxy struct {
	lis    net.Listener
	target string
	log    *slog.Logger

	mu     sync.Mutex
	rules  map[int]rule // by source node index; absent means pass
	conns  map[*pconn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// pconn is one proxied connection.
type pconn struct {
	src        int
	down, up   net.Conn // up is nil for a connection blackholed at accept
	blackholed bool     // guarded by proxy.mu: forward nothing from now on
}

func newProxy(listen, target string, log *slog.Logger) (*proxy, error) {
	lis, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("proxy listen %s: %w", listen, err)
	}
	p := &proxy{lis: lis, target: target, log: log, rules: make(map[int]rule), conns: make(map[*pconn]struct{})}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

func (p *proxy) addr() string { return p.lis.Addr().String() }

func (p *proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.lis.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			p.log.Debug("proxy accept", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(c)
		}()
	}
}

func (p *proxy) serve(down net.Conn) {
	src := sourceIndex(down.RemoteAddr())
	p.mu.Lock()
	r, closed := p.rules[src], p.closed
	p.mu.Unlock()
	if closed || r == ruleDrop {
		down.Close()
		return
	}
	pc := &pconn{src: src, down: down}
	if r == rulePass {
		up, err := net.DialTimeout("tcp", p.target, time.Second)
		if err != nil {
			down.Close()
			return
		}
		pc.up = up
	} else {
		pc.blackholed = true
	}
	p.mu.Lock()
	if p.closed || p.rules[src] != r {
		// The rule changed while dialing: start over on the next dial.
		p.mu.Unlock()
		pc.closeBoth()
		return
	}
	p.conns[pc] = struct{}{}
	p.mu.Unlock()

	if pc.up == nil {
		p.pipe(pc, down, nil) // discard until healed or closed
	} else {
		done := make(chan struct{}, 2)
		go func() { p.pipe(pc, down, pc.up); done <- struct{}{} }()
		go func() { p.pipe(pc, pc.up, down); done <- struct{}{} }()
		<-done
		pc.closeBoth()
		<-done
	}
	pc.closeBoth()
	p.mu.Lock()
	delete(p.conns, pc)
	p.mu.Unlock()
}

// pipe copies from src to dst until either fails, discarding what it reads
// once the connection is blackholed.
func (p *proxy) pipe(pc *pconn, src, dst net.Conn) {
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			hole := pc.blackholed
			p.mu.Unlock()
			if !hole && dst != nil {
				// A peer that stops reading must not wedge the proxy.
				_ = dst.SetWriteDeadline(time.Now().Add(10 * time.Second))
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				p.log.Debug("proxy copy", "err", err)
			}
			return
		}
	}
}

func (pc *pconn) closeBoth() {
	pc.down.Close()
	if pc.up != nil {
		pc.up.Close()
	}
}

// set applies r to the traffic from node src. Dropping closes the existing
// connections from src; blackholing stops forwarding on them.
func (p *proxy) set(src int, r rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r == rulePass {
		delete(p.rules, src)
	} else {
		p.rules[src] = r
	}
	for pc := range p.conns {
		if pc.src != src {
			continue
		}
		switch r {
		case ruleDrop:
			pc.closeBoth()
		case ruleBlackhole:
			pc.blackholed = true
		}
	}
}

// heal passes everything again. Connections that were blackholed lost
// bytes in the middle of their streams, so they are closed: their owners
// redial.
func (p *proxy) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.rules)
	for pc := range p.conns {
		if pc.blackholed {
			pc.closeBoth()
		}
	}
}

// close stops the proxy and every connection through it.
func (p *proxy) close(ctx context.Context) {
	p.mu.Lock()
	p.closed = true
	for pc := range p.conns {
		pc.closeBoth()
	}
	p.mu.Unlock()
	p.lis.Close()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		p.log.Warn("proxy connections still open at exit", "addr", p.addr())
	}
}

// sourceIndex maps a connection's remote address 127.0.0.(10+i) to node
// index i, or -1 for any other address.
func sourceIndex(a net.Addr) int {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return -1
	}
	ip := ta.IP.To4()
	if ip == nil || ip[0] != 127 || ip[1] != 0 || ip[2] != 0 || ip[3] < sourceBase {
		return -1
	}
	return int(ip[3]) - sourceBase
}

// sourceBase is the last octet of node 0's loopback IP.
const sourceBase = 10

// nodeIP is the loopback IP node i dials from and listens on.
func nodeIP(i int) string { return fmt.Sprintf("127.0.0.%d", sourceBase+i) }
