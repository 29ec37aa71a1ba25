package main

import (
	"slices"
	"sync"
)

// recordLog is what a workload's clients record, each appending
// concurrently; the checker reads it whole once they are done.
type recordLog[T any] struct {
	logMu sync.Mutex
	recs  []T
}

func (l *recordLog[T]) add(r T) {
	l.logMu.Lock()
	l.recs = append(l.recs, r)
	l.logMu.Unlock()
}

// records returns a copy of what was recorded so far.
func (l *recordLog[T]) records() []T {
	l.logMu.Lock()
	defer l.logMu.Unlock()
	return slices.Clone(l.recs)
}
