// Package zones is bindgate's zone service: create, delete, modify, list, status and the zone
// actions of CONTRACT §5-§11, on top of the rndc control channel, the zone-file store and the
// durable zone registry. Mutations of one zone are serialised by a per-zone lock; different
// zones proceed in parallel (CONTRACT §18.15).
package zones
