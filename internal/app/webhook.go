package app

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"

	"github.com/bindgate/bindgate/internal/config"
)

// webhookListener opens the ExternalDNS webhook's listener (issue 12), or returns nil when
// the webhook is off. Off loopback it warns: the protocol has no authentication.
func (h *handle) webhookListener(cfg config.Config, opt Options, log *slog.Logger) (net.Listener, error) {
	if h.webhook == nil {
		return nil, nil
	}
	ln := opt.WebhookListener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", cfg.Webhook.Addr); err != nil {
			return nil, config.Errorf(config.SettingWebhookAddr, "listen on %s: %w", cfg.Webhook.Addr, err)
		}
	}
	if a, ok := ln.Addr().(*net.TCPAddr); ok && !a.IP.IsLoopback() {
		log.Warn("the ExternalDNS webhook listens beyond loopback: it has no authentication, so anyone who reaches it may change the zones of its principal",
			"addr", ln.Addr().String(), "principal", cfg.Webhook.Principal)
	}
	log.Info("ExternalDNS webhook serving", "addr", ln.Addr().String(), "principal", cfg.Webhook.Principal,
		"domains", cfg.Webhook.Domains)
	return ln, nil
}

// serveWebhook serves until stopWebhook; an unexpected end is logged (the API keeps serving).
func (h *handle) serveWebhook(ln net.Listener, log *slog.Logger) {
	if err := h.webhook.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("ExternalDNS webhook stopped serving", "err", err)
	}
}

// stopWebhook shuts the webhook down, waiting for requests in flight as the API does.
func (h *handle) stopWebhook(log *slog.Logger) {
	if h.webhook == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := h.webhook.Shutdown(ctx); err != nil {
		log.Warn("ExternalDNS webhook shutdown cut requests in flight", "err", err)
	}
}
