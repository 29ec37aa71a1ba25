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
	waitVoters(t, n1, 3)
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

// Consumer groups on real processes: XREADGROUP BLOCK clients of one group
// on different nodes, entries added from a third. Every entry must reach
// exactly one consumer, once, each consumer's in ID order, and the group's
// pending entries list must say who got what: no entry delivered to a
// client that never received it (its timeout fired, its node's leader
// died), none delivered twice.

// delivery is one entry a consumer received.
type delivery struct {
	consumer, id string
}

// groupReader reads the group g of stream key from p as consumer, one
// entry at a time with XREADGROUP ... BLOCK block STREAMS key >, until a
// read fails (its client closed) or, with a timeout, one times out. Every
// entry received goes to out; the reason it stopped goes to stopped.
type groupReader struct {
	c       *redis.Client
	stopped chan error
}

func readGroup(p *proc, key, g, consumer string, block time.Duration, out chan<- delivery) *groupReader {
	r := &groupReader{
		c:       redis.NewClient(&redis.Options{Addr: p.resp, ReadTimeout: -1, MaxRetries: -1, PoolSize: 1}),
		stopped: make(chan error, 1),
	}
	go func() {
		for {
			res, err := r.c.XReadGroup(context.Background(), &redis.XReadGroupArgs{
				Group: g, Consumer: consumer, Streams: []string{key, ">"}, Count: 1, Block: block,
			}).Result()
			if err != nil {
				r.stopped <- err
				return
			}
			for _, s := range res {
				for _, m := range s.Messages {
					out <- delivery{consumer, m.ID}
				}
			}
		}
	}()
	return r
}

// pendingOf returns the IDs in the group's pending entries list, by
// consumer, as XPENDING key g - + count reports them on p.
func pendingOf(t *testing.T, p *proc, key, g string) map[string][]string {
	t.Helper()
	ps, err := p.client().XPendingExt(context.Background(), &redis.XPendingExtArgs{Stream: key, Group: g, Start: "-", End: "+", Count: 10000}).Result()
	if err != nil {
		t.Fatalf("XPENDING %s %s on %s: %v", key, g, p.resp, err)
	}
	by := map[string][]string{}
	for _, e := range ps {
		by[e.Consumer] = append(by[e.Consumer], e.ID)
		if e.RetryCount != 1 {
			t.Errorf("entry %s delivered %d times to %s, want once", e.ID, e.RetryCount, e.Consumer)
		}
	}
	return by
}

// checkDeliveries checks that got (in arrival order) holds each of added
// once, each consumer's in ascending order, and that the group's PEL on
// every node in nodes is exactly what each consumer received.
func checkDeliveries(t *testing.T, key, g string, added []string, got []delivery, nodes ...*proc) {
	t.Helper()
	seen := map[string]string{}
	last := map[string]string{}
	by := map[string][]string{}
	for _, d := range got {
		if prev, dup := seen[d.id]; dup {
			t.Errorf("entry %s delivered to %s and to %s", d.id, prev, d.consumer)
		}
		seen[d.id] = d.consumer
		if l, ok := last[d.consumer]; ok && compareIDs(d.id, l) <= 0 {
			t.Errorf("consumer %s got %s after %s", d.consumer, d.id, l)
		}
		last[d.consumer] = d.id
		by[d.consumer] = append(by[d.consumer], d.id)
	}
	for _, id := range added {
		if _, ok := seen[id]; !ok {
			t.Errorf("entry %s never delivered", id)
		}
	}
	if len(seen) != len(added) {
		t.Errorf("%d entries delivered, %d added", len(seen), len(added))
	}
	for _, p := range nodes {
		pel := pendingOf(t, p, key, g)
		for c, ids := range by {
			if !slices.Equal(pel[c], ids) {
				t.Errorf("PEL of %s on %s = %v, but it received %v", c, p.resp, pel[c], ids)
			}
		}
		for c, ids := range pel {
			if _, ok := by[c]; !ok {
				t.Errorf("PEL of %s on %s = %v, but it received nothing", c, p.resp, ids)
			}
		}
	}
}

