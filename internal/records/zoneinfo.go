package records

import (
	"context"
	"fmt"
	"time"

	"github.com/bindgate/bindgate/internal/errs"

	"github.com/bindgate/bindgate/internal/zones"
)

// ZoneFacts is what the records service asks about a zone's configuration. The zones service
// owns those facts and implements it (issue 8 item 4); records keeps no copy of them, so a
// zone PATCH is seen by the very next record write.
type ZoneFacts interface {
	// Facts answers from bindgate's own record of the zone, without a control message for a
	// zone bindgate manages; a zone BIND does not know is a zones NotFound error.
	Facts(ctx context.Context, zone string) (zones.Facts, error)
	// RecheckFacts asks BIND itself (one control message), after BIND refused a change that
	// Facts allowed.
	RecheckFacts(ctx context.Context, zone string) (zones.Facts, error)
}

// zoneFacts returns zone z's facts, its errors mapped to the records service's own.
func (s *Service) zoneFacts(ctx context.Context, z string, recheck bool) (zones.Facts, error) {
	ask := s.zones.Facts
	if recheck {
		ask = s.zones.RecheckFacts
	}
	f, err := ask(ctx, z)
	switch {
	case err == nil:
		return f, nil
	case errs.Is(err, errs.NotFound):
		return f, zoneNotFound(z)
	case errs.Is(err, errs.Unavailable):
		return f, unavailable(err)
	}
	return f, fmt.Errorf("configuration of zone %s: %w", z, err)
}

// known checks that BIND has zone z (404 otherwise), as far as bindgate knows.
func (s *Service) known(ctx context.Context, z string) error {
	_, err := s.zoneFacts(ctx, z, false)
	return err
}

// writable checks that z accepts dynamic updates (docs/contract.md §12.2, in its order).
func (s *Service) writable(ctx context.Context, z string) error {
	return s.checkWritable(ctx, z, false)
}

func (s *Service) checkWritable(ctx context.Context, z string, recheck bool) error {
	f, err := s.zoneFacts(ctx, z, recheck)
	if err != nil {
		return err
	}
	if f.Type != "primary" {
		return notUpdatable(fmt.Sprintf("Zone %s is %s type. Dynamic updates only supported on primary zones", z, typeWord(f.Type)))
	}
	if !f.Updatable {
		return notUpdatable(fmt.Sprintf("Zone %s does not have allow-update configured. "+
			"Create zone with updateKeyName or modify zone to enable dynamic updates", z))
	}
	return nil
}

func typeWord(t string) string {
	if t == "" {
		return "unknown"
	}
	return t
}

// localMethod reports whether an update of zone may be applied to the zone copy ahead of named
// (zonesync.Syncer.Local), and the zone's serial-update-method: only for a primary bindgate
// manages whose records named serves as sent (no DNSSEC signing, which adds records and
// serials of its own). The facts of a managed zone are in memory.
func localMethod(zf ZoneFacts, zone string) (string, bool) {
	if zf == nil {
		return "", false
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	f, err := zf.Facts(ctx, zone)
	if err != nil || !f.Managed || f.Type != "primary" || f.Signed() || f.InlineSigning {
		return "", false
	}
	switch f.SerialUpdateMethod {
	case "", "increment", "unixtime", "date":
		return f.SerialUpdateMethod, true
	}
	return "", false
}
