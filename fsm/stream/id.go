package stream

import (
	"errors"
	"math"
	"strconv"
)

// ID is a stream entry ID, printed as "ms-seq".
type ID struct {
	Ms, Seq uint64
}

// MaxID is the largest ID ("+", and ">" inside XREADGROUP).
var MaxID = ID{math.MaxUint64, math.MaxUint64}

// Compare returns -1, 0 or +1 as id is less than, equal to or greater than o.
func (id ID) Compare(o ID) int {
	switch {
	case id.Ms < o.Ms:
		return -1
	case id.Ms > o.Ms:
		return 1
	case id.Seq < o.Seq:
		return -1
	case id.Seq > o.Seq:
		return 1
	}
	return 0
}

// Less reports whether id sorts before o.
func (id ID) Less(o ID) bool { return id.Compare(o) < 0 }

// IsZero reports whether id is 0-0.
func (id ID) IsZero() bool { return id.Ms == 0 && id.Seq == 0 }

// Next is Redis's streamIncrID: the smallest ID greater than id. ok is false
// (and the ID 0-0) when id is MaxID.
func (id ID) Next() (ID, bool) {
	switch {
	case id.Seq != math.MaxUint64:
		return ID{id.Ms, id.Seq + 1}, true
	case id.Ms != math.MaxUint64:
		return ID{id.Ms + 1, 0}, true
	}
	return ID{}, false
}

// Prev is Redis's streamDecrID: the largest ID smaller than id. ok is false
// when id is 0-0.
func (id ID) Prev() (ID, bool) {
	switch {
	case id.Seq != 0:
		return ID{id.Ms, id.Seq - 1}, true
	case id.Ms != 0:
		return ID{id.Ms - 1, math.MaxUint64}, true
	}
	return ID{math.MaxUint64, math.MaxUint64}, false
}

// AppendText appends "ms-seq" to b.
func (id ID) AppendText(b []byte) []byte {
	b = strconv.AppendUint(b, id.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, id.Seq, 10)
}

func (id ID) String() string { return string(id.AppendText(nil)) }

// Errors, with Redis's exact text (the caller adds the RESP '-').
var (
	ErrInvalidID        = errors.New("ERR Invalid stream ID specified as stream command argument")
	ErrIDTooSmall       = errors.New("ERR The ID specified in XADD is equal or smaller than the target stream top item")
	ErrIDZero           = errors.New("ERR The ID specified in XADD must be greater than 0-0")
	ErrExhausted        = errors.New("ERR The stream has exhausted the last possible ID, unable to add more items")
	ErrTooLarge         = errors.New("ERR Elements are too large to be stored")
	ErrInvalidStart     = errors.New("ERR invalid start ID for the interval")
	ErrInvalidEnd       = errors.New("ERR invalid end ID for the interval")
	ErrLimitNeedsApprox = errors.New("ERR syntax error, LIMIT cannot be used without the special ~ option")
)

// maxIDArg is the longest argument Redis copies into its 128-byte parse
// buffer; anything longer is an invalid ID.
const maxIDArg = 127

// cString is what Redis's C parsing sees of an argument: the bytes up to the
// first NUL (it copies the argument and then uses strchr and strtoull).
func cString(arg []byte) []byte {
	for i, c := range arg {
		if c == 0 {
			return arg[:i]
		}
	}
	return arg
}

// parseID is Redis's streamGenericParseIDOrReply. It returns seqGiven=false
// only for the "ms-*" form, which only XADD accepts (allowAutoSeq).
func parseID(arg []byte, missingSeq uint64, strict, allowAutoSeq bool) (id ID, seqGiven bool, err error) {
	if len(arg) > maxIDArg {
		return ID{}, false, ErrInvalidID
	}
	buf := cString(arg)
	if len(buf) == 1 && (buf[0] == '-' || buf[0] == '+') {
		if strict {
			return ID{}, false, ErrInvalidID
		}
		if buf[0] == '-' {
			return ID{}, true, nil
		}
		return MaxID, true, nil
	}
	msPart, seqPart, hasDash := buf, []byte(nil), false
	for i, c := range buf {
		if c == '-' {
			msPart, seqPart, hasDash = buf[:i], buf[i+1:], true
			break
		}
	}
	ms, ok := parseULL(msPart)
	if !ok {
		return ID{}, false, ErrInvalidID
	}
	if !hasDash {
		return ID{ms, missingSeq}, true, nil
	}
	if allowAutoSeq && len(seqPart) == 1 && seqPart[0] == '*' {
		return ID{ms, 0}, false, nil
	}
	seq, ok := parseULL(seqPart)
	if !ok {
		return ID{}, false, ErrInvalidID
	}
	return ID{ms, seq}, true, nil
}

// ParseID parses an ID where "-" and "+" are allowed (XGROUP CREATE/SETID,
// XAUTOCLAIM's start). A missing sequence ("5") becomes missingSeq.
func ParseID(arg []byte, missingSeq uint64) (ID, error) {
	id, _, err := parseID(arg, missingSeq, false, false)
	return id, err
}

