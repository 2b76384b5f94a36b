package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeAPI answers like bindgate for the routes the tests use and records the requests.
type fakeAPI struct {
	mu   sync.Mutex
	reqs []string // "METHOD path If-Match body"
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	fields := []string{r.Method, r.URL.RequestURI()}
	for _, v := range []string{r.Header.Get("If-Match"), string(body)} {
		if v != "" {
			fields = append(fields, v)
		}
	}
	f.reqs = append(f.reqs, strings.Join(fields, " "))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer tok" {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"Unauthorized","details":null,"requestId":"r1"}`)
		return
	}
	switch r.Method + " " + r.URL.Path {
	case "GET /api/v1/zones":
		io.WriteString(w, `{"zones":["a.test","b.test"],"count":2}`)
	case "GET /api/v1/zones/a.test":
		io.WriteString(w, `{"name":"a.test","zoneType":"primary","serial":7,"filePath":"/z/a.test.zone"}`)
	case "GET /api/v1/zones/missing.test":
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"Zone not found: missing.test","details":null,"requestId":"r2"}`)
	case "POST /api/v1/zones":
		var b struct {
			ZoneName string `json:"zoneName"`
		}
		_ = json.Unmarshal(body, &b)
		if b.ZoneName == "dup.test" {
			w.WriteHeader(http.StatusConflict)
			io.WriteString(w, `{"error":"Zone already exists: dup.test","details":null,"requestId":"r3"}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"success":true,"message":"Zone `+b.ZoneName+` created successfully","details":""}`)
	case "GET /api/v1/zones/a.test/rrsets":
		w.Header().Set("ETag", `"7"`)
		io.WriteString(w, `{"zone":"a.test","serial":7,"rrsets":[
			{"name":"a.test.","type":"SOA","ttl":3600,"records":["ns1.a.test. h.a.test. 7 3600 600 604800 86400"]},
			{"name":"www.a.test.","type":"A","ttl":300,"records":["192.0.2.1"]},
			{"name":"old.a.test.","type":"TXT","ttl":300,"records":["\"x\""]}]}`)
	case "PATCH /api/v1/zones/a.test/rrsets":
		io.WriteString(w, `{"zone":"a.test","serial":8,"changes":[]}`)
	case "GET /api/v1/zones/a.test/export":
		w.Header().Set("Content-Type", "text/dns")
		io.WriteString(w, "a.test.\t3600\tIN\tSOA\t...\n")
	case "GET /api/v1/zones/a.test/history":
		io.WriteString(w, `{"zone":"a.test","changes":[{"fromSerial":6,"toSerial":7,"time":"2026-03-04T05:06:07Z","added":1,"removed":0,"actor":{"principal":"admin","requestId":"q"}}],"next":null}`)
	case "POST /api/v1/zones/a.test/rollback":
		applied := !strings.Contains(string(body), `"dryRun":true`)
		to := "7"
		if applied {
			to = "8"
		}
		io.WriteString(w, `{"zone":"a.test","fromSerial":7,"toSerial":`+to+`,"targetSerial":6,"removed":[{"name":"www.a.test.","type":"A","ttl":300,"records":["192.0.2.1"]}],"added":[],"applied":`+map[bool]string{true: "true", false: "false"}[applied]+`}`)
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"Not found","details":null,"requestId":"r9"}`)
	}
}

// writes are the requests that change something.
func (f *fakeAPI) writes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.reqs {
		if !strings.HasPrefix(r, "GET ") {
			out = append(out, r)
		}
	}
	return out
}

const patchFile = `{"rrsets":[
 {"name":"www","type":"A","ttl":300,"changetype":"REPLACE","records":["192.0.2.1","192.0.2.2"]},
 {"name":"old","type":"TXT","changetype":"DELETE"}]}`

func TestRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	patch := write("patch.json", patchFile)
	zones := write("zones.json", `[{"zoneName":"n1.test"},{"zoneName":"dup.test"},{"zoneName":"n2.test"}]`)
	tokenFile := write("token", "tok\n")
	// A listener closed at once: its port refuses connections.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + ln.Addr().String()
	ln.Close()

	tests := []struct {
		name     string
		args     []string
		env      map[string]string // nil: BINDGATE_TOKEN=tok and the fake's URL
		stdin    string
		terminal bool
		code     int
		out      []string // in stdout
		errOut   []string // in stderr
		writes   []string // the exact writes sent, prefixes
	}{
		{name: "zone list table", args: []string{"zone", "list"}, out: []string{"ZONE\na.test\nb.test\n"}},
		{name: "zone list json", args: []string{"zone", "list", "-o", "json"}, out: []string{"{\n  \"zones\": [\n    \"a.test\","}},
		{name: "zone get aligned", args: []string{"zone", "get", "a.test"}, out: []string{"ZONE    TYPE     SERIAL  FILE\na.test  primary  7       /z/a.test.zone\n"}},
		{name: "API refusal is 1 with its message", args: []string{"zone", "get", "missing.test"}, code: ExitRefused,
			errOut: []string{"Zone not found: missing.test (HTTP 404, request r2)"}},
		{name: "no token", args: []string{"zone", "list"}, env: map[string]string{}, code: ExitRefused,
			errOut: []string{"Unauthorized", "set BINDGATE_TOKEN or pass --token-file"}},
		{name: "token file", args: []string{"zone", "list", "--token-file", tokenFile}, env: map[string]string{"BINDGATE_TOKEN": "wrong"}, out: []string{"a.test"}},
		{name: "unreachable is 3", args: []string{"zone", "list", "--url", deadURL}, code: ExitUnreachable, errOut: []string{"unreachable"}},
		{name: "unknown subcommand is 2", args: []string{"zone", "frobnicate"}, code: ExitUsage, errOut: []string{`unexpected argument "frobnicate"`}},
		{name: "bad flag is 2", args: []string{"zone", "list", "--bogus"}, code: ExitUsage, errOut: []string{"unknown flag: --bogus"}},
		{name: "missing argument is 2", args: []string{"zone", "get"}, code: ExitUsage, errOut: []string{"want ZONE", "bindgate zone get --help"}},
		{name: "bad output is 2", args: []string{"zone", "list", "-o", "yaml"}, code: ExitUsage},
		{name: "no --token flag", args: []string{"zone", "list", "--token", "tok"}, code: ExitUsage, errOut: []string{"unknown flag: --token"}},
		{name: "zone create from flags", args: []string{"zone", "create", "c.test", "--ns", "ns1=192.0.2.53", "--update-key", "k"},
			out:    []string{"Zone c.test created successfully"},
			writes: []string{`POST /api/v1/zones {"updateKeyName":"k","zoneConfig":{"nameServerIps":{"ns1.c.test.":"192.0.2.53"},"nameServers":["ns1.c.test."],"soa":{"adminEmail":"hostmaster.c.test.","primaryNs":"ns1.c.test."},"ttl":3600},"zoneName":"c.test","zoneType":"primary"}`}},
		{name: "zone create needs --ns", args: []string{"zone", "create", "c.test"}, code: ExitUsage},
		{name: "zone create many: one refused is 1, the rest created", args: []string{"zone", "create", "-f", zones}, code: ExitRefused,
			out:    []string{"n1.test   Zone n1.test created successfully", "dup.test  Zone already exists: dup.test", "n2.test   Zone n2.test created"},
			errOut: []string{"1 of 3 zones not created"}},
		{name: "record add", args: []string{"record", "add", "a.test", "www", "A", "192.0.2.9", "--ttl", "60"}, code: ExitRefused, // the fake has no record route
			writes: []string{`POST /api/v1/zones/a.test/records {"name":"www","ttl":60,"type":"A","value":"192.0.2.9"}`}},
		{name: "rrset apply dry run prints the diff, sends nothing", args: []string{"rrset", "apply", "a.test", "-f", patch, "--dry-run"},
			out:    []string{"2 RRset(s) change, 1 record(s) added, 1 removed", "+  www.a.test.  300  A     192.0.2.2", `-  old.a.test.  300  TXT   "x"`},
			writes: []string{}},
		{name: "rrset apply dry run json", args: []string{"rrset", "apply", "a.test", "-f", patch, "--dry-run", "-o", "json"},
			out: []string{`"added": [`, `"192.0.2.2"`, `"serial": 7`}, writes: []string{}},
		{name: "rrset apply --yes sends the file with If-Match", args: []string{"rrset", "apply", "a.test", "-f", patch, "--yes"},
			out: []string{"Applied to a.test: serial 8."}, writes: []string{`PATCH /api/v1/zones/a.test/rrsets "7" {"rrsets":[{"name":"www"`}},
		{name: "rrset apply y on a terminal", args: []string{"rrset", "apply", "a.test", "-f", patch}, stdin: "y\n", terminal: true,
			out: []string{"Applied"}, errOut: []string{"Apply 2 RRset change(s) to a.test? [y/N]"}, writes: []string{"PATCH "}},
		{name: "rrset apply n on a terminal is 1", args: []string{"rrset", "apply", "a.test", "-f", patch}, stdin: "n\n", terminal: true,
			code: ExitRefused, errOut: []string{"Not applied."}, writes: []string{}},
		{name: "rrset apply without terminal or --yes is 2", args: []string{"rrset", "apply", "a.test", "-f", patch}, stdin: "y\n",
			code: ExitUsage, errOut: []string{"pass --yes"}, writes: []string{}},
		{name: "rrset apply bad file is 2", args: []string{"rrset", "apply", "a.test", "-f", zones}, code: ExitUsage},
		{name: "rrset export", args: []string{"rrset", "export", "a.test"}, out: []string{"a.test.\t3600\tIN\tSOA"}},
		{name: "history", args: []string{"history", "a.test"}, out: []string{"SERIAL  FROM  TIME                  ADDED  REMOVED  ACTOR\n7       6     2026-03-04T05:06:07Z  +1     -0       admin\n"}},
		{name: "rollback --dry-run", args: []string{"rollback", "a.test", "--to", "6", "--dry-run"},
			out:    []string{"Roll a.test back from serial 7 to 6:", "-  www.a.test.  300  A     192.0.2.1"},
			writes: []string{`POST /api/v1/zones/a.test/rollback {"dryRun":true,"toSerial":6}`}},
		{name: "rollback --yes", args: []string{"rollback", "a.test", "--to", "6", "--yes"}, out: []string{"Rolled back: a.test is at serial 8"},
			writes: []string{`POST /api/v1/zones/a.test/rollback {"dryRun":true,"toSerial":6}`, `POST /api/v1/zones/a.test/rollback {"toSerial":6}`}},
		{name: "rollback needs --to", args: []string{"rollback", "a.test"}, code: ExitUsage},
		{name: "help groups server and client", args: []string{"--help"},
			out: []string{"Server commands", "rotate-key", "Client commands", "rrset", "completion"}},
		{name: "completion bash", args: []string{"completion", "bash"}, out: []string{"bash completion"}},
		{name: "completion zsh", args: []string{"completion", "zsh"}, out: []string{"compdef"}},
		{name: "completion fish", args: []string{"completion", "fish"}, out: []string{"complete -c bindgate"}},
		{name: "completion of subcommands", args: []string{"__complete", "zone", ""}, out: []string{"create", "delete", "list"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := &fakeAPI{}
			srv := httptest.NewServer(api)
			defer srv.Close()
			env := tc.env
			if env == nil {
				env = map[string]string{"BINDGATE_TOKEN": "tok"}
			}
			env["BINDGATE_URL"] = srv.URL
			var out, errb bytes.Buffer
			code := Run(context.Background(), tc.args, Env{
				Stdin: strings.NewReader(tc.stdin), Stdout: &out, Stderr: &errb,
				Getenv:     func(k string) (string, bool) { v, ok := env[k]; return v, ok },
				IsTerminal: func(f any) bool { return tc.terminal && f != any(&errb) },
			})
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out.String(), errb.String())
			}
			for _, w := range tc.out {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tc.errOut {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb.String())
				}
			}
			got := api.writes()
			if tc.writes != nil {
				if len(got) != len(tc.writes) {
					t.Fatalf("writes %q, want %d", got, len(tc.writes))
				}
				for i, w := range tc.writes {
					if !strings.HasPrefix(got[i], w) {
						t.Errorf("write %d = %s\nwant prefix %s", i, got[i], w)
					}
				}
			}
		})
	}
}

