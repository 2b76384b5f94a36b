package zones

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Ready runs the readiness checks of docs/contract.md §13. Cached for ReadyTTL: the zone
// directory and the state directory take a written, fsynced file (so a read-only or full one
// fails), and the control channel completes a handshake and `status` within 2 s. Not cached:
// while the startup reconcile runs (StartupBegins until StartupDone, or until its deadline),
// "startup_reconcile" fails with its progress, so that bindy's replayed creates do not arrive
// before lost zones are restored (issue 9 item 3). It never depends on zones being loaded.
//
// The cached `status` also tells when named restarted: its boot time changed. Then
// OnNamedRestart runs, once per change.
func (s *Service) Ready(ctx context.Context) []Check {
	s.readyMu.Lock()
	defer s.readyMu.Unlock()
	if s.readyLast == nil || s.now().Sub(s.readyAt) >= s.readyTTL {
		s.readyLast = s.runChecks(ctx)
		s.readyAt = s.now()
	}
	out := slices.Clone(s.readyLast)
	if c, ok := s.startup.check(s.now(), s.log); ok {
		out = append(out, c)
	}
	return out
}

func (s *Service) runChecks(ctx context.Context) []Check {
	zoneDir := s.files.CheckWritable(ctx)
	stateDir := s.reg.CheckWritable(ctx)
	for name, err := range map[string]error{"zone_dir": zoneDir, "state_dir": stateDir} {
		if err != nil {
			s.log.Warn("readiness: directory check failed", "check", name, "err", err)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, readyRNDCTimeout)
	resp, err := s.rndc.Do(cctx, "status")
	cancel()
	if err != nil {
		s.log.Warn("readiness: control channel check failed", "err", err)
	} else {
		s.noteBoot(bootTime(resp.Text))
	}
	return []Check{{Name: "zone_dir", OK: zoneDir == nil}, {Name: "state_dir", OK: stateDir == nil}, {Name: "rndc", OK: err == nil}}
}

// noteBoot compares named's boot time with the last one seen and calls OnNamedRestart when it
// changed (not for the first one seen: bindgate's own startup reconcile covers that).
func (s *Service) noteBoot(boot string) {
	if boot == "" {
		return
	}
	prev := s.bootSeen
	s.bootSeen = boot
	if prev != "" && prev != boot {
		s.forgetProbes()
		s.log.Warn("named restarted; reconciling", "boot_time", boot)
		if s.onRestart != nil {
			s.onRestart()
		}
	}
}

// bootTime is the "boot time: ..." line of `rndc status` (bin/named/server.c
// named_server_status), "" when absent.
func bootTime(status string) string {
	for line := range strings.Lines(status) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "boot time:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// StartupBegins makes readiness wait for the startup reconcile, for at most wait: past it,
// readiness stops waiting (logged) rather than keep the pod unready forever.
func (s *Service) StartupBegins(wait time.Duration) {
	s.startup.mu.Lock()
	defer s.startup.mu.Unlock()
	s.startup.active, s.startup.tracked = true, true
	s.startup.deadline = s.now().Add(wait)
}

// StartupDone ends StartupBegins' wait: the startup reconcile finished.
func (s *Service) StartupDone() {
	s.startup.mu.Lock()
	defer s.startup.mu.Unlock()
	s.startup.active = false
}

// startupState is the startup reconcile's progress, for readiness.
type startupState struct {
	mu          sync.Mutex
	tracked     bool // StartupBegins was called: readiness lists the check
	active      bool
	gaveUp      bool
	deadline    time.Time
	total, done int
}

func (st *startupState) begin(total int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.active {
		st.total, st.done = total, 0
	}
}

func (st *startupState) add(n int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.active {
		st.done += n
	}
}

// check is the "startup_reconcile" check; ok false when StartupBegins was never called.
func (st *startupState) check(now time.Time, log interface{ Warn(string, ...any) }) (Check, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.tracked {
		return Check{}, false
	}
	c := Check{Name: "startup_reconcile", OK: !st.active}
	if st.active && now.After(st.deadline) {
		if !st.gaveUp {
			st.gaveUp = true
			log.Warn("readiness: the startup reconcile has not finished in time; no longer waiting for it",
				"checked", st.done, "registered", st.total)
		}
		c.OK = true
	}
	if st.active {
		c.Progress = fmt.Sprintf("%d/%d", st.done, st.total)
	}
	return c, true
}
