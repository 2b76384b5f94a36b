// Package access decides what an authenticated principal may do (issue 4): each principal (a
// static token's name, or a ServiceAccount's full username) has scopes, each read-only or
// read-write over zone-name patterns. It is read from a JSON file:
//
//	{"principals": [
//	  {"name": "system:serviceaccount:bindy-system:bindy", "access": "read-write", "zones": ["*"]},
//	  {"name": "team-a-ci", "access": "read-write", "zones": ["team-a.example.com", "*.team-a.example.com"]},
//	  {"name": "auditor", "access": "read-only", "zones": ["*"]}
//	]}
//
// A pattern is "*" (every zone), "*.<zone>" (every zone strictly below <zone>) or a zone name
// (exactly that zone). A principal may be listed more than once; its scopes add up. Without a
// file every authenticated principal has full access, so bindy works unchanged; with one, a
// principal that is not listed may do nothing. Server-wide operations (server status, reload,
// reconcile) need a scope on "*".
package access

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/bindgate/bindgate/internal/filewatch"
	"github.com/bindgate/bindgate/internal/zonename"
)

// Policy answers access questions. A nil *Policy allows everything. Safe for concurrent use.
type Policy struct {
	file *filewatch.Watcher[rules]
}

type scope struct {
	write   bool
	pattern string // "*", "*.zone" or "zone"
}

type rules map[string][]scope

type fileJSON struct {
	Principals []struct {
		Name   string   `json:"name"`
		Access string   `json:"access"`
		Zones  []string `json:"zones"`
	} `json:"principals"`
}

// Load reads the policy file; an invalid file is an error naming the entry. Watch re-reads it
// every interval (0: only Reload).
func Load(ctx context.Context, path string, every time.Duration, log *slog.Logger) (*Policy, error) {
	c := filewatch.OneFile("access file", path, parse)
	c.Interval, c.Logger = every, log
	f, err := filewatch.New(ctx, c)
	if err != nil {
		return nil, err
	}
	return &Policy{file: f}, nil
}

// Parse builds a policy from JSON (tests and callers without a file).
func Parse(b []byte) (*Policy, error) {
	r, err := parse(b)
	if err != nil {
		return nil, err
	}
	return &Policy{file: filewatch.Fixed(r)}, nil
}

// Reload re-reads the file when its content changed; a file that no longer parses keeps the
// current rules. A nil *Policy has nothing to reload.
func (p *Policy) Reload(ctx context.Context) (changed bool, err error) {
	if p == nil {
		return false, nil
	}
	return p.file.Reload(ctx)
}

// Watch re-reads the file every interval until ctx ends; for a nil *Policy it returns at once.
func (p *Policy) Watch(ctx context.Context) {
	if p != nil {
		p.file.Watch(ctx)
	}
}

func parse(b []byte) (rules, error) {
	var doc fileJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, errors.New(`not valid JSON of the form {"principals":[{"name":…,"access":"read-only"|"read-write","zones":[…]}]}`)
	}
	r := rules{}
	for i, e := range doc.Principals {
		if e.Name == "" || len(e.Name) > 253 || strings.ContainsFunc(e.Name, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
			return nil, fmt.Errorf("principals[%d]: name must be 1-253 printable ASCII characters", i)
		}
		var write bool
		switch e.Access {
		case "read-write":
			write = true
		case "read-only":
		default:
			return nil, fmt.Errorf("principals[%d] (%s): access must be read-only or read-write", i, e.Name)
		}
		if len(e.Zones) == 0 {
			return nil, fmt.Errorf("principals[%d] (%s): zones must list at least one pattern", i, e.Name)
		}
		for _, z := range e.Zones {
			pat, err := pattern(z)
			if err != nil {
				return nil, fmt.Errorf("principals[%d] (%s): zone pattern %q: %w", i, e.Name, z, err)
			}
			r[e.Name] = append(r[e.Name], scope{write: write, pattern: pat})
		}
	}
	return r, nil
}

// pattern normalises "*", "*.zone" or "zone".
func pattern(s string) (string, error) {
	if s == "*" {
		return s, nil
	}
	base, wild := strings.CutPrefix(s, "*.")
	z, err := zonename.Normalize(base)
	if err != nil {
		return "", err
	}
	if wild {
		return "*." + z, nil
	}
	return z, nil
}

// Allow reports whether principal may read (write false) or change (write true) zone, a
// normalised zone name. The answer does not depend on whether the zone exists.
func (p *Policy) Allow(principal, zone string, write bool) bool {
	if p == nil {
		return true
	}
	for _, s := range p.file.Get()[principal] {
		if (s.write || !write) && matches(s.pattern, zone) {
			return true
		}
	}
	return false
}

// AllowServer reports whether principal may use the server-wide routes: a scope on "*".
func (p *Policy) AllowServer(principal string, write bool) bool {
	if p == nil {
		return true
	}
	for _, s := range p.file.Get()[principal] {
		if (s.write || !write) && s.pattern == "*" {
			return true
		}
	}
	return false
}

func matches(pattern, zone string) bool {
	switch {
	case pattern == "*":
		return true
	case strings.HasPrefix(pattern, "*."):
		return strings.HasSuffix(zone, pattern[1:]) // ".zone": strictly below, on a label boundary
	}
	return pattern == zone
}
