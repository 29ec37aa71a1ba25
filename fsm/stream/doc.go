// Package stream is Redis 7.0's stream value: entries ordered by ID, packed
// into nodes the way Redis packs them into listpacks, plus consumer groups
// with their pending entries lists.
//
// Everything here is deterministic. Times (auto IDs, delivery times, consumer
// seen-times, idle computations) are passed in by the caller, who takes them
// from the raft entry being applied, never from a clock. Groups and consumers
// are kept in name order and pending entries in ID order, as Redis's radix
// trees keep them, so every reply built from them is the same on every node.
//
// Node boundaries matter to replies: approximate trimming (MAXLEN ~, MINID ~)
// removes whole nodes only. So nodes are cut exactly where Redis would cut
// its listpacks, using a model of the listpack's byte size (see lpsize.go)
// and the stream-node-max-entries / stream-node-max-bytes limits passed in a
// Limits value.
//
// The package imports nothing from fsm; fsm wires the commands to it.
package stream
