package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/bindgate/bindgate/internal/config"
)

// Options are the parts of New's input that do not come from the Auth section.
type Options struct {
	// Mode is cfg.AuthMode() of the whole configuration: a tokens file (an access setting)
	// also selects the token mode.
	Mode   string
	Logger *slog.Logger // defaults to discarding
	// InCluster returns the pod's TokenReview target when KUBE_API_SERVER is unset; nil means
	// InClusterConfig(os.LookupEnv, "/").
	InCluster func() (TokenReviewConfig, error)
	// TokenFile holds the named tokens (OpenTokenFile), nil when there are none. In the token
	// mode they are accepted beside the shared secret, or instead of it when it is unset.
	TokenFile *TokenFile
}

// New builds the authenticator of the mode (docs/contract.md §15.1): none, the shared secret, or a
// TokenReview. TokenReview targets KUBE_API_SERVER, KUBE_TOKEN_PATH and KUBE_CA_CERT_PATH when
// set (config's Guard makes it all three or none), else the pod's in-cluster API server and
// service account files. A target that cannot work is a *config.SettingError naming the
// setting (docs/contract.md §15.3). The result may implement io.Closer.
func New(cfg config.Auth, o Options) (Authenticator, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch o.Mode {
	case config.AuthDisabled:
		return NewNone(), nil
	case config.AuthToken:
		return tokens(cfg.Token, o.TokenFile), nil
	}
	source := "KUBE_API_SERVER"
	trc := TokenReviewConfig{APIServer: cfg.KubeAPIServer, TokenPath: cfg.KubeTokenPath, CACertPath: cfg.KubeCACertPath}
	if cfg.KubeAPIServer == "" {
		source = "in-cluster"
		inCluster := o.InCluster
		if inCluster == nil {
			inCluster = func() (TokenReviewConfig, error) { return InClusterConfig(os.LookupEnv, "/") }
		}
		var err error
		if trc, err = inCluster(); err != nil {
			return nil, settingError(cfg, err)
		}
	}
	trc.Audiences = cfg.TokenAudiences
	trc.AllowedServiceAccounts, trc.AllowedNamespaces, trc.AllowAny = cfg.AllowedServiceAccounts, cfg.AllowedNamespaces, cfg.AllowAnyServiceAccount
	trc.Logger = log
	tr, err := NewTokenReview(trc)
	if err != nil {
		return nil, settingError(cfg, err)
	}
	log.Info("authentication: Kubernetes TokenReview", "source", source, "endpoint", tr.Endpoint(),
		"audiences", cfg.TokenAudiences, "allowed_service_accounts", cfg.AllowedServiceAccounts,
		"allowed_namespaces", cfg.AllowedNamespaces, "allow_any_serviceaccount", cfg.AllowAnyServiceAccount)
	return tr, nil
}

// settingError names the setting behind a *ConfigError; config owns the names.
func settingError(cfg config.Auth, err error) error {
	ce, ok := errors.AsType[*ConfigError](err)
	if !ok {
		return fmt.Errorf("TokenReview authentication: %w", err)
	}
	return &config.SettingError{Setting: cfg.TokenReviewSetting(ce.Field),
		Err: fmt.Errorf("TokenReview authentication (BIND_API_TOKEN is not set): %w", ce.Err)}
}

// tokens accepts the shared secret, the named tokens of a file, or either.
func tokens(secret config.Secret, f *TokenFile) Authenticator {
	switch {
	case f == nil:
		return NewStatic(secret.Reveal())
	case secret == "":
		return f
	}
	return Any(NewStatic(secret.Reveal()), f)
}
