package resp

import (
	"errors"
	"testing"
	"time"

	"github.com/raftcache/raftcache/cluster"
)

// TestUnsyncedNodeFailsClosed: until one read barrier has succeeded, a
// node's ACL state may predate a password the cluster set since, so a
// client without credentials is refused, on RESP and for the admin API,
// and let in once the node has synced.
func TestUnsyncedNodeFailsClosed(t *testing.T) {
	srv, addr, fc := startServer(t, Config{})
	fc.fail(nil, cluster.ErrNoLeader)
	const down = "-CLUSTERDOWN The cluster is down: no leader\r\n"
	steps := []struct {
		req, want string
	}{
		{cmd("GET", "k"), down},
		// PING reveals nothing: liveness probes need it while no
		// quorum is up (a cluster restarted one member at a time).
		{cmd("PING"), "+PONG\r\n"},
		// MULTI opens, and its refused command aborts it at EXEC: a
		// refused MULTI would let the pipelined commands after it run
		// alone once the node syncs.
		{cmd("MULTI") + cmd("SET", "k", "v") + cmd("EXEC"), "+OK\r\n" + down +
			"-EXECABORT Transaction discarded because of: " + down[1:]},
		{cmd("SET", "k", "v"), down},
		{cmd("HELLO", "3"), "-NOAUTH HELLO must be called with the client already authenticated, otherwise the " +
			"HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol " +
			"version at the same time\r\n"},
		{cmd("AUTH", "default", "pw"), down},
		{cmd("HELLO", "3", "AUTH", "default", "pw"), down},
		// A request too large for a client that must authenticate is
		// refused, not cut off: this node cannot tell that it must.
		{cmd("EVAL", "return 1", "0", "a", "b", "c", "d", "e", "f", "g", "h", "i"), down},
		{cmd("RESET"), "+RESET\r\n"},
	}
	for _, st := range steps {
		if got := roundTrip(t, addr, st.req); got != st.want {
			t.Errorf("unsynced %q: got %q, want %q", st.req, got, st.want)
		}
	}
	if needs, err := srv.DefaultNeedsAuth(); !needs || !errors.Is(err, cluster.ErrNoLeader) {
		t.Errorf("DefaultNeedsAuth = %v, %v on a node that has not synced, want true and the cluster's error", needs, err)
	}
	if srv.CheckUser("default", "") {
		t.Error("CheckUser = true on a node that has not synced")
	}

	fc.fail(nil, nil)
	if got, want := roundTrip(t, addr, cmd("SET", "k", "v")+cmd("GET", "k")), "+OK\r\n$1\r\nv\r\n"; got != want {
		t.Errorf("synced: got %q, want %q", got, want)
	}
	if needs, err := srv.DefaultNeedsAuth(); needs || err != nil {
		t.Errorf("DefaultNeedsAuth = %v, %v once synced, with no password set", needs, err)
	}
}

// TestUnsyncedNodeWaitsForSyncAsLongAsACommand: a node just restarted
// syncs at its first election, often later than a new connection waits
// (connectBarrierWait). A command from a client without credentials then
// waits, as long as the command itself may, and is served once the node
// has synced, rather than refused while the cluster comes back.
func TestUnsyncedNodeWaitsForSyncAsLongAsACommand(t *testing.T) {
	_, addr, fc := startServer(t, Config{Timeout: 10 * time.Second})
	hold, started := make(chan struct{}), make(chan struct{}, 16)
	fc.mu.Lock()
	fc.hold, fc.started = hold, started
	fc.mu.Unlock()
	go func() {
		<-started // the connection's barrier: it gives up after connectBarrierWait
		<-started // the GET's: released only once it has waited longer than that
		time.Sleep(connectBarrierWait + 300*time.Millisecond)
		close(hold)
		for range started {
		}
	}()
	defer close(started)
	if got, want := roundTrip(t, addr, cmd("GET", "k")), "$-1\r\n"; got != want {
		t.Errorf("GET on a node that syncs %v after the command arrived: got %q, want %q",
			connectBarrierWait+300*time.Millisecond, got, want)
	}
}
