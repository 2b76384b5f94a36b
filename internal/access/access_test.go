package access

import (
	"os"
	"path/filepath"
	"testing"
)

func TestAllow(t *testing.T) {
	t.Parallel()
	p, err := Parse([]byte(`{"principals":[
		{"name":"team-a","access":"read-write","zones":["team-a.example.com","*.team-a.example.com"]},
		{"name":"auditor","access":"read-only","zones":["*"]},
		{"name":"ops","access":"read-write","zones":["*"]},
		{"name":"mixed","access":"read-only","zones":["*.example.org"]},
		{"name":"mixed","access":"read-write","zones":["dev.example.org"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		principal, zone string
		write, want     bool
	}{
		{"team-a", "team-a.example.com", true, true},
		{"team-a", "x.team-a.example.com", true, true},
		{"team-a", "a.b.team-a.example.com", false, true},
		{"team-a", "team-b.example.com", false, false},
		{"team-a", "footeam-a.example.com", true, false}, // label boundary
		{"team-a", "example.com", false, false},
		{"auditor", "anything.test", false, true},
		{"auditor", "anything.test", true, false},
		{"ops", "anything.test", true, true},
		{"mixed", "prod.example.org", false, true},
		{"mixed", "prod.example.org", true, false},
		{"mixed", "dev.example.org", true, true},
		{"stranger", "team-a.example.com", false, false},
	}
	for _, tc := range tests {
		if got := p.Allow(tc.principal, tc.zone, tc.write); got != tc.want {
			t.Errorf("Allow(%s, %s, write=%v) = %v, want %v", tc.principal, tc.zone, tc.write, got, tc.want)
		}
	}
	for principal, want := range map[string][2]bool{"ops": {true, true}, "auditor": {true, false}, "team-a": {false, false}} {
		if r, w := p.AllowServer(principal, false), p.AllowServer(principal, true); r != want[0] || w != want[1] {
			t.Errorf("AllowServer(%s) = %v/%v, want %v", principal, r, w, want)
		}
	}
	var none *Policy
	if !none.Allow("x", "y.test", true) || !none.AllowServer("x", true) {
		t.Error("no policy must allow everything")
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		`{"principals":[{"name":"a","access":"admin","zones":["*"]}]}`,
		`{"principals":[{"name":"a","access":"read-only","zones":[]}]}`,
		`{"principals":[{"name":"a","access":"read-only","zones":["a..b"]}]}`,
		`{"principals":[{"name":"a","access":"read-only","zones":["*.*"]}]}`,
		`{"principals":[{"name":"","access":"read-only","zones":["*"]}]}`,
		`{"principals":[{"name":"a b","access":"read-only","zones":["*"]}]}`,
		`{"principals":[{"name":"a","access":"read-only","zones":["*"],"extra":1}]}`,
		`not json`,
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("Parse(%s) succeeded", doc)
		}
	}
}

func TestReloadKeepsRulesOnBadFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "access.json")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"principals":[{"name":"a","access":"read-only","zones":["*"]}]}`)
	p, err := Load(t.Context(), path, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	write(`{"principals":[{"name":"a","access":"read-write","zones":["*"]}]}`)
	if changed, err := p.Reload(t.Context()); !changed || err != nil || !p.Allow("a", "z.test", true) {
		t.Fatalf("reload: %v %v", changed, err)
	}
	write(`{broken`)
	if _, err := p.Reload(t.Context()); err == nil {
		t.Fatal("a broken file reloaded")
	}
	if !p.Allow("a", "z.test", true) {
		t.Error("a broken file dropped the current rules")
	}
}

// FuzzParse: any input is refused or gives rules whose patterns are "*", "*.zone" or a
// normalised zone name; it never panics.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"principals":[{"name":"a","access":"read-write","zones":["*","*.x.test","y.test."]}]}`))
	f.Add([]byte(`{"principals":[{"name":"a","access":"read-only","zones":["*.*"]}]}`))
	f.Add([]byte(`{"principals":[]}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parse(b)
		if err != nil {
			return
		}
		for name, scopes := range r {
			if name == "" {
				t.Fatal("empty principal accepted")
			}
			for _, s := range scopes {
				if p, err := pattern(s.pattern); err != nil || p != s.pattern {
					t.Fatalf("pattern %q not normal (%v)", s.pattern, err)
				}
			}
		}
	})
}
