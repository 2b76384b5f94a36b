package keyrot

import (
	"context"
	"errors"

	"github.com/miekg/dns"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/dnsclient"
	"github.com/bindgate/bindgate/internal/rndc"
)

// NewProber returns the Prober for named's control channel at rndcAddr and DNS at dnsAddr. Each
// call uses a client of its own with no pooling, so nothing made with one key outlives it.
func NewProber(rndcAddr, dnsAddr string) Prober { return prober{rndcAddr, dnsAddr} }

type prober struct{ rndcAddr, dnsAddr string }

func (p prober) do(ctx context.Context, key bindkey.Key, command string) error {
	c, err := rndc.New(rndc.Config{Addr: p.rndcAddr, Key: func() bindkey.Key { return key }, MaxIdle: -1})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Do(ctx, command)
	return err
}

func (p prober) Reconfig(ctx context.Context, key bindkey.Key) error {
	return p.do(ctx, key, "reconfig")
}

func (p prober) Status(ctx context.Context, key bindkey.Key) error { return p.do(ctx, key, "status") }

// TSIG asks named for the root SOA signed with key: named checks the TSIG before anything
// else, so any answer but a TSIG error (REFUSED, NOTAUTH for a zone it does not serve) means
// it knows the key.
func (p prober) TSIG(ctx context.Context, key bindkey.Key) error {
	c, err := dnsclient.New(dnsclient.Config{Addr: p.dnsAddr, Key: func() bindkey.Key { return key }, MaxIdle: -1})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Query(ctx, ".", dns.TypeSOA)
	if err == nil || errors.Is(err, dnsclient.ErrRefused) || errors.Is(err, dnsclient.ErrNotAuth) || errors.Is(err, dnsclient.ErrNotZone) {
		return nil
	}
	return err
}

func (prober) KeyRefused(err error) bool {
	return errors.Is(err, rndc.ErrRejected) || errors.Is(err, rndc.ErrBadSignature) ||
		errors.Is(err, dnsclient.ErrTSIG)
}
