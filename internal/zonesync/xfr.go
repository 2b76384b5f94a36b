package zonesync

import (
	"context"
	"errors"
	"time"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/dnsclient"
)

// Transfers are bounded and retried because named bounds them too: its transfers-out quota
// (10 by default) answers a transfer beyond it with SERVFAIL, and 32 API writers on different
// zones each record their change with a transfer of their own. Beyond MaxTransfers a fetch
// waits for a slot instead of failing; a SERVFAIL (the quota, or a zone named is just
// reloading) is retried with a short backoff while the fetch's context lasts.
const (
	DefaultMaxTransfers = 8 // below named's default transfers-out of 10, leaving room for secondaries
	xfrRetryFirst       = 10 * time.Millisecond
	xfrRetryMax         = 200 * time.Millisecond
)

// transfer runs one IXFR or AXFR of zone in a transfer slot, retrying a SERVFAIL.
func transfer[T any](ctx context.Context, s *Syncer, do func(context.Context) (T, error)) (T, error) {
	var zero T
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	wait := xfrRetryFirst
	for {
		v, err := do(ctx)
		if !errors.Is(err, dnsclient.ErrServFail) {
			return v, err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return v, err
		}
		wait = min(2*wait, xfrRetryMax)
	}
}

func (s *Syncer) ixfr(ctx context.Context, zone string, serial uint32) (dnsclient.IXFRResult, error) {
	return transfer(ctx, s, func(ctx context.Context) (dnsclient.IXFRResult, error) {
		return s.cfg.DNS.IXFR(ctx, zone, serial)
	})
}

func (s *Syncer) axfr(ctx context.Context, zone string) ([]dns.RR, error) {
	return transfer(ctx, s, func(ctx context.Context) ([]dns.RR, error) {
		return s.cfg.DNS.Transfer(ctx, zone)
	})
}
