package set

// Limits are the configuration thresholds that decide a set's encoding,
// Redis's set-max-intset-entries. They are passed to every operation that may
// convert a set, never kept in a global, so CONFIG SET takes effect on the
// next write exactly as in Redis.
type Limits struct {
	// MaxIntsetEntries is the most members an intset holds; adding one more
	// converts the set to a hash table. Redis 7.0's default is 512.
	MaxIntsetEntries int
}

// DefaultLimits returns Redis 7.0's defaults (a redis-server without a
// config file, and the redis.conf it ships).
func DefaultLimits() Limits { return Limits{MaxIntsetEntries: 512} }

// Rand returns a uniformly distributed integer in [0, n) for n > 0. The
// caller supplies it (for a write, seeded from the log entry) so that every
// replica makes the same random choices.
type Rand func(n int) int
