package namedproc

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// errNoPort is returned when no free port turned up in a bounded number of tries.
var errNoPort = errors.New("no free port on 127.0.0.1")

// pickPorts returns the DNS and control ports: the given ones, or free ones where 0. A picked
// DNS port is free for both TCP and UDP; the two ports differ.
func pickPorts(dnsPort, ctlPort int) (int, int, error) {
	var err error
	if dnsPort == 0 {
		if dnsPort, err = freePort(true, ctlPort); err != nil {
			return 0, 0, err
		}
	}
	if ctlPort == 0 {
		if ctlPort, err = freePort(false, dnsPort); err != nil {
			return 0, 0, err
		}
	}
	if dnsPort == ctlPort {
		return 0, 0, fmt.Errorf("DNS and control port are both %d", dnsPort)
	}
	return dnsPort, ctlPort, nil
}

// FreePort returns a loopback port free right now over TCP, and also over UDP when udp is set,
// for a process that must keep its port across restarts (named's DNS and control ports,
// bindgate's NOTIFY listener in the crash suite). It is chosen below the kernel's ephemeral
// range (ip_local_port_range): a port of that range can be taken, between a stop and the next
// start, by any client socket on the machine, and bindgate's own UDP queries to named use such
// ports by the thousand. The port can still be taken before the process binds it: named's
// Start watches for that and retries.
func FreePort(udp bool) (int, error) { return freePort(udp, 0) }

// lowestPort is the bottom of the range FreePort picks from, above the ports services listen on.
const lowestPort = 10000

// freePort is FreePort, never avoid.
func freePort(udp bool, avoid int) (int, error) {
	top := ephemeralLow()
	for range 50 {
		p := 0 // the kernel's choice, when no range below the ephemeral one is known
		if top > lowestPort {
			p = lowestPort + rand.IntN(top-lowestPort)
		}
		if p != 0 && p == avoid {
			continue
		}
		l, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			if p == 0 {
				return 0, fmt.Errorf("pick a port: %w", err)
			}
			continue // taken: another
		}
		p = l.Addr().(*net.TCPAddr).Port
		if p == avoid {
			l.Close()
			continue
		}
		if !udp {
			l.Close()
			return p, nil
		}
		u, err := net.ListenPacket("udp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		l.Close()
		if err == nil {
			u.Close()
			return p, nil
		}
	}
	return 0, errNoPort
}

// ephemeralLow is the first port of the kernel's ephemeral range, 0 when it cannot be read.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n > 65535 {
		return 0
	}
	return n
}
