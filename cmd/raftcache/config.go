package main

// Settings from a config file and the environment, for deployments that
// configure a process by file (etcd's --config-file) or by environment
// (containers, systemd's Environment=) rather than by its command line.
// Both are keyed by the flags' own names, so there is one vocabulary to
// learn and -help documents all three. Precedence: a flag on the command
// line, then RAFTCACHE_<NAME>, then the file, then the flag's default.

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/raftcache/raftcache/cluster"
)

// envPrefix starts the environment variable of every flag:
// RAFTCACHE_STATE_DIR is -state_dir.
const envPrefix = "RAFTCACHE_"

// configFlag names the flag that gives the config file. It is read from the
// command line or the environment only: a file naming another file would
// make the precedence of their keys a question with no obvious answer.
const configFlag = "config"

// isAction reports the flags that ask for an action rather than configure
// the node: a config file or environment that printed the version and
// exited would be a surprise.
func isAction(name string) bool {
	return name == "version" || name == "help" || name == "h"
}

// otherEnv are the project's RAFTCACHE_ variables that are not flags: the
// failpoint the Jepsen harness arms and the test suite's own knobs, which a
// developer who exports them to run the tests would otherwise see warned
// about by every node the tests start.
func otherEnv() map[string]bool {
	return map[string]bool{
		cluster.FailpointSaveDelayEnv:    true,
		cluster.FailpointWALFaultFileEnv: true,
		cluster.FailpointClockOffsetEnv:  true,
		cluster.FailpointWALSegmentEnv:   true,
		"RAFTCACHE_TEST_LOG":             true,
		"RAFTCACHE_SCREENSHOTS":          true,
		"RAFTCACHE_JEPSEN_KEEP":          true,
		"RAFTCACHE_COMPAT_OPS":           true,
		"RAFTCACHE_COMPAT_SEED":          true,
	}
}

// envName is the environment variable that sets the flag named name.
func envName(name string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// applyConfig gives every flag of fs that the command line (already parsed
// into fs) left unset its value from environ (os.Environ's form), else from
// the config file -config or RAFTCACHE_CONFIG names. It returns warnings
// for the caller to log once it has a logger (the file may set -v), and an
// error naming the variable or the file and key for a value a flag refuses
// or a key no flag has: a misspelt setting silently left at its default is
// worse than a node that does not start.
func applyConfig(fs *flag.FlagSet, environ []string) (warnings []string, err error) {
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	byEnv := map[string]*flag.Flag{}
	fs.VisitAll(func(f *flag.Flag) {
		if !isAction(f.Name) {
			byEnv[envName(f.Name)] = f
		}
	})
	other := otherEnv()
	fromEnv := map[string]bool{}
	// environ's order is the process's; sorting makes which of two
	// spellings of one variable wins (and the warnings' order) not depend
	// on it.
	vars := append([]string(nil), environ...)
	sort.Strings(vars)
	for _, kv := range vars {
		key, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(key, envPrefix) {
			continue
		}
		f := byEnv[key]
		if f == nil {
			if !other[key] {
				warnings = append(warnings, fmt.Sprintf("environment variable %s matches no flag; ignored", key))
			}
			continue
		}
		if explicit[f.Name] {
			continue
		}
		if err := fs.Set(f.Name, value); err != nil {
			return warnings, fmt.Errorf("environment variable %s: invalid value %q for -%s: %w", key, value, f.Name, err)
		}
		fromEnv[f.Name] = true
	}
	cf := fs.Lookup(configFlag)
	if cf == nil || cf.Value.String() == "" {
		return warnings, nil
	}
	path := cf.Value.String()
	settings, err := readConfigFile(path)
	if err != nil {
		return warnings, err
	}
	for _, s := range settings {
		f := fs.Lookup(s.key)
		switch {
		case s.key == configFlag:
			return warnings, fmt.Errorf("config file %s: line %d: key %q: a config file cannot name another one", path, s.line, s.key)
		case f == nil || isAction(s.key):
			return warnings, fmt.Errorf("config file %s: line %d: unknown key %q (keys are the flags' names, as -help lists them)", path, s.line, s.key)
		case explicit[s.key] || fromEnv[s.key]:
			continue
		}
		if err := fs.Set(s.key, s.value); err != nil {
			return warnings, fmt.Errorf("config file %s: line %d: key %q: invalid value %q: %w", path, s.line, s.key, s.value, err)
		}
	}
	return warnings, nil
}

// setting is one key of a config file, with the line it is on for errors.
type setting struct {
	key, value string
	line       int
}

// readConfigFile reads a YAML mapping of flag names to single values. It
// walks the YAML nodes rather than decoding into a map so that a value
// reaches the flag as its text ("5s", "512mb", "no"), each flag parsing it
// as on the command line, and an error can give the line.
func readConfigFile(path string) ([]setting, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil // an empty file sets nothing
		}
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config file %s: line %d: a second YAML document; the file holds one mapping", path, more.Line)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("config file %s: line %d: want a mapping of flag names to values", path, m.Line)
	}
	var out []setting
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("config file %s: line %d: a key must be a flag's name", path, k.Line)
		}
		if first, dup := seen[k.Value]; dup {
			return nil, fmt.Errorf("config file %s: line %d: key %q given twice (first on line %d)", path, k.Line, k.Value, first)
		}
		seen[k.Value] = k.Line
		if v.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("config file %s: line %d: key %q: want a single value", path, v.Line, k.Value)
		}
		if v.Tag == "!!null" {
			return nil, fmt.Errorf("config file %s: line %d: key %q has no value (write \"\" for an empty one)", path, v.Line, k.Value)
		}
		out = append(out, setting{key: k.Value, value: v.Value, line: k.Line})
	}
	return out, nil
}

// usage is -help's text: the flags, and where else they can be set.
func usage(fs *flag.FlagSet) func() {
	return func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage of raftcache:\n\n")
		fmt.Fprintf(w, "Every flag can also be set by the environment variable %s<NAME> (the flag's name in\n", envPrefix)
		fmt.Fprintf(w, "upper case, '-' as '_': %s for -state_dir) or by a key of the YAML file -config\n", envName("state_dir"))
		fmt.Fprintf(w, "names (the flag's name: \"state_dir: /var/lib/raftcache\"). A flag on the command line wins\n")
		fmt.Fprintf(w, "over the environment, which wins over the file. An unknown key or a bad value in the file\n")
		fmt.Fprintf(w, "stops the node; an unknown %s variable is warned about.\n\n", envPrefix)
		fs.PrintDefaults()
	}
}
