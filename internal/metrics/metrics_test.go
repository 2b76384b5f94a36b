package metrics

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestNames(t *testing.T) {
	t.Parallel()
	m := New("1.2.3")
	m.HTTPRequests.WithLabelValues("GET", "/api/v1/zones/{name}/status", "200").Inc()
	m.HTTPDuration.WithLabelValues("GET", "/api/v1/zones/{name}/status").Observe(0.002)
	m.ObserveRNDC("addzone", "ok", time.Millisecond)
	m.ObserveRNDC("zonestatus", "not_found", time.Millisecond)
	m.ZoneOp("create", nil)
	m.ZoneOp("delete", errors.New("x"))
	m.SetZonesManaged(7)
	m.AuthFailures.WithLabelValues("mismatch").Inc()
	m.Reconciled(2, 1)
	want := map[string]int{
		"bindcar_http_requests_total": 1, "bindcar_http_request_duration_seconds": 1, "bindcar_zone_operations_total": 2,
		"bindcar_rndc_commands_total": 2, "bindcar_rndc_command_duration_seconds": 2, "bindcar_zones_managed": 1,
		"bindcar_zones_managed_total": 1, "bindcar_app_info": 1, "bindcar_rate_limit_requests_total": 2,
		"bindgate_rndc_results_total": 2, "bindgate_auth_failures_total": 1, "bindgate_reconcile_zones_total": 2,
	}
	for name, n := range want {
		if got, err := testutil.GatherAndCount(m.Registry, name); err != nil || got != n {
			t.Errorf("%s: %d series (%v), want %d", name, got, err, n)
		}
	}
	if testutil.ToFloat64(m.ZonesManaged) != 7 || testutil.ToFloat64(m.ZonesManagedTotal) != 7 {
		t.Error("the two zone gauges differ")
	}
	exp := `
# HELP bindcar_rndc_commands_total Control-channel commands by verb and result.
# TYPE bindcar_rndc_commands_total counter
bindcar_rndc_commands_total{command="addzone",result="success"} 1
bindcar_rndc_commands_total{command="zonestatus",result="error"} 1
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(exp), "bindcar_rndc_commands_total"); err != nil {
		t.Error(err)
	}
}
