// Command raftcache-jepsen is a Jepsen-style checker for raftcache: it
// runs a real cluster of the raftcache binary on the loopback interface,
// injects faults while concurrent clients read and write, and checks with
// porcupine that what the clients saw is linearizable.
//
// # What it does
//
// It starts -nodes processes of -bin, each with fresh ports on its own
// loopback IP 127.0.0.(10+i), from which it also dials its peers
// (-raft_source). Peers reach each node's raft port through a TCP proxy
// owned by the checker (the node's -raft_advertise), which knows from the
// source IP which node a connection comes from, so a partition cuts
// exactly the links it names: by closing them and refusing new ones, or by
// blackholing them (holding them open and forwarding nothing).
//
// -clients goroutines then run SET, GET, INCR and, when the server has
// transactions, MULTI/SET/INCR/EXEC, each against a random node, over
// -keys keys, each with a deadline. Keys come in generations (jepsen:G:K):
// after -ops_per_key operations per key the clients move to fresh keys,
// which keeps each key's history small enough to check. Every operation's
// call and return times and outcome are recorded. An operation either
// succeeded (its reply is checked), definitely failed (a failed read, a
// write refused with CLUSTERDOWN, EXECABORT, or whose connection could not
// be opened: left out of the history), or has an unknown outcome (a write
// that timed out, lost its connection, or got TRYAGAIN: it may take effect
// at any point after its call, or never).
//
// Meanwhile the nemesis (-nemesis, a comma list or "all") injects one
// fault at a time and undoes it: kill (SIGKILL, then restart from the
// state dir), pause (SIGSTOP, then SIGCONT), partition (isolate a node,
// isolate the leader, or split a minority from a majority), membership
// (remove a member, sometimes the leader, and join a new node with fresh
// state and ports) and torn-wal (SIGKILL, cut the last WAL record short,
// restart). transfer is accepted but skipped: the server exposes no
// leadership transfer; removing the leader makes it hand leadership over.
//
// After -duration everything is healed, and once the cluster has settled
// every key is read on every node: each must answer, all must agree, and
// the reads join the history, so an acknowledged write that was lost
// shows up as a violation. porcupine then checks the history against a
// register per key (partitioned by key).
//
// # Reading the output
//
// The summary counts operations per kind as ok / failed / unknown, lists
// the faults injected and any problem seen while injecting them (a node
// that did not restart, a removed node that did not exit), and says
// whether the history is linearizable and whether the nodes agree. On a
// violation it names the offending keys, prints the tail of the first
// one's history (call and return times in seconds, client, node, outcome,
// operation; "(?)" marks an unknown return), writes the whole history to
// history.txt and porcupine's visualization of the offending keys to
// linearizability.html in -out, and exits 1. Node logs are n<i>.log in
// -out; the checker's own log is jepsen.log.
//
// Example:
//
//	go build -o /tmp/raftcache ./cmd/raftcache
//	go run ./cmd/raftcache-jepsen -bin /tmp/raftcache -duration 10m -nemesis all -out /tmp/jepsen
package main
