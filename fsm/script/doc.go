// Package script is the Lua runtime of raftcache's EVAL, EVALSHA and their
// read-only variants: a sandboxed Lua 5.1 (github.com/yuin/gopher-lua, pure
// Go) with the environment Redis 7.0 gives scripts (KEYS, ARGV, the redis
// library, readonly globals) and Redis's conversions between replies and Lua
// values.
//
// A script runs inside the state machine's Apply, on every node, from the
// log entry that carries its invocation, so it must do the same thing on
// every node. The package makes that so:
//
//   - No source of difference: no os, io, debug, print, require or file
//     loading; math.random and math.randomseed use Redis's rand48 with a
//     state seeded from the invocation (Invocation.Seed, the log index);
//     the host answers TIME from the entry's time; tostring of a table or
//     function prints a number counted within the run, not an address;
//     collectgarbage and gcinfo report 0. gopher-lua iterates a table's
//     hash part in insertion order, which every node repeats.
//   - No state carried between scripts: the globals and every library
//     table are readonly ("Attempt to modify a readonly table", as Redis
//     7.0), so nothing a script does survives it except its writes, and a
//     node restored from a snapshot runs the next script exactly as a node
//     that replayed the log.
//   - The same end: a time limit would stop a script at a different point
//     on each node. gopher-lua has no debug hook, but with a context set
//     its VM asks the context's Done() before every instruction, and so
//     Engine installs a context that counts those calls and reports done
//     after Invocation.Budget instructions (DefaultBudget). At the bound
//     the script stops with an error that pcall cannot swallow (every
//     later instruction fails again); the writes it made before stay, as
//     Redis keeps a failed script's writes. Coroutines get the same
//     counting context. The call stack and data stack are bounded too,
//     which ends a runaway recursion with a "stack overflow" error.
//
// Memory is not bounded beyond what the instruction budget implies: one
// instruction can double a string.
//
// The package knows nothing of fsm: a Host runs the commands that
// redis.call and redis.pcall issue, and Reply mirrors fsm's reply shape.
package script
