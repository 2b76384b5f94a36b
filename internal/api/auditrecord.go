package api

import (
	"context"
	"log/slog"
	"strings"
)

// AuditRecord is one audit line written by a listener other than the API (the ExternalDNS
// webhook, issue 12), in the API's shape and within the same bounds, so one reader handles
// both.
type AuditRecord struct {
	RequestID, Principal, SourceIP, Method, Route, Zone string
	Status                                              int
	Reason                                              string   // why it was refused, if it was
	Changes                                             []string // "REPLACE www.example.com. A", …
}

// WriteAudit writes r to log (nil: nothing) as the API's audit middleware writes its lines.
func WriteAudit(log *slog.Logger, r AuditRecord) {
	if log == nil {
		return
	}
	result := "ok"
	switch {
	case r.Status == 401 || r.Status == 403 || r.Status == 429:
		result = "denied"
	case r.Status >= 400:
		result = "failed"
	}
	a := newAuditAttrs()
	a.add("request_id", r.RequestID, maxAuditAttr)
	a.add("principal", r.Principal, maxAuditAttr)
	a.add("source_ip", r.SourceIP, maxAuditAttr)
	a.add("method", r.Method, maxAuditAttr)
	a.add("route", r.Route, maxAuditAttr)
	a.add("zone", r.Zone, maxAuditAttr)
	a.attrs = append(a.attrs, slog.Int("status", r.Status), slog.String("result", result))
	if r.Reason != "" {
		a.add("reason", r.Reason, maxAuditAttr)
	}
	if len(r.Changes) > 0 {
		ch := r.Changes
		if len(ch) > maxAuditChanges {
			ch = append(ch[:maxAuditChanges:maxAuditChanges], "…")
		}
		a.add("changes", strings.Join(ch, ", "), maxAuditChangesAttr)
	}
	if a.truncated {
		a.attrs = append(a.attrs, slog.Bool("truncated", true))
	}
	log.LogAttrs(context.Background(), slog.LevelInfo, "audit", a.attrs...)
}
