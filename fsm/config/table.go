package config

// buildParams is the table: every parameter of Redis 7.0's config.c
// (static_configs), in its order, with its flags, bounds and default.
// Redis's CONFIG GET * lists exactly the names and aliases here that are
// not Hidden; resp's compat tests check the list and the defaults against
// a real redis-server.
//
// Differences, each for a reason: port, bind and dir are this node's own
// and cannot move at run time, so they are immutable here (Redis rebinds or
// chdirs); cluster-enabled is yes, as INFO's cluster_enabled, because
// raftcache answers the CLUSTER commands.
func buildParams() []*Param {
	return []*Param{
		// Bool configs.
		boolean("rdbchecksum", "", true).immutable(),
		boolean("daemonize", "", false).immutable(),
		boolean("io-threads-do-reads", "", false).immutable(),
		boolean("always-show-logo", "", false).immutable(),
		boolean("protected-mode", "", true),
		boolean("rdbcompression", "", true),
		boolean("rdb-del-sync-files", "", false),
		boolean("activerehashing", "", true),
		boolean("stop-writes-on-bgsave-error", "", true),
		boolean("set-proc-title", "", true).immutable(),
		boolean("dynamic-hz", "", true),
		boolean("lazyfree-lazy-eviction", "", false),
		boolean("lazyfree-lazy-expire", "", false),
		boolean("lazyfree-lazy-server-del", "", false),
		boolean("lazyfree-lazy-user-del", "", false),
		boolean("lazyfree-lazy-user-flush", "", false),
		boolean("repl-disable-tcp-nodelay", "", false),
		boolean("repl-diskless-sync", "", true),
		boolean("aof-rewrite-incremental-fsync", "", true),
		boolean("no-appendfsync-on-rewrite", "", false),
		boolean("cluster-require-full-coverage", "", true),
		boolean("rdb-save-incremental-fsync", "", true),
		boolean("aof-load-truncated", "", true),
		boolean("aof-use-rdb-preamble", "", true),
		boolean("aof-timestamp-enabled", "", false),
		boolean("cluster-replica-no-failover", "cluster-slave-no-failover", false),
		boolean("replica-lazy-flush", "slave-lazy-flush", false),
		boolean("replica-serve-stale-data", "slave-serve-stale-data", true),
		boolean("replica-read-only", "slave-read-only", true),
		boolean("replica-ignore-maxmemory", "slave-ignore-maxmemory", true),
		boolean("jemalloc-bg-thread", "", true),
		boolean("activedefrag", "", false),
		boolean("syslog-enabled", "", false).immutable(),
		boolean("cluster-enabled", "", true).immutable(),
		boolean("appendonly", "", false),
		boolean("cluster-allow-reads-when-down", "", false),
		boolean("cluster-allow-pubsubshard-when-down", "", true),
		boolean("crash-log-enabled", "", true),
		boolean("crash-memcheck-enabled", "", true),
		boolean("use-exit-on-panic", "", false).hidden(),
		boolean("disable-thp", "", true).immutable(),
		boolean("cluster-allow-replica-migration", "", true),
		boolean("replica-announced", "", true),
		boolean("latency-tracking", "", true),
		boolean("aof-disable-auto-gc", "", false),
		boolean("replica-ignore-disk-write-errors", "", false),

		// String configs.
		str("aclfile", "", "").immutable(),
		str("unixsocket", "", "").immutable(),
		str("pidfile", "", "").immutable(),
		str("replica-announce-ip", "slave-announce-ip", ""),
		str("masteruser", "", ""),
		str("cluster-announce-ip", "", ""),
		str("cluster-config-file", "", "nodes.conf").immutable(),
		str("cluster-announce-hostname", "", "").validate(checkHostname),
		str("syslog-ident", "", "redis").immutable(),
		str("dbfilename", "", "dump.rdb").protected(),
		str("appendfilename", "", "appendonly.aof").immutable(),
		str("appenddirname", "", "appendonlydir").immutable(),
		str("server_cpulist", "", "").immutable(),
		str("bio_cpulist", "", "").immutable(),
		str("aof_rewrite_cpulist", "", "").immutable(),
		str("bgsave_cpulist", "", "").immutable(),
		str("ignore-warnings", "", ""),
		str("proc-title-template", "", "{title} {listen-addr} {server-mode}").validate(checkProcTitle),
		str("bind-source-addr", "", ""),
		str("logfile", "", "").immutable(),

		// SDS configs: binary-safe strings.
		sds(str("masterauth", "", "")),
		sds(str("requirepass", "", "")).local("clients must AUTH with it"),

		// Enum configs.
		enum("supervised", "", "no", "upstart", "systemd", "auto", "no").immutable(),
		enum("syslog-facility", "", "local0", "user", "local0", "local1", "local2", "local3",
			"local4", "local5", "local6", "local7").immutable(),
		enum("repl-diskless-load", "", "disabled", "disabled", "on-empty-db", "swapdb"),
		enum("loglevel", "", "notice", "debug", "verbose", "notice", "warning"),
		enum("maxmemory-policy", "", "noeviction", policyNames[:]...).
			effect("which keys eviction removes", func(v *Values, n int64) { v.MaxMemoryPolicy = Policy(n) }),
		enum("appendfsync", "", "everysec", "everysec", "always", "no"),
		sameAs(enum("oom-score-adj", "", "no", "no", "yes", "relative", "absolute"), "relative", "yes"),
		enum("acl-pubsub-default", "", "resetchannels", "allchannels", "resetchannels"),
		enum("sanitize-dump-payload", "", "no", "no", "yes", "clients"),
		enum("enable-protected-configs", "", "no", "no", "yes", "local").immutable(),
		enum("enable-debug-command", "", "no", "no", "yes", "local").immutable(),
		enum("enable-module-command", "", "no", "no", "yes", "local").immutable(),
		enum("cluster-preferred-endpoint-type", "", "ip", "ip", "hostname", "unknown-endpoint"),
		enum("propagation-error-behavior", "", "ignore", "ignore", "panic", "panic-on-replicas"),
		special("shutdown-on-sigint", "", "default", parseShutdownFlags).multi(),
		special("shutdown-on-sigterm", "", "default", parseShutdownFlags).multi(),

		// Integer configs.
		integer("databases", "", 1, intMax, 16).immutable(),
		integer("port", "", 0, 65535, 6379).immutable().local("the port this node serves RESP on"),
		integer("io-threads", "", 1, 128, 1).immutable(),
		integer("auto-aof-rewrite-percentage", "", 0, intMax, 100),
		integer("cluster-replica-validity-factor", "cluster-slave-validity-factor", 0, intMax, 10),
		integer("list-max-listpack-size", "list-max-ziplist-size", intMin, intMax, -2).
			effect("a new list's chunk size", func(v *Values, n int64) { v.ListMaxListpackSize = int(n) }),
		integer("tcp-keepalive", "", 0, intMax, 300),
		integer("cluster-migration-barrier", "", 0, intMax, 1),
		integer("active-defrag-cycle-min", "", 1, 99, 1),
		integer("active-defrag-cycle-max", "", 1, 99, 25),
		integer("active-defrag-threshold-lower", "", 0, 1000, 10),
		integer("active-defrag-threshold-upper", "", 0, 1000, 100),
		integer("lfu-log-factor", "", 0, intMax, 10).
			effect("the LFU counter's growth", func(v *Values, n int64) { v.LFULogFactor = int(n) }),
		integer("lfu-decay-time", "", 0, intMax, 1).
			effect("the LFU counter's decay", func(v *Values, n int64) { v.LFUDecayTime = int(n) }),
		integer("replica-priority", "slave-priority", 0, intMax, 100),
		integer("repl-diskless-sync-delay", "", 0, intMax, 5),
		integer("maxmemory-samples", "", 1, intMax, 5).
			effect("keys eviction samples", func(v *Values, n int64) { v.MaxMemorySamples = int(n) }),
		integer("maxmemory-eviction-tenacity", "", 0, 100, 10).
			effect("how long eviction runs", func(v *Values, n int64) { v.MaxMemoryEvictionTenacity = int(n) }),
		integer("timeout", "", 0, intMax, 0),
		integer("replica-announce-port", "slave-announce-port", 0, 65535, 0),
		integer("tcp-backlog", "", 0, intMax, 511).immutable(),
		integer("cluster-port", "", 0, 65535, 0).immutable(),
		integer("cluster-announce-bus-port", "", 0, 65535, 0),
		integer("cluster-announce-port", "", 0, 65535, 0),
		integer("cluster-announce-tls-port", "", 0, 65535, 0),
		integer("repl-timeout", "", 1, intMax, 60),
		integer("repl-ping-replica-period", "repl-ping-slave-period", 1, intMax, 10),
		integer("list-compress-depth", "", 0, intMax, 0),
		integer("rdb-key-save-delay", "", intMin, intMax, 0).hidden(),
		integer("key-load-delay", "", intMin, intMax, 0).hidden(),
		integer("active-expire-effort", "", 1, 10, 1),
		fixed(integer("hz", "", 0, intMax, 10), func(n int64) int64 { return min(max(n, 1), 500) }),
		integer("min-replicas-to-write", "min-slaves-to-write", 0, intMax, 0),
		integer("min-replicas-max-lag", "min-slaves-max-lag", 0, intMax, 10),
		integer("watchdog-period", "", 0, intMax, 0).hidden(),
		integer("shutdown-timeout", "", 0, intMax, 10),
		integer("repl-diskless-sync-max-replicas", "", 0, intMax, 0),

		// Unsigned int configs.
		uinteger("maxclients", "", 1, uintMax, 10000),
		uinteger("unixsocketperm", "", 0, 0o777, 0).immutable(),
		uinteger("socket-mark-id", "", 0, uintMax, 0).immutable(),

		// Unsigned long configs (bounds checked as signed, as Redis does).
		integer("active-defrag-max-scan-fields", "", 1, longMax, 1000),
		integer("slowlog-max-len", "", 0, longMax, 128).local("how many slow commands this node keeps"),
		integer("acllog-max-len", "", 0, longMax, 128),

		// Long long configs.
		integer("busy-reply-threshold", "lua-time-limit", 0, longMax, 5000),
		integer("cluster-node-timeout", "", 0, longMax, 15000),
		integer("slowlog-log-slower-than", "", -1, longMax, 10000).local("the microseconds a command takes to enter this node's slow log"),
		integer("latency-monitor-threshold", "", 0, longMax, 0).local("the milliseconds a command takes to be a latency event on this node"),
		memory("proto-max-bulk-len", "", mb, longMax, 512*mb).local("the longest bulk string a client may send"),
		integer("stream-node-max-entries", "", 0, longMax, 100).
			effect("entries per stream node", func(v *Values, n int64) { v.StreamNodeMaxEntries = n }),
		// resizeReplicationBacklog raises it to CONFIG_REPL_BACKLOG_MIN_SIZE.
		fixed(memory("repl-backlog-size", "", 1, longMax, mb), func(n int64) int64 { return max(n, 16<<10) }),

		// Unsigned long long configs.
		umemory("maxmemory", "", 0, ullMax, 0).
			effect("the memory limit eviction keeps to", func(v *Values, n int64) { v.MaxMemory = n }),
		umemory("cluster-link-sendbuf-limit", "", 0, ullMax, 0),

		// Size_t configs.
		uinteger("hash-max-listpack-entries", "hash-max-ziplist-entries", 0, longMax, 512).
			effect("a hash's listpack encoding", func(v *Values, n int64) { v.HashMaxListpackEntries = int(n) }),
		uinteger("set-max-intset-entries", "", 0, longMax, 512).
			effect("a set's intset encoding", func(v *Values, n int64) { v.SetMaxIntsetEntries = int(n) }),
		uinteger("zset-max-listpack-entries", "zset-max-ziplist-entries", 0, longMax, 128).
			effect("a sorted set's listpack encoding", func(v *Values, n int64) { v.ZSetMaxListpackEntries = int(n) }),
		umemory("active-defrag-ignore-bytes", "", 1, longMax, 100*mb),
		umemory("hash-max-listpack-value", "hash-max-ziplist-value", 0, longMax, 64).
			effect("a hash's listpack encoding", func(v *Values, n int64) { v.HashMaxListpackValue = int(n) }),
		umemory("stream-node-max-bytes", "", 0, longMax, 4096).
			effect("bytes per stream node", func(v *Values, n int64) { v.StreamNodeMaxBytes = n }),
		umemory("zset-max-listpack-value", "zset-max-ziplist-value", 0, longMax, 64).
			effect("a sorted set's listpack encoding", func(v *Values, n int64) { v.ZSetMaxListpackValue = int(n) }),
		umemory("hll-sparse-max-bytes", "", 0, longMax, 3000),
		uinteger("tracking-table-max-keys", "", 0, longMax, 1000000),
		umemory("client-query-buffer-limit", "", mb, longMax, 1024*mb).local("the longest request a client may send"),
		percent(memory("maxmemory-clients", "", -100, longMax, 0)),

		// Other numeric configs.
		integer("repl-backlog-ttl", "", 0, longMax, 3600),
		memory("auto-aof-rewrite-min-size", "", 0, longMax, 64*mb),
		integer("loading-process-events-interval-bytes", "", 1024, intMax, 2*mb).hidden(),

		// TLS configs (Redis built with TLS, as the one the tests compare with).
		integer("tls-port", "", 0, 65535, 0),
		integer("tls-session-cache-size", "", 0, intMax, 20*1024),
		integer("tls-session-cache-timeout", "", 0, intMax, 300),
		boolean("tls-cluster", "", false),
		boolean("tls-replication", "", false),
		enum("tls-auth-clients", "", "yes", "no", "yes", "optional"),
		boolean("tls-prefer-server-ciphers", "", false),
		boolean("tls-session-caching", "", true),
		str("tls-cert-file", "", ""),
		str("tls-key-file", "", ""),
		str("tls-key-file-pass", "", ""),
		str("tls-client-cert-file", "", ""),
		str("tls-client-key-file", "", ""),
		str("tls-client-key-file-pass", "", ""),
		str("tls-dh-params-file", "", ""),
		str("tls-ca-cert-file", "", ""),
		str("tls-ca-cert-dir", "", ""),
		str("tls-protocols", "", ""),
		str("tls-ciphers", "", ""),
		str("tls-ciphersuites", "", ""),

		// Special configs.
		special("dir", "", "", nil).protected().local("this node's working directory"),
		special("save", "", "3600 1 300 100 60 10000", parseSave).multi(),
		special("client-output-buffer-limit", "",
			"normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", parseOutputBufferLimit).multi(),
		special("oom-score-adj-values", "", "0 200 800", parseOOMScoreAdjValues).multi(),
		shown(special("notify-keyspace-events", "", "", parseKeyspaceEvents), showKeyspaceEvents).
			effect("which keyspace notifications are published", func(v *Values, n int64) { v.NotifyKeyspaceEvents = NotifyFlags(n) }),
		special("bind", "", "* -::*", nil).immutable().local("the address this node serves RESP on"),
		special("replicaof", "slaveof", "", nil).immutable().multi(),
		special("latency-tracking-info-percentiles", "", "50 99 99.9", parsePercentiles).multi(),
	}
}

func sds(p *Param) *Param { p.binary = true; return p }

func sameAs(p *Param, name, canon string) *Param {
	if p.enumSame == nil {
		p.enumSame = map[string]string{}
	}
	p.enumSame[name] = canon
	return p
}

func fixed(p *Param, fix func(int64) int64) *Param { p.fix = fix; return p }

func shown(p *Param, show func(*Values) string) *Param { p.show = show; return p }

func percent(p *Param) *Param { p.Percent = true; return p }
