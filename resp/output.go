package resp

import (
	"net"
	"sync"
	"sync/atomic"
)

// maxPendingOutput is how many bytes of replies may wait for the socket
// before the connection reads no more requests: a client that pipelines
// without reading is held back instead of growing the buffer without end.
const maxPendingOutput = 256 * 1024

// output is a connection's outgoing bytes, in the order they must reach
// the client: the replies the connection's reader commits after serving
// requests, and pushes (a parked request's late reply; later pub/sub
// messages and tracking invalidations) that other goroutines add at any
// time. Every byte is queued under mu and written by one goroutine, run.
//
// flushing is the writer's turn: whoever holds it is the only one writing
// to the socket. Whoever queues bytes starts the flusher through
// startLocked, the one place that wakes it, unless someone has the turn;
// the flusher looks for more bytes under mu before it gives the turn back,
// and the reader's own write (commit) hands what was queued meanwhile to
// the flusher, so bytes queued during a write are never left behind.
type output struct {
	nc     net.Conn
	netOut *atomic.Int64 // bytes written to clients, for INFO
	resp3  atomic.Bool   // the protocol pushes are encoded in

	mu      sync.Mutex
	written sync.Cond // broadcast after each write
	buf     []byte    // queued for the socket
	spare   []byte    // the buffer last written, reused
	held    []byte    // pushes queued while a batch is served
	// Pushes caused by log entries (pub/sub messages, invalidations),
	// queued while a batch is served, each ending at its mark: the
	// batch's own writes take them in, in log order (see takeEntries).
	entryHeld  []byte
	entryMarks []entryMark
	holding    bool  // a batch is being served: its replies go first
	inflight   int   // bytes being written
	flushing   bool  // the writer's turn is taken: run, or commit, is writing
	closed     bool  // the connection is ending: nothing more is queued
	err        error // a write failed: the client is gone

	wake chan struct{} // one token per start of flushing
	done chan struct{} // closed when run returns
}

func newOutput(nc net.Conn, netOut *atomic.Int64) *output {
	o := &output{nc: nc, netOut: netOut, wake: make(chan struct{}, 1), done: make(chan struct{})}
	o.written.L = &o.mu
	return o
}

// startLocked wakes the flusher if no one is writing and bytes are queued,
// or the connection is ending (so that run returns). Every path that
// queues bytes, gives the writer's turn back, or ends the output ends with
// it.
func (o *output) startLocked() {
	if o.flushing || (len(o.buf) == 0 && !o.closed) {
		return
	}
	o.flushing = true
	select {
	case o.wake <- struct{}{}:
	default: // run has returned, or takes the token before it clears flushing
	}
}

// add queues what fn appends, from any goroutine. fn runs under the
// output's lock: it must only append. While the connection's reader is
// serving a batch, the bytes wait behind the batch's replies. add reports
// false, queuing nothing, once the connection is ending or gone.
func (o *output) add(fn func(dst []byte) []byte) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed || o.err != nil {
		return false
	}
	if o.holding {
		o.held = fn(o.held)
		return true
	}
	o.buf = fn(o.buf)
	o.startLocked()
	return true
}

// entryMark ends a push caused by the log entry at index.
type entryMark struct {
	index uint64
	end   int
	// after: the push follows the reply of this connection's own write
	// at index (an invalidation), rather than preceding it (a message).
	// dropOwn: it is not sent at all if that write was this
	// connection's (NOLOOP).
	after, dropOwn bool
}

// addForEntry is add for a push caused by the log entry at index. While a
// batch is served, it waits for the batch's write replies: the reply of
// the batch's write at index takes it in just before itself, or with
// after just after itself (takeEntries), as Redis writes a message a
// client published to itself before PUBLISH's reply and the invalidation
// of a key it changed after the reply; the reply of a later write takes
// it in before itself; the rest follow the batch. Calls come in log
// order.
func (o *output) addForEntry(index uint64, after, dropOwn bool, fn func(dst []byte) []byte) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed || o.err != nil {
		return false
	}
	if o.holding {
		o.entryHeld = fn(o.entryHeld)
		o.entryMarks = append(o.entryMarks, entryMark{index: index, end: len(o.entryHeld), after: after, dropOwn: dropOwn})
		return true
	}
	o.buf = fn(o.buf)
	o.startLocked()
	return true
}

