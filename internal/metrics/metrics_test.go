package metrics

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestExposition pins names, types, labels and buckets of docs/contract.md §17 against the text the
// dashboard reads.
func TestExposition(t *testing.T) {
	t.Parallel()
	m := New("1.2.3")
	m.HTTPRequests.WithLabelValues("GET", "/api/v1/zones/{name}/status", "200").Inc()
	m.HTTPDuration.WithLabelValues("GET", "/api/v1/zones/{name}/status").Observe(0.003)
	m.ObserveRNDC("addzone", "ok", 30*time.Millisecond)
	m.ZoneOp("create", nil)
	m.SetZonesManaged(3)

	const want = `
# HELP bindcar_app_info Build information; the value is always 1.
# TYPE bindcar_app_info gauge
bindcar_app_info{version="1.2.3"} 1
# HELP bindcar_http_request_duration_seconds HTTP request duration in seconds by method and route template.
# TYPE bindcar_http_request_duration_seconds histogram
bindcar_http_request_duration_seconds_bucket{method="GET",path="/api/v1/zones/{name}/status",le="0.001"} 0
bindcar_http_request_duration_seconds_bucket{method="GET",path="/api/v1/zones/{name}/status",le="0.005"} 1
bindcar_http_request_duration_seconds_bucket{method="GET",path="/api/v1/zones/{name}/status",le="0.01"} 1
bindcar_http_request_duration_seconds_bucket{method="GET",path="/api/v1/zones/{name}/status",le="0.025"} 1
bindcar_http_request_duration_seconds_bucket{method="GET",path="/api/v1/zones/{name}/status",le="0.05"} 1
bindcar_http_request_duration_seconds_bucket{method="GET",path="/api/v1/zones/{name}/status",le="0.1"} 1
bindcar_http_request_duration_seconds_bucket{method="GET",path="/api/v1/zones/{name}/status",le="0.25"} 1
bindcar_http_request_duration_seconds_bucket{method="GET",path="/api/v1/zones/{name}/status",le="0.5"} 1
bindcar_http_request_duration_seconds_bucket{method="GET",path="/api/v1/zones/{name}/status",le="1"} 1
bindcar_http_request_duration_seconds_bucket{method="GET",path="/api/v1/zones/{name}/status",le="2.5"} 1
bindcar_http_request_duration_seconds_bucket{method="GET",path="/api/v1/zones/{name}/status",le="5"} 1
bindcar_http_request_duration_seconds_bucket{method="GET",path="/api/v1/zones/{name}/status",le="10"} 1
bindcar_http_request_duration_seconds_bucket{method="GET",path="/api/v1/zones/{name}/status",le="+Inf"} 1
bindcar_http_request_duration_seconds_sum{method="GET",path="/api/v1/zones/{name}/status"} 0.003
bindcar_http_request_duration_seconds_count{method="GET",path="/api/v1/zones/{name}/status"} 1
# HELP bindcar_http_requests_total HTTP requests by method, route template and status code.
# TYPE bindcar_http_requests_total counter
bindcar_http_requests_total{method="GET",path="/api/v1/zones/{name}/status",status="200"} 1
# HELP bindcar_rate_limit_requests_total Rate-limit decisions by result (allowed, rejected).
# TYPE bindcar_rate_limit_requests_total counter
bindcar_rate_limit_requests_total{result="allowed"} 0
bindcar_rate_limit_requests_total{result="rejected"} 0
# HELP bindcar_rndc_command_duration_seconds rndc command duration in seconds by verb.
# TYPE bindcar_rndc_command_duration_seconds histogram
bindcar_rndc_command_duration_seconds_bucket{command="addzone",le="0.01"} 0
bindcar_rndc_command_duration_seconds_bucket{command="addzone",le="0.05"} 1
bindcar_rndc_command_duration_seconds_bucket{command="addzone",le="0.1"} 1
bindcar_rndc_command_duration_seconds_bucket{command="addzone",le="0.25"} 1
bindcar_rndc_command_duration_seconds_bucket{command="addzone",le="0.5"} 1
bindcar_rndc_command_duration_seconds_bucket{command="addzone",le="1"} 1
bindcar_rndc_command_duration_seconds_bucket{command="addzone",le="2.5"} 1
bindcar_rndc_command_duration_seconds_bucket{command="addzone",le="5"} 1
bindcar_rndc_command_duration_seconds_bucket{command="addzone",le="10"} 1
bindcar_rndc_command_duration_seconds_bucket{command="addzone",le="+Inf"} 1
bindcar_rndc_command_duration_seconds_sum{command="addzone"} 0.03
bindcar_rndc_command_duration_seconds_count{command="addzone"} 1
# HELP bindcar_rndc_commands_total rndc commands by verb and result (success, error).
# TYPE bindcar_rndc_commands_total counter
bindcar_rndc_commands_total{command="addzone",result="success"} 1
# HELP bindcar_zone_operations_total Zone operations by operation and result (success, error).
# TYPE bindcar_zone_operations_total counter
bindcar_zone_operations_total{operation="create",result="success"} 1
# HELP bindcar_zones_managed Number of zones managed.
# TYPE bindcar_zones_managed gauge
bindcar_zones_managed 3
# HELP bindcar_zones_managed_total Number of zones managed (the name bindcar's dashboard queries; same value as bindcar_zones_managed).
# TYPE bindcar_zones_managed_total gauge
bindcar_zones_managed_total 3
`
	names := []string{
		"bindcar_app_info", "bindcar_http_request_duration_seconds", "bindcar_http_requests_total",
		"bindcar_rate_limit_requests_total", "bindcar_rndc_command_duration_seconds", "bindcar_rndc_commands_total",
		"bindcar_zone_operations_total", "bindcar_zones_managed", "bindcar_zones_managed_total",
	}
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
}

