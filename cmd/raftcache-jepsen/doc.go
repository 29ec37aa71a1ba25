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
// transactions, MULTI/SET/INCR/EXEC and MULTI/GET/INCR/EXEC (atomic, and
// a linearizable read), each against a random node, over
// -keys keys, each with a deadline. Keys come in generations (jepsen:G:K):
// after -ops_per_key operations per key the clients move to fresh keys,
// which keeps each key's history small enough to check. Every operation's
// call and return times and outcome are recorded. An operation either
// succeeded (its reply is checked), definitely failed (a failed read, a
// write refused with CLUSTERDOWN, or whose connection could not be
// opened: left out of the history), or has an unknown outcome (a write
// that timed out, lost its connection, or got TRYAGAIN: it may take effect
// at any point after its call, or never). One operation in ten instead
// adds a unique element to one of 16 sets (HSET jepsen:set:N element 1),
// the classic lost-write test: it covers the whole run, not one key
// generation. A fifth of the GETs and SETs go through the HTTP API
// instead (GET /key, PUT /), where a 503 saying "write outcome unknown"
// makes a write unknown and any other 503 proves it did not happen.
//
// With -workload append, the clients instead run list-append
// transactions, as Jepsen's analysis of Redis-Raft did: 1 to 4
// micro-operations each, an RPUSH of a value unique across the run or an
// LRANGE 0 -1, over -keys lists at a time that rotate after -ops_per_key
// micro-operations, each transaction sent to a random node as
// MULTI/EXEC or as one EVAL of a script running the same commands, half
// each (a third of the single-operation ones as the bare command, so that
// plain reads take the read barrier: a transaction's reads go through the
// log). EXEC answering nil, EXECABORT and CLUSTERDOWN make a transaction
// failed; a timeout, a broken connection or TRYAGAIN leave it
// indeterminate (it may have taken effect at any time after its call); a
// transaction that only reads and did not succeed is simply failed. The
// restart reads and the final reads read whole lists. Package elle then
// checks the history for strict serializability: it recovers each list's
// version order from the longest read, infers write-write, write-read,
// read-write and real-time dependencies, and reports every cycle (G0,
// G1c, G-single, G2, each "-realtime" when real time closes it) with the
// dependencies that make it, and what needs no cycle: aborted (G1a) and
// intermediate (G1b) reads, reads that are not prefixes of one order,
// duplicated or invented elements and lost appends. Any anomaly fails
// the run; the summary prints the first few, anomalies.txt all of them
// (naming transactions T<i>, the lines of history.txt).
//
// With -workload queue, half the clients are producers, LPUSHing unique
// elements onto one of two lists on a random node, and half consumers:
// every other one BRPOPs from both (blocking up to a second), the rest
// are reliable-queue workers, which BLMOVE an element from one of them
// into a processing list of their own and, once it is "processed", LREM
// it from there, each command on a random node. Once healed, every
// member's lists are read and must agree, and every acknowledged element
// must have been delivered exactly once, or still be queued, or be in
// the processing list of the one worker whose BLMOVE's reply was lost or
// whose LREM was not confirmed: a BRPOP whose outcome is unknown (its
// connection broke, or TRYAGAIN) may have taken one element with it, so
// only that many may be missing; none may be delivered twice, be
// delivered and still queued, or be in two places, a worker's processing
// list may hold only as many elements it was not told of as its BLMOVEs
// of unknown outcome, an element may leave it only by an LREM, and none
// that nobody pushed, or whose push definitely failed, may appear.
// Producers pause four times longer than consumers, so that most pops
// find the queues empty and block. This found a served BRPOP popped
// twice (a node killed after writing the reply and before its
// acknowledgement committed had the element put back): a 2-minute run
// with only kills, one a second or so, found 2. Nodes now acknowledge
// before they write the reply (resp/blocking.go, deliver), and the same
// runs find none.
//
// With -workload stream, half the clients are producers, XADDing entries
// with unique values to one stream on a random node, and half consumers
// in one group, each reading new entries (XREADGROUP ... >, blocking up
// to a second) on a random node and XACKing them. A consumer whose read
// got no answer goes on under a new name, as a restarted worker, and
// first takes over what the lost read may have left pending for the old
// name (XPENDING of it, XCLAIM): those redeliveries are counted apart.
// Once healed, every member's stream (XRANGE), pending list (XPENDING,
// idle times left out) and group (XINFO GROUPS) are read and must agree;
// no entry may be delivered twice with ">", or claimed once a consumer
// that got the reply had it; every acknowledged XADD must be in the
// stream, and each entry delivered, pending for a consumer whose read or
// claim got no answer, or past the group's last-delivered ID; an entry
// must leave the pending list when acknowledged, and only then.
//
// With -workload script, the register workload runs with scripts mixed
// in. A compare-and-set is one EVAL that sets a register to a fresh value
// if it holds the value the client last saw there, and returns 1, or else
// returns what the register holds, so that a failed one is a read the
// model checks too. A pair is two keys set to the same fresh value by
// one EVAL, and read by MGET or by an EVAL that GETs both: porcupine
// checks each pair as one register (a pair read is a GET of it, its
// write a SET, restart and final reads MGETs), and a read whose two
// values differ saw the write applied in part, which the model never
// accepts and the summary reports as torn. Unknown compare-and-sets are
// pruned as unknown SETs are, their expected values counting as observed
// (see prune). A run in which no compare-and-set set, or none found
// another value, or no pair was read, proves little and fails.
//
// Measured, 15 s without faults, seed 1, against deliberately broken
// builds (not committed): one whose two-key MGET read its second key 3 ms
// after its first failed with 41 of 1562 pair reads torn; one that judged
// the compare-and-set on the node's own state, read without a barrier,
// and replicated only its SET failed with every register key (36 of 36)
// not linearizable. The same runs against main passed.
//
// With -workload pubsub, half the clients are publishers and half
// subscribers. A publisher, on a random node each time, adds the
// message's number to its marker set (SADD) and then PUBLISHes a payload
// unique across the run. Subscriber 2k+1 subscribes on member k (modulo
// the cluster's size), by channel or by pattern in turn, again after
// every broken connection, and on each message reads the marker on its
// own node over a READONLY connection (no read barrier: what that node
// has applied; dialed again after a timeout only while INFO's run_id
// shows the same process, whose applied index never goes back). Once healed, the checker publishes an end message: every
// acknowledged message precedes it in the log, so a subscriber that
// receives it stayed connected to the end. Such a subscriber must have
// received every acknowledged message published after its subscription
// was confirmed; no subscriber may receive a message twice, one nobody
// published or one whose PUBLISH definitely failed (an unknown one may
// arrive once, or not); every two subscribers must have received the
// messages they share in the same order, and one order must agree with
// all of them; and no message whose marker was acknowledged may arrive
// before the marker is visible on the subscriber's node. A subscriber
// whose connection broke is counted, and checked for all but the
// first. Against a build whose followers installed snapshots without
// disconnecting their subscribers (the entries a snapshot covers are
// skipped, their messages with them), runs with partitions and pauses
// found subscribers that stayed connected and missed messages.
//
// Meanwhile the nemesis (-nemesis, a comma list or "all") injects faults,
// kinds taking turns in a shuffled order, and undoes them: kill (SIGKILL,
// then restart from the state dir; one time in five every member at once,
// restarted one by one), pause (SIGSTOP, then SIGCONT), partition (isolate
// a node, isolate the leader, or split a minority from a majority; both
// ways, or one way only), transfer (POST /mgmt/leader to another member,
// one to three times in a row), membership (remove a member, sometimes
// the leader, sometimes one that is paused or dead and learns of its
// removal only when it resumes or restarts, then join a new node with
// fresh state and ports) and torn-wal (SIGKILL, then leave a torn record
// after the last complete one of the newest WAL segment, as a crash
// mid-write would: either the file ends inside it or its last sector is
// zeros; restart). With -overlap N, N faults may be in place at once:
// node faults on distinct nodes, one partition at a time, membership
// changes and transfers alone.
//
// Each node restarted after a kill is read from as soon as it serves,
// every key in use. A node alone in its cluster is read before anything
// else is asked of it (the workload's clients, and the nemesis's own PING,
// leave it alone until those reads are sent), at its first election: the checker reads the node's log every
// millisecond and, the moment raft logs that it became candidate, sends
// the GETs of the registers written last, each over HTTP on a connection
// of its own, so that they reach raft in the pass in which the node
// becomes leader, before the first entry of its term is saved (the only
// moment a single voter that trusted the commit index it restarted with,
// issue 9 item 1, answered a read barrier wrongly; HTTP because a new
// RESP connection's ACL sync barrier would take that round). A node of a
// larger cluster is read the moment it serves. Every other key in use
// follows over RESP. Those reads join the history: a node that answers
// them before it has caught up with what it acknowledged before it was
// killed fails the check, and the summary names the first restart whose
// reads showed it.
//
// -save_delay makes every node's disk slow: each Ready is persisted that
// much later, through a failpoint compiled only into a binary built with
// -tags failpoints (cluster/failpoint.go; the production binary has no
// such code, and a run whose nodes did not log the failpoint armed fails).
// A slow disk widens the windows a crash must hit: between a write's
// acknowledgement and the durable record of its commit, and the
// candidate's save of its own vote, during which a read must reach the
// node to be answered in the pass that makes it leader.
//
// Measured (2 cores shared with other work, load average 5 to 11): against
// a build with item 1's fix (410339b) reverted, the single-node run below
// (30 s, 8 or 9 restarts each) failed for each of seeds 1 to 5, first
// shown by the reads of restart 3, 3, 2, 8 and 3, 4.7 to 27.6 s into the
// run; the same runs against main's failpoints build passed, 5 of 5.
//
// -nemesis disk-fault (the same build; "all" leaves it out) makes a
// node's WAL fail with EIO while a fault file exists (the failpoint of
// cluster.FailpointWALFaultFileEnv): the node must stop by itself within
// 15 s, with a non-zero status and "storage failure" in its log; the
// file is then removed and the node restarted, and everything it
// acknowledged must still be there. Measured: against a build whose WAL
// took a failed write as done (not committed), the single-node run of
// TestSmallClustersKillRestart reported "n0 went on running for 15s with
// a failing disk", a non-linearizable history and 196 of 242
// acknowledged adds lost; main's build passed.
//
// -nemesis full-disk (root only, "all" leaves it out; see fulldisk.go)
// puts every node's state dir on its own tmpfs and fills one with a
// ballast file as a fault: the node must serve reads and either take
// writes durably or refuse them with MISCONF, or stop non-zero saying the
// device is full; it may be killed and is started again on the full
// disk, and after the ballast is removed it must serve writes within the
// recovery bound with nothing acknowledged lost. Measured: against a
// build that took a WAL write failing with ENOSPC as done (not
// committed), two single-node runs lost 371 of 371 and 160 of 570
// acknowledged adds (the second also non-linearizable); main passed.
//
// After each fault every member must serve a write again within
// -recover_bound. -snapshot_entries sets the nodes' snapshot interval;
// small values make snapshots, and snapshot installs on lagging
// followers, happen under faults.
//
// After -duration everything is healed, and once the cluster has settled
// every key, every set and DBSIZE are read on every member: each must
// answer and all must agree; the register reads join the history, so an
// acknowledged write that was lost shows up as a violation. porcupine then
// checks the history against a register per key (partitioned by key), and
// the sets are checked directly: every acknowledged add present, no add
// that was reported as definitely failed present, nothing never added.
//
// A run also fails when it proves less than it seems to: fewer than
// -min_ok successful reads or writes, a fault kind asked for that never
// ran, a torn WAL that no node reported repairing, final reads that did
// not cover every member, a reply no correct server gives this workload,
// or an operation on a node the nemesis left alone (partitions aside)
// that got no answer before the client's deadline (-op_timeout, which
// exceeds the server's -server_timeout).
//
// With -workload evict, the checker sets the cluster's maxmemory to 256
// KB and its maxmemory-policy (CONFIG SET on one node: cluster state) to
// volatile-lru, -lfu, -ttl, -random, noeviction or allkeys-lru, -lfu,
// -random, by the seed unless -evict_policy names one. Clients SET fresh
// keys of a few hundred bytes with an EX of an hour or more (in a
// volatile policy's reach; none expires during a run) and DELete some of
// their own; SET persistent keys (no TTL, out of its reach), each owned
// by one client, ten of them per client once at the start and never
// touched again (the coldest keys, the first an LRU or LFU policy
// reaching past the volatile keys would take); INCR persistent counters;
// and GET persistent keys. Redis's exact OOM error is a definite failure.
// Once healed, every member's keys and values (SCAN, MGET) and INFO are
// read, again until they agree: they must hold the same keys, values and
// used_memory; no acknowledged persistent key or counter may be missing
// or older than its last acknowledged write, nor any GET of one miss a
// write acknowledged before it; no value whose write definitely failed
// may be seen, nor a deleted key come back; under noeviction no
// acknowledged key may be gone (under an allkeys policy, a persistent key
// or counter may: its values are still checked, and that the nodes
// evicted alike). The run also fails if used_memory went past maxmemory
// and an eighth (where the server refuses growing writes), ends above
// maxmemory, or if no key was evicted (under noeviction: if no write got
// OOM, or a key was evicted).
//
// Measured, 15 s without faults, seed 1, against deliberately broken
// builds (not committed): the leader's sampler taking keys without a TTL
// under volatile-lru lost 79 of the 80 cold persistent keys (under
// volatile-random, 33 GETs found a persistent key gone); Apply's own
// eviction choosing victims with node-local randomness left the three
// nodes about 350 keys apart after 20 rounds of final reads; a write
// refused with OOM but applied anyway showed 3757 failed writes' values,
// counters above their INCRs and used_memory at 4.2 times maxmemory. The
// same runs against main passed.
//
// # Reading the output
//
// The summary counts operations per kind as ok / failed / unknown, lists
// the faults injected, how long members took to serve again after each,
// the slowest answer from a healthy node, what the node logs say happened
// (snapshots taken and installed, WAL tails repaired, removed nodes that
// left) and any problem, and says whether the history is linearizable,
// how many acknowledged adds were lost, and whether the nodes agree. On a
// violation it names the offending keys (and the first restart whose
// reads showed it, if any), prints the tail of one's history (call and
// return times in seconds, client, node, outcome, operation; "(?)" marks
// an unknown return; up to those reads, which end it, when there is such
// a restart), writes porcupine's visualization of the offending keys to
// linearizability.html in -out, and exits 1. The whole history is always in history.txt. Node logs are n<i>.log in
// -out; the checker's own log is jepsen.log.
//
// Example:
//
//	make jepsen DURATION=10m NEMESIS=all
//	make jepsen DURATION=10m NEMESIS=all WORKLOAD=append
//	make jepsen DURATION=10m NEMESIS=all WORKLOAD=all
//	make jepsen DURATION=10m NEMESIS=all WORKLOAD=pubsub
//
// or by hand:
//
//	go build -o /tmp/raftcache ./cmd/raftcache
//	go run ./cmd/raftcache-jepsen -bin /tmp/raftcache -duration 10m -nemesis all -snapshot_entries 200 -out /tmp/jepsen
//
// and a single node on a slow disk, killed and restarted (the measured
// run above, with -seed 1 to 5):
//
//	go build -tags failpoints -o /tmp/raftcache-fp ./cmd/raftcache
//	go run ./cmd/raftcache-jepsen -bin /tmp/raftcache-fp -nodes 1 -nemesis kill -save_delay 20ms \
//		-duration 30s -fault_every 500ms -fault_hold 1s -seed 1
package main
