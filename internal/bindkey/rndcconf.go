package bindkey

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// MaxIncludeDepth bounds include nesting: rndc.conf may include 32 files deep, not 33
// (docs/contract.md §19 A17).
const MaxIncludeDepth = 32

// maxFileSize bounds every file read; real rndc.conf and key files are a few hundred bytes.
const maxFileSize = 1 << 20

// ErrInclude is wrapped when includes nest deeper than MaxIncludeDepth or form a cycle.
var ErrInclude = errors.New("bad include")

// ErrAmbiguousKey is wrapped when rndc.conf defines several keys, names no default-key and the
// caller names none either (docs/contract.md §19 A18).
var ErrAmbiguousKey = errors.New("several keys and no default-key")

// RNDCConf is what bindgate takes from rndc.conf and the files it includes.
type RNDCConf struct {
	Keys          []Key
	DefaultServer string       // options { default-server; }
	DefaultKey    string       // options { default-key; }
	DefaultPort   uint16       // options { default-port; }, 0 = unset
	Servers       []ServerConf // server statements, in file order
	Files         []string     // every file read, in order and without repeats, for watching
}

// ServerConf is a `server <addr> { key <name>; port <n>; };` statement. Port 0 = unset.
type ServerConf struct {
	Addr string
	Key  string
	Port uint16
}

// loader reads one file. Tests and fuzzing pass one that never touches the disk.
type loader func(path string) ([]byte, error)

// LoadRNDCConf reads rndc.conf at path, following includes relative to the including file's
// directory. A file may be included twice (not recursively), but a key name may be defined only
// once. Statements other than key, options, server and include are errors; unknown clauses
// inside options and server are skipped. On error Files still lists the files read so far, so
// a caller can watch them and retry; errors from reading wrap the fs error
// (errors.Is(err, fs.ErrNotExist) works).
func LoadRNDCConf(path string) (RNDCConf, error) {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	path = filepath.Clean(path)
	data, err := readFile(path)
	if err != nil {
		return RNDCConf{}, err
	}
	return parseRNDCConf(data, path, readFile)
}

