package zoneconf

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

func TestSelfNotify(t *testing.T) {
	t.Parallel()
	self := NotifyTarget{Endpoint: Endpoint{Addr: netip.MustParseAddr("127.0.0.1"), Port: 5399}, Key: "bindgate-key"}
	block, err := Render(Spec{Type: "primary", File: "/z/t.test.zone", SelfNotify: &self,
		AlsoNotify: []Endpoint{{Addr: netip.MustParseAddr("10.0.0.1")}}})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{ type primary; file "/z/t.test.zone"; also-notify { 127.0.0.1 port 5399 key "bindgate-key"; 10.0.0.1; }; max-ixfr-ratio unlimited; notify-delay 0; };`
	if block != want {
		t.Fatalf("Render:\n got %s\nwant %s", block, want)
	}
	// As named 9.18 prints it back (checked with real named).
	show := func(s string) Zone {
		z, err := ParseShowzone(s)
		if err != nil {
			t.Fatal(err)
		}
		return z
	}
	legacy := show(`zone "t.test" { type primary; file "/z/t.test.zone"; also-notify { 10.0.0.1; }; };`)
	mine := show(`zone "t.test" { type primary; file "/z/t.test.zone"; also-notify { 127.0.0.1 port 5399 key "bindgate-key"; 10.0.0.1; }; max-ixfr-ratio unlimited; notify-delay 0; };`)
	moved := show(`zone "t.test" { type primary; file "/z/t.test.zone"; also-notify { 127.0.0.1 port 6000 key "bindgate-key"; 10.0.0.1; }; };`)
	bare := show(`zone "t.test" { type primary; file "/z/t.test.zone"; };`)
	if HasSelfNotify(legacy, self) || !HasSelfNotify(mine, self) || HasSelfNotify(moved, self) || HasSelfNotify(bare, self) {
		t.Fatal("HasSelfNotify")
	}
	cases := []struct {
		name string
		z    Zone
		m    Modification
		want string
		chg  bool
	}{
		{"reconcile adds it", legacy, Modification{SelfNotify: &self},
			`{ type primary; file "/z/t.test.zone"; also-notify { 127.0.0.1 port 5399 key "bindgate-key"; 10.0.0.1; }; max-ixfr-ratio unlimited; notify-delay 0; };`, true},
		{"reconcile moves it", moved, Modification{SelfNotify: &self},
			`{ type primary; file "/z/t.test.zone"; also-notify { 127.0.0.1 port 5399 key "bindgate-key"; 10.0.0.1; }; max-ixfr-ratio unlimited; notify-delay 0; };`, true},
		{"reconcile without also-notify", bare, Modification{SelfNotify: &self},
			`{ type primary; file "/z/t.test.zone"; also-notify { 127.0.0.1 port 5399 key "bindgate-key"; }; max-ixfr-ratio unlimited; notify-delay 0; };`, true},
		{"already there", mine, Modification{SelfNotify: &self}, "", false},
		{"PATCH keeps it", mine, Modification{SelfNotify: &self, AlsoNotify: &[]Endpoint{{Addr: netip.MustParseAddr("10.0.0.2"), Port: 53}}},
			`{ type primary; file "/z/t.test.zone"; also-notify { 127.0.0.1 port 5399 key "bindgate-key"; 10.0.0.2 port 53; }; max-ixfr-ratio unlimited; notify-delay 0; };`, true},
		{"PATCH [] keeps it", mine, Modification{SelfNotify: &self, AlsoNotify: &[]Endpoint{}},
			`{ type primary; file "/z/t.test.zone"; also-notify { 127.0.0.1 port 5399 key "bindgate-key"; }; max-ixfr-ratio unlimited; notify-delay 0; };`, true},
	}
	for _, c := range cases {
		got, changed, err := Merge(c.z, c.m)
		if err != nil || changed != c.chg || c.chg && got != c.want {
			t.Errorf("%s: %q %v %v", c.name, got, changed, err)
		}
	}
}

// TestSelfNotifyAgainstNamed: named 9.18 accepts bindgate's own statements (also-notify
// entry, notify-delay, max-ixfr-ratio) in addzone, for a primary and a secondary, and in a
// modzone that adds them to a zone created without them; showzone's text of each then reads
// as having them, so a reconcile adds them once.
func TestSelfNotifyAgainstNamed(t *testing.T) {
	r := startNamed(t)
	self := NotifyTarget{Endpoint: Endpoint{Addr: netip.MustParseAddr("127.0.0.1"), Port: 5399}, Key: "bindgate-key"}
	check := func(zone string) {
		t.Helper()
		text, z := r.show(t, zone)
		t.Logf("showzone: %s", text)
		if !HasSelfNotify(z, self) {
			t.Errorf("showzone %s lacks bindgate's statements: %s", zone, text)
		}
		if z.Arg("max-ixfr-ratio") != "unlimited" {
			t.Errorf("showzone %s: max-ixfr-ratio %q: %s", zone, z.Arg("max-ixfr-ratio"), text)
		}
	}
	path := filepath.Join(r.n.ZoneDir, "self.test.zone")
	if err := os.WriteFile(path, []byte(zoneText), 0o644); err != nil {
		t.Fatal(err)
	}
	block, err := Render(Spec{Type: "primary", File: path, SelfNotify: &self})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.Zone(t.Context(), "addzone", "self.test", block); err != nil {
		t.Fatalf("addzone %s: %v", block, err)
	}
	check("self.test")

	block, err = Render(Spec{Type: "secondary", Primaries: []Endpoint{{Addr: netip.MustParseAddr("127.0.0.1"), Port: 1}}, SelfNotify: &self})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.c.Zone(t.Context(), "addzone", "second.test", block); err != nil {
		t.Fatalf("addzone %s: %v", block, err)
	}
	check("second.test")

	path = filepath.Join(r.n.ZoneDir, "legacy.test.zone")
	if err := os.WriteFile(path, []byte(zoneText), 0o644); err != nil {
		t.Fatal(err)
	}
	legacy := `{ type primary; file "` + path + `"; also-notify { 127.0.0.1 port 5399 key "bindgate-key"; }; notify-delay 0; };`
	if _, err := r.c.Zone(t.Context(), "addzone", "legacy.test", legacy); err != nil {
		t.Fatalf("addzone %s: %v", legacy, err)
	}
	_, z := r.show(t, "legacy.test")
	if HasSelfNotify(z, self) {
		t.Fatal("a zone without max-ixfr-ratio reads as complete: a reconcile would not add it")
	}
	block, changed, err := Merge(z, Modification{SelfNotify: &self})
	if err != nil || !changed {
		t.Fatalf("Merge: %q %v %v", block, changed, err)
	}
	if _, err := r.c.Zone(t.Context(), "modzone", "legacy.test", block); err != nil {
		t.Fatalf("modzone %s: %v", block, err)
	}
	check("legacy.test")
	_, z = r.show(t, "legacy.test")
	if _, changed, err := Merge(z, Modification{SelfNotify: &self}); err != nil || changed {
		t.Fatalf("a second Merge changes the zone again: %v %v", changed, err)
	}
}
