package zones

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/bindgate/bindgate/internal/rndc"
)

// Get answers ZoneInfo from `rndc zonestatus` (CONTRACT §8.2). It works for secondaries
// ([fix]: bindcar looked for a file and 404'd them).
func (s *Service) Get(ctx context.Context, name string) (Info, error) {
	z, err := normalize(name)
	if err != nil {
		return Info{}, err
	}
	zs, err := s.zoneStatus(ctx, z)
	if err != nil {
		return Info{}, err
	}
	info := Info{Name: z, ZoneType: zs.Type, Serial: zs.Serial}
	if info.ZoneType == "" {
		info.ZoneType = "unknown"
	}
	if len(zs.Files) > 0 {
		info.FilePath = zs.Files[0]
	}
	return info, nil
}

// Status is bindy's existence probe (CONTRACT §8.3): 200 with the zonestatus text, 404 for an
// unknown zone, and the typed 503 for a zone BIND knows but has not loaded ([fix]: a 200 there
// would hide the state bindy probes for).
func (s *Service) Status(ctx context.Context, name string) (Status, error) {
	z, err := normalize(name)
	if err != nil {
		return Status{}, err
	}
	resp, err := s.rndc.Zone(ctx, "zonestatus", z)
	switch {
	case errors.Is(err, rndc.ErrNotFound):
		return Status{}, NotFound(z)
	case errors.Is(err, rndc.ErrNotLoaded):
		return Status{}, NotLoaded(z)
	case err != nil:
		return Status{}, bindErr("zonestatus", z, err)
	}
	st := Status{Result: Result{Message: fmt.Sprintf("Zone %s status retrieved", z), Details: resp.Text}}
	if s.hasPolicy(z) {
		// Best effort: the dnssec object is optional and never fails the probe.
		if out, err := s.rndc.Zone(ctx, "dnssec -status", z); err == nil {
			st.DNSSEC = parseDNSSECStatus(out.Text)
		} else {
			s.log.Debug("dnssec -status failed", "zone", z, "err", err)
		}
	}
	return st, nil
}

// hasPolicy reports whether the registry says the zone has a dnssec-policy, so the hot status
// probe costs one rndc call for zones without one.
func (s *Service) hasPolicy(z string) bool {
	e, ok := s.reg.Get(z)
	return ok && strings.Contains(e.Block, "dnssec-policy")
}

// List answers the zones BIND serves that bindgate knows of (CONTRACT §8.1): registry entries
// plus <zone>.zone files in the zone directory (zones bindcar made), each confirmed with
// zonestatus, so neither orphans nor stray files are listed ([fix] §18.7). 9.18 has no verb
// that lists zones; the confirmations run in parallel over the pooled control connections.
func (s *Service) List(ctx context.Context) ([]string, error) {
	cand := map[string]struct{}{}
	for _, e := range s.reg.List() {
		cand[e.Zone] = struct{}{}
	}
	files, err := s.files.List()
	if err != nil {
		return nil, fmt.Errorf("list zone dir: %w", err)
	}
	for _, z := range files {
		cand[z] = struct{}{}
	}
	var (
		mu  sync.Mutex
		out []string
	)
	err = parallel(slices.Collect(maps.Keys(cand)), 8, func(z string) error {
		_, err := s.rndc.Zone(ctx, "zonestatus", z)
		switch {
		case err == nil, errors.Is(err, rndc.ErrNotLoaded):
			mu.Lock()
			out = append(out, z)
			mu.Unlock()
		case !errors.Is(err, rndc.ErrNotFound):
			return bindErr("zonestatus", z, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(out)
	if s.onCount != nil {
		s.onCount(len(out))
	}
	return out, nil
}

// ServerStatus returns `rndc status` text (CONTRACT §8.4).
func (s *Service) ServerStatus(ctx context.Context) (string, error) {
	resp, err := s.rndc.Do(ctx, "status")
	if err != nil {
		return "", bindErr("status", "", err)
	}
	return resp.Text, nil
}

// ServerReload runs a server-wide `rndc reload` ([fix] CONTRACT §18.24: bindy defines the call,
// bindcar had no route).
func (s *Service) ServerReload(ctx context.Context) (Result, error) {
	resp, err := s.rndc.Do(ctx, "reload")
	if err != nil {
		return Result{}, bindErr("reload", "", err)
	}
	return Result{Message: "Server reloaded successfully", Details: resp.Text}, nil
}

// Ready runs the readiness checks of CONTRACT §13, cached for ReadyTTL: the zone directory is
// writable, and the control channel completes a handshake and `status` within 2 s. It never
// depends on zones being loaded.
func (s *Service) Ready(ctx context.Context) []Check {
	s.readyMu.Lock()
	defer s.readyMu.Unlock()
	if s.readyLast != nil && s.now().Sub(s.readyAt) < s.readyTTL {
		return slices.Clone(s.readyLast)
	}
	dirOK := s.files.CheckWritable(ctx) == nil
	cctx, cancel := context.WithTimeout(ctx, readyRNDCTimeout)
	_, err := s.rndc.Do(cctx, "status")
	cancel()
	if err != nil {
		s.log.Warn("readiness: control channel check failed", "err", err)
	}
	s.readyLast = []Check{{Name: "zone_dir", OK: dirOK}, {Name: "rndc", OK: err == nil}}
	s.readyAt = s.now()
	return slices.Clone(s.readyLast)
}