// takeEntries appends to replies the pushes held that go before the reply
// of the connection's write at index, drops those its NOLOOP excludes,
// and keeps the rest: the batch's reader calls it before writing that
// reply.
func (o *output) takeEntries(index uint64, replies []byte) []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.entryMarks) == 0 {
		return replies
	}
	start, kept, keptEnd := 0, 0, 0
	for _, m := range o.entryMarks {
		push := o.entryHeld[start:m.end]
		start = m.end
		switch {
		case m.index < index, m.index == index && !m.after:
			replies = append(replies, push...)
		case m.index == index && m.dropOwn:
		default:
			// Kept, moved down in place: keptEnd never passes start.
			keptEnd += copy(o.entryHeld[keptEnd:], push)
			o.entryMarks[kept] = entryMark{index: m.index, end: keptEnd, after: m.after, dropOwn: m.dropOwn}
			kept++
		}
	}
	o.entryHeld, o.entryMarks = o.entryHeld[:keptEnd], o.entryMarks[:kept]
	return replies
}

// flushEntries appends to replies every push held for entries up to
// index: the batch's reader calls it once the replies of its writes up to
// index are written (each write's own have been taken, or dropped, by
// takeEntries).
func (o *output) flushEntries(index uint64, replies []byte) []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := 0
	for k < len(o.entryMarks) && o.entryMarks[k].index <= index {
		k++
	}
	if k == 0 {
		return replies
	}
	end := o.entryMarks[k-1].end
	replies = append(replies, o.entryHeld[:end]...)
	n := copy(o.entryHeld, o.entryHeld[end:])
	o.entryHeld = o.entryHeld[:n]
	n = copy(o.entryMarks, o.entryMarks[k:])
	o.entryMarks = o.entryMarks[:n]
	for i := range o.entryMarks {
		o.entryMarks[i].end -= end
	}
	return replies
}

// hold starts serving a batch: bytes added from now on go after the
// batch's replies, so that a push caused by one of the batch's commands
// (a message on a channel it subscribed to) follows that command's reply.
func (o *output) hold() {
	o.mu.Lock()
	o.holding = true
	o.mu.Unlock()
}

// commit queues the replies in *replies, then the bytes added while they
// were written, and ends the hold. *replies is left empty, maybe swapped
// for another buffer. Only the connection's reader commits, and when no
// one is writing it writes the bytes itself, taking the writer's turn
// (flushing) as run does: a request answered at once costs no wake-up of
// the flusher. Bytes queued during that write are left to the flusher.
func (o *output) commit(replies *[]byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.holding = false
	if o.err != nil || o.closed {
		*replies, o.held = (*replies)[:0], o.held[:0]
		o.entryHeld, o.entryMarks = o.entryHeld[:0], o.entryMarks[:0]
		return
	}
	if len(o.buf) == 0 && len(o.held) == 0 && len(o.entryHeld) == 0 {
		o.buf, *replies = *replies, o.buf[:0]
	} else {
		o.buf = append(o.buf, *replies...)
		o.buf = append(o.buf, o.entryHeld...)
		o.buf = append(o.buf, o.held...)
		*replies, o.held = (*replies)[:0], o.held[:0]
		o.entryHeld, o.entryMarks = o.entryHeld[:0], o.entryMarks[:0]
	}
	if cap(o.held) > maxKeptBuffer {
		o.held = nil
	}
	if cap(o.entryHeld) > maxKeptBuffer {
		o.entryHeld, o.entryMarks = nil, nil
	}
	if o.flushing || len(o.buf) == 0 {
		return
	}
	o.flushing = true
	o.writeLocked()
	o.flushing = false
	o.startLocked()
}

// writeLocked writes the queued bytes, unlocking o.mu meanwhile. The caller
// has the writer's turn (flushing).
func (o *output) writeLocked() {
	b := o.buf
	o.buf, o.inflight = o.spare[:0], len(b)
	o.mu.Unlock()
	n, err := o.nc.Write(b)
	o.netOut.Add(int64(n))
	o.mu.Lock()
	o.inflight = 0
	if cap(b) <= maxKeptBuffer {
		o.spare = b[:0]
	} else {
		o.spare = nil
	}
	if err != nil {
		o.err = err
		o.buf = nil
	}
	o.written.Broadcast()
}

// wait blocks while more than limit bytes wait for the socket.
func (o *output) wait(limit int) {
	o.mu.Lock()
	for len(o.buf)+o.inflight > limit && o.err == nil {
		o.written.Wait()
	}
	o.mu.Unlock()
}

// run is the connection's one writer. It returns once close has been
// called and everything queued is written, or a write failed.
func (o *output) run() {
	defer close(o.done)
	for range o.wake {
		o.mu.Lock()
		for len(o.buf) > 0 && o.err == nil {
			o.writeLocked()
		}
		o.flushing = false
		exit := o.closed
		o.mu.Unlock()
		if exit {
			return
		}
	}
}

// close stops queuing, waits until what is queued is written (or the
// write fails) and the flusher has returned.
func (o *output) close() {
	o.mu.Lock()
	o.closed = true
	o.startLocked()
	o.mu.Unlock()
	<-o.done
}
