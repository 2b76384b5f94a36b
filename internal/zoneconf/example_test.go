package zoneconf_test

import (
	"fmt"
	"log"

	"github.com/bindgate/bindgate/internal/zoneconf"
)

// Merge changes the statements a request names and keeps every other statement of
// `rndc showzone` byte for byte; the result is the block for `rndc modzone`.
func ExampleMerge() {
	z, err := zoneconf.ParseShowzone(`zone "example.com" { type primary; file "example.com.zone"; ` +
		`allow-transfer { 10.0.0.0/8; key "xfr-key"; }; notify explicit; };`)
	if err != nil {
		log.Fatal(err)
	}
	// Address lists are parsed and validated first; key elements of the old list are kept.
	acl, err := zoneconf.ParseACL("allowTransfer", []string{"192.0.2.53"})
	if err != nil {
		log.Fatal(err)
	}
	block, changed, err := zoneconf.Merge(z, zoneconf.Modification{AllowTransfer: &acl})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(changed)
	fmt.Println(block)
	// Output:
	// true
	// { type primary; file "example.com.zone"; allow-transfer { key "xfr-key"; 192.0.2.53; }; notify explicit; };
}
