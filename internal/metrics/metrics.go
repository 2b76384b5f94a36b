package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds every metric and the private registry they are registered on.
type Metrics struct {
	// Registry is private to this Metrics; /metrics serves it.
	Registry *prometheus.Registry

	HTTPRequests      *prometheus.CounterVec   // bindcar_http_requests_total{method,path,status}
	HTTPDuration      *prometheus.HistogramVec // bindcar_http_request_duration_seconds{method,path}
	ZoneOps           *prometheus.CounterVec   // bindcar_zone_operations_total{operation,result}
	RNDCCommands      *prometheus.CounterVec   // bindcar_rndc_commands_total{command,result}
	RNDCDuration      *prometheus.HistogramVec // bindcar_rndc_command_duration_seconds{command}
	ZonesManaged      prometheus.Gauge         // bindcar_zones_managed
	ZonesManagedTotal prometheus.Gauge         // bindcar_zones_managed_total: the dashboard's name, same value
	AppInfo           *prometheus.GaugeVec     // bindcar_app_info{version}, value 1
	RateLimit         *prometheus.CounterVec   // bindcar_rate_limit_requests_total{result}: allowed, rejected

	RNDCResults  *prometheus.CounterVec // bindgate_rndc_results_total{command,class}
	AuthFailures *prometheus.CounterVec // bindgate_auth_failures_total{reason}
	Reconcile    *prometheus.CounterVec // bindgate_reconcile_zones_total{result}: readded, failed
	DNSMessages  *prometheus.CounterVec // bindgate_dns_messages_total{op,result}: update/axfr/query by outcome
	UpdateParts  prometheus.Histogram   // bindgate_update_batch_parts: callers' changes per update message
	KeyReloads   *prometheus.CounterVec // bindgate_key_reloads_total{result}: changed, failed
	KeyRotations *prometheus.CounterVec // bindgate_key_rotations_total{result}: rotated, refused, pending, failed
	KeyInfo      *prometheus.GaugeVec   // bindgate_key_info{name,algorithm,fingerprint}, value 1 for the key in use
	TLSReloads   *prometheus.CounterVec // bindgate_tls_reloads_total{result}: changed, failed
	Bookkeeping  *prometheus.CounterVec // bindgate_bookkeeping_failures_total{op}
	CopyErrors   *prometheus.CounterVec // bindgate_copy_errors_total{source}: api, notify, sweep, read, verify
	CopyChecks   *prometheus.CounterVec // bindgate_copy_local_checks_total{result}: match, differ
	CopyCompares *prometheus.CounterVec // bindgate_copy_compares_total{result}: same, differed
}

