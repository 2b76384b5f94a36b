// Package rotatecli is `bindgate rotate-key` (issue 10 item 4): rotate the rndc/TSIG key of a
// host without a secret manager. It writes a fresh 256-bit secret into the key file named.conf
// includes, atomically and with the file's mode and owner, then moves named onto it: through
// the running bindgate (POST /api/v1/server/keys/reload, which runs keyrot's switch), or with
// --direct over named's control channel itself (reconfig with the old key, status with the
// new). When named cannot be moved, the old key is put back in the file, so the file, named
// and bindgate never disagree silently. It prints fingerprints, never a secret.
package rotatecli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/bindgate/bindgate/internal/atomicfile"
	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/keyrot"
)

// Exit codes.
const (
	ExitRotated      = 0 // the file, named (and bindgate) use the new key
	ExitNotRotated   = 1 // the switch failed; the old key is back in the file and still in use
	ExitUsage        = 2 // bad arguments, or a check before writing failed; nothing changed
	ExitInconsistent = 3 // the file and named may disagree; the message says how to recover
)

// SecretBytes is the size of a generated secret: 256 bits.
const SecretBytes = 32

// Env is what Run reads and writes outside its arguments; tests replace them.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) (string, bool)
	// Client sends the requests to bindgate; nil -> a client with a 30 s timeout.
	Client *http.Client
	// Prober reaches named for --direct; nil -> keyrot.NewProber(--rndc-addr, "").
	Prober func(rndcAddr string) keyrot.Prober
}

// Usage is `bindgate rotate-key --help`.
const Usage = `Usage: bindgate rotate-key --key-file PATH [--algorithm A] [--name N]
                          [--url URL] [--token-file FILE] [--timeout D]
       bindgate rotate-key --key-file PATH --direct [--rndc-addr ADDR]

Rotate the rndc/TSIG key in PATH, a BIND key file holding one key
(key "name" { algorithm ...; secret "..."; };) that named.conf includes and
bindgate reads, without restarting named or bindgate.

What happens:
  1. Checks first, changing nothing: PATH parses; bindgate (or, with --direct,
     named) accepts the key in PATH now.
  2. Writes a fresh 256-bit random secret to PATH atomically (temp file, fsync,
     rename, directory fsync), same name and algorithm unless told, same file
     mode and owner.
  3. Moves named onto it:
     default   POST $URL/api/v1/server/keys/reload on the running bindgate, which
               sends reconfig to named with the old key, proves the new key with
               status and switches its rndc client and TSIG signer together
               (requests wait, none fails). The answer is printed.
     --direct  does the same itself over named's control channel at --rndc-addr,
               for hosts where bindgate is not running (bindgate, if it runs and
               reads PATH, follows the file on its own).
  4. Prints the new key's fingerprint (first 8 hex digits of SHA-256 of the
     secret; GET /api/v1/server/status shows the same). Never the secret.
  If named cannot be moved (named.conf does not include PATH, named down, a
  refusal), the old key is written back to PATH, so the file, named and bindgate
  keep agreeing on the old key.

Options:
  --key-file PATH    the key file to rotate (required; a symlink is followed)
  --algorithm A      new algorithm: hmac-sha224, hmac-sha256, hmac-sha384,
                     hmac-sha512 (default: the current one)
  --name N           new key name (default: the current one). Only with --direct:
                     bindgate refuses a rotation that renames the key, because
                     named.conf's controls and the zones' allow-update name it;
                     change those first.
  --url URL          bindgate's API (default $BINDGATE_URL, else
                     http://127.0.0.1:8080)
  --token-file FILE  file holding bindgate's bearer token (default: the
                     BINDGATE_TOKEN environment variable); the token needs the
                     server scope
  --direct           drive named itself instead of bindgate
  --rndc-addr ADDR   named's control channel for --direct (default 127.0.0.1:953)
  --timeout D        bound on the whole run (default 30s)

Exit codes:
  0  rotated: PATH, named (and bindgate) use the new key
  1  not rotated: the switch failed; the old key is back in PATH and still in
     use everywhere. The message says why (often: named.conf does not include
     PATH). Fix that and run again.
  2  bad arguments, or a check before writing failed: nothing was changed
  3  PATH and named may disagree (the old key could not be written back, or
     named could not be put back on it): the message says which key is where
     and how to recover

Examples:
  # bindgate running on this host, token in a file
  bindgate rotate-key --key-file /etc/bind/rndc.key --token-file /etc/bindgate/token
  # no bindgate: named's control channel on port 953
  bindgate rotate-key --key-file /etc/bind/rndc.key --direct --rndc-addr 127.0.0.1:953
  # verify: the new key works, the old one is refused
  rndc -k /etc/bind/rndc.key status
`

