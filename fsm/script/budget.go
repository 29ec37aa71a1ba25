package script

import (
	"context"
	"errors"
	"time"
)

// DefaultBudget is how many Lua VM instructions a script may run: about a
// second of gopher-lua on one core, where Redis's lua-time-limit is 5 s of
// C Lua. It is part of the replicated behaviour (a script that ends at it
// fails on every node alike), so changing it changes what a log means.
const DefaultBudget = 50_000_000

// errBudget is the error a script gets at its bound.
var errBudget = errors.New("ERR Script exceeded its budget of Lua instructions (script killed; writes made before stay)")

// budget is the context gopher-lua's VM consults before every instruction
// (mainLoopWithContext selects on Done each time): it counts those calls and
// is done once left reaches zero, so that a script ends after the same
// instruction on every node. It is not a real context: it never fires by
// itself, and only the Engine's LState uses it.
type budget struct {
	left   int64
	closed chan struct{}
}

func newBudget() *budget {
	b := &budget{closed: make(chan struct{})}
	close(b.closed)
	return b
}

func (b *budget) Deadline() (time.Time, bool) { return time.Time{}, false }

// Done returns nil (never ready, so the VM runs the instruction) until the
// budget is spent, then a closed channel (the VM raises Err).
func (b *budget) Done() <-chan struct{} {
	if b.left <= 0 {
		return b.closed
	}
	b.left--
	return nil
}

func (b *budget) Err() error {
	if b.left <= 0 {
		return errBudget
	}
	return nil
}

func (b *budget) Value(any) any { return nil }

func (b *budget) spent() bool { return b.left <= 0 }

var _ context.Context = (*budget)(nil)
