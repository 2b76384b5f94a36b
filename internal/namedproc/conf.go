package namedproc

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bindgate/bindgate/internal/atomicfile"
	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/quote"
)

// newKey returns opts.Key (copied, named KeyName when it has no name) or a fresh hmac-sha256
// key of 32 random bytes.
func newKey(opts Options) (bindkey.Key, error) {
	var k bindkey.Key
	if opts.Key != nil {
		k = *opts.Key
		k.Secret = append([]byte(nil), opts.Key.Secret...)
		if k.Name == "" {
			k.Name = opts.KeyName
		}
	} else {
		k = bindkey.Key{Name: opts.KeyName, Algorithm: bindkey.HMACSHA256, Secret: make([]byte, 32)}
		if _, err := rand.Read(k.Secret); err != nil {
			return bindkey.Key{}, fmt.Errorf("generate key: %w", err)
		}
	}
	if err := checkKey(k); err != nil {
		return bindkey.Key{}, err
	}
	return k, nil
}

// checkKey refuses a key that is invalid or whose name could not be written into named.conf.
func checkKey(k bindkey.Key) error {
	if err := k.Validate(); err != nil {
		return fmt.Errorf("key %q: %w", k.Name, err)
	}
	if strings.ContainsAny(k.Name, "\"\\;{} \t\r\n") {
		return fmt.Errorf("key name %q: quotes, backslashes, braces, semicolons and spaces are not allowed", k.Name)
	}
	return nil
}

// bindString renders s as a BIND quoted string. Control characters are refused, since they
// have no place in a path or key name.
func bindString(s string) (string, error) {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("control character in %q", s)
		}
	}
	return quote.BIND(s), nil
}

// configFiles returns the contents of rndc.key, named.conf and rndc.conf for n's ports.
func (n *Named) configFiles() (keyText, conf, rndcConf string, err error) {
	q := func(s string) string {
		if err != nil {
			return ""
		}
		var out string
		out, err = bindString(s)
		return out
	}
	name := q(n.Key.Name)
	keys := []bindkey.Key{n.Key}
	names := []string{name}
	for _, k := range n.opts.ControlKeys {
		keys = append(keys, k)
		names = append(names, q(k.Name))
	}
	keyPath, zoneDir := q(n.KeyPath), q(n.ZoneDir)
	pidFile, sessionKey := q(filepath.Join(n.Dir, "named.pid")), q(filepath.Join(n.Dir, "session.key"))
	if err != nil {
		return "", "", "", err
	}
	extra := n.opts.ExtraOptions
	if !strings.Contains(extra, "dnssec-validation") {
		// With validation on, named fetches the root DNSKEY set from the root servers;
		// nothing here may leave loopback.
		extra = "dnssec-validation no;\n\t" + extra
	}
	if !strings.Contains(extra, "allow-new-zones") {
		// bindgate adds zones with addzone; a test of the refusal sets it to no.
		extra = "allow-new-zones yes;\n\t" + extra
	}
	var kt strings.Builder
	for i, k := range keys {
		fmt.Fprintf(&kt, "key %s {\n\talgorithm %s;\n\tsecret \"%s\";\n};\n", names[i], k.Algorithm, k.SecretBase64())
	}
	keyText = kt.String()
	keyClause := "include " + keyPath + ";"
	if n.opts.InlineKey {
		keyClause = strings.TrimSuffix(keyText, "\n")
	}
	conf = fmt.Sprintf(`// Written by bindgate (internal/namedproc). named -g logs to stderr; no logging clause.
%s

options {
	directory %s;
	pid-file %s;
	session-keyfile %s;
	listen-on port %d { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	// NOTIFY goes only to also-notify lists, which stay on loopback.
	notify explicit;
	allow-transfer { 127.0.0.0/8; };
	%s
};

controls {
	inet 127.0.0.1 port %d allow { 127.0.0.1; } keys { %s; };
};
`, keyClause, zoneDir, pidFile, sessionKey, n.dnsPort(), extra, n.ctlPort(), strings.Join(names, "; "))
	rndcConf = fmt.Sprintf(`// Written by bindgate (internal/namedproc). Try: rndc -c %s status
include %s;

options {
	default-server 127.0.0.1;
	default-port %d;
	default-key %s;
};
`, n.RNDCConfPath, keyPath, n.ctlPort(), name)
	return keyText, conf, rndcConf, nil
}

// writeFiles creates Dir and ZoneDir and writes the key, named.conf and rndc.conf; with a User,
// it chowns Dir's tree to that user.
func (n *Named) writeFiles(ctx context.Context) error {
	if err := os.MkdirAll(n.ZoneDir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", n.ZoneDir, err)
	}
	keyText, conf, rndcConf, err := n.configFiles()
	if err != nil {
		return err
	}
	for _, f := range []struct {
		path, text string
		mode       fs.FileMode
	}{{n.KeyPath, keyText, 0o600}, {n.ConfPath, conf, 0o644}, {n.RNDCConfPath, rndcConf, 0o600}} {
		if err := writeFile(ctx, f.path, f.text, f.mode); err != nil {
			return err
		}
	}
	if n.opts.User != "" {
		return chownTree(n.Dir, n.opts.User)
	}
	return nil
}

// writeFile replaces path with text through internal/atomicfile, so a crash never leaves a
// half-written configuration and the mode holds even if path existed.
func writeFile(ctx context.Context, path, text string, mode fs.FileMode) error {
	root, err := os.OpenRoot(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer root.Close()
	return atomicfile.Write(ctx, root, filepath.Base(path), []byte(text), mode)
}

// chownTree gives dir and everything under it to the named user and its primary group.
func chownTree(dir, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("user %q: %w", name, err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("user %q: %w", name, err)
	}
	err = filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err != nil {
		return fmt.Errorf("chown %s to %s: %w", dir, name, err)
	}
	return nil
}