// New creates the metrics on a new private registry together with the Go and process
// collectors, and sets bindcar_app_info{version} to 1.
func New(version string) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		KeyReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bindgate_key_reloads_total", Help: "rndc key reloads by result (changed, failed).",
		}, []string{"result"}),
		KeyRotations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bindgate_key_rotations_total",
			Help: "rndc/TSIG key rotations by result: rotated, refused (does not parse, weak, renamed), pending (named does not load it), failed (named unreachable or refusing both keys); once per new key content.",
		}, []string{"result"}),
		KeyInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bindgate_key_info",
			Help: "The rndc key in use (fingerprint: first 8 hex digits of SHA-256 of the secret); the value is always 1.",
		}, []string{"name", "algorithm", "fingerprint"}),
		Bookkeeping: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bindgate_bookkeeping_failures_total",
			Help: "Registry, zone file or zone copy writes around a BIND change that failed, by operation.",
		}, []string{"op"}),
		TLSReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bindgate_tls_reloads_total", Help: "TLS certificate reloads by result (changed, failed).",
		}, []string{"result"}),
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bindcar_http_requests_total",
			Help: "HTTP requests by method, route template and status code.",
		}, []string{"method", "path", "status"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bindcar_http_request_duration_seconds",
			Help:    "HTTP request duration in seconds by method and route template.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "path"}),
		ZoneOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bindcar_zone_operations_total",
			Help: "Zone operations by operation and result (success, error).",
		}, []string{"operation", "result"}),
		RNDCCommands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bindcar_rndc_commands_total",
			Help: "rndc commands by verb and result (success, error).",
		}, []string{"command", "result"}),
		RNDCDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bindcar_rndc_command_duration_seconds",
			Help:    "rndc command duration in seconds by verb.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"command"}),
		ZonesManaged: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bindcar_zones_managed",
			Help: "Number of zones managed.",
		}),
		ZonesManagedTotal: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bindcar_zones_managed_total",
			Help: "Number of zones managed (the name bindcar's dashboard queries; same value as bindcar_zones_managed).",
		}),
		AppInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bindcar_app_info",
			Help: "Build information; the value is always 1.",
		}, []string{"version"}),
		RateLimit: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bindcar_rate_limit_requests_total",
			Help: "Rate-limit decisions by result (allowed, rejected).",
		}, []string{"result"}),
		RNDCResults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bindgate_rndc_results_total",
			Help: "rndc commands by verb and outcome class (ok, exists, not_found, not_loaded, rejected, timeout, unreachable, error).",
		}, []string{"command", "class"}),
		AuthFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bindgate_auth_failures_total",
			Help: "Refused authentications by reason.",
		}, []string{"reason"}),
		Reconcile: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bindgate_reconcile_zones_total",
			Help: "Registered zones a reconcile re-added to BIND (readded) or could not restore (failed).",
		}, []string{"result"}),
		DNSMessages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bindgate_dns_messages_total",
			Help: "DNS exchanges with BIND by op (update, axfr, query) and result (ok, prereq, refused, notauth, notzone, tsig, servfail, unreachable, timeout, error).",
		}, []string{"op", "result"}),
		UpdateParts: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "bindgate_update_batch_parts",
			Help:    "Callers' changes group-committed into one update message.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
		}),
		CopyErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bindgate_copy_errors_total",
			Help: "Failed updates of the live zone copy by source: api (after an API change BIND applied; the request got 503/507), notify, sweep, read, verify (a change applied to the copy ahead of named differed from named's; the zone was transferred whole), compare (a whole-zone comparison that failed).",
		}, []string{"source"}),
		CopyChecks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bindgate_copy_local_checks_total",
			Help: "Comparisons of changes applied to the zone copy ahead of named with named's own record of them (IXFR), by result: match, differ (the zone was then transferred whole).",
		}, []string{"result"}),
		CopyCompares: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bindgate_copy_compares_total",
			Help: "Whole-zone comparisons of a zone copy with named's zone (AXFR, BINDGATE_COPY_COMPARE_INTERVAL) at the same serial, by result: same, differed (the copy was then made named's; a change without a new serial).",
		}, []string{"result"}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.HTTPRequests, m.HTTPDuration, m.ZoneOps, m.RNDCCommands, m.RNDCDuration,
		m.ZonesManaged, m.ZonesManagedTotal, m.AppInfo, m.RateLimit,
		m.KeyRotations, m.KeyInfo,
		m.RNDCResults, m.AuthFailures, m.Reconcile, m.DNSMessages, m.UpdateParts,
		m.KeyReloads, m.TLSReloads, m.Bookkeeping, m.CopyErrors, m.CopyChecks, m.CopyCompares,
	)
	m.AppInfo.WithLabelValues(version).Set(1)
	// [fix] docs/contract.md §16: bindcar never emitted its rate-limit metric; both series exist from the
	// start so that a dashboard rate() over result="rejected" is 0, not absent.
	for _, r := range []string{"allowed", "rejected"} {
		m.RateLimit.WithLabelValues(r)
	}
	for _, r := range []string{"readded", "failed"} {
		m.Reconcile.WithLabelValues(r)
	}
	for _, s := range []string{"api", "notify", "sweep", "read", "verify", "compare"} {
		m.CopyErrors.WithLabelValues(s)
	}
	for _, r := range []string{"match", "differ"} {
		m.CopyChecks.WithLabelValues(r)
	}
	for _, r := range []string{"same", "differed"} {
		m.CopyCompares.WithLabelValues(r)
	}
	for _, r := range []string{"rotated", "refused", "pending", "failed"} {
		m.KeyRotations.WithLabelValues(r)
	}
	return m
}

