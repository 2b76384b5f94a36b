package zones

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bindgate/bindgate/internal/registry"
	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/bindgate/bindgate/internal/zoneconf"
)

// Modify changes a zone's configuration losslessly (docs/contract.md §10): only the statements the
// request names are replaced; every other statement is re-emitted byte for byte ([fix] §18.8).
func (s *Service) Modify(ctx context.Context, name string, req ModifyRequest) (Result, error) {
	z, err := normalize(name)
	if err != nil {
		return Result{}, err
	}
	mod, err := parseModification(req)
	if err != nil {
		return Result{}, err
	}
	if mod.AlsoNotify != nil {
		mod.SelfNotify = s.selfNotify // the caller's list never drops bindgate's own entry
	}
	// A secondary waiting for its first transfer (not loaded) may need new primaries.
	_, release, err := s.lockExisting(ctx, z, "a change would be lost at the next restart")
	if err != nil {
		return Result{}, err
	}
	defer release()
	cur, err := s.showzone(ctx, z)
	if err != nil {
		return Result{}, err
	}
	block, changed, err := zoneconf.Merge(cur, mod)
	switch {
	case errors.Is(err, zoneconf.ErrNotPrimary):
		return Result{}, Invalid("allowUpdate applies to primary zones only; zone %s is %s", z, cur.Type())
	case errors.Is(err, zoneconf.ErrNotSecondary):
		return Result{}, Invalid("primaries applies to secondary zones only; zone %s is %s", z, cur.Type())
	case errors.Is(err, zoneconf.ErrUpdatePolicy):
		return Result{}, Invalid("Zone %s uses update-policy; allowUpdate cannot be combined with it", z)
	case errors.Is(err, zoneconf.ErrInvalid), errors.Is(err, zoneconf.ErrTooLarge):
		return Result{}, invalidInput(err)
	case err != nil:
		return Result{}, fmt.Errorf("merge configuration of %s: %w", z, err)
	}
	msg := fmt.Sprintf("Zone %s modified successfully", z)
	if !changed {
		return Result{Message: msg}, nil
	}

	// Intent first (issue 9 item 1): the registry holds the new block before modzone, so a
	// PATCH that answers 200 is never undone by a later restore. A registry failure answers
	// 507/500 with BIND untouched; a failed modzone puts the previous entry back.
	prev, registered := s.reg.Get(z)
	if err := s.reg.Put(ctx, s.entryWith(z, cur.Type(), block)); err != nil {
		return Result{}, s.bookkeepingErr("modify", z, fmt.Errorf("registry: %w", err))
	}
	out, err := s.change(ctx, "modzone", z, block, &cur)
	if err != nil {
		// In 9.18 a modzone whose zone then fails to load leaves the zone unserved: put the
		// previous statements back before answering (docs/contract.md §10).
		s.restore(z, cur)
		if registered {
			s.putBack(ctx, "modify", prev)
		} else {
			s.unregister(ctx, z)
		}
		if full := s.bindStorageFull(ctx, err); full != nil {
			return Result{}, full
		}
		switch {
		case errors.Is(err, rndc.ErrBadZone):
			return Result{}, Invalid("BIND could not load zone %s with the new configuration; the previous one was restored", z)
		case errors.Is(err, rndc.ErrNotFound), errors.Is(err, rndc.ErrFailure):
			if reason := configReason(err); reason != "" {
				return Result{}, Invalid("BIND rejected the zone configuration: %s", reason)
			}
		}
		return Result{}, bindErr("modzone", z, err)
	}
	return Result{Message: msg, Details: out.Text}, nil
}

// restore re-applies a zone's previous configuration after a failed modzone: modzone again,
// or addzone if the zone is gone. Both outcomes are logged.
func (s *Service) restore(z string, prev zoneconf.Zone) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	block := blockOf(prev)
	_, err := s.rndc.Zone(ctx, "modzone", z, block)
	if errors.Is(err, rndc.ErrNotFound) {
		_, err = s.rndc.Zone(ctx, "addzone", z, block)
	}
	if err != nil {
		s.log.Error("modzone failed and the previous configuration could not be restored", "zone", z, "err", err)
		return
	}
	s.log.Warn("modzone failed; previous configuration restored", "zone", z)
}

// entryWith is z's registry entry with a new block. A zone bindgate did not create (bindcar's,
// or added by hand) is registered here, so reconcile can restore it too.
func (s *Service) entryWith(z, typ, block string) registry.Entry {
	now := s.now().UTC()
	e, ok := s.reg.Get(z)
	if !ok {
		e = registry.Entry{Zone: z, Type: typ, Created: now}
	}
	e.Block, e.Modified = block, now
	return e
}

// unregister removes an entry a failed change had created; its failure is reported.
func (s *Service) unregister(ctx context.Context, z string) {
	ctx, cancel := detached(ctx, bookkeepingTimeout)
	defer cancel()
	if err := s.reg.Delete(ctx, z); err != nil {
		_ = s.bookkeepingErr("modify", z, fmt.Errorf("registry: remove the entry again: %w", err))
	}
}

func blockOf(z zoneconf.Zone) string {
	var b strings.Builder
	b.WriteString("{ ")
	for _, st := range z.Statements {
		b.WriteString(st.Raw)
		b.WriteByte(' ')
	}
	b.WriteString("};")
	return b.String()
}

func parseModification(req ModifyRequest) (zoneconf.Modification, error) {
	var m zoneconf.Modification
	if req.AlsoNotify == nil && req.AllowTransfer == nil && req.AllowUpdate == nil && req.Primaries == nil &&
		req.DNSSECPolicy == nil && req.InlineSigning == nil {
		return m, Invalid("At least one field (alsoNotify, allowTransfer, allowUpdate, primaries, dnssecPolicy or inlineSigning) must be provided")
	}
	if req.AlsoNotify != nil {
		eps, err := zoneconf.ParseEndpoints("also-notify", req.AlsoNotify)
		if err != nil {
			return m, invalidInput(err)
		}
		m.AlsoNotify = &eps
	}
	if req.Primaries != nil {
		if len(req.Primaries) == 0 {
			return m, Invalid("primaries must not be empty")
		}
		eps, err := zoneconf.ParseEndpoints("primaries", req.Primaries)
		if err != nil {
			return m, invalidInput(err)
		}
		m.Primaries = &eps
	}
	if req.AllowTransfer != nil {
		acl, err := zoneconf.ParseACL("allow-transfer", req.AllowTransfer)
		if err != nil {
			return m, invalidInput(err)
		}
		m.AllowTransfer = &acl
	}
	if req.AllowUpdate != nil {
		acl, err := zoneconf.ParseACL("allow-update", req.AllowUpdate)
		if err != nil {
			return m, invalidInput(err)
		}
		m.AllowUpdate = &acl
	}
	if req.DNSSECPolicy != nil {
		if !zoneconf.IsIdentifier(*req.DNSSECPolicy) {
			return m, Invalid("dnssecPolicy must match [A-Za-z0-9._-]{1,253}")
		}
		m.DNSSECPolicy = req.DNSSECPolicy
	}
	m.InlineSigning = req.InlineSigning
	return m, nil
}
