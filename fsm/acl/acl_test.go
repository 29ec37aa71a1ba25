package acl

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func set(t *testing.T, u *User, ops ...string) error {
	t.Helper()
	for _, op := range ops {
		if err := u.Set([]byte(op), nil); err != nil {
			return err
		}
	}
	return nil
}

// TestRules: a later rule drops the earlier ones it overrides, as Redis's
// ACLUpdateCommandRules, and +@all/-@all start the list again.
func TestRules(t *testing.T) {
	for _, tc := range []struct {
		ops  string
		all  bool
		want []string
	}{
		{"+get +set +get -set", false, []string{"+get", "-set"}},
		{"+config|get +config", false, []string{"+config"}},
		{"+config -config|set +@read -@read", false, []string{"+config", "-config|set", "-@read"}},
		{"+@all -get allcommands +set", true, []string{"+set"}},
		{"+get -@all +select|0 +SELECT|1", false, []string{"+select|0", "+select|1"}},
		{"+select|0 -select", false, []string{"-select"}},
	} {
		u := New("u")
		if err := set(t, u, strings.Fields(tc.ops)...); err != nil {
			t.Fatalf("%s: %v", tc.ops, err)
		}
		if u.AllCommands != tc.all || !reflect.DeepEqual(u.Rules, tc.want) {
			t.Errorf("%s: all %v rules %q, want %v %q", tc.ops, u.AllCommands, u.Rules, tc.all, tc.want)
		}
	}
}

// TestErrors: each modifier's failure is Redis's, and SetAll leaves the
// user as it was.
func TestErrors(t *testing.T) {
	for op, want := range map[string]error{
		"foo": ErrSyntax, "#abc": ErrBadHash, "!" + strings.Repeat("A", 64): ErrBadHash, "<nope": ErrNoSuchPassword,
		"%X~a": ErrSyntax, "~a b": ErrSyntax, "&a\x00": ErrSyntax,
	} {
		if err := New("u").Set([]byte(op), nil); !errors.Is(err, want) {
			t.Errorf("%q: %v, want %v", op, err, want)
		}
	}
	u := New("u")
	if err := set(t, u, "allkeys", "~a"); !errors.Is(err, ErrKeyAfterAll) {
		t.Errorf("~a after allkeys: %v", err)
	}
	if err := set(t, u, "allchannels", "&a"); !errors.Is(err, ErrChannelAfterAll) {
		t.Errorf("&a after allchannels: %v", err)
	}
	before := u.Clone()
	_, err := SetAll(u, "u", [][]byte{[]byte("on"), []byte("resetkeys"), []byte("bad")}, nil)
	if err == nil || err.Error() != "ERR Error in ACL SETUSER modifier 'bad': Syntax error" {
		t.Fatalf("SetAll: %v", err)
	}
	if !reflect.DeepEqual(u, before) {
		t.Fatal("a failed SetAll changed the user")
	}
}

// TestPasswordsAndPatterns: passwords are SHA-256 and checked as such;
// key patterns merge their access, and describe as Redis's.
func TestPasswordsAndPatterns(t *testing.T) {
	u := New("u")
	if err := set(t, u, "on", ">a", ">b", ">a", "<b", "~k", "%R~r", "%W~k", "%w~w", "&c", "&c"); err != nil {
		t.Fatal(err)
	}
	if len(u.Passwords) != 1 || u.Passwords[0] != HashPassword([]byte("a")) {
		t.Fatalf("passwords %q", u.Passwords)
	}
	if !u.CheckPassword([]byte("a")) || u.CheckPassword([]byte("b")) {
		t.Fatal("CheckPassword")
	}
	if got := u.KeysString(); got != "~k %R~r %W~w" {
		t.Fatalf("keys %q", got)
	}
	if got := u.Describe("-@all"); got != "user u on #"+HashPassword([]byte("a"))+" ~k %R~r %W~w resetchannels &c -@all" {
		t.Fatalf("describe %q", got)
	}
	if err := set(t, u, "nopass"); err != nil || !u.CheckPassword([]byte("anything")) || len(u.Passwords) != 0 {
		t.Fatal("nopass")
	}
}

// TestOpsRebuild: Ops rebuilds an equal user, for snapshots.
func TestOpsRebuild(t *testing.T) {
	for _, ops := range []string{
		"", "on >p ~a %R~b &c +@all -get", "reset skip-sanitize-payload allkeys allchannels -@all +@read -hget +select|0",
		"off nopass resetchannels",
	} {
		u := New("u")
		if err := set(t, u, strings.Fields(ops)...); err != nil {
			t.Fatal(err)
		}
		var raw [][]byte
		for _, op := range u.Ops() {
			raw = append(raw, []byte(op))
		}
		got, err := Rebuild("u", raw)
		if err != nil || !reflect.DeepEqual(got, u) {
			t.Errorf("%q: rebuilt %+v %v, want %+v", ops, got, err, u)
		}
	}
	d := Default()
	var raw [][]byte
	for _, op := range d.Ops() {
		raw = append(raw, []byte(op))
	}
	if got, err := Rebuild("default", raw); err != nil || !reflect.DeepEqual(got, d) {
		t.Errorf("default rebuilt %+v %v", got, err)
	}
}
