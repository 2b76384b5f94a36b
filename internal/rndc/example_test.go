package rndc_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/bindgate/bindgate/internal/bindkey"
	"github.com/bindgate/bindgate/internal/rndc"
	"github.com/bindgate/bindgate/internal/rndc/rndctest"
)

// A Client runs commands on named's control channel, as `rndc` does. Here rndctest's fake
// channel stands in for named; against a real one, Addr is its `controls` address and Key
// the key named lists there (from rndc.conf or rndc.key).
func ExampleClient() {
	key := bindkey.Key{Name: "rndc-key", Algorithm: bindkey.HMACSHA256, Secret: []byte("0123456789abcdef0123456789abcdef")}
	named, err := rndctest.New(key)
	if err != nil {
		log.Fatal(err)
	}
	defer named.Close()
	named.Responses(map[string]rndc.Response{
		"status":     {Text: "server is up and running"},
		"zonestatus": {Result: 23, Err: "not found", Text: "no matching zone 'example.com' in any view"},
	})

	// Key is called for every new connection, so a rotated key takes effect at once.
	c, err := rndc.New(rndc.Config{Addr: named.Addr(), Key: func() bindkey.Key { return key }})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	resp, err := c.Do(ctx, "status")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Text)

	// Zone re-validates the zone name before it reaches named; named's result becomes a
	// sentinel error to match with errors.Is, never by text.
	_, err = c.Zone(ctx, "zonestatus", "example.com")
	fmt.Println(errors.Is(err, rndc.ErrNotFound))
	// Output:
	// server is up and running
	// true
}
