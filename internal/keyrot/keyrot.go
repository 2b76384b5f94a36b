package keyrot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/bindgate/bindgate/internal/bindkey"
)

// Set is the pair of keys bindgate uses, switched together: the control channel's and the
// TSIG key of dynamic updates (often the same key).
type Set struct {
	RNDC, TSIG bindkey.Key
}

// Equal reports whether s and o hold the same keys.
func (s Set) Equal(o Set) bool { return s.RNDC.Equal(o.RNDC) && s.TSIG.Equal(o.TSIG) }

// Results of a rotation, the values of bindgate_key_rotations_total{result}.
const (
	Rotated   = "rotated"   // named and bindgate use the new key
	Refused   = "refused"   // the new key does not parse, is weak, or renames the key; the old one stays
	Pending   = "pending"   // named still refuses the new key after reconfig; the old one stays
	Failed    = "failed"    // named could not be driven (unreachable, refuses both keys)
	Unchanged = "unchanged" // a hand trigger found nothing new (never counted)
)

// States of the key in use, for status and readiness.
const (
	StateOK      = "ok"
	StatePending = "pending" // a new key waits for named (Pending)
	StateFailed  = "failed"  // the last attempt failed or was refused
)

// Errors returned by Switch (the watcher retries Pending and Failed).
var (
	ErrPending = errors.New("named did not load the new key (does named.conf include the key file?); keeping the key in use")
	ErrRenamed = errors.New("the key name changed; zones' allow-update and named.conf's controls name the key, so bindgate refuses the rotation: keep the name, or restart named and bindgate with the new name")
	ErrFailed  = errors.New("named could not be moved to the new key; keeping the key in use")
)

// Info describes a key without its secret.
type Info struct {
	Name        string    `json:"name"`
	Algorithm   string    `json:"algorithm"`
	Fingerprint string    `json:"fingerprint"` // first 8 hex digits of SHA-256 of the secret
	LoadedAt    time.Time `json:"loadedAt"`
}

// Fingerprint is the first 8 hex digits of SHA-256 of k's secret: enough to tell keys apart in
// logs and status, useless for recovering the secret.
func Fingerprint(k bindkey.Key) string {
	sum := sha256.Sum256(k.Secret)
	return hex.EncodeToString(sum[:4])
}

func describe(k bindkey.Key, at time.Time) Info {
	return Info{Name: k.Name, Algorithm: k.Algorithm.String(), Fingerprint: Fingerprint(k), LoadedAt: at}
}

// Status is the key part of GET /api/v1/server/status.
type Status struct {
	Key   Info   `json:"key"`               // the rndc key in use
	TSIG  *Info  `json:"tsigKey,omitempty"` // the TSIG key, when it is not the rndc key
	State string `json:"keyState"`          // ok, pending, failed
	// Next is the key waiting for named (state pending) or last refused (state failed).
	Next *Info `json:"nextKey,omitempty"`
	// Reason says why the state is not ok.
	Reason string `json:"keyReason,omitempty"`
}

// Prober talks to named with a given key. The default uses short-lived rndc and DNS clients.
type Prober interface {
	// Reconfig sends `reconfig` authenticated with key.
	Reconfig(ctx context.Context, key bindkey.Key) error
	// Status sends `status` authenticated with key.
	Status(ctx context.Context, key bindkey.Key) error
	// TSIG sends a query signed with key; nil when named accepts the key.
	TSIG(ctx context.Context, key bindkey.Key) error
	// KeyRefused reports whether an error of the above is named refusing the key.
	KeyRefused(err error) bool
}

// Config configures a Rotator.
type Config struct {
	// Prober reaches named; see NewProber.
	Prober Prober
	// Logger defaults to discarding; Audit gets one "audit" line per rotation outcome.
	Logger, Audit *slog.Logger
	// OnResult is told each rotation's result (once per new key content) and the rndc and
	// TSIG keys in use after it (metrics). It must not block.
	OnResult func(result string, rndc, tsig Info)
	// Timeout bounds one switch (reconfig and proofs), which requests wait for; default 1.5 s.
	Timeout time.Duration
	// Now defaults to time.Now.
	Now func() time.Time
}

// DefaultTimeout bounds a switch: requests wait at most this long (issue 10: under 2 s).
const DefaultTimeout = 1500 * time.Millisecond

