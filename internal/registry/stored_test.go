package registry

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// An entry held in memory comes back exactly as it went in, whatever its block holds.
func TestStoredRoundTrip(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name string
		e    Entry
	}{
		{"zone in the block twice", Entry{Zone: "a.test", Type: "primary",
			Block: `{ type primary; file "/z/a.test.zone"; also-notify { 10.0.0.1; }; }; // a.test`, ZoneFile: []byte("$TTL 1\n")}},
		{"zone not in the block", Entry{Zone: "b.test", Type: "secondary", Block: `{ type secondary; primaries { 10.0.0.1; }; };`}},
		{"zone inside a longer name", Entry{Zone: "a.test", Type: "primary", Block: `{ type primary; file "/z/xa.test.zone"; };`}},
		{"block holding the mark", Entry{Zone: "c.test", Type: "primary", Block: "{ type primary; file \"/z/c.test\x00.zone\"; };"}},
		{"empty block", Entry{Zone: "d.test", Type: "primary"}},
		{"no times", Entry{Zone: "f.test", Type: "primary", Block: "{ type primary; };"}},
		{"another type", Entry{Zone: "e.test", Type: "mirror", Block: "{ type mirror; };"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.e.Zone != "f.test" {
				tc.e.Created, tc.e.Modified = now, now.Add(time.Hour+time.Nanosecond)
			}
			want := tc.e // the zone file stays on disk only
			want.ZoneFile, want.HasZoneFile = nil, len(tc.e.ZoneFile) > 0
			if diff := cmp.Diff(want, store(tc.e).entry(tc.e.Zone)); diff != "" {
				t.Errorf("round trip (-put +got):\n%s", diff)
			}
		})
	}
}

// Zones created alike share one block in memory.
func TestStoredSharesBlocks(t *testing.T) {
	t.Parallel()
	block := func(z string) string {
		return `{ type primary; file "/var/cache/bind/` + z + `.zone"; allow-update { key "k"; }; };`
	}
	a := store(Entry{Zone: "a.test", Type: "primary", Block: block("a.test")})
	b := store(Entry{Zone: "b.test", Type: "primary", Block: block("b.test")})
	if a.tmpl != b.tmpl {
		t.Errorf("blocks of zones created alike are held twice: %q, %q", a.tmpl.Value(), b.tmpl.Value())
	}
	if got := b.entry("b.test").Block; got != block("b.test") {
		t.Errorf("block = %q, want %q", got, block("b.test"))
	}
}
