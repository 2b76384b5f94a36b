package ratelimit

import (
	"time"

	"github.com/bindgate/bindgate/internal/config"
)

// FromConfig builds the limiter of the rate-limit section (RATE_LIMIT_*), with the default idle
// time and table size; it returns nil, which the API takes as no limit, when the section
// disables it. Load has checked that each number is at least 1.
func FromConfig(cfg config.RateLimit) *Limiter {
	if !cfg.Enabled {
		return nil
	}
	return New(Config{Requests: cfg.Requests, Period: time.Duration(cfg.PeriodSecs) * time.Second, Burst: cfg.Burst})
}
