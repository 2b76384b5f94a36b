package namedproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/bindgate/bindgate/internal/bindkey"
)

// ErrNotFound is returned by Find (and Start) when there is no named binary.
var ErrNotFound = errors.New("named not found on PATH or in /usr/sbin; install it with: apt-get install -y bind9 bind9-utils bind9-dnsutils")

// Defaults for Options.
const (
	DefaultKeyName      = "bindgate-key"
	DefaultStartTimeout = 15 * time.Second
	startAttempts       = 3
)

// Options configure Start. The zero value starts named on free ports in a new temporary
// directory with a generated key.
type Options struct {
	Dir          string        // state dir (created 0755 if missing); "" -> os.MkdirTemp, which the caller removes after Stop
	DNSPort      int           // 0 -> a port free for TCP and UDP on 127.0.0.1
	ControlPort  int           // 0 -> a free port
	KeyName      string        // default "bindgate-key"; used when Key is nil or has no name
	Key          *bindkey.Key  // nil -> a generated hmac-sha256 key of 32 random bytes
	NamedPath    string        // "" -> Find()
	User         string        // optional `named -u User`; Dir is then chowned to that user
	Log          io.Writer     // named's stderr (-g logs there); nil -> the file Dir/named.log
	ExtraOptions string        // appended inside options { }; may set allow-new-zones or dnssec-validation itself
	ControlKeys  []bindkey.Key // more keys the control channel accepts beside Key (one per algorithm, say); written to KeyPath too
	StartTimeout time.Duration // per start attempt; default 15s
	// InlineKey writes the keys into named.conf instead of including KeyPath: a rotated key
	// file is then never loaded by named (issue 10's "named.conf does not include the file").
	// By default named.conf includes KeyPath, so `rndc reconfig` loads a replaced key.
	InlineKey bool
}

// Named is a private named started by Start. Its exported fields are fixed by Start and only
// read afterwards; its methods are safe for concurrent use.
type Named struct {
	Dir, ZoneDir, ConfPath, KeyPath, RNDCConfPath string // ZoneDir = Dir/zones, named's `directory`
	DNSAddr, ControlAddr                          string // "127.0.0.1:port"
	Key                                           bindkey.Key

	opts Options
	life sync.Mutex // serialises Stop and Restart
	mu   sync.Mutex // guards proc
	proc *proc      // nil when stopped
}

// Find returns the path of named: PATH first, then /usr/sbin/named, where Debian puts it (often
// off a non-root PATH). It returns ErrNotFound, whose text has the install command, otherwise.
func Find() (string, error) {
	if p, err := exec.LookPath("named"); err == nil {
		return p, nil
	}
	if st, err := os.Stat("/usr/sbin/named"); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
		return "/usr/sbin/named", nil
	}
	return "", ErrNotFound
}

// Start writes the key, named.conf and rndc.conf into opts.Dir and starts named as a child,
// returning once it is ready (see the package documentation). When named cannot bind a port
// that Start picked, it tries again on new ports, three attempts in all. ctx bounds start-up
// only; the process runs until Stop. On error no named is left running (and a Dir that Start
// created is removed); the error ends with named's last log lines.
func Start(ctx context.Context, opts Options) (*Named, error) {
	if opts.NamedPath == "" {
		p, err := Find()
		if err != nil {
			return nil, err
		}
		opts.NamedPath = p
	}
	if opts.KeyName == "" {
		opts.KeyName = DefaultKeyName
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	if opts.DNSPort < 0 || opts.DNSPort > 65535 || opts.ControlPort < 0 || opts.ControlPort > 65535 {
		return nil, fmt.Errorf("ports out of range: DNS %d, control %d", opts.DNSPort, opts.ControlPort)
	}
	key, err := newKey(opts)
	if err != nil {
		return nil, err
	}
	for _, k := range opts.ControlKeys {
		if err := checkKey(k); err != nil {
			return nil, err
		}
	}
	if opts.Dir == "" {
		if opts.Dir, err = os.MkdirTemp("", "bindgate-named-"); err != nil {
			return nil, fmt.Errorf("state dir: %w", err)
		}
		n, err := start(ctx, opts, key)
		if err != nil {
			os.RemoveAll(opts.Dir)
		}
		return n, err
	}
	return start(ctx, opts, key)
}

// start is Start once opts has its defaults and opts.Dir is set.
func start(ctx context.Context, opts Options, key bindkey.Key) (*Named, error) {
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}
	n := &Named{
		Dir:          dir,
		ZoneDir:      filepath.Join(dir, "zones"),
		ConfPath:     filepath.Join(dir, "named.conf"),
		KeyPath:      filepath.Join(dir, "rndc.key"),
		RNDCConfPath: filepath.Join(dir, "rndc.conf"),
		Key:          key,
		opts:         opts,
	}
	for attempt := 1; ; attempt++ {
		dnsPort, ctlPort, err := pickPorts(opts.DNSPort, opts.ControlPort)
		if err != nil {
			return nil, err
		}
		n.DNSAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(dnsPort))
		n.ControlAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ctlPort))
		if err := n.writeFiles(ctx); err != nil {
			return nil, err
		}
		err = n.launch(ctx)
		if err == nil {
			return n, nil
		}
		picked := opts.DNSPort == 0 || opts.ControlPort == 0
		if !errors.Is(err, errPortInUse) || !picked || attempt == startAttempts || ctx.Err() != nil {
			return nil, err
		}
	}
}

// dnsPort and ctlPort return the ports of DNSAddr and ControlAddr.
func (n *Named) dnsPort() int { return port(n.DNSAddr) }
func (n *Named) ctlPort() int { return port(n.ControlAddr) }

func port(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	i, _ := strconv.Atoi(p)
	return i
}

// BindgateEnv is the environment a bindy pod would give bindgate, pointed at this named: the
// zone directory, the control channel and its key, and the RFC 2136 target. Callers add the
// authentication settings and the API port.
func (n *Named) BindgateEnv() map[string]string {
	_, dnsPort, _ := net.SplitHostPort(n.DNSAddr)
	return map[string]string{
		"BIND_ZONE_DIR":      n.ZoneDir,
		"BINDGATE_STATE_DIR": filepath.Join(n.Dir, "bindgate-state"),
		"BIND_API_ADDRESS":   "127.0.0.1",
		"RNDC_CONF":          n.RNDCConfPath,
		"RNDC_SERVER":        n.ControlAddr,
		"RNDC_ALGORITHM":     n.Key.Algorithm.String(),
		"RNDC_SECRET":        n.Key.SecretBase64(),
		"RNDC_KEY_NAME":      n.Key.Name,
		"NSUPDATE_SERVER":    "127.0.0.1",
		"NSUPDATE_PORT":      dnsPort,
		// A free port per bindgate: tests run many side by side.
		"BINDGATE_NOTIFY_ADDR": "127.0.0.1:0",
	}
}
