package zones

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bindgate/bindgate/internal/rndc"
)

const readyRNDCTimeout = 2 * time.Second

// Act runs a zone action (docs/contract.md §11). "not found" is 404 for every verb ([fix]: bindcar
// answered 500 except for status). Mutating verbs take the zone lock.
func (s *Service) Act(ctx context.Context, name string, a Action) (Result, error) {
	z, err := normalize(name)
	if err != nil {
		return Result{}, err
	}
	var msg string
	switch a {
	case ActionReload:
		msg = "Zone %s reloaded successfully"
	case ActionFreeze:
		msg = "Zone %s frozen successfully"
	case ActionThaw:
		msg = "Zone %s thawed successfully"
	case ActionNotify:
		msg = "Notify sent for zone %s"
	case ActionRetransfer:
		msg = "Retransfer initiated for zone %s"
	default:
		return Result{}, fmt.Errorf("unknown zone action %q", a)
	}
	if a != ActionNotify {
		unlock, err := s.lockZone(ctx, z)
		if err != nil {
			return Result{}, err
		}
		defer unlock()
	}
	resp, err := s.rndc.Zone(ctx, string(a), z)
	if err != nil {
		if mapped := actionErr(z, a, err); mapped != nil {
			return Result{}, mapped
		}
		// freeze of a frozen zone is idempotent success (docs/contract.md §11).
		resp = rndc.Response{Text: errText(err)}
	}
	return Result{Message: fmt.Sprintf(msg, z), Details: resp.Text}, nil
}

// actionErr maps an action's failure per verb (docs/contract.md §11, §18.21); nil means success.
func actionErr(z string, a Action, err error) error {
	switch {
	case errors.Is(err, rndc.ErrNotFound):
		return NotFound(z)
	case errors.Is(err, rndc.ErrNotLoaded):
		return NotLoaded(z)
	case a == ActionReload && errors.Is(err, rndc.ErrDynamic):
		return Conflict(fmt.Sprintf("Zone %s is dynamic; BIND refuses reload (use freeze and thaw)", z))
	case a == ActionFreeze && errors.Is(err, rndc.ErrAlreadyFrozen):
		return nil
	case a == ActionFreeze && errors.Is(err, rndc.ErrNotDynamic):
		return Invalid("Zone %s is not dynamic; only zones that accept updates can be frozen", z)
	case a == ActionFreeze && errors.Is(err, rndc.ErrNotPrimary):
		return Invalid("Zone %s is not a primary zone; only primaries can be frozen", z)
	case a == ActionRetransfer && errors.Is(err, rndc.ErrWrongZoneType):
		return Invalid("Zone %s is not a secondary zone", z)
	}
	return bindErr(string(a), z, err)
}

func errText(err error) string {
	if ce, ok := errors.AsType[*rndc.CommandError](err); ok {
		return strings.TrimSpace(ce.Text)
	}
	return ""
}