type options struct {
	keyFile, algorithm, name, url, tokenFile, rndcAddr string
	direct                                             bool
	timeout                                            time.Duration
}

// run state shared by the steps.
type rotation struct {
	o       options
	env     Env
	path    string // the key file, symlinks resolved
	orig    []byte // its content before, for the restore
	mode    os.FileMode
	uid     int
	gid     int
	old, nw bindkey.Key
	token   string
}

// Run is `bindgate rotate-key ARGS` and returns the exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Stderr == nil {
		env.Stderr = io.Discard
	}
	if env.Getenv == nil {
		env.Getenv = func(string) (string, bool) { return "", false }
	}
	if env.Client == nil {
		env.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if env.Prober == nil {
		env.Prober = func(addr string) keyrot.Prober { return keyrot.NewProber(addr, "") }
	}
	o, err := parse(args, env)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(env.Stdout, Usage)
		return ExitRotated
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "bindgate rotate-key: %v\n(bindgate rotate-key --help for usage)\n", err)
		return ExitUsage
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	r := &rotation{o: o, env: env}
	if err := r.prepare(ctx); err != nil {
		fmt.Fprintf(env.Stderr, "bindgate rotate-key: %v\nNothing was changed.\n", err)
		return ExitUsage
	}
	return r.rotate(ctx)
}

func parse(args []string, env Env) (options, error) {
	fs := flag.NewFlagSet("bindgate rotate-key", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var o options
	url, _ := env.Getenv("BINDGATE_URL")
	if url == "" {
		url = "http://127.0.0.1:8080"
	}
	fs.StringVar(&o.keyFile, "key-file", "", "")
	fs.StringVar(&o.algorithm, "algorithm", "", "")
	fs.StringVar(&o.name, "name", "", "")
	fs.StringVar(&o.url, "url", url, "")
	fs.StringVar(&o.tokenFile, "token-file", "", "")
	fs.BoolVar(&o.direct, "direct", false, "")
	fs.StringVar(&o.rndcAddr, "rndc-addr", "127.0.0.1:953", "")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.keyFile == "":
		return o, errors.New("--key-file is required")
	case o.direct && (set["url"] || set["token-file"]):
		return o, errors.New("--url and --token-file talk to bindgate; --direct talks to named")
	case !o.direct && set["rndc-addr"]:
		return o, errors.New("--rndc-addr is for --direct")
	case o.timeout <= 0:
		return o, errors.New("--timeout must be positive")
	}
	return o, nil
}

// prepare reads the key file, makes the new key and checks, before anything is written, that
// whoever will switch accepts the key in the file now.
func (r *rotation) prepare(ctx context.Context) error {
	path, err := filepath.EvalSymlinks(r.o.keyFile)
	if err != nil {
		return err
	}
	if r.path, err = filepath.Abs(path); err != nil {
		return err
	}
	fi, err := os.Stat(r.path)
	if err != nil {
		return err
	}
	r.mode, r.uid, r.gid = fi.Mode().Perm(), -1, -1
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		r.uid, r.gid = int(st.Uid), int(st.Gid)
	}
	if r.orig, err = os.ReadFile(r.path); err != nil {
		return err
	}
	conf, err := bindkey.LoadRNDCConf(r.path)
	if err != nil {
		return err
	}
	if len(conf.Files) != 1 || len(conf.Keys) != 1 || conf.DefaultKey != "" || conf.DefaultServer != "" ||
		conf.DefaultPort != 0 || len(conf.Servers) != 0 {
		return fmt.Errorf("%s: not a key file (one key statement, no include, options or server): "+
			"rotate the key file that rndc.conf or named.conf includes", r.path)
	}
	r.old = conf.Keys[0]
	r.nw = bindkey.Key{Name: r.old.Name, Algorithm: r.old.Algorithm, Secret: make([]byte, SecretBytes)}
	_, _ = rand.Read(r.nw.Secret) // crypto/rand.Read never fails (Go 1.24+)
	if r.o.algorithm != "" {
		if r.nw.Algorithm, err = bindkey.ParseAlgorithm(r.o.algorithm); err != nil {
			return fmt.Errorf("--algorithm: %w", err)
		}
	}
	if r.o.name != "" && r.o.name != r.old.Name {
		if !bindkey.ValidKeyName(r.o.name) {
			return errors.New("--name: key name must be 1-253 letters, digits, '.', '_' or '-'")
		}
		if !r.o.direct {
			return fmt.Errorf("--name %q renames key %q: bindgate refuses a rotation that renames the key "+
				"(named.conf's controls and the zones' allow-update name it); keep the name, or use --direct "+
				"after changing those, then restart bindgate", r.o.name, r.old.Name)
		}
		r.nw.Name = r.o.name
	}
	fmt.Fprintf(r.env.Stdout, "key file %s: key %q (%s), fingerprint %s\n", r.path, r.old.Name, r.old.Algorithm, keyrot.Fingerprint(r.old))
	if r.o.direct {
		if err := r.env.Prober(r.o.rndcAddr).Status(ctx, r.old); err != nil {
			return fmt.Errorf("named at %s does not accept the key in %s (%w): is named running, and is this the key named.conf includes?", r.o.rndcAddr, r.path, err)
		}
		return nil
	}
	if r.o.tokenFile != "" {
		b, err := os.ReadFile(r.o.tokenFile)
		if err != nil {
			return fmt.Errorf("--token-file: %w", err)
		}
		r.token = strings.TrimSpace(string(b))
	} else {
		r.token, _ = r.env.Getenv("BINDGATE_TOKEN")
	}
	var st keyrot.Status
	if _, err := r.call(ctx, http.MethodGet, "/api/v1/server/status", &st); err != nil {
		return fmt.Errorf("bindgate at %s: %w (bindgate not running here? use --direct)", r.o.url, err)
	}
	if st.Key.Fingerprint != keyrot.Fingerprint(r.old) || st.Key.Name != r.old.Name {
		return fmt.Errorf("bindgate uses key %q fingerprint %s, %s holds %q fingerprint %s: bindgate does not read this "+
			"file, or has not caught up with it (see keyState in GET /api/v1/server/status)",
			st.Key.Name, st.Key.Fingerprint, r.path, r.old.Name, keyrot.Fingerprint(r.old))
	}
	return nil
}

