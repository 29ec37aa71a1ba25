// Command raftcache-bench measures raftcache side by side with redis-server
// on the same machine in one run, as issue 5 describes, and prints the
// figures against the project's performance targets.
//
// It starts, on free local ports and in their own temporary directories,
//
//   - redis-server without persistence, and with appendonly yes and
//     appendfsync always;
//   - a raftcache single node, and a raftcache 3-node cluster whose load is
//     sent to a follower (real processes of the built binary);
//   - the replicated peers of issue 14: a redis-server primary with two
//     replicas (appendfsync always, each SET followed by WAIT 1 0), and a
//     3-member etcd cluster embedded from go.etcd.io/etcd/server/v3/embed,
//     each member a child process of this binary (its hidden first argument
//     etcd-member); the bench's own clients drive their leaders at the same
//     clients, depths and keys (SET/Put, GET/linearizable Get), and every
//     run records its servers' CPU time per request;
//
// and runs redis-benchmark against each: 64-byte values, random keys over
// the keyspace (-r), 50 clients, unpipelined and 16 deep, the tests SET,
// GET, LPUSH, LPOP (of the list LPUSH filled, topped up so that no pop
// finds it empty), SADD, ZADD and ZRANGE (a custom command reading 10
// members with scores of a 1000-member sorted set the bench fills first).
// It reads redis-benchmark's --csv output. Each collection test's ratio to
// redis-server is held to the same server's SET ratio (writes) or GET
// ratio (ZRANGE) in the same run.
//
// It then loads the keyspace (1M keys by default) into a fresh redis-server
// and a fresh raftcache node and measures
//
//   - memory per key: the process's RSS divided by the keys;
//   - restart time: from the process's start until PING answers and DBSIZE
//     shows every key, raftcache from its state directory against
//     redis-server loading an RDB of the same data;
//   - write p99 while raftcache snapshots the whole keyspace, against p99
//     without: the node is restarted with -snapshot_entries chosen so that
//     its next snapshot comes at a known index, the bench's own clients
//     time every SET, and the "during" figures are those of the writes in
//     flight between the applied index reaching that index and the node's
//     "snapshot saved" log record.
//
// Last, it loads one list, one set and one sorted set of 1M elements of 10
// bytes each (pipelined RPUSH, SADD and ZADD of 10 elements a command) into
// a fresh redis-server and a fresh raftcache node, one process per
// collection, and reports the growth of RSS and of INFO's used_memory over
// the empty process, per element.
//
// Three more phases, not run by default, measure issue 14's scaling table
// (make bench-scaling runs them with keyspace):
//
//   - scaling: SET and GET ops/s (redis-benchmark, c=50, P=1) against value
//     size (-scaling_values) and cluster size (-scaling_nodes), each cell on
//     a fresh cluster with the load on a follower (on the node when it is
//     alone); a cell's requests are -scaling_bytes over its value size,
//     within -scaling_min_requests and -scaling_requests, over a keyspace
//     of a quarter as many keys, all loaded before its GETs;
//   - install: a 3-node cluster holding -keys keys, SETs to a follower at
//     -install_rate; a fourth node joins, and the time until it applies the
//     index the leader had at its start (its log must show a snapshot
//     restored) is reported with the write latency before and meanwhile;
//   - failover: GETs of loaded keys from a follower on -failover_clients
//     connections, each reply checked, across a leadership transfer
//     (CLUSTER FAILOVER on the other follower) and the leader's SIGKILL:
//     p50/p99/max of the reads in a steady window, in flight until the
//     follower names the new leader, and around the change, and every
//     failed read counted.
//
// Usage (make bench builds the binaries and runs it):
//
//	raftcache-bench [-bin bin/raftcache] [-keys 1000000] [-requests 200000] ...
//
// Every count is a flag, so that a short run can check the harness on a
// busy machine and a full one can be done on a quiet one; the figures are
// only comparable within one run. With -profile DIR it also starts the
// raftcache nodes with -pprof and saves CPU and allocation profiles of each
// raftcache benchmark, a heap profile of the loaded node and a CPU profile
// of its restart (profiling costs throughput: do not compare those figures).
package main
