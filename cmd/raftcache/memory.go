package main

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// releaseMemoryWhenQuiet compacts fragmented collections, collects the heap
// and returns its free pages to the operating system once garbage
// collections stop after a busy spell, checking every period until ctx
// ends.
//
// A burst of writes leaves garbage the runtime has no reason to collect
// once the writes stop: the old arenas a snapshot kept alive while writes
// copied the shards they changed, the buffers of pipelined batches. After a
// 1M-key load, the last collection had found about 250 MB live, which a
// collection a moment later put at 120 MB; with no allocation, none came,
// and RSS stayed at about 1.9 times Redis's. Redis's jemalloc purges freed
// pages within seconds; this does the same for a node gone quiet, once per
// quiet spell. The forced collection is cheap: the keyspace is pointer-free.
//
// Freed pages are only those with no live object left, and the collector
// never moves one: after a load under snapshots, the nodes of a large set
// or sorted set that copy-on-write replaced die one here and one there,
// and their spans stay a third empty (a 1M-member set: RSS 1.43 times
// Redis's, its live heap 0.99 times). compact (fsm's CompactCollections)
// first rebuilds those collections side by side, so that the old nodes
// die together and their pages go back with the rest.
func releaseMemoryWhenQuiet(ctx context.Context, period time.Duration, compact func(context.Context) int, log *slog.Logger) {
	sample := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	var q quietSpell
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(sample)
		if q.tick(sample[0].Value.Uint64()) {
			start := time.Now()
			n := compact(ctx)
			compacted := time.Since(start)
			debug.FreeOSMemory()
			metrics.Read(sample)
			q.released(sample[0].Value.Uint64())
			log.Debug("heap collected and free pages returned to the OS", "collections_compacted", n, "compacting_took", compacted, "took", time.Since(start))
		}
	}
}

// quietTicks is how many checks in a row must see no collection before
// the heap counts as quiet.
const quietTicks = 2

// quietSpell tells from the count of completed collections, read at each
// check, when the heap has gone quiet after collections: once per spell.
type quietSpell struct {
	last    uint64 // collections at the previous check
	quiet   int    // checks since the count last changed
	settled uint64 // collections right after the last release: nothing new since
}

// tick records the count of collections at a check and reports whether to
// release now.
func (q *quietSpell) tick(cycles uint64) bool {
	if cycles != q.last {
		q.last, q.quiet = cycles, 0
		return false
	}
	q.quiet++
	return q.quiet == quietTicks && cycles != q.settled
}

// released records the count of collections after a release, which ran
// one itself.
func (q *quietSpell) released(cycles uint64) {
	q.last, q.quiet, q.settled = cycles, 0, cycles
}
