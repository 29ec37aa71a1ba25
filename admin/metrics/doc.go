// Package metrics is one node's Prometheus registry: what /metrics on the
// admin port serves. It never uses Prometheus's default registry, so that
// several nodes in one process (the tests) each have their own.
//
// The packages it measures do not import Prometheus. cluster tells it of
// events through cluster.Observer (Raft implements it) and it reads
// cluster's gauges from cluster.Status when scraped; resp keeps its
// per-command counts in Histograms and plain atomics, the same ones INFO
// commandstats and LATENCY read, and hands them over through
// CommandSource; the cache's counters come from fsm.Store.Stats. What
// costs something per request is thus an atomic add or two, and
// everything else is done at scrape time.
package metrics
