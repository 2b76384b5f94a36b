package api

import (
	"log/slog"
	"os"

	"github.com/bindgate/bindgate/internal/config"
)

// AuditSink is where audit lines go (BINDGATE_AUDIT_LOG): stderr, stdout, nowhere, or a file
// appended to with mode 0600. Its Logger is what Config.Audit takes.
type AuditSink struct {
	Logger *slog.Logger // nil when the sink is "off"
	f      *os.File     // the file, when the sink is one
}

// OpenAudit opens the audit sink of the access section. An error is a *config.SettingError
// naming the setting.
func OpenAudit(cfg config.Access) (*AuditSink, error) {
	switch cfg.AuditLog {
	case "off":
		return &AuditSink{}, nil
	case "stderr":
		return &AuditSink{Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))}, nil
	case "stdout":
		return &AuditSink{Logger: slog.New(slog.NewJSONHandler(os.Stdout, nil))}, nil
	}
	f, err := os.OpenFile(cfg.AuditLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, config.Errorf(config.SettingAuditLog, "%w", err)
	}
	return &AuditSink{Logger: slog.New(slog.NewJSONHandler(f, nil)), f: f}, nil
}

// Close closes the file; its error reports audit lines the kernel could not write, so the
// caller must return it (issue 8 item 5). The standard streams are left open.
func (s *AuditSink) Close() error {
	if s.f == nil {
		return nil
	}
	if err := s.f.Close(); err != nil {
		return config.Errorf(config.SettingAuditLog, "%w", err)
	}
	return nil
}
