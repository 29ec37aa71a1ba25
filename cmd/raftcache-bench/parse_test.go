package main

import (
	"reflect"
	"testing"
	"time"
)

func TestParseVmRSS(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"Name:\tredis-server\nVmPeak:\t  100 kB\nVmRSS:\t   12345 kB\nRssAnon: 1 kB\n", 12345 << 10, true},
		{"Name:\tx\n", 0, false},
		{"VmRSS:\t12 MB\n", 0, false},
		{"VmRSS:\tlots kB\n", 0, false},
	} {
		got, err := parseVmRSS(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseVmRSS(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseInfo(t *testing.T) {
	got := parseInfo("# Raft\r\nnode_id:97\r\nrole:follower\r\nmember0:id=1,role=leader,raft=127.0.0.1:1\r\n\r\n# Keyspace\r\ndb0:keys=3,expires=0\r\n")
	want := map[string]string{"node_id": "97", "role": "follower", "member0": "id=1,role=leader,raft=127.0.0.1:1", "db0": "keys=3,expires=0"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestParseLogLine(t *testing.T) {
	rec, ok := parseLogLine(`time=2026-11-27T00:57:40.385Z level=INFO msg="snapshot saved" node=976643b531be500f index=10002 took=22ms`)
	if !ok {
		t.Fatal("not parsed")
	}
	want := logRecord{Time: time.Date(2026, 11, 27, 0, 57, 40, 385e6, time.UTC), Msg: "snapshot saved", Attrs: map[string]string{
		"time": "2026-11-27T00:57:40.385Z", "level": "INFO", "msg": "snapshot saved", "node": "976643b531be500f", "index": "10002", "took": "22ms"}}
	if !reflect.DeepEqual(rec, want) {
		t.Errorf("got %+v, want %+v", rec, want)
	}
	rec, ok = parseLogLine(`time=2026-11-27T00:57:40Z level=WARN msg="a \"quoted\" = msg" err="x y"`)
	if !ok || rec.Msg != `a "quoted" = msg` || rec.Attrs["err"] != "x y" {
		t.Errorf("quoted values: %+v, %v", rec, ok)
	}
	for _, bad := range []string{"", "panic: runtime error", `time=yesterday msg=x`, `time=2026-11-27T00:57:40Z level=INFO`, `msg="unterminated`} {
		if _, ok := parseLogLine(bad); ok {
			t.Errorf("parseLogLine(%q) parsed", bad)
		}
	}
}

func TestSnapshotsSaved(t *testing.T) {
	log := `time=2026-11-27T00:57:39.080Z level=INFO msg="raft.node: elected leader at term 2" node=97 component=raft
time=2026-11-27T00:57:40.385Z level=INFO msg="snapshot saved" node=97 index=10002 took=22ms
not a record
time=2026-11-27T00:58:01.5Z level=INFO msg="snapshot saved" node=97 index=20004 took=1.25s
time=2026-11-27T00:58:02Z level=INFO msg="restarting member" id=97 snapshot_index=20004 wal_entries=12
`
	got, err := snapshotsSaved(log)
	if err != nil {
		t.Fatal(err)
	}
	want := []snapshotSaved{
		{Time: time.Date(2026, 11, 27, 0, 57, 40, 385e6, time.UTC), Index: 10002, Took: 22 * time.Millisecond},
		{Time: time.Date(2026, 11, 27, 0, 58, 1, 5e8, time.UTC), Index: 20004, Took: 1250 * time.Millisecond},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if idx, ok := restartSnapshotIndex(log); !ok || idx != 20004 {
		t.Errorf("restartSnapshotIndex = %d, %v", idx, ok)
	}
	if _, err := snapshotsSaved(`time=2026-11-27T00:57:40Z level=INFO msg="snapshot saved" index=x took=1s`); err == nil {
		t.Error("bad index accepted")
	}
}
