package zones

import (
	"context"
	"fmt"
	"sync"
)

// Delete removes a zone (docs/contract.md §9). A missing zone is 404 ([fix] §18.3: bindcar answered 500,
// which bindy retried for two minutes); a named.conf zone is 409, since the next named restart
// would bring it back.
func (s *Service) Delete(ctx context.Context, name string) (Result, error) {
	z, err := normalize(name)
	if err != nil {
		return Result{}, err
	}
	zs, release, err := s.lockExisting(ctx, z, "bindgate cannot delete it")
	if err != nil {
		return Result{}, err
	}
	defer release()

	// Without -clean: BIND's own clean-up runs later, asynchronously, and could delete the file
	// of the same zone created again right after. bindgate deletes the files itself, under the
	// zone lock (docs/contract.md §9 step 2).
	resp, err := s.zoneCmd(ctx, "delzone", z)
	if err != nil {
		return Result{}, err
	}

	// The registry entry must go durably (else reconcile would bring the zone back); the files
	// need no fsync (see zonefile.Store.Remove). Both run at once.
	var wg sync.WaitGroup
	if s.ownsFile(z, zs) {
		wg.Go(func() {
			if err := s.files.Remove(ctx, z); err != nil {
				// The zone is gone from BIND; a leftover file is harmless and is replaced by the
				// next create of this name. Log, do not fail the delete.
				s.log.Error("delete: could not remove zone files", "zone", z, "err", err)
			}
		})
	}
	regErr := s.reg.Delete(ctx, z)
	wg.Wait()
	if regErr != nil {
		return Result{}, fmt.Errorf("registry delete %s: %w", z, regErr)
	}
	return Result{Message: fmt.Sprintf("Zone %s deleted successfully", z), Details: resp.Text}, nil
}

// ownsFile reports whether the zone's file is <zone dir>/<z>.zone, the only file bindgate
// deletes (docs/contract.md §9 step 3). zonestatus names it; for a zone that never loaded, the
// registry says whether bindgate created it as a primary.
func (s *Service) ownsFile(z string, zs zoneStatusInfo) bool {
	want := s.files.Path(z)
	for _, f := range zs.Files {
		if f == want {
			return true
		}
	}
	if len(zs.Files) == 0 {
		if e, ok := s.reg.Get(z); ok && e.Type == "primary" {
			return true
		}
	}
	return false
}