// compareIDs orders stream IDs "ms-seq" numerically.
func compareIDs(a, b string) int {
	am, as, _ := strings.Cut(a, "-")
	bm, bs, _ := strings.Cut(b, "-")
	ami, _ := strconv.ParseUint(am, 10, 64)
	bmi, _ := strconv.ParseUint(bm, 10, 64)
	if ami != bmi {
		return cmpUint(ami, bmi)
	}
	asi, _ := strconv.ParseUint(as, 10, 64)
	bsi, _ := strconv.ParseUint(bs, 10, 64)
	return cmpUint(asi, bsi)
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// collect receives deliveries until want have arrived or d passes.
func collect(t *testing.T, out <-chan delivery, want int, d time.Duration) []delivery {
	t.Helper()
	var got []delivery
	deadline := time.After(d)
	for len(got) < want {
		select {
		case x := <-out:
			got = append(got, x)
		case <-deadline:
			t.Errorf("%d of %d entries delivered within %v", len(got), want, d)
			return got
		}
	}
	return got
}

// xadd adds n entries to key on p, one command each, and returns their IDs.
func xadd(t *testing.T, p *proc, key string, from, n int) []string {
	t.Helper()
	var ids []string
	for i := from; i < from+n; i++ {
		id, err := p.client().XAdd(context.Background(), &redis.XAddArgs{Stream: key, Values: []string{"i", strconv.Itoa(i)}}).Result()
		if err != nil {
			t.Fatalf("XADD on %s: %v", p.resp, err)
		}
		ids = append(ids, id)
	}
	return ids
}

func TestXReadGroupBlockAcrossNodes(t *testing.T) {
	ctx := context.Background()
	n1, n2, n3 := threeNodes(t)
	if err := n1.client().XGroupCreateMkStream(ctx, "s", "g", "$").Err(); err != nil {
		t.Fatal(err)
	}
	out := make(chan delivery, 100)
	a := readGroup(n2, "s", "g", "a", 0, out)
	defer a.c.Close()
	waitBlocked(t, n2, 1)
	b := readGroup(n3, "s", "g", "b", 0, out)
	defer b.c.Close()
	waitBlocked(t, n3, 1)
	// The first entry goes to a, blocked first; the second to b, blocked
	// longer than a can have blocked again.
	added := xadd(t, n1, "s", 0, 1)
	first := collect(t, out, 1, 10*time.Second)
	added = append(added, xadd(t, n1, "s", 1, 1)...)
	second := collect(t, out, 1, 10*time.Second)
	if len(first) == 1 && len(second) == 1 && (first[0] != delivery{"a", added[0]} || second[0] != delivery{"b", added[1]}) {
		t.Errorf("first two deliveries %v %v, want %s to a, then %s to b", first, second, added[0], added[1])
	}
	const n = 40
	added = append(added, xadd(t, n1, "s", 2, n-2)...)
	got := append(append(first, second...), collect(t, out, n-2, 20*time.Second)...)
	// Nothing more arrives: a and b are blocked again, on their nodes.
	waitBlocked(t, n2, 1)
	waitBlocked(t, n3, 1)
	select {
	case x := <-out:
		t.Errorf("delivery %v after every entry was delivered", x)
	default:
	}
	checkDeliveries(t, "s", "g", added, got, n1, n2, n3)
}

// TestXReadGroupBlockTimeouts: a BLOCK with nothing added returns nil after
// about its timeout; then consumers with short timeouts on every node race
// entries added from every node. Whichever way each race goes, an entry is
// delivered to at most one consumer, only to one that received it, and the
// rest stay for a reader after them.
func TestXReadGroupBlockTimeouts(t *testing.T) {
	ctx := context.Background()
	n1, n2, n3 := threeNodes(t)
	nodes := []*proc{n1, n2, n3}
	if err := n1.client().XGroupCreateMkStream(ctx, "s", "g", "$").Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := n2.client().XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "idle", Streams: []string{"s", ">"}, Block: 300 * time.Millisecond}).Result()
	if !errors.Is(err, redis.Nil) {
		t.Errorf("timed-out XREADGROUP: %v, want nil", err)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 5*time.Second {
		t.Errorf("timed-out XREADGROUP took %v for a 300ms timeout", d)
	}

	const rounds, clients = 10, 6
	out := make(chan delivery, rounds*clients*2)
	var added []string
	for r := 0; r < rounds; r++ {
		var readers []*groupReader
		for i := 0; i < clients; i++ {
			c := fmt.Sprintf("c%d", i)
			readers = append(readers, readGroup(nodes[i%3], "s", "g", c, time.Duration(20+10*i)*time.Millisecond, out))
		}
		// 0 to 150 ms: some rounds add before any timeout, some after
		// all (their entries go to the next round's readers without
		// blocking); the last round's go to no reader of its own.
		pause := time.Duration(r%4) * 50 * time.Millisecond
		if r == rounds-1 {
			pause = 500 * time.Millisecond
		}
		time.Sleep(pause)
		for i := 0; i < 3; i++ {
			added = append(added, xadd(t, nodes[(r+i)%3], "s", r*3+i, 1)...)
		}
		for _, rd := range readers {
			select {
			case err := <-rd.stopped:
				if !errors.Is(err, redis.Nil) {
					t.Errorf("XREADGROUP: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("an XREADGROUP with a timeout never returned")
			}
			rd.c.Close()
		}
	}
	close(out)
	var got []delivery
	for d := range out {
		got = append(got, d)
	}
	// What no racing consumer got, a last one reads without blocking.
	rest, err := n3.client().XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "last", Streams: []string{"s", ">"}, Count: 1000, Block: -1}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		t.Fatal(err)
	}
	for _, s := range rest {
		for _, m := range s.Messages {
			got = append(got, delivery{"last", m.ID})
		}
	}
	t.Logf("%d entries delivered to the racing consumers, %d left for the last", len(got)-len(restIDs(rest)), len(restIDs(rest)))
	checkDeliveries(t, "s", "g", added, got, n1, n2, n3)
}

