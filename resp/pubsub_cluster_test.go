package resp

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestPubsubOrderAcrossNodes publishes from every node of a 3-node
// cluster at once and requires that the subscribers of every node receive
// every message once, in the same order, and that a subscriber that
// receives a message sees, on its own node, the write its publisher made
// before publishing it.
func TestPubsubOrderAcrossNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster")
	}
	nodes := startRaftNodes(t, 3, nodeOptions{})
	const perNode = 30
	type received struct {
		msgs []string
		err  error
	}
	results := make([]received, len(nodes))
	subscribed := make(chan struct{}, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		sub := dialCompat(t, "sub", n.addr)
		local := dialCompat(t, "local", n.addr)
		if v, err := local.do("READONLY"); err != nil || v.raw != "+OK\r\n" {
			t.Fatalf("READONLY: %v %q", err, v.raw)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[i]
			if _, r.err = sub.do("SUBSCRIBE", "c"); r.err != nil {
				return
			}
			subscribed <- struct{}{}
			for len(r.msgs) < perNode*len(nodes) {
				var v replyValue
				if v, r.err = sub.recv(); r.err != nil {
					return
				}
				if len(v.elems) != 3 || v.elems[0].text != "message" {
					r.err = fmt.Errorf("unexpected push %q", v.raw)
					return
				}
				payload := v.elems[2].text
				r.msgs = append(r.msgs, payload)
				// The write before the message is visible here.
				got, err := local.do("GET", "w:"+payload)
				if err != nil || got.text != "v" {
					r.err = fmt.Errorf("message %s arrived before its write on node %d: GET %q %v", payload, i, got.raw, err)
					return
				}
			}
		}()
	}
	for range nodes {
		<-subscribed
	}
	var pubs sync.WaitGroup
	for i, n := range nodes {
		pub := dialCompat(t, "pub", n.addr)
		pubs.Add(1)
		go func() {
			defer pubs.Done()
			for j := range perNode {
				payload := strconv.Itoa(i) + "-" + strconv.Itoa(j)
				if v, err := pub.do("SET", "w:"+payload, "v"); err != nil || v.raw != "+OK\r\n" {
					t.Errorf("SET: %v %q", err, v.raw)
					return
				}
				if v, err := pub.do("PUBLISH", "c", payload); err != nil || v.raw != ":1\r\n" {
					// One subscriber on the publisher's node.
					t.Errorf("PUBLISH: %v %q", err, v.raw)
					return
				}
			}
		}()
	}
	pubs.Wait()
	wg.Wait()
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("subscriber on node %d: %v", i, r.err)
		}
		if !slices.Equal(r.msgs, results[0].msgs) {
			t.Errorf("node %d received\n%q\nnode 0 received\n%q", i, r.msgs, results[0].msgs)
		}
	}
	seen := map[string]bool{}
	for _, m := range results[0].msgs {
		if seen[m] {
			t.Errorf("message %s received twice", m)
		}
		seen[m] = true
	}
}

// TestGoRedisPubSubFollower drives go-redis's PubSub API against Redis and
// against a follower, over RESP2 and RESP3, with the publisher on the
// leader, and requires the same results.
func TestGoRedisPubSubFollower(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and a 3-node cluster")
	}
	redisAddr := startCompatRedis(t)
	nodes := startRaftNodes(t, 3, nodeOptions{})
	f := followers(t, nodes)[0]
	lead := waitForLeader(t, nodes)
	for _, protocol := range []int{2, 3} {
		t.Run("RESP"+strconv.Itoa(protocol), func(t *testing.T) {
			want := goRedisPubSubTranscript(t, redisAddr, redisAddr, protocol)
			got := goRedisPubSubTranscript(t, f.addr, lead.addr, protocol)
			if !slices.Equal(got, want) {
				t.Errorf("transcripts differ:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func goRedisPubSubTranscript(t *testing.T, subAddr, pubAddr string, protocol int) []string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sc, pc := goRedisClient(t, subAddr, protocol), goRedisClient(t, pubAddr, protocol)
	var out []string
	note := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	ps := sc.Subscribe(ctx, "news", "sport")
	defer ps.Close()
	for range 2 {
		m, err := ps.Receive(ctx)
		note("receive %v %v", m, err)
	}
	if err := ps.PSubscribe(ctx, "n*"); err != nil {
		note("psubscribe: %v", err)
	}
	m, err := ps.Receive(ctx)
	note("receive %v %v", m, err)
	note("ping %v", ps.Ping(ctx, "hi"))
	m, err = ps.Receive(ctx)
	note("receive %v %v", m, err)
	// Publish from the publisher's node: messages reach the subscriber's
	// node through the log. The count is the publisher node's, 0 but on
	// a single Redis; it is not part of the transcript.
	for _, pm := range [][2]string{{"news", "hello"}, {"sport", "goal"}, {"other", "x"}, {"news", "bye"}} {
		if err := pc.Publish(ctx, pm[0], pm[1]).Err(); err != nil {
			note("publish: %v", err)
		}
	}
	ch := ps.Channel()
	for range 5 {
		select {
		case m := <-ch:
			note("channel %s %s %s", m.Channel, m.Pattern, m.Payload)
		case <-ctx.Done():
			note("timeout")
		}
	}
	// PUBSUB introspection asked of the subscriber's node.
	note("numsub %v", sc.PubSubNumSub(ctx, "news", "sport", "other").Val())
	note("numpat %v", sc.PubSubNumPat(ctx).Val())
	chans := sc.PubSubChannels(ctx, "*").Val()
	slices.Sort(chans)
	note("channels %v", chans)
	if err := ps.Unsubscribe(ctx, "news", "sport"); err != nil {
		note("unsubscribe: %v", err)
	}
	if err := ps.PUnsubscribe(ctx); err != nil {
		note("punsubscribe: %v", err)
	}
	eventually(t, "unsubscribed", func() string {
		if n := sc.PubSubNumPat(ctx).Val(); n != 0 {
			return "NUMPAT " + strconv.FormatInt(n, 10)
		}
		return ""
	})
	note("numsub after %v", sc.PubSubNumSub(ctx, "news", "sport").Val())
	sps := sc.SSubscribe(ctx, "sh")
	defer sps.Close()
	m, err = sps.Receive(ctx)
	note("sreceive %v %v", m, err)
	if err := pc.SPublish(ctx, "sh", "shard-msg").Err(); err != nil {
		note("spublish: %v", err)
	}
	select {
	case m := <-sps.Channel():
		note("schannel %s %s", m.Channel, m.Payload)
	case <-ctx.Done():
		note("timeout")
	}
	note("shardnumsub %v", sc.PubSubShardNumSub(ctx, "sh").Val())
	return out
}
