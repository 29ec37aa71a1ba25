package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// fetchProfile saves http://addr/debug/pprof/<path> to file. A refused
// connection is retried for a few seconds: the node may be starting.
func fetchProfile(ctx context.Context, addr, path, file string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	url := "http://" + addr + "/debug/pprof/" + path
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if errors.Is(err, syscall.ECONNREFUSED) {
			select {
			case <-ctx.Done():
				return fmt.Errorf("GET %s: %w", url, err)
			case <-time.After(5 * time.Millisecond):
				continue
			}
		}
		if err != nil {
			return fmt.Errorf("GET %s: %w", url, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 1000))
			return fmt.Errorf("GET %s: %s: %s", url, resp.Status, b)
		}
		f, err := os.Create(file)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, resp.Body); err != nil {
			f.Close()
			return fmt.Errorf("GET %s: %w", url, err)
		}
		return f.Close()
	}
}

// profiled runs fn while taking, on each node, a CPU profile and an
// allocation profile (allocations made during the window) of
// -profile_seconds each, saved as <name>-<node>[-<role>].cpu.pb.gz and
// .allocs.pb.gz. Without -profile it just runs fn.
func (b *bench) profiled(ctx context.Context, name string, nodes []*server, fn func() error) error {
	if b.cfg.profileDir == "" {
		return fn()
	}
	secs := strconv.Itoa(int(b.cfg.profileSeconds / time.Second))
	// The allocation profile is as of the last garbage collection: force
	// one first, or allocations of the previous run land in this one.
	for _, n := range nodes {
		if err := fetchProfile(ctx, n.pprof, "heap?gc=1", os.DevNull, time.Minute); err != nil {
			return err
		}
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, n := range nodes {
		for _, kind := range []string{"cpu", "allocs"} {
			path := "profile?seconds=" + secs
			if kind == "allocs" {
				path = "allocs?seconds=" + secs
			}
			node := n.name
			if n.role != "" {
				node += "-" + n.role
			}
			file := filepath.Join(b.cfg.profileDir, fmt.Sprintf("%s-%s.%s.pb.gz", name, node, kind))
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := fetchProfile(ctx, n.pprof, path, file, b.cfg.profileSeconds+time.Minute); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}()
		}
	}
	err := fn()
	wg.Wait()
	return errors.Join(append([]error{err}, errs...)...)
}