// call sends a request to bindgate and decodes a 200 answer into v; it returns the body.
func (r *rotation) call(ctx context.Context, method, path string, v any) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(r.o.url, "/")+path, nil)
	if err != nil {
		return nil, err
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	resp, err := r.env.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(body))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return body, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return body, nil
}

// write replaces the key file with data, keeping its mode and owner.
func (r *rotation) write(ctx context.Context, data []byte) error {
	root, err := os.OpenRoot(filepath.Dir(r.path))
	if err != nil {
		return err
	}
	defer root.Close()
	err = atomicfile.WriteOwned(ctx, root, filepath.Base(r.path), data, r.mode, r.uid, r.gid)
	if err != nil {
		// Only the directory fsync fails after the rename: the content is in place.
		if now, rerr := os.ReadFile(r.path); rerr == nil && bytes.Equal(now, data) {
			fmt.Fprintf(r.env.Stderr, "warning: %v (the new content is in place)\n", err)
			return nil
		}
	}
	return err
}

func (r *rotation) rotate(ctx context.Context) int {
	text, err := bindkey.KeyFileText(r.nw)
	if err != nil {
		fmt.Fprintf(r.env.Stderr, "bindgate rotate-key: %v\nNothing was changed.\n", err)
		return ExitUsage
	}
	if err := r.write(ctx, text); err != nil {
		fmt.Fprintf(r.env.Stderr, "bindgate rotate-key: writing %s: %v\nNothing was changed.\n", r.path, err)
		return ExitNotRotated
	}
	nfp := keyrot.Fingerprint(r.nw)
	fmt.Fprintf(r.env.Stdout, "wrote new key %q (%s), fingerprint %s\n", r.nw.Name, r.nw.Algorithm, nfp)
	var why string
	if r.o.direct {
		why = r.switchDirect(ctx)
	} else {
		why = r.switchBindgate(ctx)
	}
	if why == "" {
		fmt.Fprintf(r.env.Stdout, "rotated: named uses key %q fingerprint %s; the old key (fingerprint %s) is retired\n",
			r.nw.Name, nfp, keyrot.Fingerprint(r.old))
		return ExitRotated
	}
	return r.restore(why)
}

// switchBindgate asks bindgate to switch; "" when bindgate and named use the new key.
func (r *rotation) switchBindgate(ctx context.Context) string {
	var rep keyrot.Report
	body, err := r.call(ctx, http.MethodPost, "/api/v1/server/keys/reload", &rep)
	if err != nil {
		return fmt.Sprintf("bindgate: %v", err)
	}
	fmt.Fprintf(r.env.Stdout, "bindgate: %s\n", bytes.TrimSpace(body))
	// unchanged: bindgate's file watcher switched before the request came.
	if (rep.Result == keyrot.Rotated || rep.Result == keyrot.Unchanged) &&
		rep.State == keyrot.StateOK && rep.Key.Fingerprint == keyrot.Fingerprint(r.nw) {
		return ""
	}
	why := fmt.Sprintf("bindgate answered result %q, keyState %q", rep.Result, rep.State)
	if rep.Reason != "" {
		why += ": " + rep.Reason
	}
	return why
}