// A file larger than one PATCH is sent in parts, in order, the first with If-Match only.
func TestSplitPatch(t *testing.T) {
	var p patchBody
	for i := range 5 {
		name, typ, ct := "n"+string(rune('a'+i)), "TXT", "REPLACE"
		recs := make([]string, 400)
		for j := range recs {
			recs[j] = `"v"`
		}
		p.RRsets = append(p.RRsets, rrsetChange{Name: &name, Type: &typ, ChangeType: &ct, Records: recs})
	}
	tests := []struct {
		name string
		in   patchBody
		want []int // RRsets per part
	}{
		{"empty", patchBody{}, []int{0}},
		{"one part", patchBody{RRsets: p.RRsets[:2]}, []int{2}},
		{"2000 records in three parts", p, []int{2, 2, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parts := splitPatch(tc.in)
			var got []int
			for _, part := range parts {
				got = append(got, len(part))
				if recordCount(part) > maxPatchRecords {
					t.Errorf("part of %d records", recordCount(part))
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("parts %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("parts %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestHandles(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"--version"}, false},
		{[]string{"--port", "1"}, false},
		{[]string{"run", "--help"}, false},
		{[]string{"dev"}, false},
		{[]string{"rotate-key"}, false},
		{[]string{"--help", "--port", "1"}, false},
		{[]string{"--help"}, true},
		{[]string{"-h"}, true},
		{[]string{"help"}, true},
		{[]string{"zone", "list"}, true},
		{[]string{"completion", "bash"}, true},
		{[]string{"__complete", "zone", ""}, true},
	}
	for _, tc := range tests {
		if got := Handles(tc.args); got != tc.want {
			t.Errorf("Handles(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}
