package integration

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/cli"
	"github.com/bindgate/bindgate/internal/namedproc"
)

// walkthroughFile is changes.json of README's "Use it" walkthrough.
const walkthroughFile = `{"rrsets":[
  {"name":"www","type":"A","ttl":300,"changetype":"REPLACE","records":["192.0.2.1","192.0.2.2"]},
  {"name":"mail","type":"A","ttl":300,"changetype":"REPLACE","records":["192.0.2.25"]},
  {"name":"@","type":"MX","ttl":300,"changetype":"REPLACE","records":["10 mail.example.test."]}]}
`

// TestCLIWalkthrough runs README's "Use it" CLI walkthrough, command for command, in
// process against a real named and bindgate: create a zone, add a record, apply a PATCH
// file with --dry-run and then for real, export, delete. named must answer the applied
// records over DNS, and the dry run must have changed nothing.
func TestCLIWalkthrough(t *testing.T) {
	s := startStack(t)
	if s.named.Key.Name != namedproc.DefaultKeyName || namedproc.DefaultKeyName != "bindgate-key" {
		t.Fatalf("key %q: README's walkthrough uses bindgate-key", s.named.Key.Name)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "changes.json"), []byte(walkthroughFile), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"BINDGATE_URL": s.url, "BINDGATE_TOKEN": token}
	run := func(line string, want ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		args := strings.Fields(strings.TrimPrefix(line, "bindgate "))
		for i, a := range args {
			if a == "changes.json" {
				args[i] = filepath.Join(dir, a)
			}
		}
		code := cli.Run(context.Background(), args, cli.Env{Stdout: &out, Stderr: &errb,
			Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
		if code != cli.ExitOK {
			t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", line, code, out.String(), errb.String())
		}
		for _, w := range want {
			if !strings.Contains(out.String(), w) {
				t.Fatalf("%s: output lacks %q:\n%s", line, w, out.String())
			}
		}
		t.Logf("$ %s\n%s", line, out.String())
		return out.String()
	}

	run("bindgate zone create example.test --ns ns1.example.test.=192.0.2.53 --update-key bindgate-key",
		"Zone example.test created successfully")
	run("bindgate record add example.test www A 192.0.2.1 --ttl 300")
	run("bindgate rrset get example.test --name www", "www.example.test.", "192.0.2.1")
	run("bindgate rrset apply example.test -f changes.json --dry-run",
		"+  www.example.test.   300  A     192.0.2.2", "+  mail.example.test.  300  A     192.0.2.25",
		"3 RRset(s) change, 3 record(s) added, 0 removed")
	if got := lookup(t, s, "mail.example.test", dns.TypeA); len(got) != 0 {
		t.Fatalf("after --dry-run named answers mail A %v; want nothing", got)
	}
	run("bindgate rrset apply example.test -f changes.json --yes", "Applied to example.test: serial")
	if got, want := lookup(t, s, "www.example.test", dns.TypeA), []string{"192.0.2.1", "192.0.2.2"}; !slices.Equal(got, want) {
		t.Fatalf("www A = %v, want %v", got, want)
	}
	if got, want := lookup(t, s, "example.test", dns.TypeMX), []string{"10 mail.example.test."}; !slices.Equal(got, want) {
		t.Fatalf("MX = %v, want %v", got, want)
	}
	run("bindgate rrset apply example.test -f changes.json --dry-run", "No changes")
	run("bindgate history example.test", "SERIAL")
	run("bindgate rrset export example.test", "mail.example.test.", "192.0.2.25")
	run("bindgate zone delete example.test", "example.test")
	if out := run("bindgate zone list"); strings.Contains(out, "example.test") {
		t.Fatalf("zone list after delete:\n%s", out)
	}
}
