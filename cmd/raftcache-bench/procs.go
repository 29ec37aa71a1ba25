package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/raftcache/raftcache/cluster/clustertest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// process is one server process the bench started. Its output goes to a
// log file in its directory.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	started time.Time
	exited  chan struct{}
	err     error // set before exited is closed
}

// startProcess starts bin with args, its output appended to logPath. The
// child is killed if the bench dies without cleaning up.
func startProcess(name, logPath, bin string, args ...string) (*process, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p := &process{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.exited)
	}()
	return p, nil
}

func (p *process) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM and waits for the exit, then kills after timeout. It
// returns an error if the process had to be killed or exited with a failure.
func (p *process) stop(timeout time.Duration) error {
	if !p.running() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.err != nil {
			return fmt.Errorf("%s: exit after SIGTERM: %w", p.name, p.err)
		}
		return nil
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s: still running %v after SIGTERM; killed", p.name, timeout)
	}
}

// rss returns the process's resident set size in bytes.
func (p *process) rss() (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("%s: read RSS: %w", p.name, err)
	}
	n, err := parseVmRSS(string(b))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", p.name, err)
	}
	return n, nil
}

func (p *process) log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// tail returns the end of the process's log, for error messages.
func (p *process) tail() string {
	l := p.log()
	if len(l) > 2000 {
		l = "..." + l[len(l)-2000:]
	}
	return l
}

// exitError describes an unexpected exit, if the process has exited.
func (p *process) exitError() error {
	if p.running() {
		return nil
	}
	return fmt.Errorf("%s exited (%v); its log ends:\n%s", p.name, p.err, p.tail())
}

// procs tracks every process of a run so that all are stopped at the end.
type procs struct {
	mu   sync.Mutex
	list []*process
}

func (ps *procs) add(p *process) *process {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.list = append(ps.list, p)
	return p
}

// stopAll stops every process still running, newest first.
func (ps *procs) stopAll() error {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	var errs []error
	for i := len(ps.list) - 1; i >= 0; i-- {
		errs = append(errs, ps.list[i].stop(20*time.Second))
	}
	ps.list = nil
	return errors.Join(errs...)
}

// freeAddr returns a local address whose port was free a moment ago.
func freeAddr() (string, error) {
	addrs, err := clustertest.FreeAddrs("127.0.0.1", 1)
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	return addrs[0], nil
}

// waitUntil polls cond every interval until it returns true, an error, the
// process exits or timeout passes.
func waitUntil(ctx context.Context, p *process, timeout, interval time.Duration, what string, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		if p != nil {
			if err := p.exitError(); err != nil {
				return fmt.Errorf("waiting for %s: %w", what, err)
			}
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("waiting for %s: %w (last error: %v)", what, ctx.Err(), last)
			}
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(interval):
		}
	}
}

// dirs hands out fresh directories under the run's temporary directory.
type dirs struct {
	base string
	mu   sync.Mutex
	n    int
}

func (d *dirs) next(name string) (string, error) {
	d.mu.Lock()
	d.n++
	dir := filepath.Join(d.base, fmt.Sprintf("%02d-%s", d.n, name))
	d.mu.Unlock()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("make %s: %w", dir, err)
	}
	return dir, nil
}
