package config

import "errors"

// Error is a CONFIG SET failure: its text is Redis's error line without
// the leading '-'.
type Error string

func (e Error) Error() string { return string(e) }

func unknownError(name string) Error {
	return Error("ERR Unknown option or number of arguments for CONFIG SET - '" + name + "'")
}

func failedError(name, why string) Error {
	return Error("ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + why)
}

// ErrLocal is Set's error for a node-local parameter, which the front door
// sets, never the log.
var ErrLocal = errors.New("config: a node-local parameter cannot be set through the log")

// Change is one parameter of a CONFIG SET, checked.
type Change struct {
	Param *Param
	Alias bool   // the client named it by its alias
	Value string // as the client gave it
	// Stored and N are what the value parses to (see Param.check): the
	// front door applies a node-local change from them.
	Stored string
	N      int64
}

// Check checks the name/value pairs of a CONFIG SET as Redis 7.0 does,
// against v, without changing v: first every name (unknown, immutable,
// protected, given twice: the first problem wins), then every value in
// order. The error is Redis's (an Error).
func (v *Values) Check(pairs [][]byte) ([]Change, error) {
	_, changes, err := v.with(pairs)
	return changes, err
}

// Set applies a CONFIG SET of replicated parameters: all of them, or, if
// Check fails, none. A node-local parameter fails it with ErrLocal. It is
// deterministic: nodes that apply the same pairs to the same Values reach
// the same Values and the same error.
func (v *Values) Set(pairs [][]byte) error {
	next, changes, err := v.with(pairs)
	if err != nil {
		return err
	}
	for _, c := range changes {
		if c.Param.Local {
			return ErrLocal
		}
	}
	*v = *next
	return nil
}

// with returns v with the pairs applied, in order, as Redis applies them
// (a value is parsed after the ones before it are set), and the changes.
func (v *Values) with(pairs [][]byte) (*Values, []Change, error) {
	if len(pairs)%2 != 0 || len(pairs) == 0 {
		return nil, nil, Error("ERR syntax error")
	}
	changes := make([]Change, 0, len(pairs)/2)
	var first error
	for i := 0; i < len(pairs); i += 2 {
		name := string(pairs[i])
		p, alias := Lookup(name)
		switch {
		case p == nil:
			if first == nil {
				first = unknownError(name)
			}
			continue
		case first != nil:
			continue
		case p.Immutable:
			first = failedError(name, "can't set immutable config")
			continue
		case p.Protected:
			first = failedError(name, "can't set protected config")
			continue
		}
		for _, c := range changes {
			if c.Param == p && c.Alias == alias {
				first = failedError(name, "duplicate parameter")
			}
		}
		changes = append(changes, Change{Param: p, Alias: alias, Value: string(pairs[i+1])})
	}
	if first != nil {
		return nil, nil, first
	}
	next := v.Clone()
	for i := range changes {
		c := &changes[i]
		stored, n, why := c.Param.check(c.Value, next)
		if why != "" {
			return nil, nil, failedError(c.Param.NameAs(c.Alias), why)
		}
		c.Stored, c.N = stored, n
		next.set(c.Param, stored, n)
	}
	return next, changes, nil
}

// set stores a checked value.
func (v *Values) set(p *Param, stored string, n int64) {
	v.shown[p.index] = stored
	if p.apply != nil {
		p.apply(v, n)
	}
}

// Restore sets the stored values a snapshot carries (see Changed) over the
// defaults. An unknown name or a value that does not parse fails it; a
// parameter that has become node-local since the snapshot was written is
// skipped, as the node keeps its own.
func Restore(names, values []string) (*Values, error) {
	if len(values) != len(names) {
		return nil, errors.New("config: snapshot has names and values of different counts")
	}
	v := Defaults()
	for i, name := range names {
		p, _ := Lookup(name)
		switch {
		case p == nil:
			return nil, errors.New("config: snapshot has unknown parameter " + name)
		case p.Local:
			continue
		}
		stored, n, why := p.check(values[i], v)
		if why != "" {
			return nil, errors.New("config: snapshot value of " + name + ": " + why)
		}
		v.set(p, stored, n)
	}
	return v, nil
}
