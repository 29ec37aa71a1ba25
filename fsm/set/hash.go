package set

// memberHash is the fixed hash that orders a hash table's members: FNV-1a
// over the bytes, then splitmix64's finalizer so that members differing only
// at the end still spread over all 64 bits. It must never change: it decides
// SMEMBERS's order and SSCAN's cursors, which every replica, and every
// version in a rolling upgrade, must agree on. It is never 0, which SSCAN
// reserves for "start" and "done".
func memberHash(m string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(m); i++ {
		h ^= uint64(m[i])
		h *= 1099511628211
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	if h == 0 {
		h = 1
	}
	return h
}