// readFile reads a regular file of at most maxFileSize bytes. Its errors name the path, never
// the content.
func readFile(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, pathErr(path, err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, pathErr(path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("read %s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(fh, maxFileSize+1))
	if err != nil {
		return nil, pathErr(path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("read %s: larger than %d bytes", path, maxFileSize)
	}
	return data, nil
}

// pathErr turns "open P: E" into "read P: E", keeping E for errors.Is.
func pathErr(path string, err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		err = pe.Err
	}
	return fmt.Errorf("read %s: %w", path, err)
}

// parseRNDCConf parses rndc.conf text named name (a path: includes are relative to its
// directory) and reads includes with load.
func parseRNDCConf(data []byte, name string, load loader) (RNDCConf, error) {
	p := &confParser{load: load, active: map[string]bool{}, files: map[string]bool{}}
	name = filepath.Clean(name)
	err := p.file(data, name, 0)
	p.conf.Keys = p.keys.keys
	return p.conf, err
}

// confParser accumulates one rndc.conf and its includes.
type confParser struct {
	conf    RNDCConf
	keys    keySet
	load    loader
	active  map[string]bool // files on the include stack, for cycle detection
	files   map[string]bool // files already listed in conf.Files
	options bool            // an options statement was seen
}

func (p *confParser) file(data []byte, name string, depth int) error {
	if !p.files[name] {
		p.files[name] = true
		p.conf.Files = append(p.conf.Files, name)
	}
	p.active[name] = true
	defer delete(p.active, name)
	f, sts, err := parseFile(data, name)
	if err != nil {
		return err
	}
	for _, s := range sts {
		if s.words[0].quoted {
			return f.errAt(s.off, ErrSyntax, "a statement starts with a keyword, not a quoted string")
		}
		switch s.keyword() {
		case "include":
			err = p.include(f, s, depth)
		case "key":
			var k Key
			if k, err = keyFrom(f, s); err == nil {
				err = p.keys.add(f, s.off, k)
			}
		case "options":
			err = p.optionsStmt(f, s)
		case "server":
			err = p.server(f, s)
		default:
			// rndc accepts only these four statements; a typo must not pass silently.
			err = f.errAt(s.off, ErrSyntax, "unknown statement (rndc.conf has key, options, server and include)")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (p *confParser) include(f *file, s stmt, depth int) error {
	if len(s.words) != 2 || s.hasBl || s.arg(0) == "" {
		return f.errAt(s.off, ErrSyntax, "include takes one path")
	}
	path := s.arg(0)
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(f.name), path)
	}
	path = filepath.Clean(path)
	if depth+1 > MaxIncludeDepth {
		return f.errAt(s.off, ErrInclude, "includes nested deeper than %d", MaxIncludeDepth)
	}
	if p.active[path] {
		return f.errAt(s.off, ErrInclude, "include cycle: %s is already being read", path)
	}
	data, err := p.load(path)
	if err != nil {
		return f.errAt(s.off, err, "")
	}
	return p.file(data, path, depth+1)
}

// optionsStmt takes default-server, default-key and default-port. Other options (BIND's
// rndc.conf has more, such as default-source-address) are skipped; the parser has already
// checked that their braces balance.
func (p *confParser) optionsStmt(f *file, s stmt) error {
	if len(s.words) != 1 || !s.hasBl {
		return f.errAt(s.off, ErrSyntax, "options takes a { } block only")
	}
	if p.options {
		return f.errAt(s.off, ErrSyntax, "options given twice")
	}
	p.options = true
	seen := map[string]bool{}
	for _, o := range s.block {
		kw := o.keyword()
		switch kw {
		case "default-server", "default-key", "default-port":
		default:
			continue
		}
		if err := singleValue(f, o, seen); err != nil {
			return err
		}
		switch kw {
		case "default-server":
			p.conf.DefaultServer = o.arg(0)
		case "default-key":
			p.conf.DefaultKey = o.arg(0)
		case "default-port":
			n, err := portValue(f, o)
			if err != nil {
				return err
			}
			p.conf.DefaultPort = n
		}
	}
	return nil
}

// singleValue checks a clause that may appear once in its block and takes one value, such as
// default-key or a server's port; seen holds the keywords met so far in the block.
func singleValue(f *file, o stmt, seen map[string]bool) error {
	kw := o.keyword()
	if seen[kw] {
		return f.errAt(o.off, ErrSyntax, "%s given twice", kw)
	}
	seen[kw] = true
	if len(o.words) != 2 || o.hasBl || o.arg(0) == "" {
		return f.errAt(o.off, ErrSyntax, "%s takes one value", kw)
	}
	return nil
}

// server takes `server <addr> { key <name>; port <n>; };`; other clauses (addresses,
// source-address) are skipped.
func (p *confParser) server(f *file, s stmt) error {
	if len(s.words) != 2 || !s.hasBl || s.arg(0) == "" {
		return f.errAt(s.off, ErrSyntax, "server needs an address and a { } block")
	}
	sc := ServerConf{Addr: s.arg(0)}
	if _, dup := p.conf.Server(sc.Addr); dup {
		return f.errAt(s.off, ErrSyntax, "a server statement for this address is already defined")
	}
	seen := map[string]bool{}
	for _, o := range s.block {
		kw := o.keyword()
		if kw != "key" && kw != "port" {
			continue
		}
		if err := singleValue(f, o, seen); err != nil {
			return err
		}
		if kw == "key" {
			sc.Key = o.arg(0)
			continue
		}
		n, err := portValue(f, o)
		if err != nil {
			return err
		}
		sc.Port = n
	}
	p.conf.Servers = append(p.conf.Servers, sc)
	return nil
}

// portValue reads a port, 1-65535; anything else stops startup (docs/contract.md §19 A16).
func portValue(f *file, o stmt) (uint16, error) {
	n, err := strconv.ParseUint(o.arg(0), 10, 16)
	if err != nil || n == 0 {
		return 0, f.errAt(o.words[1].off, ErrSyntax, "%s must be a number from 1 to 65535", o.keyword())
	}
	return uint16(n), nil
}

// Server returns the server statement for addr, compared as written, if there is one.
func (c RNDCConf) Server(addr string) (ServerConf, bool) {
	for _, s := range c.Servers {
		if s.Addr == addr {
			return s, true
		}
	}
	return ServerConf{}, false
}

// ResolveKey picks the key to use: the one called name when name is given; else default-key;
// else the only key. Several keys and no default is ErrAmbiguousKey, never an arbitrary pick
// (docs/contract.md §19 A18); no matching key is ErrNoKey. Key names are not secret and do appear in
// these errors.
func (c RNDCConf) ResolveKey(name string) (Key, error) {
	what := "key"
	if name == "" && c.DefaultKey != "" {
		name, what = c.DefaultKey, "default-key"
	}
	if name != "" {
		for _, k := range c.Keys {
			if k.Name == name {
				return k, nil
			}
		}
		return Key{}, fmt.Errorf("%w: %s %q is not defined in rndc.conf", ErrNoKey, what, name)
	}
	switch len(c.Keys) {
	case 0:
		return Key{}, fmt.Errorf("%w: rndc.conf defines no key", ErrNoKey)
	case 1:
		return c.Keys[0], nil
	}
	return Key{}, fmt.Errorf("%w: rndc.conf defines %d keys; set default-key or RNDC_KEY_NAME", ErrAmbiguousKey, len(c.Keys))
}
