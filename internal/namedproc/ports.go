package namedproc

import (
	"errors"
	"fmt"
	"net"
	"strconv"
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

// freePort binds 127.0.0.1:0 over TCP (and, when udp is set, the same port over UDP), closes
// the sockets and returns the port; never avoid. The port can still be taken before named
// binds it: Start watches for that and retries.
func freePort(udp bool, avoid int) (int, error) {
	for range 20 {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("pick a port: %w", err)
		}
		p := l.Addr().(*net.TCPAddr).Port
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
