package main

import (
	"reflect"
	"testing"
)

func TestBenchTests(t *testing.T) {
	for _, tc := range []struct {
		name, csv string
		args      []string
	}{
		{"LPUSH", "LPUSH", []string{"-t", "lpush"}},
		{"SADD", "SADD", []string{"-t", "sadd"}},
		{"ZRANGE", "ZRANGE bench:zset 0 9 WITHSCORES", []string{"ZRANGE", "bench:zset", "0", "9", "WITHSCORES"}},
	} {
		bt, ok := testByName(tc.name)
		if !ok {
			t.Fatalf("no test %s", tc.name)
		}
		if bt.csvName() != tc.csv || !reflect.DeepEqual(bt.args(), tc.args) {
			t.Errorf("%s: csv name %q, args %q; want %q, %q", tc.name, bt.csvName(), bt.args(), tc.csv, tc.args)
		}
	}
	// Every test but SET and GET is held to one of them, and LPOP comes
	// after the LPUSH that fills its list.
	pos := map[string]int{}
	for i, bt := range benchTests {
		pos[bt.Name] = i
		if (bt.Ref == "") != (bt.Name == "SET" || bt.Name == "GET") || (bt.Ref != "" && bt.Ref != "SET" && bt.Ref != "GET") {
			t.Errorf("%s: reference %q", bt.Name, bt.Ref)
		}
	}
	if pos["LPOP"] < pos["LPUSH"] {
		t.Error("LPOP runs before LPUSH")
	}
}

func TestElements(t *testing.T) {
	for _, e := range []string{listElem(0), listElem(999_999), setMember(0), setMember(999_999), zsetMember(0), zsetMember(999_999)} {
		if len(e) != 10 {
			t.Errorf("element %q is not 10 bytes", e)
		}
	}
	if listElem(7) == listElem(8) || setMember(7) == setMember(8) || zsetMember(7) == zsetMember(8) {
		t.Error("elements repeat")
	}
	seen := map[float64]bool{}
	for i := 0; i < 1000; i++ {
		s := zsetScore(i)
		if s < 0 || s >= 1_000_000 || s != float64(int(s)) || s != zsetScore(i) {
			t.Fatalf("zsetScore(%d) = %v", i, s)
		}
		seen[s] = true
	}
	if len(seen) < 990 {
		t.Errorf("only %d distinct scores of 1000", len(seen))
	}
}