// Rotator implements the switch. Create it with New; its methods are safe for concurrent use.
type Rotator struct {
	cfg  Config
	gate sync.RWMutex

	mu       sync.Mutex
	cur      Set
	loadedAt time.Time
	prev     *Set
	next     *Set // the new keys while pending or failed
	state    string
	reason   string
	noted    string // result and fingerprints last logged, so each outcome is logged once

	kick     sync.Mutex // serialises OtherRNDC/OtherTSIG's reloads
	kickDone time.Time
	reload   func(ctx context.Context) (bool, error)
}

// New returns a Rotator whose keys in use are initial.
func New(cfg Config, initial Set) (*Rotator, error) {
	if cfg.Prober == nil {
		return nil, errors.New("keyrot: Config.Prober is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := &Rotator{cfg: cfg, cur: initial, loadedAt: cfg.Now(), state: StateOK}
	return r, nil
}

// Bind sets the watcher's Reload, which Reload, OtherRNDC and OtherTSIG call.
func (r *Rotator) Bind(reload func(ctx context.Context) (bool, error)) { r.reload = reload }

// Gate is the lock the rndc and DNS clients hold shared (rndc.Config.Gate,
// dnsclient.Config.Gate); a switch holds it exclusively.
func (r *Rotator) Gate() *sync.RWMutex { return &r.gate }

// Status describes the keys in use and the rotation state.
func (r *Rotator) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := Status{Key: describe(r.cur.RNDC, r.loadedAt), State: r.state, Reason: r.reason}
	if !r.cur.TSIG.Equal(r.cur.RNDC) {
		t := describe(r.cur.TSIG, r.loadedAt)
		st.TSIG = &t
	}
	if r.next != nil && r.state != StateOK {
		n := describe(r.next.RNDC, time.Time{})
		st.Next = &n
	}
	return st
}

// Report is the answer to a hand trigger (SIGHUP, POST /api/v1/server/keys/reload).
type Report struct {
	Result string `json:"result"` // rotated, unchanged, refused, pending, failed
	Status
}

// Reload looks at the key files now and rotates when they changed; it is what SIGHUP and POST
// /api/v1/server/keys/reload do.
func (r *Rotator) Reload(ctx context.Context) (Report, error) {
	if r.reload == nil {
		return Report{Result: Unchanged, Status: r.Status()}, nil
	}
	changed, err := r.reload(ctx)
	if !changed && err == nil {
		r.withdrawn()
	}
	rep := Report{Result: Unchanged, Status: r.Status()}
	switch {
	case changed:
		rep.Result = Rotated
	case errors.Is(err, ErrPending):
		rep.Result = Pending
	case errors.Is(err, ErrFailed):
		rep.Result = Failed
	case err != nil:
		rep.Result = Refused
	}
	return rep, nil
}

// withdrawn clears a pending or failed state once the files hold the key in use again (a new
// key put back, as `bindgate rotate-key` does when named could not be moved): nothing waits.
func (r *Rotator) withdrawn() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state == StateOK {
		return
	}
	r.cfg.Logger.Info("key rotation: new key withdrawn; the key files hold the key in use again",
		"action", "key.rotate", "name", r.cur.RNDC.Name, "fingerprint", Fingerprint(r.cur.RNDC))
	r.state, r.reason, r.next, r.noted = StateOK, "", nil, ""
}

// Switch is the watcher's Switch (filewatch.Config.Switch): it drives named onto nw while
// requests wait at the gate, and commits only when named has proved the new keys.
func (r *Rotator) Switch(ctx context.Context, old, nw Set, commit func()) error {
	if old.Equal(nw) {
		return nil // the files changed, the keys did not (a comment, a new include path)
	}
	if old.RNDC.Name != nw.RNDC.Name || old.TSIG.Name != nw.TSIG.Name {
		err := fmt.Errorf("%w (%q to %q)", ErrRenamed, old.TSIG.Name, nw.TSIG.Name)
		r.settle(Refused, nw, err, "")
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeout)
	defer cancel()
	start := r.cfg.Now()
	r.gate.Lock()
	defer r.gate.Unlock()
	p := r.cfg.Prober
	r.mu.Lock()
	retry := r.state == StatePending && r.next != nil && r.next.Equal(nw)
	r.mu.Unlock()
	// A pending key's retries only prove it (named restarted by someone, say): named already
	// re-read its configuration for it once, and each reconfig costs named work.
	var reconfigErr error
	if !retry {
		reconfigErr = p.Reconfig(ctx, old.RNDC)
	}
	var proveErr error
	if !old.RNDC.Equal(nw.RNDC) {
		proveErr = p.Status(ctx, nw.RNDC)
	}
	if proveErr == nil && !old.TSIG.Equal(nw.TSIG) {
		proveErr = p.TSIG(ctx, nw.TSIG)
	}
	switch {
	case proveErr == nil:
		commit()
		how := "reconfigured named with the old key"
		if reconfigErr != nil {
			how = "named already had the new key" // restarted, or reconfigured by someone else
		}
		r.mu.Lock()
		r.prev, r.cur, r.loadedAt = &old, nw, r.cfg.Now()
		r.mu.Unlock()
		r.settle(Rotated, nw, nil, how, "pause", r.cfg.Now().Sub(start).String())
		return nil
	case reconfigErr == nil && p.KeyRefused(proveErr):
		err := fmt.Errorf("%w: %w", ErrPending, proveErr)
		r.settle(Pending, nw, err, "")
		return err
	default:
		err := fmt.Errorf("%w: reconfig with the old key: %w; the new key: %w", ErrFailed, errOrOK(reconfigErr), proveErr)
		r.settle(Failed, nw, err, "")
		return err
	}
}

