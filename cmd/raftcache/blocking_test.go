package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Blocked clients on real processes: several clients blocked on one key
// from different nodes, pushes from a third, timeouts racing pushes, a
// client that leaves, a leader and a client's node killed while clients
// wait. Every element must reach exactly one client or stay in the list.

// blockedClients is the node's INFO blocked_clients.
func (p *proc) blockedClients() int {
	info, err := p.client().Info(context.Background(), "clients").Result()
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "blocked_clients:"); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return -1
}

func waitBlocked(t *testing.T, p *proc, n int) {
	t.Helper()
	waitFor(t, 10*time.Second, fmt.Sprintf("%d blocked clients on %s", n, p.resp), func() bool {
		return p.blockedClients() == n
	})
}

// blpop runs BLPOP key timeout on its own connection to p, in the
// background; the result arrives on the returned channel.
func blpop(p *proc, key string, timeout time.Duration) (<-chan []string, <-chan error, *redis.Client) {
	c := redis.NewClient(&redis.Options{Addr: p.resp, ReadTimeout: -1, MaxRetries: -1, PoolSize: 1})
	res, errs := make(chan []string, 1), make(chan error, 1)
	go func() {
		v, err := c.BLPop(context.Background(), timeout, key).Result()
		if err != nil {
			errs <- err
			return
		}
		res <- v
	}()
	return res, errs, c
}

func threeNodes(t *testing.T) (*proc, *proc, *proc) {
	t.Helper()
	n1, n2, n3 := newProc(t), newProc(t), newProc(t)
	n1.start(nil)
	n2.start(n1)
	n3.start(n1)
	return n1, n2, n3
}

func TestBlockedClientsAcrossNodes(t *testing.T) {
	ctx := context.Background()
	n1, n2, n3 := threeNodes(t)
	// A blocks on n2, then B on n3: a push of two elements from n1 serves
	// them in that order.
	resA, errA, ca := blpop(n2, "q", 0)
	defer ca.Close()
	waitBlocked(t, n2, 1)
	resB, errB, cb := blpop(n3, "q", 0)
	defer cb.Close()
	waitBlocked(t, n3, 1)
	if err := n1.client().RPush(ctx, "q", "first", "second", "third").Err(); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]struct {
		res  <-chan []string
		errs <-chan error
		elem string
	}{"A": {resA, errA, "first"}, "B": {resB, errB, "second"}} {
		select {
		case v := <-want.res:
			if !slices.Equal(v, []string{"q", want.elem}) {
				t.Errorf("client %s got %v, want [q %s]", name, v, want.elem)
			}
		case err := <-want.errs:
			t.Errorf("client %s: %v", name, err)
		case <-time.After(10 * time.Second):
			t.Fatalf("client %s was not served", name)
		}
	}
	for _, p := range []*proc{n1, n2, n3} {
		if got, err := p.client().LRange(ctx, "q", 0, -1).Result(); err != nil || !slices.Equal(got, []string{"third"}) {
			t.Errorf("list on %s = %v, %v; want [third]", p.resp, got, err)
		}
	}
	// A timeout with nothing pushed: nil, after about the timeout.
	start := time.Now()
	_, errT, ct := blpop(n3, "empty", 300*time.Millisecond)
	defer ct.Close()
	select {
	case err := <-errT:
		if !errors.Is(err, redis.Nil) {
			t.Errorf("timed-out BLPOP: %v, want nil", err)
		}
		if d := time.Since(start); d < 250*time.Millisecond || d > 5*time.Second {
			t.Errorf("timed-out BLPOP took %v for a 300ms timeout", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("BLPOP with a timeout never returned")
	}
}

// TestBlockingTimeoutsRacePushes blocks clients with short timeouts on
// every node while elements are pushed: each element is popped once or
// stays, whichever way each race goes.
func TestBlockingTimeoutsRacePushes(t *testing.T) {
	ctx := context.Background()
	n1, n2, n3 := threeNodes(t)
	nodes := []*proc{n1, n2, n3}
	const rounds, clients = 12, 6
	var mu sync.Mutex
	popped := map[string]int{}
	pushed := 0
	for r := 0; r < rounds; r++ {
		var wg sync.WaitGroup
		for i := 0; i < clients; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				c := redis.NewClient(&redis.Options{Addr: nodes[i%3].resp, ReadTimeout: -1, MaxRetries: -1, PoolSize: 1})
				defer c.Close()
				v, err := c.BLPop(ctx, time.Duration(20+10*i)*time.Millisecond, "race").Result()
				if err == nil {
					mu.Lock()
					popped[v[1]]++
					mu.Unlock()
				} else if !errors.Is(err, redis.Nil) {
					t.Errorf("BLPOP: %v", err)
				}
			}(i)
		}
		time.Sleep(time.Duration(r%5) * 10 * time.Millisecond)
		for i := 0; i < 3; i++ {
			if err := nodes[(r+i)%3].client().RPush(ctx, "race", fmt.Sprintf("e%d-%d", r, i)).Err(); err != nil {
				t.Fatal(err)
			}
			pushed++
		}
		wg.Wait()
	}
	left, err := n2.client().LRange(ctx, "race", 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		popped[e]++
	}
	if len(popped) != pushed {
		t.Errorf("%d distinct elements popped or left, %d pushed", len(popped), pushed)
	}
	for e, n := range popped {
		if n != 1 {
			t.Errorf("element %s seen %d times", e, n)
		}
	}
}

