package config

import "slices"

// Values are the replicated parameters' current values. The state machine
// holds one (fsm.Store.cfg) and changes it only in Apply, by Set, so every
// node has the same; readers hold the Store's lock.
//
// The typed fields are the parameters that take effect here; code reads
// them, never a value by name. Every other parameter is kept only in its
// CONFIG GET form.
type Values struct {
	// Memory and eviction (maxmemory, maxmemory-policy...). MaxMemory is
	// in bytes, 0 for no limit; a value past MaxInt64 (Redis takes any
	// unsigned long long) is MaxInt64.
	MaxMemory                 int64
	MaxMemoryPolicy           Policy
	MaxMemorySamples          int
	MaxMemoryEvictionTenacity int
	LFULogFactor              int
	LFUDecayTime              int

	// NotifyKeyspaceEvents is notify-keyspace-events as Redis's NOTIFY_*
	// bits (see NotifyFlags); 0 publishes nothing.
	NotifyKeyspaceEvents NotifyFlags

	// Encoding limits, as Redis's: a value past them converts.
	ListMaxListpackSize    int // list-max-listpack-size
	HashMaxListpackEntries int // hash-max-listpack-entries
	HashMaxListpackValue   int // hash-max-listpack-value
	SetMaxIntsetEntries    int // set-max-intset-entries
	ZSetMaxListpackEntries int // zset-max-listpack-entries
	ZSetMaxListpackValue   int // zset-max-listpack-value
	StreamNodeMaxBytes     int64
	StreamNodeMaxEntries   int64

	// shown is every parameter's CONFIG GET form, by Param.index; a
	// node-local one's stays its default (the front door has its value).
	shown []string
}

// Defaults returns the values of a fresh node: Redis 7.0's defaults.
func Defaults() *Values {
	v := &Values{shown: make([]string, len(params))}
	for _, p := range params {
		v.shown[p.index] = p.Default
		if p.apply != nil {
			_, n, why := p.check(p.Default, v)
			if why != "" {
				panic("config: the default of " + p.Name + " does not parse: " + why)
			}
			p.apply(v, n)
		}
	}
	return v
}

// Clone returns a copy of v that later changes to v do not affect.
func (v *Values) Clone() *Values {
	c := *v
	c.shown = slices.Clone(v.shown)
	return &c
}

// Get returns p's value as CONFIG GET shows it.
func (v *Values) Get(p *Param) string {
	if p.show != nil {
		return p.show(v)
	}
	return v.shown[p.index]
}

// Changed returns the parameters whose value is not their default, with
// their values, in table order: what a snapshot must carry.
func (v *Values) Changed() (names, values []string) {
	for _, p := range params {
		if s := v.shown[p.index]; s != p.Default {
			names = append(names, p.Name)
			values = append(values, s)
		}
	}
	return names, values
}

// Policy is maxmemory-policy.
type Policy uint8

const (
	VolatileLRU Policy = iota
	VolatileLFU
	VolatileRandom
	VolatileTTL
	AllKeysLRU
	AllKeysLFU
	AllKeysRandom
	NoEviction
)

// policyNames are the policies in Redis's order (maxmemory_policy_enum),
// which its error text lists, and which Policy numbers follow.
var policyNames = [...]string{
	VolatileLRU:    "volatile-lru",
	VolatileLFU:    "volatile-lfu",
	VolatileRandom: "volatile-random",
	VolatileTTL:    "volatile-ttl",
	AllKeysLRU:     "allkeys-lru",
	AllKeysLFU:     "allkeys-lfu",
	AllKeysRandom:  "allkeys-random",
	NoEviction:     "noeviction",
}

func (p Policy) String() string {
	if int(p) < len(policyNames) {
		return policyNames[p]
	}
	return "unknown"
}

// Volatile reports whether the policy evicts only keys with a deadline.
func (p Policy) Volatile() bool { return p <= VolatileTTL }

// LFU reports whether the policy needs access frequencies.
func (p Policy) LFU() bool { return p == VolatileLFU || p == AllKeysLFU }

// LRU reports whether the policy needs access times.
func (p Policy) LRU() bool { return p == VolatileLRU || p == AllKeysLRU }
