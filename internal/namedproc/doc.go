// Package namedproc starts and stops a private BIND 9 named on loopback.
//
// Start writes a generated (or given) HMAC key to Dir/rndc.key, a named.conf that listens only
// on 127.0.0.1 (DNS and control channel, on free ports unless given), and an rndc.conf a human
// can use with `rndc -c Dir/rndc.conf status`. named then runs in the foreground (-g) as a child
// in its own process group with an environment of PATH only, so the caller owns its PID; Stop
// ends it by that PID.
//
// Start returns only when named has logged "running", accepts TCP connections on its control
// port and answers a DNS query on its DNS port. named keeps running when it cannot bind its
// control port or the TCP side of its DNS port, so Start also watches named's log for bind
// failures: otherwise a port taken by another process between picking and binding would pass
// the probes against that other process. Picked ports are re-picked up to three times.
//
// As root with no Options.User, named runs as root (Debian's named accepts that). With a User,
// named is started with -u and Dir is chowned to that user; its parents must be traversable.
//
// Both `bindgate dev` and the test harness internal/namedtest use this package, so it does not
// import testing.
package namedproc
