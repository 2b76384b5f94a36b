// Package namedtest is the test harness for a real named: Start runs one on loopback in
// t.TempDir() on free ports through internal/namedproc and stops it by PID in t.Cleanup,
// showing its log when the test failed; Query and SOASerial ask it bounded DNS questions;
// WipeNZD simulates losing named's ephemeral state.
//
// A test that needs named and cannot find it fails when CI=true and is skipped, with the
// install command, elsewhere, so CI cannot pass by skipping.
package namedtest
