# raftcache: `make run` starts a single node, `make test` runs every test.
GO      ?= go
BIN     := bin/raftcache
DATA    ?= raftcache-data
TMPDIR  ?= /tmp

.PHONY: build run test unit e2e cluster lint deps clean compat jepsen bench bench-scaling

build:
	$(GO) build -o $(BIN) ./cmd/raftcache

# A single durable node: RESP on :6379, HTTP admin API on :9090.
run: build
	$(BIN) -state_dir $(DATA)

# Unit, end-to-end (real processes of the binary) and race tests, plus lint.
test: deps lint build
	$(GO) test -race -count=1 -timeout 10m ./...

# The fault-injection checker (cmd/raftcache-jepsen) against real processes
# of bin/raftcache: exits non-zero unless the history is linearizable, no
# acknowledged write was lost and the nodes agree. WORKLOAD=append runs
# list-append transactions (MULTI/EXEC and EVAL) instead, checked for
# strict serializability, non-zero on any anomaly; WORKLOAD=queue runs
# producers (LPUSH) and consumers (BRPOP, or BLMOVE into a processing list
# and LREM, as reliable queues do): every acknowledged element
# delivered exactly once; WORKLOAD=stream runs producers (XADD) and
# consumers of one group (XREADGROUP >, XACK): no entry delivered twice,
# every acknowledged one delivered, pending or yet to be; WORKLOAD=script
# mixes compare-and-set EVALs and pairs of keys written by one EVAL into
# the register workload, no pair read torn; WORKLOAD=pubsub runs publishers and subscribers on every node:
# every acknowledged message received once, in one order, by each
# subscriber that stayed connected; WORKLOAD=evict writes past a small
# maxmemory under a policy the seed picks (JEPSEN_FLAGS="-evict_policy P"
# to choose): no key outside its reach lost, OOM-refused writes without
# effect, every node holding the same keys. WORKLOAD=all runs each of JEPSEN_WORKLOADS in turn, each for
# DURATION (each in a directory of its own, unless JEPSEN_FLAGS has -out),
# and fails if any failed. JEPSEN_FLAGS adds flags,
# e.g. JEPSEN_FLAGS="-nodes 5 -seed 42 -out /tmp/jepsen".
DURATION         ?= 10m
NEMESIS          ?= all
WORKLOAD         ?= register
SNAPSHOT_ENTRIES ?= 200
JEPSEN_FLAGS     ?=
JEPSEN_WORKLOADS := register append queue stream script pubsub evict
jepsen: build
	$(GO) build -o bin/raftcache-jepsen ./cmd/raftcache-jepsen
	@rc=0; for w in $(if $(filter all,$(WORKLOAD)),$(JEPSEN_WORKLOADS),$(WORKLOAD)); do \
		echo "== make jepsen: workload $$w"; \
		bin/raftcache-jepsen -bin $(BIN) -workload $$w -duration $(DURATION) -nemesis $(NEMESIS) -snapshot_entries $(SNAPSHOT_ENTRIES) $(JEPSEN_FLAGS) || { echo "== make jepsen: workload $$w FAILED"; rc=1; }; \
	done; exit $$rc

# The differential suite's random commands, at length (make test runs 4000).
compat: deps
	RAFTCACHE_COMPAT_OPS=$${RAFTCACHE_COMPAT_OPS:-200000} $(GO) test -count=1 -timeout 60m -run 'TestCompatRandom' -v ./resp/

# raftcache side by side with redis-server in one run (issue 5): throughput
# with redis-benchmark, memory per key, restart time, write p99 during a
# snapshot. Takes a while with the defaults (1M keys); a short check:
#   make bench BENCH_FLAGS="-keys 20000 -requests 5000 -pipeline_requests 20000 -snapshot_requests 8000"
# -profile DIR adds pprof profiles of the raftcache nodes.
BENCH_FLAGS ?=
bench: deps build
	$(GO) build -o bin/raftcache-bench ./cmd/raftcache-bench
	bin/raftcache-bench -bin $(BIN) -label "$$(git describe --always --dirty 2>/dev/null)" $(BENCH_FLAGS)

# Issue 14's scaling table in one command: SET and GET ops/s by value size
# (64 B to 256 KiB) and cluster size (1, 3, 5) and read latency on a
# follower around a leadership transfer and a leader's death (one run),
# then, in a run for each of SCALING_KEYS, memory per key and restart time
# and a new member's snapshot install with the write p99 meanwhile. Each
# run prints its report and its command line; BENCH_FLAGS go to every run
# (-keys and -phases are the target's). A short check of the harness:
#   make bench-scaling SCALING_KEYS=5000 BENCH_FLAGS="-scaling_bytes 4mb -scaling_requests 5000 -snapshot_requests 2000 -failover_keys 2000 -install_snapshot_entries 1000 -install_steady 2s -failover_steady 2s -settle 1s"
SCALING_KEYS ?= 1000000 10000000
bench-scaling: deps build
	$(GO) build -o bin/raftcache-bench ./cmd/raftcache-bench
	@label="$$(git describe --always --dirty 2>/dev/null)"; rc=0; \
	echo "== make bench-scaling: -phases scaling,failover"; \
	bin/raftcache-bench -bin $(BIN) -label "$$label" $(BENCH_FLAGS) -phases scaling,failover || rc=1; \
	for k in $(SCALING_KEYS); do \
		echo "== make bench-scaling: -phases keyspace,install -keys $$k"; \
		bin/raftcache-bench -bin $(BIN) -label "$$label" $(BENCH_FLAGS) -phases keyspace,install -keys $$k || rc=1; \
	done; exit $$rc

# The tutorial's three local nodes; Ctrl-C stops them all.
cluster: build
	@set -e; dir=$$(mktemp -d "$(TMPDIR)/raftcache.XXXXXX"); \
	trap 'kill $$(jobs -p) 2>/dev/null; wait; echo "state kept in $$dir"' INT TERM EXIT; \
	$(BIN) -state_dir $$dir/1 -raft :8080 -api :9090 -resp :6379 & sleep 1; \
	$(BIN) -state_dir $$dir/2 -raft :8081 -api :9091 -resp :6380 -join :8080 & \
	$(BIN) -state_dir $$dir/3 -raft :8082 -api :9092 -resp :6381 -join :8080 & \
	wait

lint:
	@out=$$(gofmt -l cmd resp fsm cluster admin); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Tests compare against a real redis-server, drive redis-cli, and open the
# admin API's status page in headless Chromium: install Debian's packages
# when they are missing.
deps:
	@pkgs=; \
	if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then pkgs="redis-server redis-tools"; fi; \
	if ! command -v chromium >/dev/null; then pkgs="$$pkgs chromium"; fi; \
	if [ -n "$$pkgs" ]; then \
		pkgs="$${pkgs# }"; echo "installing $$pkgs"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$pkgs >/dev/null; \
	fi

clean:
	rm -rf bin
