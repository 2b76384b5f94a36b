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
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// Bounds on process handling.
const (
	stopGrace = 10 * time.Second       // SIGTERM to SIGKILL
	killWait  = 5 * time.Second        // SIGKILL to giving up
	waitDelay = 2 * time.Second        // exec.Cmd.WaitDelay: output copying after exit
	pollEvery = 25 * time.Millisecond  // readiness polling
	probeWait = 250 * time.Millisecond // one readiness probe
)

// errPortInUse is wrapped when named could not bind one of its ports.
var errPortInUse = errors.New("port already in use")

// errStartTimeout is wrapped when named is not ready within Options.StartTimeout.
var errStartTimeout = errors.New("start-up timed out")

// proc is one named process.
type proc struct {
	cmd     *exec.Cmd
	done    chan struct{} // closed once the process is reaped
	logFile *os.File      // Dir/named.log when Options.Log is nil
	watch   *logWatch
}

// launch starts named as a child and waits until it is ready. On failure the child is gone.
func (n *Named) launch(ctx context.Context) error {
	args := []string{"-g", "-c", n.ConfPath}
	if n.opts.User != "" {
		args = append(args, "-u", n.opts.User)
	}
	cmd := exec.Command(n.opts.NamedPath, args...)
	cmd.Dir = n.Dir
	cmd.Env = []string{"PATH=" + envPath()} // docs/contract.md §19 A-5: PATH only
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = waitDelay
	p := &proc{cmd: cmd, done: make(chan struct{}), watch: &logWatch{}}
	out := io.Writer(p.watch)
	if n.opts.Log != nil {
		out = io.MultiWriter(p.watch, n.opts.Log)
	} else {
		f, err := os.OpenFile(filepath.Join(n.Dir, "named.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("open named log: %w", err)
		}
		p.logFile = f
		out = io.MultiWriter(p.watch, f)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		p.closeLog()
		return fmt.Errorf("start %s: %w", n.opts.NamedPath, err)
	}
	// Owned by p: it ends when the process is reaped, which stop waits for (bounded by
	// stopGrace, killWait and cmd.WaitDelay).
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	if err := n.waitReady(ctx, p); err != nil {
		p.stop()
		return err
	}
	n.mu.Lock()
	n.proc = p
	n.mu.Unlock()
	return nil
}

// envPath is the PATH named gets: the caller's, or a default when that is empty.
func envPath() string {
	if p := os.Getenv("PATH"); p != "" {
		return p
	}
	return "/usr/sbin:/usr/bin:/sbin:/bin"
}

// waitReady returns once named has logged "running", accepts TCP connections on the control
// port and answers DNS, or fails when named exits, reports a bind failure, ctx ends or
// StartTimeout passes.
func (n *Named) waitReady(ctx context.Context, p *proc) error {
	ctx, cancel := context.WithTimeoutCause(ctx, n.opts.StartTimeout, errStartTimeout)
	defer cancel()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		running, conflict, fatal := p.watch.state()
		switch {
		case conflict != "":
			return fmt.Errorf("named on %s / control %s: %w: %s\nnamed's last lines:\n%s",
				n.DNSAddr, n.ControlAddr, errPortInUse, conflict, p.watch.lastLines())
		case fatal != "":
			return fmt.Errorf("named has no control channel: %s\nnamed's last lines:\n%s", fatal, p.watch.lastLines())
		case running && n.probe(ctx):
			return nil
		}
		select {
		case <-p.done:
			// The log is complete once the process is reaped; a bind failure that made it exit
			// is reported as such, so Start can retry on other ports.
			if _, conflict, _ := p.watch.state(); conflict != "" {
				return fmt.Errorf("named exited: %w: %s\nnamed's last lines:\n%s", errPortInUse, conflict, p.watch.lastLines())
			}
			return fmt.Errorf("named exited during start-up (%s)\nnamed's last lines:\n%s",
				p.cmd.ProcessState, p.watch.lastLines())
		case <-ctx.Done():
			if cause := context.Cause(ctx); errors.Is(cause, errStartTimeout) {
				return fmt.Errorf("named not ready within %s: %w\nnamed's last lines:\n%s",
					n.opts.StartTimeout, cause, p.watch.lastLines())
			}
			return fmt.Errorf("start named: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// probe reports whether the control port accepts a TCP connection and the DNS port answers a
// CHAOS TXT version.bind query over UDP (any reply, even REFUSED, will do).
func (n *Named) probe(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, probeWait)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", n.ControlAddr)
	if err != nil {
		return false
	}
	c.Close()
	m := new(dns.Msg)
	m.SetQuestion("version.bind.", dns.TypeTXT)
	m.Question[0].Qclass = dns.ClassCHAOS
	_, _, err = (&dns.Client{Net: "udp"}).ExchangeContext(ctx, m, n.DNSAddr)
	return err == nil
}

// stop ends the process: SIGTERM to its PID, then SIGKILL to its process group after
// stopGrace. It returns once the process is reaped, or with an error after killWait more.
func (p *proc) stop() error {
	err := p.signalAndWait()
	if err == nil {
		p.closeLog() // reaped: nothing writes to it any more
	}
	return err
}

func (p *proc) signalAndWait() error {
	pid := p.cmd.Process.Pid
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGCONT) // a test may have stopped it
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	grace := time.NewTimer(stopGrace)
	defer grace.Stop()
	select {
	case <-p.done:
		return nil
	case <-grace.C:
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	_ = p.cmd.Process.Kill()
	kill := time.NewTimer(killWait)
	defer kill.Stop()
	select {
	case <-p.done:
		return nil
	case <-kill.C:
		return fmt.Errorf("named (pid %d) still running %s after SIGKILL", pid, killWait)
	}
}

// closeLog closes Dir/named.log; only once the process is reaped or was never started.
func (p *proc) closeLog() {
	if p.logFile != nil {
		p.logFile.Close()
		p.logFile = nil
	}
}

// PID returns the process id of the running named, or 0 when it is stopped.
func (n *Named) PID() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.proc == nil {
		return 0
	}
	return n.proc.cmd.Process.Pid
}

// Alive reports whether the named process started by Start or Restart is still running.
func (n *Named) Alive() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.proc == nil {
		return false
	}
	select {
	case <-n.proc.done:
		return false
	default:
		return true
	}
}

// Stop sends SIGTERM to named's PID, waits up to 10 s, then SIGKILLs its process group, and
// returns once the child is reaped. Stopping a stopped Named does nothing.
func (n *Named) Stop() error {
	n.life.Lock()
	defer n.life.Unlock()
	return n.stopLocked()
}

func (n *Named) stopLocked() error {
	n.mu.Lock()
	p := n.proc
	n.proc = nil
	n.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.stop()
}

// Restart stops named and starts it again with the same files and ports. A port taken in the
// meantime is retried for up to StartTimeout.
func (n *Named) Restart(ctx context.Context) error {
	n.life.Lock()
	defer n.life.Unlock()
	if err := n.stopLocked(); err != nil {
		return err
	}
	deadline := time.Now().Add(n.opts.StartTimeout)
	for {
		err := n.launch(ctx)
		if err == nil || !errors.Is(err, errPortInUse) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("restart named: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
