package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countSM counts how many times each command was applied.
type countSM struct {
	*kvSM
	mu sync.Mutex
	n  map[string]int
}

func (s *countSM) Apply(index uint64, cmd []byte) any {
	s.mu.Lock()
	s.n[string(cmd)]++
	s.mu.Unlock()
	return s.kvSM.Apply(index, cmd)
}

func (s *countSM) count(cmd string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n[cmd]
}

// TestWritesSurviveLeaderChanges: writes on every member go on through
// repeated leadership transfers and the leader's death. A transfer must
// cost no write an error: a proposal in flight across it is either
// applied (and answered) or, once the proposer has applied an entry of
// the new leader's term, known never to apply, and proposed again. And no
// write may be applied twice, which a blind retry would do (each write
// here counts its applications).
func TestWritesSurviveLeaderChanges(t *testing.T) {
	var mu sync.Mutex
	sms := map[string]*countSM{}
	tune := func(cfg *Config) {
		mu.Lock()
		defer mu.Unlock()
		sm := &countSM{kvSM: cfg.StateMachine.(*kvSM), n: map[string]int{}}
		sms[cfg.StateDir] = sm
		cfg.StateMachine = sm
	}
	c := newTestCluster(t, 3, tune)
	ids := map[int]uint64{}
	for i, tn := range c.nodes {
		ids[i] = tn.n.ID()
	}

	var (
		phase   atomic.Value // "transfers" or "kill": what errors are excused by
		stopped atomic.Int32 // the node killed, once it is
		wg      sync.WaitGroup
		ackMu   sync.Mutex
		acked   []string
		failed  []string
	)
	phase.Store("transfers")
	stop := make(chan struct{})
	for i := 1; i <= 3; i++ {
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; ; j++ {
					select {
					case <-stop:
						return
					default:
					}
					if int(stopped.Load()) == i {
						return
					}
					cmd := fmt.Sprintf("n%d-w%d-%d=x", i, w, j)
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					_, err := c.nodes[i].n.Replicate(ctx, []byte(cmd))
					cancel()
					ackMu.Lock()
					if err == nil {
						acked = append(acked, cmd)
					} else if p := phase.Load(); p == "transfers" || (int(stopped.Load()) != i && !errors.Is(err, ErrStopped)) {
						failed = append(failed, fmt.Sprintf("%s during %s: %v", cmd, p, err))
					}
					ackMu.Unlock()
				}
			}()
		}
	}

	// Transfers, round the members, with writes in flight throughout.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for k := range 9 {
		time.Sleep(100 * time.Millisecond)
		lead := c.waitLeader()
		to := lead%3 + 1
		if err := c.nodes[1+k%3].n.TransferLeadership(ctx, ids[to]); err != nil {
			t.Fatalf("transfer %d to node %d: %v", k, to, err)
		}
	}
	time.Sleep(200 * time.Millisecond)

	// The leader dies; the writers on the other members go on.
	phase.Store("kill")
	lead := c.waitLeader()
	stopped.Store(int32(lead))
	c.stop(lead)
	c.waitLeader()
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()

	ackMu.Lock()
	defer ackMu.Unlock()
	for _, f := range failed {
		t.Error(f)
	}
	if len(acked) < 100 {
		t.Fatalf("only %d writes acknowledged", len(acked))
	}
	// Everything the survivors were told is applied, exactly once.
	survivor := 1 + lead%3
	c.get(survivor, "")
	sm := sms[c.nodes[survivor].dir]
	for _, cmd := range acked {
		if n := sm.count(cmd); n != 1 {
			t.Errorf("acknowledged %s applied %d times", cmd, n)
		}
	}
	sm.mu.Lock()
	for cmd, n := range sm.n {
		if n > 1 && !strings.HasPrefix(cmd, "\x00") {
			t.Errorf("%s applied %d times", cmd, n)
		}
	}
	sm.mu.Unlock()
	t.Logf("%d writes acknowledged, %d refused", len(acked), len(failed))
}
