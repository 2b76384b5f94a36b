// Package metrics defines bindgate's Prometheus metrics on a private registry, with the Go and
// process collectors.
//
// The bindcar_* names, types, labels and buckets are read by bindcar's published dashboard and
// are frozen by docs/contract.md §17; metrics that bindcar did not have start with bindgate_. Label
// values are bounded: route templates rather than paths, rndc verbs, fixed result classes
// (docs/contract.md §19 A-4). A Metrics value is created once per process (or per test) and passed to the
// packages that record into it; nothing here is a package-level registry.
package metrics
