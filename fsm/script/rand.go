package script

// rand48 is Redis's redisLrand48 (the 48-bit linear congruential generator
// of drand48), which Redis's scripts use for math.random, so that a script
// that seeds it with math.randomseed gets Redis's very numbers.
type rand48 struct{ x uint64 }

const (
	rand48A    = 0x5DEECE66D
	rand48C    = 0xB
	rand48Mask = 1<<48 - 1
	// rand48Max is REDIS_LRAND48_MAX, INT32_MAX.
	rand48Max = 1<<31 - 1
)

// seed is redisSrand48: the seed's 32 bits above 0x330E.
func (r *rand48) seed(s int32) { r.x = uint64(uint32(s))<<16 | 0x330E }

// next returns the next 31-bit value.
func (r *rand48) next() int32 {
	r.x = (rand48A*r.x + rand48C) & rand48Mask
	return int32(r.x >> 17)
}

// float returns math.random()'s value in [0, 1).
func (r *rand48) float() float64 {
	return float64(r.next()%rand48Max) / rand48Max
}
