package fsm

import "github.com/raftcache/raftcache/fsm/config"

// evictConfig is what memory accounting, access statistics and eviction
// read of the replicated configuration (Store.cfg), in one copy so that a
// loop reads one consistent set.
type evictConfig struct {
	maxMemory    int64
	policy       config.Policy
	samples      int
	lfuLogFactor int
	lfuDecayTime int
}

// evictCfg returns the current settings. The caller holds the lock.
func (s *Store) evictCfg() evictConfig {
	v := s.cfg
	return evictConfig{maxMemory: v.MaxMemory, policy: v.MaxMemoryPolicy, samples: v.MaxMemorySamples,
		lfuLogFactor: v.LFULogFactor, lfuDecayTime: v.LFUDecayTime}
}

// MemoryInfo is what INFO memory reports of the dataset and its limit.
type MemoryInfo struct {
	Used      int64 // the dataset's accounted size (see evictmem.go)
	MaxMemory int64 // 0: no limit
	Policy    string
}

// MemoryInfo returns the dataset's accounted size and the eviction
// settings.
func (s *Store) MemoryInfo() MemoryInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	cfg := s.evictCfg()
	return MemoryInfo{Used: s.usedMemory(), MaxMemory: cfg.maxMemory, Policy: cfg.policy.String()}
}