func errOrOK(err error) error {
	if err == nil {
		return errors.New("ok")
	}
	return err
}

// Refuse records new key content that did not load (a parse error, a weak algorithm), as told
// by the watcher's OnResult; the key in use stays.
func (r *Rotator) Refuse(err error) {
	r.settle(Refused, Set{}, err, "")
}

// settle records a rotation's outcome and logs, audits and reports it once per outcome and
// key content.
func (r *Rotator) settle(result string, nw Set, err error, how string, extra ...any) {
	r.mu.Lock()
	note := result + "/" + Fingerprint(nw.RNDC) + "/" + Fingerprint(nw.TSIG)
	if nw.RNDC.Name == "" && err != nil { // content that did not load: one note per message
		note += "/" + err.Error()
	}
	first := note != r.noted
	r.noted = note
	switch result {
	case Rotated:
		r.state, r.reason, r.next = StateOK, "", nil
	case Pending:
		r.state, r.reason, r.next = StatePending, err.Error(), &nw
	default:
		r.state, r.reason = StateFailed, err.Error()
		if nw.RNDC.Name != "" {
			r.next = &nw
		}
	}
	cur, at := r.cur, r.loadedAt
	r.mu.Unlock()
	if !first {
		return
	}
	attrs := []any{"action", "key.rotate", "result", result,
		"name", cur.RNDC.Name, "algorithm", cur.RNDC.Algorithm.String(), "fingerprint", Fingerprint(cur.RNDC)}
	if nw.RNDC.Name != "" && result != Rotated {
		attrs = append(attrs, "new_name", nw.RNDC.Name, "new_fingerprint", Fingerprint(nw.RNDC))
	}
	if how != "" {
		attrs = append(attrs, "how", how)
	}
	attrs = append(attrs, extra...)
	if err != nil {
		attrs = append(attrs, "err", err.Error())
		r.cfg.Logger.Warn("key rotation: "+result, attrs...)
	} else {
		r.cfg.Logger.Info("key rotation: "+result, attrs...)
	}
	if r.cfg.Audit != nil {
		r.cfg.Audit.Info("audit", attrs...)
	}
	if r.cfg.OnResult != nil {
		r.cfg.OnResult(result, describe(cur.RNDC, at), describe(cur.TSIG, at))
	}
}

// OtherRNDC is rndc.Config.OtherKey: named refused the rndc key refused.
func (r *Rotator) OtherRNDC(ctx context.Context, refused bindkey.Key) (bindkey.Key, bool) {
	return r.other(ctx, refused, func(s Set) bindkey.Key { return s.RNDC })
}

// OtherTSIG is dnsclient.Config.OtherKey: named refused the TSIG key refused.
func (r *Rotator) OtherTSIG(ctx context.Context, refused bindkey.Key) (bindkey.Key, bool) {
	return r.other(ctx, refused, func(s Set) bindkey.Key { return s.TSIG })
}

// other has the watcher look at the files now (one reload for a burst of refusals: named may
// hold a key bindgate has not seen yet), then offers the first of the current, next and
// previous keys that is not the refused one.
func (r *Rotator) other(ctx context.Context, refused bindkey.Key, pick func(Set) bindkey.Key) (bindkey.Key, bool) {
	asked := r.cfg.Now()
	r.kick.Lock()
	if r.reload != nil && !r.kickDone.After(asked) {
		_, _ = r.reload(ctx)
		r.kickDone = r.cfg.Now()
	}
	r.kick.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range []*Set{&r.cur, r.next, r.prev} {
		if s == nil {
			continue
		}
		if k := pick(*s); k.Name != "" && !k.Equal(refused) {
			return k, true
		}
	}
	return bindkey.Key{}, false
}
