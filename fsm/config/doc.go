// Package config is raftcache's configuration as CONFIG GET and CONFIG SET
// see it: one table (Params) of every parameter Redis 7.0's CONFIG GET *
// lists, with its aliases, type, bounds, default and Redis's exact CONFIG
// SET error texts, and the replicated values (Values).
//
// A parameter is either replicated or node-local (Param.Local). Replicated
// values live in the state machine (fsm.Store): CONFIG SET of one is a log
// entry that every node applies (Values.Set), so it changes the whole
// cluster, is snapshotted and survives restarts. Node-local ones
// (proto-max-bulk-len, requirepass, port...) are served by the front door
// (resp), which keeps them per node, as Redis does.
//
// Most parameters mean nothing here (there is no RDB, AOF or TLS): they are
// stored and returned, so that clients and test harnesses that set them
// work. Those that take effect say so in Param.Effect, and code reads them
// through the typed fields of Values, never by name.
//
// Checking is pure: Check (names and values) depends only on its input and
// the current Values, so the proposer checks a CONFIG SET to answer Redis's
// error at once and every node's Apply checks it again and reaches the same
// verdict.
package config
