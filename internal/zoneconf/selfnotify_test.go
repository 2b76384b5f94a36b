package zoneconf

import (
	"net/netip"
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
	const want = `{ type primary; file "/z/t.test.zone"; also-notify { 127.0.0.1 port 5399 key "bindgate-key"; 10.0.0.1; }; notify-delay 0; };`
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
	mine := show(`zone "t.test" { type primary; file "/z/t.test.zone"; also-notify { 127.0.0.1 port 5399 key "bindgate-key"; 10.0.0.1; }; notify-delay 0; };`)
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
			`{ type primary; file "/z/t.test.zone"; also-notify { 127.0.0.1 port 5399 key "bindgate-key"; 10.0.0.1; }; notify-delay 0; };`, true},
		{"reconcile moves it", moved, Modification{SelfNotify: &self},
			`{ type primary; file "/z/t.test.zone"; also-notify { 127.0.0.1 port 5399 key "bindgate-key"; 10.0.0.1; }; notify-delay 0; };`, true},
		{"reconcile without also-notify", bare, Modification{SelfNotify: &self},
			`{ type primary; file "/z/t.test.zone"; also-notify { 127.0.0.1 port 5399 key "bindgate-key"; }; notify-delay 0; };`, true},
		{"already there", mine, Modification{SelfNotify: &self}, "", false},
		{"PATCH keeps it", mine, Modification{SelfNotify: &self, AlsoNotify: &[]Endpoint{{Addr: netip.MustParseAddr("10.0.0.2"), Port: 53}}},
			`{ type primary; file "/z/t.test.zone"; also-notify { 127.0.0.1 port 5399 key "bindgate-key"; 10.0.0.2 port 53; }; notify-delay 0; };`, true},
		{"PATCH [] keeps it", mine, Modification{SelfNotify: &self, AlsoNotify: &[]Endpoint{}},
			`{ type primary; file "/z/t.test.zone"; also-notify { 127.0.0.1 port 5399 key "bindgate-key"; }; notify-delay 0; };`, true},
	}
	for _, c := range cases {
		got, changed, err := Merge(c.z, c.m)
		if err != nil || changed != c.chg || c.chg && got != c.want {
			t.Errorf("%s: %q %v %v", c.name, got, changed, err)
		}
	}
}
