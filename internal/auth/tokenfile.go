package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/bindgate/bindgate/internal/config"
	"github.com/bindgate/bindgate/internal/filewatch"
)

// TokenFile authenticates against a file of named tokens stored as SHA-256 digests, so the
// file holds no usable credential:
//
//	{"tokens": [{"name": "ci", "sha256": "<64 hex digits of sha256(token)>"}]}
//
// Make a digest with `printf %s "$TOKEN" | sha256sum`. The file is re-read when its content
// changes (Watch, Reload: filewatch); a file that no longer parses keeps the previous tokens. Every entry is
// compared, in constant time, whatever matches, so timing says nothing about which.
type TokenFile struct {
	file *filewatch.Watcher[*tokenSet]
}

type tokenSet struct {
	names   []string
	digests [][sha256.Size]byte
}

type tokenFileJSON struct {
	Tokens []struct {
		Name   string `json:"name"`
		SHA256 string `json:"sha256"`
	} `json:"tokens"`
}

var principalName = regexp.MustCompile(`^[A-Za-z0-9._:@-]{1,128}$`)

// NewTokenFile loads path; a missing or invalid file is a startup error that names the file
// and the entry, never a digest. Watch re-reads it every interval (0: only Reload).
func NewTokenFile(ctx context.Context, path string, every time.Duration, log *slog.Logger) (*TokenFile, error) {
	c := filewatch.OneFile("tokens file", path, parseTokenFile)
	c.Interval, c.Logger = every, log
	f, err := filewatch.New(ctx, c)
	if err != nil {
		return nil, err
	}
	return &TokenFile{file: f}, nil
}

// OpenTokenFile loads the tokens file of the access section (BIND_API_TOKENS_FILE), which
// Watch re-reads every 5 s; with none set it returns nil. An error is a *config.SettingError
// naming the setting. Pass the result to New as Options.TokenFile.
func OpenTokenFile(ctx context.Context, cfg config.Access, log *slog.Logger) (*TokenFile, error) {
	if cfg.TokensFile == "" {
		return nil, nil
	}
	f, err := NewTokenFile(ctx, cfg.TokensFile, tokenFileInterval, log)
	if err != nil {
		return nil, config.Errorf(config.SettingTokensFile, "%w", err)
	}
	return f, nil
}

// tokenFileInterval is how often OpenTokenFile's file is looked at again (besides Reload on SIGHUP).
const tokenFileInterval = 5 * time.Second

// Reload re-reads the file if its content changed; changed reports a swap. A nil *TokenFile
// has nothing to reload.
func (f *TokenFile) Reload(ctx context.Context) (changed bool, err error) {
	if f == nil {
		return false, nil
	}
	return f.file.Reload(ctx)
}

// Watch re-reads the file every interval until ctx ends, logging swaps and failures; for a nil
// *TokenFile it returns at once.
func (f *TokenFile) Watch(ctx context.Context) {
	if f != nil {
		f.file.Watch(ctx)
	}
}

func parseTokenFile(b []byte) (*tokenSet, error) {
	var doc tokenFileJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, errors.New("not valid JSON of the form {\"tokens\":[{\"name\":…,\"sha256\":…}]}")
	}
	if len(doc.Tokens) == 0 {
		return nil, errors.New("no tokens")
	}
	set := &tokenSet{}
	seen := map[string]bool{}
	for i, t := range doc.Tokens {
		if !principalName.MatchString(t.Name) || seen[t.Name] {
			return nil, fmt.Errorf("tokens[%d]: name must be unique, 1-128 of [A-Za-z0-9._:@-]", i)
		}
		d, err := hex.DecodeString(t.SHA256)
		if err != nil || len(d) != sha256.Size {
			return nil, fmt.Errorf("tokens[%d] (%s): sha256 must be 64 hex digits", i, t.Name)
		}
		seen[t.Name] = true
		set.names = append(set.names, t.Name)
		set.digests = append(set.digests, [sha256.Size]byte(d))
	}
	return set, nil
}

// Authenticate implements Authenticator.
func (f *TokenFile) Authenticate(r *http.Request) (Principal, error) {
	tok, err := BearerToken(r)
	if err != nil {
		return Principal{}, err
	}
	d := sha256.Sum256([]byte(tok))
	set := f.file.Get()
	match := -1
	for i := range set.digests {
		if subtle.ConstantTimeCompare(d[:], set.digests[i][:]) == 1 {
			match = i
		}
	}
	if match < 0 {
		return Principal{}, &refusal{ReasonMismatch}
	}
	return Principal{Name: set.names[match]}, nil
}

// Any tries each authenticator in turn and returns the first success; the refusal of the last
// one otherwise. It combines BIND_API_TOKEN with a tokens file.
func Any(list ...Authenticator) Authenticator { return anyOf(list) }

type anyOf []Authenticator

func (a anyOf) Authenticate(r *http.Request) (Principal, error) {
	err := error(&refusal{ReasonMismatch})
	for _, au := range a {
		var p Principal
		if p, err = au.Authenticate(r); err == nil {
			return p, nil
		}
	}
	return Principal{}, err
}
