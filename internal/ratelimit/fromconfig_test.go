package ratelimit

import (
	"testing"

	"github.com/bindgate/bindgate/internal/config"
)

// TestFromConfig: a disabled section is no limiter; an enabled one allows Burst at once and
// then refuses until the period's refill.
func TestFromConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		cfg     config.RateLimit
		wantNil bool
		allowed int // requests allowed at once before the first refusal
	}{
		{name: "disabled", cfg: config.RateLimit{Requests: 1, PeriodSecs: 1, Burst: 1}, wantNil: true},
		{name: "burst 1", cfg: config.RateLimit{Enabled: true, Requests: 1, PeriodSecs: 3600, Burst: 1}, allowed: 1},
		{name: "burst 5", cfg: config.RateLimit{Enabled: true, Requests: 10, PeriodSecs: 3600, Burst: 5}, allowed: 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := FromConfig(tc.cfg)
			if (l == nil) != tc.wantNil {
				t.Fatalf("FromConfig = %v, want nil: %v", l, tc.wantNil)
			}
			if l == nil {
				return
			}
			for i := range tc.allowed {
				if ok, _ := l.Allow(ip("192.0.2.1")); !ok {
					t.Fatalf("request %d of the burst refused", i)
				}
			}
			ok, retry := l.Allow(ip("192.0.2.1"))
			if ok || retry < 1 {
				t.Errorf("after the burst: ok=%v retryAfter=%d, want a refusal with Retry-After", ok, retry)
			}
		})
	}
}