// TestBlockedClientLeaves: a client that disconnects while blocked is
// never served; the element pushed afterwards stays.
func TestBlockedClientLeaves(t *testing.T) {
	ctx := context.Background()
	n1, n2, _ := threeNodes(t)
	_, _, c := blpop(n2, "q", 0)
	waitBlocked(t, n2, 1)
	c.Close()
	waitBlocked(t, n2, 0)
	if err := n1.client().RPush(ctx, "q", "kept").Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := n1.client().LRange(ctx, "q", 0, -1).Result(); err != nil || !slices.Equal(got, []string{"kept"}) {
		t.Errorf("list = %v, %v; want [kept]", got, err)
	}
}

// TestBlockedClientsThroughLeaderKill: clients blocked on followers stay
// blocked across the leader's death and are served, once, by the next.
func TestBlockedClientsThroughLeaderKill(t *testing.T) {
	ctx := context.Background()
	n1, n2, n3 := threeNodes(t)
	resA, errA, ca := blpop(n2, "q", 0)
	defer ca.Close()
	resB, errB, cb := blpop(n3, "q", 0)
	defer cb.Close()
	waitBlocked(t, n2, 1)
	waitBlocked(t, n3, 1)
	n1.kill()
	waitFor(t, 20*time.Second, "a write after the leader died", func() bool {
		return n2.client().Set(ctx, "probe", "1", 0).Err() == nil
	})
	if err := n3.client().RPush(ctx, "q", "x", "y").Err(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ch := range []struct {
		res  <-chan []string
		errs <-chan error
	}{{resA, errA}, {resB, errB}} {
		select {
		case v := <-ch.res:
			got = append(got, v[1])
		case err := <-ch.errs:
			t.Errorf("BLPOP: %v", err)
		case <-time.After(15 * time.Second):
			t.Fatal("a blocked client was not served after the leader died")
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"x", "y"}) {
		t.Errorf("served %v, want x and y once each", got)
	}
	if n, err := n2.client().LLen(ctx, "q").Result(); err != nil || n != 0 {
		t.Errorf("LLEN = %d, %v; want 0", n, err)
	}
}

// TestBlockedClientsNodeKilled: the node holding a blocked client dies; an
// element pushed then is not lost to the dead client: it is back in the
// list once the node has restarted.
func TestBlockedClientsNodeKilled(t *testing.T) {
	ctx := context.Background()
	n1, n2, n3 := threeNodes(t)
	_, _, c := blpop(n3, "q", 0)
	defer c.Close()
	waitBlocked(t, n3, 1)
	n3.kill()
	if err := n1.client().RPush(ctx, "q", "orphan").Err(); err != nil {
		t.Fatal(err)
	}
	n3.start(nil)
	waitFor(t, 20*time.Second, "the element back in the list", func() bool {
		got, err := n2.client().LRange(ctx, "q", 0, -1).Result()
		return err == nil && slices.Equal(got, []string{"orphan"})
	})
}
