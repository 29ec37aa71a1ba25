package config

import (
	"strconv"
	"strings"
)

// Kind is a parameter's type, as Redis's config.c types them; it decides
// how CONFIG SET parses a value and which error it gives.
type Kind uint8

const (
	// Bool is yes or no, in any case.
	Bool Kind = iota + 1
	// Int is a decimal integer as Redis's string2ll reads it, within
	// [Min, Max].
	Int
	// Memory is a size as Redis's memtoull reads it (digits, then an
	// optional unit b, k, kb, m, mb, g, gb in any case), within [Min, Max].
	Memory
	// Enum is one of Param.Enum, in any case.
	Enum
	// String is any string.
	String
	// Special has its own syntax (save, client-output-buffer-limit,
	// notify-keyspace-events...): Param.parse.
	Special
)

// Param is one configuration parameter.
type Param struct {
	Name  string
	Alias string // Redis's other name for it ("" if none), e.g. hash-max-ziplist-entries
	Kind  Kind
	// Default is the value as CONFIG GET shows it on a fresh node.
	Default string
	// Min and Max bound an Int or Memory value. With Unsigned they are
	// compared, and printed in errors, as unsigned numbers (Redis's
	// size_t, unsigned int and unsigned long long parameters), so -1 as
	// Max is 18446744073709551615.
	Min, Max int64
	Unsigned bool
	// Percent (maxmemory-clients) also takes "n%", stored as -n.
	Percent bool
	// Enum lists an Enum's names in Redis's order (its error lists them
	// so); enumSame maps a name that is another's synonym to it (Redis's
	// oom-score-adj "relative" reads back as "yes").
	Enum     []string
	enumSame map[string]string
	// Immutable parameters cannot be set at run time; Protected ones
	// neither, as in a Redis without enable-protected-configs. Hidden ones
	// answer CONFIG GET only by their exact name, never a pattern.
	Immutable, Protected, Hidden bool
	// binary strings (Redis's sds parameters) keep a NUL and what follows;
	// other strings end at their first NUL, as C strings do.
	binary bool
	// Multi splits a value at each space into arguments before parsing,
	// as Redis's MULTI_ARG_CONFIG.
	Multi bool
	// Local parameters are the node's own (the front door keeps them):
	// CONFIG SET changes this node only, and they are not in Values.
	Local bool
	// Effect says what the parameter does in raftcache; "" for one that is
	// only stored and returned.
	Effect string

	// parse checks a Special value (or validates a String) given the
	// current values, returning its CONFIG GET form and, for apply, a
	// number; why is Redis's reason for refusing it.
	parse func(v string, cur *Values) (canon string, n int64, why string)
	// fix adjusts a parsed number the way Redis's apply function does
	// (hz is capped to 1..500), before it is stored.
	fix func(n int64) int64
	// show, if set, is CONFIG GET's form, where the stored one differs.
	show func(v *Values) string
	// apply sets the typed field of Values a parameter with an effect has.
	apply func(v *Values, n int64)

	index int // in params
}

// Params returns every parameter, in the table's order. The Params are
// shared: callers must not change them.
func Params() []*Param { return params }

// Lookup finds a parameter by its name or alias, in any case, as Redis's
// CONFIG GET and SET do. alias reports that name is the alias: Redis
// treats the two names as two entries (both listed by CONFIG GET *, and
// not duplicates of each other in one CONFIG SET).
func Lookup(name string) (p *Param, alias bool) {
	if p, ok := byName[name]; ok {
		return p, p.Alias == name
	}
	lower := strings.ToLower(name)
	if p, ok := byName[lower]; ok {
		return p, p.Alias == lower
	}
	return nil, false
}

// NameAs returns the parameter's name, or its alias if alias.
func (p *Param) NameAs(alias bool) string {
	if alias {
		return p.Alias
	}
	return p.Name
}

// params and byName are built once, at package initialisation, from the
// table, and only read afterwards.
var (
	params []*Param
	byName map[string]*Param
)

func init() {
	params = buildParams()
	byName = indexParams(params)
}

func indexParams(ps []*Param) map[string]*Param {
	m := make(map[string]*Param, 2*len(ps))
	for i, p := range ps {
		p.index = i
		for _, n := range []string{p.Name, p.Alias} {
			if n == "" {
				continue
			}
			if _, dup := m[n]; dup || n != strings.ToLower(n) {
				panic("config: parameter " + n + " is defined twice or not lower-case")
			}
			m[n] = p
		}
		if p.Effect != "" && !p.Local && p.apply == nil {
			panic("config: " + p.Name + " has an effect but no typed field")
		}
	}
	return m
}

// Constructors, so that the table reads one parameter a line.

func boolean(name, alias string, def bool) *Param {
	d := "no"
	if def {
		d = "yes"
	}
	return &Param{Name: name, Alias: alias, Kind: Bool, Default: d}
}

func integer(name, alias string, lo, hi, def int64) *Param {
	return &Param{Name: name, Alias: alias, Kind: Int, Min: lo, Max: hi, Default: strconv.FormatInt(def, 10)}
}

func uinteger(name, alias string, lo, hi, def int64) *Param {
	p := integer(name, alias, lo, hi, def)
	p.Unsigned = true
	return p
}

func memory(name, alias string, lo, hi, def int64) *Param {
	return &Param{Name: name, Alias: alias, Kind: Memory, Min: lo, Max: hi, Default: strconv.FormatUint(uint64(def), 10)}
}

func umemory(name, alias string, lo, hi, def int64) *Param {
	p := memory(name, alias, lo, hi, def)
	p.Unsigned = true
	return p
}

func str(name, alias, def string) *Param {
	return &Param{Name: name, Alias: alias, Kind: String, Default: def}
}

func enum(name, alias, def string, names ...string) *Param {
	return &Param{Name: name, Alias: alias, Kind: Enum, Default: def, Enum: names}
}

func special(name, alias, def string, parse func(string, *Values) (string, int64, string)) *Param {
	return &Param{Name: name, Alias: alias, Kind: Special, Default: def, parse: parse}
}

// Modifiers.

func (p *Param) immutable() *Param { p.Immutable = true; return p }
func (p *Param) protected() *Param { p.Protected = true; return p }
func (p *Param) hidden() *Param    { p.Hidden = true; return p }
func (p *Param) multi() *Param     { p.Multi = true; return p }

// local marks a node-local parameter and what it does.
func (p *Param) local(effect string) *Param { p.Local = true; p.Effect = effect; return p }

// effect marks a replicated parameter that takes effect, and sets its
// typed field.
func (p *Param) effect(what string, apply func(v *Values, n int64)) *Param {
	p.Effect, p.apply = what, apply
	return p
}

func (p *Param) validate(parse func(string, *Values) (string, int64, string)) *Param {
	p.parse = parse
	return p
}

// C's limits, which Redis's bounds are written in.
const (
	intMin  = -1 << 31
	intMax  = 1<<31 - 1
	uintMax = 1<<32 - 1
	longMax = 1<<63 - 1
	ullMax  = -1 // as unsigned: 18446744073709551615
	mb      = 1 << 20
)
