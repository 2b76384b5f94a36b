package access

import (
	"context"
	"log/slog"
	"time"

	"github.com/bindgate/bindgate/internal/config"
)

// checkInterval is how often New's policy looks at its file again (besides Reload on SIGHUP).
const checkInterval = 5 * time.Second

// New builds the policy of the access section: the file BINDGATE_ACCESS_FILE names, re-read by
// Watch every 5 s and by Reload. With no file it returns nil, which allows every
// authenticated principal everything. An error is a *config.SettingError naming the setting.
func New(ctx context.Context, cfg config.Access, log *slog.Logger) (*Policy, error) {
	if cfg.PolicyFile == "" {
		return nil, nil
	}
	p, err := Load(ctx, cfg.PolicyFile, checkInterval, log)
	if err != nil {
		return nil, config.Errorf(config.SettingAccessFile, "%w", err)
	}
	return p, nil
}
