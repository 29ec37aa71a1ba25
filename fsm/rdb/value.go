package rdb

import "fmt"

// Object types (rdb.h's RDB_TYPE_*), the first byte of a payload.
const (
	TypeString           = 0
	TypeList             = 1
	TypeSet              = 2
	TypeZSet             = 3
	TypeHash             = 4
	TypeZSet2            = 5
	TypeHashZipmap       = 9
	TypeListZiplist      = 10
	TypeSetIntset        = 11
	TypeZSetZiplist      = 12
	TypeHashZiplist      = 13
	TypeListQuicklist    = 14
	TypeStreamListpacks  = 15
	TypeHashListpack     = 16
	TypeZSetListpack     = 17
	TypeListQuicklist2   = 18
	TypeStreamListpacks2 = 19
)

// Kind is what a Value is, as TYPE names it.
type Kind uint8

const (
	KindString Kind = iota + 1
	KindList
	KindSet
	KindZSet
	KindHash
	KindStream
)

// Value is one object. Only the fields of its Kind are set.
type Value struct {
	Kind Kind
	// Type is the RDB type the object was read as, or is to be written
	// as; Encode picks it from the Kind and Compact.
	Type byte

	// Str is a string's bytes.
	Str []byte

	// Nodes are a list's elements, one slice per quicklist node: Redis
	// writes a listpack per node, and keeps the nodes it reads.
	Nodes [][][]byte

	// Members are a set's members. Intset says the set is an intset of
	// IntsetWidth-byte integers (each member then a canonical integer, in
	// ascending order).
	Members     [][]byte
	Intset      bool
	IntsetWidth int

	// Compact says a sorted set or hash is a listpack; else a skiplist
	// or a hash table.
	Compact bool
	// Scored are a sorted set's members, by ascending score then member.
	Scored []Scored
	// Pairs are a hash's fields and values: field, value, field...
	Pairs [][]byte
	// MaxLen is the longest member, field or value a decoded sorted set
	// or hash holds, which decides its encoding after RESTORE.
	MaxLen int

	// Stream is a stream's entries, metadata and consumer groups.
	Stream *Stream
}

// Scored is a member of a sorted set and its score.
type Scored struct {
	Member []byte
	Score  float64
}

// Len is the number of elements (members, fields, entries) of v.
func (v *Value) Len() int {
	switch v.Kind {
	case KindList:
		n := 0
		for _, nd := range v.Nodes {
			n += len(nd)
		}
		return n
	case KindSet:
		return len(v.Members)
	case KindZSet:
		return len(v.Scored)
	case KindHash:
		return len(v.Pairs) / 2
	case KindStream:
		return int(v.Stream.Length)
	}
	return 1
}

func formatError(what string) error { return fmt.Errorf("%s: %w", what, ErrFormat) }
