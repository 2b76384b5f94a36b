package app

import (
	"log/slog"
	"net/http"
	"time"
)

// Limits on slow and oversized clients. They fit bindy's client, which gives a request 30 s
// and whose bodies are small (docs/contract.md §1), and the 25 s within which bindgate answers.
const (
	readHeaderTimeout = 10 * time.Second  // request line and headers; also bounds the TLS handshake
	readTimeout       = 30 * time.Second  // the whole request, body included
	writeTimeout      = 35 * time.Second  // from the end of the headers to the end of the answer: 25 s plus slack
	idleTimeout       = 120 * time.Second // a kept-alive connection between requests
	maxHeaderBytes    = 64 << 10          // request line and headers; bindy sends a handful
)

// serverLimits are the http.Server timeouts and header cap; tests shrink them.
type serverLimits struct {
	ReadHeader, Read, Write, Idle time.Duration
	MaxHeaderBytes                int
}

func defaultLimits() serverLimits {
	return serverLimits{
		ReadHeader: readHeaderTimeout, Read: readTimeout, Write: writeTimeout, Idle: idleTimeout,
		MaxHeaderBytes: maxHeaderBytes,
	}
}

// newServer is the API's http.Server. Its errors, TLS handshake failures included, go to log
// at warning level.
func newServer(h http.Handler, log *slog.Logger, l serverLimits) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeader,
		ReadTimeout:       l.Read,
		WriteTimeout:      l.Write,
		IdleTimeout:       l.Idle,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}
