package resp

import (
	"net"
	"sync"
)

// Listeners merges listeners into one, so that one Server serves Redis's
// plain port and its tls-port (a listener from tls.NewListener) alike: a
// connection is a connection once its handshake is done, and AUTH, ACLs
// and every command work the same on both. Addr is the first listener's;
// Close closes them all.
func Listeners(ls ...net.Listener) net.Listener {
	if len(ls) == 1 {
		return ls[0]
	}
	m := &multiListener{ls: ls, conns: make(chan accepted), done: make(chan struct{})}
	for _, l := range ls {
		go m.accept(l)
	}
	return m
}

type accepted struct {
	c   net.Conn
	err error
}

type multiListener struct {
	ls    []net.Listener
	conns chan accepted
	once  sync.Once
	done  chan struct{}
}

func (m *multiListener) accept(l net.Listener) {
	for {
		c, err := l.Accept()
		select {
		case m.conns <- accepted{c, err}:
		case <-m.done:
			if c != nil {
				c.Close()
			}
			return
		}
		if err != nil {
			if ne, ok := err.(interface{ Temporary() bool }); !ok || !ne.Temporary() {
				return // closed: Serve sees the error and stops
			}
		}
	}
}

func (m *multiListener) Accept() (net.Conn, error) {
	select {
	case a := <-m.conns:
		return a.c, a.err
	case <-m.done:
		return nil, net.ErrClosed
	}
}

func (m *multiListener) Close() error {
	var err error
	m.once.Do(func() {
		close(m.done)
		for _, l := range m.ls {
			if cerr := l.Close(); cerr != nil && err == nil {
				err = cerr
			}
		}
	})
	return err
}

func (m *multiListener) Addr() net.Addr { return m.ls[0].Addr() }