// switchDirect drives named as keyrot's Switch does; "" when named proved the new key.
func (r *rotation) switchDirect(ctx context.Context) string {
	p := r.env.Prober(r.o.rndcAddr)
	recErr := p.Reconfig(ctx, r.old)
	proveErr := p.Status(ctx, r.nw)
	switch {
	case proveErr == nil && recErr != nil:
		fmt.Fprintf(r.env.Stdout, "named already had the new key (reconfig with the old key: %v)\n", recErr)
		return ""
	case proveErr == nil:
		return ""
	case recErr == nil && p.KeyRefused(proveErr):
		return fmt.Sprintf("named reloaded its configuration but refuses the new key (%v): does named.conf include %s, "+
			"and do its controls name key %q?", proveErr, r.path, r.nw.Name)
	default:
		return fmt.Sprintf("reconfig with the old key: %v; status with the new key: %v", errOK(recErr), proveErr)
	}
}

func errOK(err error) error {
	if err == nil {
		return errors.New("ok")
	}
	return err
}

// restore puts the old key back after a failed switch and says where things stand.
func (r *rotation) restore(why string) int {
	ofp, nfp := keyrot.Fingerprint(r.old), keyrot.Fingerprint(r.nw)
	fmt.Fprintf(r.env.Stderr, "bindgate rotate-key: named was not moved to the new key: %s\n", why)
	// The run's deadline may be what failed; the restore gets its own.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.write(ctx, r.orig); err != nil {
		fmt.Fprintf(r.env.Stderr, "bindgate rotate-key: could not write the old key back to %s: %v\n"+
			"STATE: %s holds the NEW key (fingerprint %s); named and bindgate were still on the OLD key (fingerprint %s).\n"+
			"RECOVER: restart named so that it loads %s; bindgate follows the file by itself (or: SIGHUP, "+
			"POST /api/v1/server/keys/reload). Check with: rndc -k %s status\n", r.path, err, r.path, nfp, ofp, r.path, r.path)
		return ExitInconsistent
	}
	if r.o.direct {
		return r.settleDirect(ctx, ofp, nfp)
	}
	// bindgate follows the file: let it see the old key again now, and show its state.
	var rep keyrot.Report
	body, err := r.call(ctx, http.MethodPost, "/api/v1/server/keys/reload", &rep)
	if err == nil {
		fmt.Fprintf(r.env.Stdout, "bindgate: %s\n", bytes.TrimSpace(body))
	}
	fmt.Fprintf(r.env.Stderr, "STATE: the old key (fingerprint %s) is back in %s and still in use; nothing changed.\n"+
		"Fix the cause and run again. Check with: rndc -k %s status\n", ofp, r.path, r.path)
	return ExitNotRotated
}

// settleDirect checks, after the restore, that named is on the old key, moving it back when
// it took the new one.
func (r *rotation) settleDirect(ctx context.Context, ofp, nfp string) int {
	p := r.env.Prober(r.o.rndcAddr)
	oldErr := p.Status(ctx, r.old)
	if oldErr != nil && p.Status(ctx, r.nw) == nil {
		// named took the new key although the proof failed: reload it onto the restored file.
		if err := p.Reconfig(ctx, r.nw); err == nil {
			oldErr = p.Status(ctx, r.old)
		}
		if oldErr != nil {
			fmt.Fprintf(r.env.Stderr, "STATE: %s holds the OLD key (fingerprint %s) again, but named uses the NEW key "+
				"(fingerprint %s) and could not be moved back: %v\nRECOVER: restart named so that it loads %s.\n",
				r.path, ofp, nfp, oldErr, r.path)
			return ExitInconsistent
		}
	}
	if oldErr != nil {
		fmt.Fprintf(r.env.Stderr, "STATE: the old key (fingerprint %s) is back in %s; named does not answer now (%v) "+
			"and loads that key when it starts.\n", ofp, r.path, oldErr)
		return ExitNotRotated
	}
	fmt.Fprintf(r.env.Stderr, "STATE: the old key (fingerprint %s) is back in %s and named still uses it; nothing changed.\n"+
		"Fix the cause and run again. Check with: rndc -k %s status\n", ofp, r.path, r.path)
	return ExitNotRotated
}
