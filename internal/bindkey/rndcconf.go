package bindkey

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// MaxIncludeDepth bounds include nesting (CONTRACT §19 A17).
const MaxIncludeDepth = 32

// RNDCConf is what bindgate reads from rndc.conf (and the files it includes).
type RNDCConf struct {
	Keys          []Key
	DefaultServer string
	DefaultKey    string
	DefaultPort   uint16 // 0 = unset
	Servers       []ServerConf
	Files         []string // every file read, for watching
}

// ServerConf is a `server <addr> { key; port; };` statement.
type ServerConf struct {
	Addr string
	Key  string
	Port uint16
}

// LoadRNDCConf reads rndc.conf at path, following includes relative to the including file.
func LoadRNDCConf(path string) (RNDCConf, error) {
	var c RNDCConf
	err := c.load(path, 0, map[string]bool{}, os.ReadFile)
	return c, err
}

// ParseRNDCConf parses rndc.conf text; includes are read with read (tests and fuzzing pass one
// that never touches the disk).
func ParseRNDCConf(data []byte, name string, read func(string) ([]byte, error)) (RNDCConf, error) {
	var c RNDCConf
	c.Files = append(c.Files, name)
	err := c.parse(data, name, 0, map[string]bool{name: true}, read)
	return c, err
}

func (c *RNDCConf) load(path string, depth int, seen map[string]bool, read func(string) ([]byte, error)) error {
	if depth > MaxIncludeDepth {
		return fmt.Errorf("%s: include nesting deeper than %d", path, MaxIncludeDepth)
	}
	abs := filepath.Clean(path)
	if seen[abs] {
		return fmt.Errorf("%s: include cycle", path)
	}
	seen[abs] = true
	defer delete(seen, abs)
	data, err := read(abs)
	if err != nil {
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err // the path is already in the message
		}
		return fmt.Errorf("read %s: %w", path, err)
	}
	c.Files = append(c.Files, abs)
	return c.parse(data, abs, depth, seen, read)
}

func (c *RNDCConf) parse(data []byte, name string, depth int, seen map[string]bool, read func(string) ([]byte, error)) error {
	sts, err := parse(data, name)
	if err != nil {
		return err
	}
	for _, s := range sts {
		if len(s.words) == 0 {
			return fmt.Errorf("%s: offset %d: %w: block without a keyword", name, s.off, ErrSyntax)
		}
		switch strings.ToLower(s.words[0]) {
		case "include":
			if len(s.words) != 2 || s.hasBl {
				return fmt.Errorf("%s: offset %d: %w: include takes one path", name, s.off, ErrSyntax)
			}
			p := s.words[1]
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(name), p)
			}
			if err := c.load(p, depth+1, seen, read); err != nil {
				return err
			}
		case "key":
			k, err := keyFrom(s, name)
			if err != nil {
				return err
			}
			c.Keys = append(c.Keys, k)
		case "options":
			if err := c.options(s, name); err != nil {
				return err
			}
		case "server":
			sc, err := server(s, name)
			if err != nil {
				return err
			}
			c.Servers = append(c.Servers, sc)
		default:
			// Other rndc.conf statements do not concern bindgate; the parser already checked
			// their syntax.
		}
	}
	return nil
}

func (c *RNDCConf) options(s stmt, name string) error {
	if !s.hasBl {
		return fmt.Errorf("%s: offset %d: %w: options needs a block", name, s.off, ErrSyntax)
	}
	for _, o := range s.block {
		if len(o.words) == 0 {
			continue
		}
		switch strings.ToLower(o.words[0]) {
		case "default-server":
			if len(o.words) != 2 {
				return fmt.Errorf("%s: offset %d: %w: default-server takes one value", name, o.off, ErrSyntax)
			}
			c.DefaultServer = o.words[1]
		case "default-key":
			if len(o.words) != 2 {
				return fmt.Errorf("%s: offset %d: %w: default-key takes one value", name, o.off, ErrSyntax)
			}
			c.DefaultKey = o.words[1]
		case "default-port":
			p, err := port(o, name)
			if err != nil {
				return err
			}
			c.DefaultPort = p
		}
	}
	return nil
}

func server(s stmt, name string) (ServerConf, error) {
	if len(s.words) != 2 || !s.hasBl {
		return ServerConf{}, fmt.Errorf("%s: offset %d: %w: server needs an address and a block", name, s.off, ErrSyntax)
	}
	sc := ServerConf{Addr: s.words[1]}
	for _, o := range s.block {
		if len(o.words) == 0 {
			continue
		}
		switch strings.ToLower(o.words[0]) {
		case "key":
			if len(o.words) != 2 {
				return sc, fmt.Errorf("%s: offset %d: %w: key takes one name", name, o.off, ErrSyntax)
			}
			sc.Key = o.words[1]
		case "port":
			p, err := port(o, name)
			if err != nil {
				return sc, err
			}
			sc.Port = p
		}
	}
	return sc, nil
}

func port(o stmt, name string) (uint16, error) {
	if len(o.words) != 2 {
		return 0, fmt.Errorf("%s: offset %d: %w: %s takes one number", name, o.off, ErrSyntax, o.words[0])
	}
	n, err := strconv.Atoi(o.words[1])
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%s: offset %d: %s must be 1-65535 (CONTRACT A16)", name, o.off, o.words[0])
	}
	return uint16(n), nil
}

// Server returns the server statement for addr, if any.
func (c RNDCConf) Server(addr string) (ServerConf, bool) {
	for _, s := range c.Servers {
		if s.Addr == addr {
			return s, true
		}
	}
	return ServerConf{}, false
}

// ResolveKey picks the key: name when given; else the default server's key, default-key, or
// the only key. Several keys and no default is an error, never an arbitrary pick (A18).
func (c RNDCConf) ResolveKey(name string) (Key, error) {
	if name == "" {
		if s, ok := c.Server(c.DefaultServer); ok && s.Key != "" {
			name = s.Key
		} else {
			name = c.DefaultKey
		}
	}
	if name != "" {
		for _, k := range c.Keys {
			if k.Name == name {
				return k, nil
			}
		}
		return Key{}, fmt.Errorf("rndc.conf has no key %q", name)
	}
	switch len(c.Keys) {
	case 0:
		return Key{}, errors.New("rndc.conf has no key")
	case 1:
		return c.Keys[0], nil
	}
	return Key{}, fmt.Errorf("rndc.conf has %d keys and no default-key; set RNDC_KEY_NAME", len(c.Keys))
}