func restIDs(rest []redis.XStream) []string {
	var ids []string
	for _, s := range rest {
		for _, m := range s.Messages {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

// TestXReadGroupBlockThroughLeaderKill: consumers blocked on the followers
// stay blocked across the leader's death; the entries added through the
// next leader reach them once each, and the PEL on both survivors says
// so. Entries added before the kill and delivered then are not delivered
// again.
func TestXReadGroupBlockThroughLeaderKill(t *testing.T) {
	ctx := context.Background()
	n1, n2, n3 := threeNodes(t)
	if err := n1.client().XGroupCreateMkStream(ctx, "s", "g", "$").Err(); err != nil {
		t.Fatal(err)
	}
	out := make(chan delivery, 100)
	a := readGroup(n2, "s", "g", "a", 0, out)
	defer a.c.Close()
	b := readGroup(n3, "s", "g", "b", 0, out)
	defer b.c.Close()
	waitBlocked(t, n2, 1)
	waitBlocked(t, n3, 1)
	added := xadd(t, n1, "s", 0, 4)
	got := collect(t, out, 4, 10*time.Second)
	waitBlocked(t, n2, 1)
	waitBlocked(t, n3, 1)
	n1.kill()
	waitFor(t, 20*time.Second, "a write after the leader died", func() bool {
		return n2.client().Set(ctx, "probe", "1", 0).Err() == nil
	})
	added = append(added, xadd(t, n3, "s", 4, 10)...)
	got = append(got, collect(t, out, 10, 20*time.Second)...)
	waitBlocked(t, n2, 1)
	waitBlocked(t, n3, 1)
	select {
	case x := <-out:
		t.Errorf("delivery %v after every entry was delivered", x)
	default:
	}
	for _, r := range []*groupReader{a, b} {
		select {
		case err := <-r.stopped:
			t.Errorf("a blocked consumer's read failed across the leader's death: %v", err)
		default:
		}
	}
	checkDeliveries(t, "s", "g", added, got, n2, n3)
}
