// Package filewatch is bindgate's one mechanism for files that change under a running process:
// rndc and TSIG keys, the TLS certificate set, the tokens file and the access file.
//
// A Watcher holds the value parsed from a set of files. Reload reads the files and, when the
// SHA-256 over their content differs from the content in use, parses them and swaps the new
// value in; content that does not parse (or that Switch refuses) keeps the value in use, is
// logged and reported to OnResult, and is not reported again until it changes. Watch calls
// Reload after fsnotify events in the files' directories (debounced, 250 ms), and every
// interval as a safety net (the CoreDNS reload plugin's timer-plus-hash model); a directory
// that cannot be watched leaves the timer, with a log line. SIGHUP and other hand triggers
// call Reload directly. Files are read by path every time, so a Kubernetes Secret or
// ConfigMap volume's `..data` symlink swap is followed.
//
// What it must never do: log file content (errors name files, never what is in them), or keep
// a value that did not parse.
//
// Coordinated switches: Config.Switch is called with the old and the new value instead of a
// plain swap; it commits the new value when it is ready (named has loaded the new key, say)
// or refuses it, and Watch then retries with a backoff. Paths reports the files the current
// value came from.
package filewatch
