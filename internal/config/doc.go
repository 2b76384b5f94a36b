// Package config reads bindgate's configuration and holds its startup guards.
//
// Load takes bindcar's environment variables (docs/contract.md §14.1) and a command-line flag for
// each, flags winning; a secret has no flag, since argv is visible to every process
// (docs/contract.md §19 B-7), only an environment variable and a *_FILE variant. The rndc and TSIG keys
// are resolved per parameter: environment, then rndc.conf, then defaults (§14.3). Startup does
// not contact BIND, and checking that directories exist and are writable is the caller's job.
//
// Every invalid value stops startup (§18.23, §19 A16) with an error that names the setting
// (a *SettingError) and never holds a secret or file content (§19 A3, B-7). Guard holds the
// startup guards of §15.3 as a pure function of a loaded Config.
package config