// ParseStrictID parses an ID where "-" and "+" are invalid (XREAD, XDEL,
// XACK, XCLAIM, XSETID, MINID).
func ParseStrictID(arg []byte, missingSeq uint64) (ID, error) {
	id, _, err := parseID(arg, missingSeq, true, false)
	return id, err
}

// AddID is XADD's ID argument.
type AddID struct {
	Auto    bool // "*": the entry's time and the last ID decide
	AutoSeq bool // "ms-*": ID.Ms given, the sequence is chosen
	ID      ID
}

// ParseAddID parses XADD's ID argument: "*", "ms-*", "ms-seq" or "ms"
// (sequence 0). An explicit 0-0 is ErrIDZero, which Redis reports before it
// looks the key up.
func ParseAddID(arg []byte) (AddID, error) {
	if len(arg) == 1 && arg[0] == '*' {
		return AddID{Auto: true}, nil
	}
	id, seqGiven, err := parseID(arg, 0, true, true)
	if err != nil {
		return AddID{}, err
	}
	if seqGiven && id.IsZero() {
		return AddID{}, ErrIDZero
	}
	return AddID{AutoSeq: !seqGiven, ID: id}, nil
}

// parseInterval is streamParseIntervalIDOrReply: "(" makes the bound
// exclusive (and then "-" and "+" are invalid).
func parseInterval(arg []byte, missingSeq uint64) (id ID, exclusive bool, err error) {
	if len(arg) > 1 && arg[0] == '(' {
		id, _, err = parseID(arg[1:], missingSeq, true, false)
		return id, true, err
	}
	id, _, err = parseID(arg, missingSeq, false, false)
	return id, false, err
}

// ParseRangeStart parses the start of an XRANGE/XREVRANGE/XPENDING interval:
// "-", "ms" (ms-0), "ms-seq" or an exclusive "(ms-seq", turned into the
// inclusive start.
func ParseRangeStart(arg []byte) (ID, error) {
	id, excl, err := parseInterval(arg, 0)
	if err != nil || !excl {
		return id, err
	}
	next, ok := id.Next()
	if !ok {
		return ID{}, ErrInvalidStart
	}
	return next, nil
}

// ParseRangeEnd parses the end of an interval: "+", "ms" (ms-max), "ms-seq"
// or an exclusive "(ms-seq", turned into the inclusive end.
func ParseRangeEnd(arg []byte) (ID, error) {
	id, excl, err := parseInterval(arg, math.MaxUint64)
	if err != nil || !excl {
		return id, err
	}
	prev, ok := id.Prev()
	if !ok {
		return ID{}, ErrInvalidEnd
	}
	return prev, nil
}

// ReadKind says what an XREAD/XREADGROUP ID argument means.
type ReadKind uint8

const (
	ReadAfter ReadKind = iota // an explicit ID: entries after it (or that consumer's history)
	ReadLast                  // "$": entries after the stream's current last ID (XREAD only)
	ReadNew                   // ">": entries never delivered to the group (XREADGROUP only)
)

// Errors of XREAD/XREADGROUP's ID arguments.
var (
	ErrDollarInGroup  = errors.New("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
	ErrGTWithoutGroup = errors.New("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
)

// ParseReadID parses an XREAD (group=false) or XREADGROUP (group=true) ID.
// Note that Redis 7.0 treats an explicit 18446744073709551615-18446744073709551615
// in XREADGROUP like ">", because it uses that value to mean ">".
func ParseReadID(arg []byte, group bool) (ReadKind, ID, error) {
	switch s := cString(arg); {
	case len(s) == 1 && s[0] == '$':
		if group {
			return 0, ID{}, ErrDollarInGroup
		}
		return ReadLast, ID{}, nil
	case len(s) == 1 && s[0] == '>':
		if !group {
			return 0, ID{}, ErrGTWithoutGroup
		}
		return ReadNew, MaxID, nil
	}
	id, err := ParseStrictID(arg, 0)
	if err != nil {
		return 0, ID{}, err
	}
	if group && id == MaxID {
		return ReadNew, MaxID, nil
	}
	return ReadAfter, id, nil
}

// parseULL is Redis's string2ull: a strict int64 parse (string2ll) that must
// not be negative, else C's strtoull, which also takes leading white space,
// a sign (a negative value wraps) and leading zeros, as long as the whole
// string is consumed and there is no overflow.
func parseULL(s []byte) (uint64, bool) {
	if v, ok := string2ll(s); ok {
		return uint64(v), v >= 0
	}
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var v uint64
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false // ERANGE
		}
		v = v*10 + d
	}
	if i == start || i != len(s) {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// string2ll is Redis's strict integer parse: optional '-', no leading zeros
// (except "0"), no spaces, within int64.
func string2ll(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	if len(s) == 1 && s[0] == '0' {
		return 0, true
	}
	i, neg := 0, false
	if s[0] == '-' {
		neg, i = true, 1
		if len(s) == 1 {
			return 0, false
		}
	}
	if s[i] < '1' || s[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		d := uint64(s[i] - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}
