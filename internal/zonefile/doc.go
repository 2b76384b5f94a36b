// Package zonefile renders the zone file bindgate writes for a new primary (docs/contract.md §7.2) and
// keeps zone files in BIND_ZONE_DIR through an *os.Root (docs/contract.md §19 B-1).
//
// Rendering validates every field first (records with internal/rrdata, restricted to the
// docs/contract.md §5 types), writes each record from the RR miekg/dns parsed out of the caller's value
// (docs/contract.md §19 B-8), and then reads the whole text back with a
// dns.ZoneParser (origin = the zone, $INCLUDE off): the SOA first, then exactly the records
// intended, each equal to the one validated. No caller text can therefore add a "$" directive,
// a second record or an out-of-zone name to the file (docs/contract.md §19 C-2). Every input error
// wraps ErrInvalid and reads well after "Invalid request: ".
//
// The Store re-validates every zone name it is given with zonename (sink re-validation,
// docs/contract.md §4, §18.20) and knows which files named keeps beside a zone file, so that stale
// journals of an earlier zone of the same name never reach a new one (docs/contract.md §9, §18.2).
package zonefile
