package zones

import (
	"context"
	"fmt"
	"maps"
	"slices"
)

// Get answers ZoneInfo from `rndc zonestatus` (docs/contract.md §8.2). It works for secondaries
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
	if len(zs.Files) > 0 && !s.restoreFile(z, zs) {
		info.FilePath = zs.Files[0]
	}
	return info, nil
}

// Status is bindy's existence probe (docs/contract.md §8.3): 200 with the zonestatus text, 404 for an
// unknown zone, and the typed 503 for a zone BIND knows but has not loaded ([fix]: a 200 there
// would hide the state bindy probes for).
func (s *Service) Status(ctx context.Context, name string) (Status, error) {
	z, err := normalize(name)
	if err != nil {
		return Status{}, err
	}
	resp, err := s.zoneCmd(ctx, "zonestatus", z)
	if err != nil {
		return Status{}, err
	}
	st := Status{Result: Result{Message: fmt.Sprintf("Zone %s status retrieved", z), Details: resp.Text}}
	// The registry's block says whether the zone has a dnssec-policy, so the hot status probe
	// costs one control message for zones without one (and none more for zones bindgate does
	// not manage).
	if f, ok := s.registeredFacts(z); ok && f.Signed() {
		// Best effort: the dnssec object is optional and never fails the probe.
		if out, err := s.rndc.Zone(ctx, "dnssec -status", z); err == nil {
			st.DNSSEC = parseDNSSECStatus(out.Text)
		} else {
			s.log.Debug("dnssec -status failed", "zone", z, "err", err)
		}
	}
	return st, nil
}

// List answers the zones BIND serves that bindgate knows of (docs/contract.md §8.1): registry entries
// plus <zone>.zone files in the zone directory (zones bindcar made), each confirmed by an SOA
// query over DNS, so neither orphans nor stray files are listed ([fix] §18.7). A zone BIND has
// configured but not loaded (SERVFAIL) is listed, as zonestatus's "zone not loaded" was. 9.18
// has no verb that lists zones, and a zonestatus per zone wears named's control channel down
// (see package rndc): a listing sends no control message at all.
func (s *Service) List(ctx context.Context) ([]string, error) {
	cand := map[string]struct{}{}
	for _, z := range s.reg.Zones() {
		cand[z] = struct{}{}
	}
	files, err := s.files.List()
	if err != nil {
		return nil, fmt.Errorf("list zone dir: %w", err)
	}
	for _, z := range files {
		cand[z] = struct{}{}
	}
	names := slices.Sorted(maps.Keys(cand))
	states, err := s.probeFresh(ctx, names)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(names))
	for i, z := range names {
		if states[i] != notServed {
			out = append(out, z)
		}
	}
	if s.onCount != nil {
		s.onCount(len(out))
	}
	return out, nil
}

// ServerStatus returns `rndc status` text (docs/contract.md §8.4).
func (s *Service) ServerStatus(ctx context.Context) (string, error) {
	resp, err := s.rndc.Do(ctx, "status")
	if err != nil {
		return "", bindErr("status", "", err)
	}
	return resp.Text, nil
}

// ServerReload runs a server-wide `rndc reload` ([fix] docs/contract.md §18.24: bindy defines the call,
// bindcar had no route).
func (s *Service) ServerReload(ctx context.Context) (Result, error) {
	resp, err := s.rndc.Do(ctx, "reload")
	if err != nil {
		return Result{}, bindErr("reload", "", err)
	}
	return Result{Message: "Server reloaded successfully", Details: resp.Text}, nil
}

// restoreFile reports whether zs is a registered secondary's and its file is the one a restore
// from the copy gave it (<zone dir>/<z>.zone, see restoreZone): bindgate's, like its
// also-notify entry, so GET answers as for the secondary without a file the caller created.
func (s *Service) restoreFile(z string, zs zoneStatusInfo) bool {
	e, ok := s.reg.Get(z)
	return ok && e.Type == "secondary" && zs.Type == "secondary" && len(zs.Files) > 0 && zs.Files[0] == s.files.Path(z)
}