func TestObserveRNDC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		class, result string
	}{
		{"ok", "success"},
		{"not_found", "error"},
		{"not_loaded", "error"},
		{"exists", "error"},
		{"rejected", "error"},
		{"timeout", "error"},
		{"unreachable", "error"},
		{"error", "error"},
	}
	for _, tc := range tests {
		t.Run(tc.class, func(t *testing.T) {
			t.Parallel()
			m := New("x")
			m.ObserveRNDC("zonestatus", tc.class, time.Second)
			if got := testutil.ToFloat64(m.RNDCCommands.WithLabelValues("zonestatus", tc.result)); got != 1 {
				t.Errorf("bindcar_rndc_commands_total{result=%q} = %v, want 1", tc.result, got)
			}
			if got := testutil.ToFloat64(m.RNDCResults.WithLabelValues("zonestatus", tc.class)); got != 1 {
				t.Errorf("bindgate_rndc_results_total{class=%q} = %v, want 1", tc.class, got)
			}
			if got := testutil.CollectAndCount(m.RNDCCommands); got != 1 {
				t.Errorf("%d rndc command series, want 1", got)
			}
			if got := testutil.CollectAndCount(m.RNDCDuration); got != 1 {
				t.Errorf("%d rndc duration series, want 1", got)
			}
		})
	}
}

func TestZonesManagedMoveTogether(t *testing.T) {
	t.Parallel()
	m := New("x")
	for _, n := range []int{0, 7, 3, 0, 12000} {
		m.SetZonesManaged(n)
		a, b := testutil.ToFloat64(m.ZonesManaged), testutil.ToFloat64(m.ZonesManagedTotal)
		if a != float64(n) || b != float64(n) {
			t.Errorf("SetZonesManaged(%d): zones_managed %v, zones_managed_total %v", n, a, b)
		}
	}
}

func TestZoneOp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		op     string
		err    error
		result string
	}{
		{"create", nil, "success"},
		{"delete", errors.New("boom"), "error"},
		{"modify", nil, "success"},
		{"retransfer", errors.New("boom"), "error"},
	}
	for _, tc := range tests {
		t.Run(tc.op, func(t *testing.T) {
			t.Parallel()
			m := New("x")
			m.ZoneOp(tc.op, tc.err)
			if got := testutil.ToFloat64(m.ZoneOps.WithLabelValues(tc.op, tc.result)); got != 1 {
				t.Errorf("%s/%s = %v, want 1", tc.op, tc.result, got)
			}
		})
	}
}

func TestPreinitialisedAndBindgateSeries(t *testing.T) {
	t.Parallel()
	m := New("x")
	for _, r := range []string{"allowed", "rejected"} {
		if got := testutil.ToFloat64(m.RateLimit.WithLabelValues(r)); got != 0 {
			t.Errorf("rate limit %s = %v", r, got)
		}
	}
	if got := testutil.CollectAndCount(m.RateLimit, "bindcar_rate_limit_requests_total"); got != 2 {
		t.Errorf("rate-limit series = %d, want 2 from the start", got)
	}
	m.AuthFailures.WithLabelValues("mismatch").Inc()
	m.Reconciled(2, 1)
	want := map[string]int{"bindgate_auth_failures_total": 1, "bindgate_reconcile_zones_total": 2, "bindgate_rndc_results_total": 0}
	for name, n := range want {
		if got, err := testutil.GatherAndCount(m.Registry, name); err != nil || got != n {
			t.Errorf("%s: %d series (%v), want %d", name, got, err, n)
		}
	}
	if got := testutil.ToFloat64(m.Reconcile.WithLabelValues("readded")); got != 2 {
		t.Errorf("readded = %v", got)
	}
	if got := testutil.ToFloat64(m.Reconcile.WithLabelValues("failed")); got != 1 {
		t.Errorf("failed = %v", got)
	}
}

// TestPrivateRegistries: two Metrics coexist (no package-level registry) and carry the runtime
// collectors.
func TestPrivateRegistries(t *testing.T) {
	t.Parallel()
	a, b := New("a"), New("b")
	a.ZoneOp("create", nil)
	if got := testutil.CollectAndCount(b.ZoneOps); got != 0 {
		t.Errorf("registries share state: %d series in b", got)
	}
	for _, m := range []*Metrics{a, b} {
		if n, err := testutil.GatherAndCount(m.Registry, "go_goroutines"); err != nil || n != 1 {
			t.Errorf("go collector missing: %d, %v", n, err)
		}
	}
}

// TestReloadCounters: the reload counters live on the registry from the start, with no series
// until a reload happens.
func TestReloadCounters(t *testing.T) {
	t.Parallel()
	m := New("x")
	for _, name := range []string{"bindgate_key_reloads_total", "bindgate_tls_reloads_total"} {
		if n, err := testutil.GatherAndCount(m.Registry, name); err != nil || n != 0 {
			t.Errorf("%s before any reload: %d series (%v), want 0", name, n, err)
		}
	}
	m.KeyReloaded("changed")
	m.KeyReloaded("failed")
	m.TLSReloaded("changed")
	if got := testutil.ToFloat64(m.KeyReloads.WithLabelValues("changed")); got != 1 {
		t.Errorf("key changed = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.KeyReloads.WithLabelValues("failed")); got != 1 {
		t.Errorf("key failed = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.TLSReloads.WithLabelValues("changed")); got != 1 {
		t.Errorf("tls changed = %v, want 1", got)
	}
}
