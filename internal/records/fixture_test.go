package records_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/dnsclient/dnsclienttest"
	"github.com/bindgate/bindgate/internal/errs"
	"github.com/bindgate/bindgate/internal/records"
	"github.com/bindgate/bindgate/internal/zoneconf"
	"github.com/bindgate/bindgate/internal/zones"
)

// key signs both the updates (TSIG) and the control channel in these tests.
var key = bindkey.Key{Name: "test-key", Algorithm: bindkey.HMACSHA256, Secret: []byte("0123456789abcdef0123456789abcdef")}

// zone is example.test. as every test starts with it.
var zone = []string{
	"example.test. 300 IN SOA ns1.example.test. admin.example.test. 100 3600 600 604800 86400",
	"example.test. 300 IN NS ns1.example.test.",
	"ns1.example.test. 300 IN A 127.0.0.1",
	"www.example.test. 300 IN A 192.0.2.1",
	"www.example.test. 300 IN A 192.0.2.2",
	"mail.example.test. 300 IN MX 10 www.example.test.",
	"alias.example.test. 300 IN CNAME www.example.test.",
}

// The zone's configuration as showzone prints it (docs/contract.md §12.2).
const (
	updatable = `zone "example.test" { type primary; file "example.test.zone"; allow-update { key "test-key"; }; };`
	readOnly  = `zone "example.test" { type primary; file "example.test.zone"; };`
	secondary = `zone "example.test" { type secondary; file "example.test.zone"; primaries { 192.0.2.53; }; };`
)

// fixture is a records.Service in front of an in-process DNS server holding the zone and a
// source of the zone's configuration.
type fixture struct {
	svc    *records.Service
	zone   *dnsclienttest.Zone
	dns    *dnsclienttest.Server
	client *dnsclient.Client

	mu   sync.Mutex
	conf string // the zone's configuration; "" means the zone does not exist
}

// newTestService is the one constructor of the service under test: the zone holds zone's
// records and is configured as conf.
func newTestService(t *testing.T, conf string) *fixture {
	t.Helper()
	return newTestServiceWith(t, conf, nil)
}

// newTestServiceWith is newTestService with the service's Config changed by mod.
func newTestServiceWith(t *testing.T, conf string, mod func(*records.Config)) *fixture {
	t.Helper()
	f := &fixture{zone: dnsclienttest.NewZone(t, "example.test.", zone...), conf: conf}
	f.dns = dnsclienttest.Start(t, map[string]string{"test-key.": key.SecretBase64()}, f.zone)
	d, err := dnsclient.New(dnsclient.Config{Addr: f.dns.Addr, Key: func() bindkey.Key { return key }, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	f.client = d
	cfg := records.Config{DNS: d, Zones: confFacts{f}}
	if mod != nil {
		mod(&cfg)
	}
	f.svc, err = records.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// confFacts answers records' questions about the zone's configuration from the fixture's
// conf, as zones would from its registry; a zone with no conf is NotFound.
type confFacts struct{ f *fixture }

func (c confFacts) Facts(_ context.Context, zone string) (zones.Facts, error) {
	c.f.mu.Lock()
	conf := c.f.conf
	c.f.mu.Unlock()
	if conf == "" {
		return zones.Facts{}, zones.NotFound(zone)
	}
	z, err := zoneconf.ParseShowzone(conf)
	if err != nil {
		return zones.Facts{}, err
	}
	return zones.Facts{Type: z.Type(), Updatable: z.Has("allow-update") || z.Has("update-policy"), DNSSECPolicy: z.Arg("dnssec-policy")}, nil
}

func (c confFacts) RecheckFacts(ctx context.Context, zone string) (zones.Facts, error) {
	return c.Facts(ctx, zone)
}

// setConf changes the zone's configuration, as a zone PATCH would.
func (f *fixture) setConf(conf string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conf = conf
}

// sent is one UPDATE as the server received it: prerequisites and updates, one line each.
type sent struct {
	Prereq []string
	Update []string
}

// updates returns the UPDATE messages the server received.
func (f *fixture) updates() []sent {
	var out []sent
	for _, m := range f.zone.Updates() {
		var s sent
		for _, rr := range m.Answer {
			s.Prereq = append(s.Prereq, dnsclienttest.Line(rr))
		}
		for _, rr := range m.Ns {
			s.Update = append(s.Update, dnsclienttest.Line(rr))
		}
		out = append(out, s)
	}
	return out
}

// onUpdate scripts the answer to every UPDATE; other messages are answered normally.
func (f *fixture) onUpdate(a func() dnsclienttest.Answer) {
	f.zone.Script(func(r *dns.Msg) dnsclienttest.Answer {
		if r.Opcode != dns.OpcodeUpdate {
			return dnsclienttest.Answer{}
		}
		return a()
	})
}

// once runs f the first time it is called only.
func once(f func()) func() {
	var o sync.Once
	return func() { o.Do(f) }
}

// kindOf names err's kind for tables: "" for no error.
func kindOf(err error) string {
	if err == nil {
		return ""
	}
	return errs.KindOf(err).String()
}

// checkErr fails unless err is of kind want ("" for none) and its public message holds msg.
func checkErr(t *testing.T, err error, want, msg string) {
	t.Helper()
	if got := kindOf(err); got != want {
		t.Fatalf("error %v: kind %q, want %q", err, got, want)
	}
	if msg != "" && !strings.Contains(errs.Public(err), msg) {
		t.Errorf("public message %q does not contain %q", errs.Public(err), msg)
	}
}

func ptr[T any](v T) *T { return &v }

// at is the zone's data at name, for asserting on the result of a change.
func (f *fixture) at(name string) []string {
	var out []string
	for _, l := range f.zone.Records() {
		if strings.HasPrefix(l, name+" ") {
			out = append(out, l)
		}
	}
	return out
}
