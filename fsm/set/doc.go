// Package set is Redis 7.0's set value: the data structure behind SADD,
// SMEMBERS, SPOP, SINTERSTORE and the other set commands, without the
// commands themselves (package fsm parses and applies those).
//
// A Set has the two encodings of Redis 7.0 and moves between them as Redis
// does, so OBJECT ENCODING and the reply order agree with redis-server for
// the same history:
//
//   - "intset" while every member is a canonical 64-bit integer (the strings
//     Redis's string2ll accepts: no sign but '-', no leading zero, no "-0")
//     and there are at most Limits.MaxIntsetEntries of them. Members are kept
//     sorted numerically in the narrowest of 16, 32 or 64 bits that has held
//     every value added so far, and SMEMBERS lists them in ascending numeric
//     order, exactly as Redis does.
//   - "hashtable" once a non-integer member is added or the intset grows past
//     the limit. It never converts back, also as Redis. Redis lists a hash
//     table in an order of its own; ours is the order of a fixed 64-bit hash
//     of the members, which every replica agrees on, which SSCAN's cursor
//     follows, and which a copy-on-write B-tree keeps so that a Set and its
//     Clone share structure.
//
// Random choices (SPOP, SRANDMEMBER) take the caller's Rand so that the
// state machine can seed them from the log; nothing here reads a clock,
// global randomness or map order.
package set
