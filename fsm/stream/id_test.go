package stream

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParseID(t *testing.T) {
	max := uint64(math.MaxUint64)
	tests := []struct {
		arg        string
		missingSeq uint64
		strict     bool
		want       ID
		err        error
	}{
		{arg: "5-1", want: ID{5, 1}},
		{arg: "5", want: ID{5, 0}},
		{arg: "5", missingSeq: max, want: ID{5, max}},
		{arg: "-", want: ID{}},
		{arg: "+", want: MaxID},
		{arg: "-", strict: true, err: ErrInvalidID},
		{arg: "+", strict: true, err: ErrInvalidID},
		{arg: "18446744073709551615-18446744073709551615", want: MaxID},
		{arg: "18446744073709551616-0", err: ErrInvalidID},
		{arg: "1-18446744073709551616", err: ErrInvalidID},
		{arg: "", err: ErrInvalidID},
		{arg: "1-", err: ErrInvalidID},
		{arg: "-1", err: ErrInvalidID},
		{arg: "1--1", err: ErrInvalidID},
		{arg: "1-2-3", err: ErrInvalidID},
		{arg: "a-1", err: ErrInvalidID},
		{arg: "1-*", err: ErrInvalidID}, // only XADD takes ms-*
		{arg: "1.5", err: ErrInvalidID},
		// strtoull's leniency, which Redis inherits (checked against 7.0.15).
		{arg: " 7-+3", want: ID{7, 3}},
		{arg: "8--0", want: ID{8, 0}},
		{arg: "9--18446744073709551615", want: ID{9, 1}},
		{arg: "007-01", want: ID{7, 1}},
		{arg: "5\x00junk", want: ID{5, 0}}, // C sees up to the NUL
		{arg: strings.Repeat("1", 128), err: ErrInvalidID},
	}
	for _, tt := range tests {
		parse := ParseID
		if tt.strict {
			parse = ParseStrictID
		}
		got, err := parse([]byte(tt.arg), tt.missingSeq)
		if !errors.Is(err, tt.err) || err == nil && got != tt.want {
			t.Errorf("parse(%q, %d, strict=%v) = %v, %v; want %v, %v", tt.arg, tt.missingSeq, tt.strict, got, err, tt.want, tt.err)
		}
	}
}

func TestParseAddID(t *testing.T) {
	tests := []struct {
		arg  string
		want AddID
		err  error
	}{
		{arg: "*", want: AddID{Auto: true}},
		{arg: "5-*", want: AddID{AutoSeq: true, ID: ID{5, 0}}},
		{arg: "0-*", want: AddID{AutoSeq: true}},
		{arg: "5-3", want: AddID{ID: ID{5, 3}}},
		{arg: "5", want: AddID{ID: ID{5, 0}}},
		{arg: "0-0", err: ErrIDZero},
		{arg: "0", err: ErrIDZero},
		{arg: "-", err: ErrInvalidID},
		{arg: "+", err: ErrInvalidID},
		{arg: "**", err: ErrInvalidID},
		{arg: "*-1", err: ErrInvalidID},
		{arg: "5-**", err: ErrInvalidID},
	}
	for _, tt := range tests {
		got, err := ParseAddID([]byte(tt.arg))
		if !errors.Is(err, tt.err) || err == nil && got != tt.want {
			t.Errorf("ParseAddID(%q) = %+v, %v; want %+v, %v", tt.arg, got, err, tt.want, tt.err)
		}
	}
}

func TestParseRange(t *testing.T) {
	max := uint64(math.MaxUint64)
	tests := []struct {
		arg      string
		end      bool
		want     ID
		err      error
		errorTxt string
	}{
		{arg: "-", want: ID{}},
		{arg: "+", end: true, want: MaxID},
		{arg: "5", want: ID{5, 0}},
		{arg: "5", end: true, want: ID{5, max}},
		{arg: "(5-1", want: ID{5, 2}},
		{arg: "(5-18446744073709551615", want: ID{6, 0}},
		{arg: "(5", want: ID{5, 1}},
		{arg: "(5", end: true, want: ID{5, max - 1}},
		{arg: "(5-0", end: true, want: ID{4, max}},
		{arg: "(18446744073709551615-18446744073709551615", err: ErrInvalidStart, errorTxt: "ERR invalid start ID for the interval"},
		{arg: "(0-0", end: true, err: ErrInvalidEnd, errorTxt: "ERR invalid end ID for the interval"},
		{arg: "(", err: ErrInvalidID},
		{arg: "(-", err: ErrInvalidID},
		{arg: "(+", end: true, err: ErrInvalidID},
		{arg: "x", end: true, err: ErrInvalidID, errorTxt: "ERR Invalid stream ID specified as stream command argument"},
	}
	for _, tt := range tests {
		parse := ParseRangeStart
		if tt.end {
			parse = ParseRangeEnd
		}
		got, err := parse([]byte(tt.arg))
		if !errors.Is(err, tt.err) || err == nil && got != tt.want {
			t.Errorf("parse(%q, end=%v) = %v, %v; want %v, %v", tt.arg, tt.end, got, err, tt.want, tt.err)
		}
		if tt.errorTxt != "" && (err == nil || err.Error() != tt.errorTxt) {
			t.Errorf("parse(%q) error %v, want %q", tt.arg, err, tt.errorTxt)
		}
	}
}

func TestParseReadID(t *testing.T) {
	tests := []struct {
		arg   string
		group bool
		kind  ReadKind
		id    ID
		err   error
	}{
		{arg: "$", kind: ReadLast},
		{arg: "$", group: true, err: ErrDollarInGroup},
		{arg: ">", group: true, kind: ReadNew, id: MaxID},
		{arg: ">", err: ErrGTWithoutGroup},
		{arg: "0", kind: ReadAfter},
		{arg: "5-3", group: true, kind: ReadAfter, id: ID{5, 3}},
		{arg: "18446744073709551615-18446744073709551615", group: true, kind: ReadNew, id: MaxID},
		{arg: "-", err: ErrInvalidID},
		{arg: "+", err: ErrInvalidID},
	}
	for _, tt := range tests {
		kind, id, err := ParseReadID([]byte(tt.arg), tt.group)
		if !errors.Is(err, tt.err) || err == nil && (kind != tt.kind || id != tt.id) {
			t.Errorf("ParseReadID(%q, %v) = %v, %v, %v; want %v, %v, %v", tt.arg, tt.group, kind, id, err, tt.kind, tt.id, tt.err)
		}
	}
}

func TestIDNextPrevFormat(t *testing.T) {
	max := uint64(math.MaxUint64)
	if id, ok := (ID{1, max}).Next(); !ok || id != (ID{2, 0}) {
		t.Errorf("Next(1-max) = %v, %v", id, ok)
	}
	if _, ok := MaxID.Next(); ok {
		t.Error("Next(MaxID) succeeded")
	}
	if id, ok := (ID{2, 0}).Prev(); !ok || id != (ID{1, max}) {
		t.Errorf("Prev(2-0) = %v, %v", id, ok)
	}
	if _, ok := (ID{}).Prev(); ok {
		t.Error("Prev(0-0) succeeded")
	}
	if s := MaxID.String(); s != "18446744073709551615-18446744073709551615" {
		t.Errorf("String = %q", s)
	}
}
