package main

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"strings"
	"testing"

	"github.com/raftcache/raftcache/cluster/tlsfiles"
	"github.com/raftcache/raftcache/cluster/transport"
)

// TestWarnUnprotected: a door bound to a non-loopback address with
// nothing guarding it is named in a SECURITY WARNING at start, as Redis's
// protected mode refuses such a server; a guarded or loopback door is not.
func TestWarnUnprotected(t *testing.T) {
	const open, lo = "10.1.2.3:1", "127.0.0.1:1"
	tests := []struct {
		name                           string
		sec                            security
		pass, resp, tlsResp, api, raft string
		wantRESP, wantAPI, wantRaft    bool
	}{
		{name: "all loopback", resp: lo, api: lo, raft: "localhost:1"},
		{name: "all open", resp: open, api: open, raft: open, wantRESP: true, wantAPI: true, wantRaft: true},
		{name: "wildcard is open", resp: ":6379", api: lo, raft: lo, wantRESP: true},
		{name: "password guards RESP and API", pass: "pw", resp: open, api: open, raft: lo},
		{name: "admin token guards API only", sec: security{adminToken: "t"}, resp: open, api: open, raft: lo, wantRESP: true},
		{name: "client certificates guard RESP", sec: security{clientAuth: tlsfiles.RequireClientCert},
			tlsResp: open, api: lo, raft: lo},
		{name: "TLS without client certificates does not", tlsResp: open, api: lo, raft: lo, wantRESP: true},
		{name: "secret guards raft", sec: security{peer: transport.Security{Secret: []byte("s")}}, resp: lo, api: lo, raft: open},
		{name: "peer TLS guards raft", sec: security{peer: transport.Security{ServerTLS: &tls.Config{}}}, resp: lo, api: lo, raft: open},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			warnUnprotected(slog.New(slog.NewTextHandler(&buf, nil)), &tc.sec, tc.pass, tc.resp, tc.tlsResp, tc.api, tc.raft)
			out := buf.String()
			for door, want := range map[string]bool{"RESP listens": tc.wantRESP, "admin API listens": tc.wantAPI, "raft transport listens": tc.wantRaft} {
				if got := strings.Contains(out, "SECURITY WARNING: "+door) || strings.Contains(out, "SECURITY WARNING: the "+door); got != want {
					t.Errorf("warning for %q: %v, want %v; log:\n%s", door, got, want, out)
				}
			}
		})
	}
}
