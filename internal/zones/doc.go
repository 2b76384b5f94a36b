// Package zones is bindgate's zone service: create, delete, modify, list, status and the zone
// actions of docs/contract.md §5-§11, on top of the rndc control channel, the zone-file store and the
// durable zone registry. Mutations of one zone are serialised by a per-zone lock; different
// zones proceed in parallel (docs/contract.md §18.15).
//
// It owns a zone's configuration facts (type, whether it takes updates, dnssec-policy; see
// Facts): they come from the registry's block for zones bindgate manages, and from one cached
// showzone for any other zone; its own changes invalidate them at once. Other packages ask it
// and never keep a copy.
//
// It follows package rndc's rule for the control channel: List (and so the zone count) and
// Reconcile confirm zones with SOA queries over DNS (Prober), never a control message per zone;
// each mutation sends a constant number.
package zones
