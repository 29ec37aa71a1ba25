package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Nemesis kinds, as named by -nemesis.
const (
	nemKill       = "kill"
	nemPause      = "pause"
	nemPartition  = "partition"
	nemTransfer   = "transfer"
	nemMembership = "membership"
	nemTornWAL    = "torn-wal"
)

// allNemeses lists every kind.
func allNemeses() []string {
	return []string{nemKill, nemPause, nemPartition, nemTransfer, nemMembership, nemTornWAL}
}

// parseNemeses parses a comma list of kinds ("all" for every kind).
func parseNemeses(s string) ([]string, error) {
	var out []string
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		switch {
		case k == "all":
			out = append(out, allNemeses()...)
		case k == "" || k == "none":
		case slices.Contains(allNemeses(), k):
			out = append(out, k)
		default:
			return nil, fmt.Errorf("unknown nemesis %q (want all or a comma list of %s)", k, strings.Join(allNemeses(), ","))
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// nemesis injects one fault at a time, holds it, and undoes it.
type nemesis struct {
	cl    *cluster
	log   *slog.Logger
	rng   *rand.Rand
	kinds []string
	size  int           // members to keep
	every time.Duration // mean quiet time between faults
	hold  time.Duration // mean time a fault lasts

	mu       sync.Mutex
	injected map[string]int // by fault description
	problems []string       // server misbehaviour seen while injecting
	skipped  []string
}

func (nm *nemesis) count(what string) {
	nm.mu.Lock()
	nm.injected[what]++
	nm.mu.Unlock()
}

func (nm *nemesis) problem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	nm.log.Error("problem", "what", msg)
	nm.mu.Lock()
	nm.problems = append(nm.problems, msg)
	nm.mu.Unlock()
}

// jitter returns a duration uniformly in [d/2, 3d/2).
func (nm *nemesis) jitter(d time.Duration) time.Duration {
	return d/2 + time.Duration(nm.rng.Int64N(int64(d)+1))
}

// run injects faults until ctx ends; each fault is undone before it
// returns, whatever ctx does.
func (nm *nemesis) run(ctx context.Context) {
	kinds := slices.DeleteFunc(slices.Clone(nm.kinds), func(k string) bool {
		if k == nemTransfer {
			// Neither RESP nor the HTTP API exposes a leadership transfer;
			// removing the leader (membership) transfers it internally.
			nm.skipped = append(nm.skipped, "transfer: the server exposes no leadership transfer over RESP or HTTP")
			return true
		}
		return false
	})
	if len(kinds) == 0 {
		return
	}
	for {
		sleepCtx(ctx, nm.jitter(nm.every))
		if ctx.Err() != nil {
			return
		}
		kind := kinds[nm.rng.IntN(len(kinds))]
		var err error
		switch kind {
		case nemKill:
			err = nm.kill(ctx, false)
		case nemTornWAL:
			err = nm.kill(ctx, true)
		case nemPause:
			err = nm.pause(ctx)
		case nemPartition:
			err = nm.partition(ctx)
		case nemMembership:
			err = nm.membership(ctx)
		}
		if err != nil {
			nm.problem("%s: %v", kind, err)
			// Put things back before going on, or stop trying.
			hctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			herr := nm.cl.healAll(hctx)
			cancel()
			if herr != nil {
				nm.problem("heal after %s: %v", kind, herr)
				return
			}
		}
	}
}

// target picks the leader half of the time (when one is known), else a
// random member.
func (nm *nemesis) target(ctx context.Context) (*node, bool) {
	if nm.rng.IntN(2) == 0 {
		if l := nm.cl.leader(ctx); l != nil {
			return l, true
		}
	}
	return nm.cl.pick(nm.rng), false
}

func role(leader bool) string {
	if leader {
		return "leader"
	}
	return "node"
}

// kill SIGKILLs a node, optionally tears its WAL tail, and restarts it
// from its state dir.
func (nm *nemesis) kill(ctx context.Context, tear bool) error {
	n, isLeader := nm.target(ctx)
	if n == nil {
		return errors.New("no member to kill")
	}
	if err := nm.cl.kill(n); err != nil {
		return err
	}
	what := "kill " + role(isLeader)
	if tear {
		cut, file, err := tearWAL(n.dir, nm.rng)
		if err != nil {
			return fmt.Errorf("tear wal of %s: %w", n, err)
		}
		what = "torn-wal " + role(isLeader)
		nm.log.Info("tore wal", "node", n, "file", file, "bytes", cut)
	}
	nm.count(what)
	nm.log.Info("fault", "what", what, "node", n)
	sleepCtx(ctx, nm.jitter(nm.hold))
	if err := nm.cl.restart(context.Background(), n); err != nil {
		return fmt.Errorf("restart %s: %w", n, err)
	}
	nm.log.Info("healed", "what", what, "node", n)
	return nil
}

func (nm *nemesis) pause(ctx context.Context) error {
	n, isLeader := nm.target(ctx)
	if n == nil {
		return errors.New("no member to pause")
	}
	what := "pause " + role(isLeader)
	if err := nm.cl.pause(n); err != nil {
		return err
	}
	nm.count(what)
	nm.log.Info("fault", "what", what, "node", n)
	sleepCtx(ctx, nm.jitter(nm.hold))
	if err := nm.cl.resume(n); err != nil {
		return err
	}
	nm.log.Info("healed", "what", what, "node", n)
	return nil
}

// partition isolates one node, or the leader, or splits the cluster into
// a minority and a majority, cutting links by closing them or by
// blackholing them.
func (nm *nemesis) partition(ctx context.Context) error {
	nodes := nm.cl.nodes()
	if len(nodes) < 2 {
		return errors.New("fewer than two members to partition")
	}
	nm.rng.Shuffle(len(nodes), func(i, j int) { nodes[i], nodes[j] = nodes[j], nodes[i] })
	var minority []*node
	var what string
	switch nm.rng.IntN(3) {
	case 0:
		minority, what = nodes[:1], "isolate node"
	case 1:
		l := nm.cl.leader(ctx)
		if l == nil {
			minority, what = nodes[:1], "isolate node"
			break
		}
		minority, what = []*node{l}, "isolate leader"
	default:
		k := 1 + nm.rng.IntN((len(nodes)-1)/2)
		minority, what = nodes[:k], fmt.Sprintf("split %d|%d", k, len(nodes)-k)
	}
	var majority []*node
	for _, n := range nodes {
		if !slices.Contains(minority, n) {
			majority = append(majority, n)
		}
	}
	r := ruleDrop
	if nm.rng.IntN(2) == 0 {
		r = ruleBlackhole
	}
	what = fmt.Sprintf("partition %s (%s)", what, r)
	nm.cl.partition(minority, majority, r)
	nm.count(what)
	nm.log.Info("fault", "what", what, "minority", fmt.Sprint(minority), "majority", fmt.Sprint(majority))
	sleepCtx(ctx, nm.jitter(nm.hold))
	nm.cl.healNet()
	nm.log.Info("healed", "what", what)
	return nil
}

// membership removes a member (sometimes the leader, which hands its
// leadership over first) and joins a new node with fresh state and ports.
func (nm *nemesis) membership(ctx context.Context) error {
	nodes := nm.cl.nodes()
	if len(nodes) < 2 {
		return errors.New("fewer than two members")
	}
	victim, isLeader := nm.target(ctx)
	if victim == nil {
		return errors.New("no member to remove")
	}
	id, err := nm.cl.memberID(ctx, victim)
	if err != nil {
		return err
	}
	var others []*node
	for _, n := range nodes {
		if n != victim {
			others = append(others, n)
		}
	}
	what := "replace " + role(isLeader)
	nm.count(what)
	nm.log.Info("fault", "what", what, "node", victim, "id", id)
	// A removal whose answer was lost may still have happened: look at
	// the member list before asking again.
	var rerr error
	for try := 0; try < 5; try++ {
		via := others[nm.rng.IntN(len(others))]
		if rerr = nm.cl.removeMember(context.Background(), via, id); rerr == nil {
			break
		}
		nm.log.Warn("remove member", "err", rerr)
		if _, err := nm.cl.memberID(context.Background(), victim); err != nil && strings.Contains(err.Error(), "no member advertises") {
			rerr = nil
			break
		}
		time.Sleep(time.Second)
	}
	if rerr != nil {
		return rerr
	}
	if err := victim.waitExit(20 * time.Second); err != nil {
		nm.problem("removed member %s did not exit: %v", victim, err)
		_ = nm.cl.kill(victim)
	} else if code := exitCode(victim.exitError()); code != 0 {
		nm.problem("removed member %s exited with status %d (want 0); see %s", victim, code, victim.logPath)
	}
	nm.cl.dropMember(victim)
	sleepCtx(ctx, nm.jitter(nm.hold)/2)
	join := others[nm.rng.IntN(len(others))]
	n, err := nm.cl.addNode(context.Background(), join.advAddr)
	if err != nil {
		return fmt.Errorf("join a new node via %s: %w", join, err)
	}
	if err := nm.cl.waitMembers(context.Background(), nm.size, 30*time.Second); err != nil {
		return err
	}
	nm.log.Info("healed", "what", what, "removed", victim, "joined", n)
	return nil
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee interface{ ExitCode() int }
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// tearWAL truncates the newest WAL segment in the middle of its last
// record, as a crash during a write would leave it. etcd's WAL frames
// each record with an 8-byte little-endian length (the top byte flags
// padding) followed by the data padded to 8 bytes; segments are
// preallocated, so the used part ends at the first zero length.
func tearWAL(stateDir string, rng *rand.Rand) (int64, string, error) {
	files, err := filepath.Glob(filepath.Join(stateDir, "wal", "*.wal"))
	if err != nil || len(files) == 0 {
		return 0, "", fmt.Errorf("no wal files in %s: %v", stateDir, err)
	}
	sort.Strings(files)
	file := files[len(files)-1]
	f, err := os.OpenFile(file, os.O_RDWR, 0)
	if err != nil {
		return 0, "", fmt.Errorf("open wal: %w", err)
	}
	defer f.Close()
	var off, last, lastLen int64 = 0, -1, 0
	var hdr [8]byte
	for {
		if _, err := f.ReadAt(hdr[:], off); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return 0, "", fmt.Errorf("read wal: %w", err)
		}
		v := binary.LittleEndian.Uint64(hdr[:])
		if v == 0 {
			break
		}
		size := int64(v & 0x00ffffffffffffff)
		if v&(1<<63) != 0 {
			size += int64((v >> 56) & 0x7)
		}
		last, lastLen = off, 8+size
		off += 8 + size
	}
	if last < 0 || lastLen < 2 {
		return 0, "", fmt.Errorf("no record in %s", file)
	}
	// Keep at least the length field's first byte, drop at least one byte
	// of the record.
	cut := 1 + rng.Int64N(min(lastLen-1, 64))
	if err := f.Truncate(last + lastLen - cut); err != nil {
		return 0, "", fmt.Errorf("truncate wal: %w", err)
	}
	if err := f.Sync(); err != nil {
		return 0, "", fmt.Errorf("sync wal: %w", err)
	}
	return cut, file, nil
}

// summary lists the faults injected, in a stable order.
func (nm *nemesis) summary() (injected []string, problems, skipped []string) {
	nm.mu.Lock()
	defer nm.mu.Unlock()
	for k, v := range nm.injected {
		injected = append(injected, fmt.Sprintf("%s ×%d", k, v))
	}
	sort.Strings(injected)
	return injected, slices.Clone(nm.problems), slices.Clone(nm.skipped)
}