// ObserveRNDC records one rndc command: its duration, bindcar's success/error result (class "ok"
// is "success", every other class "error") and bindgate's finer class. It has the signature of
// rndc.Config.Observe.
func (m *Metrics) ObserveRNDC(verb, class string, d time.Duration) {
	result := "error"
	if class == "ok" {
		result = "success"
	}
	m.RNDCCommands.WithLabelValues(verb, result).Inc()
	m.RNDCDuration.WithLabelValues(verb).Observe(d.Seconds())
	m.RNDCResults.WithLabelValues(verb, class).Inc()
}

// SetZonesManaged sets bindcar_zones_managed and bindcar_zones_managed_total to n together.
func (m *Metrics) SetZonesManaged(n int) {
	m.ZonesManaged.Set(float64(n))
	m.ZonesManagedTotal.Set(float64(n))
}

// ZoneOp counts one zone operation (create, delete, modify, reload, freeze, thaw, notify,
// retransfer, and later the record operations): result "success" when err is nil, else "error".
func (m *Metrics) ZoneOp(op string, err error) {
	result := "success"
	if err != nil {
		result = "error"
	}
	m.ZoneOps.WithLabelValues(op, result).Inc()
}

// CopyError counts one failed update of the zone copy (zonesync.Config.OnError).
func (m *Metrics) CopyError(source string) { m.CopyErrors.WithLabelValues(source).Inc() }

// CopyCompared counts one whole-zone comparison of a copy with named's zone
// (zonesync.Config.OnCompare).
func (m *Metrics) CopyCompared(differed bool) {
	r := "same"
	if differed {
		r = "differed"
	}
	m.CopyCompares.WithLabelValues(r).Inc()
}

// CopyChecked counts one comparison of locally applied changes with named's (zonesync.Config.OnCheck).
func (m *Metrics) CopyChecked(match bool) {
	r := "differ"
	if match {
		r = "match"
	}
	m.CopyChecks.WithLabelValues(r).Inc()
}

// Reconciled counts one reconcile pass: zones re-added and zones that could not be restored.
func (m *Metrics) Reconciled(readded, failed int) {
	m.Reconcile.WithLabelValues("readded").Add(float64(readded))
	m.Reconcile.WithLabelValues("failed").Add(float64(failed))
}

// ObserveDNS records one exchange of the DNS client (its Observe hook) by op and result
// class; an update also counts as bindcar's "nsupdate_update" command (docs/contract.md §17).
func (m *Metrics) ObserveDNS(op, result string, d time.Duration) {
	m.DNSMessages.WithLabelValues(op, result).Inc()
	if op == "update" {
		r := "error"
		if result == "ok" {
			r = "success"
		}
		m.RNDCCommands.WithLabelValues("nsupdate_update", r).Inc()
		m.RNDCDuration.WithLabelValues("nsupdate_update").Observe(d.Seconds())
	}
}

// ObserveBatch records how many callers' changes one update message carried.
func (m *Metrics) ObserveBatch(parts int) { m.UpdateParts.Observe(float64(parts)) }

// KeyRotated counts one rotation outcome (rotated, refused, pending, failed).
func (m *Metrics) KeyRotated(result string) { m.KeyRotations.WithLabelValues(result).Inc() }

// SetKeyInfo makes the key described the only bindgate_key_info series.
func (m *Metrics) SetKeyInfo(name, algorithm, fingerprint string) {
	m.KeyInfo.Reset()
	m.KeyInfo.WithLabelValues(name, algorithm, fingerprint).Set(1)
}

// KeyReloaded counts one reload of the rndc or TSIG key by result (changed, failed).
func (m *Metrics) KeyReloaded(result string) { m.KeyReloads.WithLabelValues(result).Inc() }

// TLSReloaded counts one TLS certificate reload by result; it has the signature of
// tlsconf.Config.OnReload.
func (m *Metrics) TLSReloaded(result string) { m.TLSReloads.WithLabelValues(result).Inc() }

// BookkeepingFailed counts one failed registry, zone file or copy write around a BIND change
// (zones.Config.OnBookkeepingFailure).
func (m *Metrics) BookkeepingFailed(op string) { m.Bookkeeping.WithLabelValues(op).Inc() }
