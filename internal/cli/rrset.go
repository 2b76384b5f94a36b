package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bindgate/bindgate/internal/rrdata"
	"github.com/bindgate/bindgate/internal/zonename"
)

// Limits of one PATCH (README "Records"): at most 1,000 records and one DNS message of
// about 64,500 bytes. A file above them is applied in several PATCHes; the byte bound here
// is a conservative estimate (names uncompressed) so that a part is rarely refused.
const (
	maxPatchRecords = 1000
	maxPatchBytes   = 48000
	defaultTTL      = 3600 // the API's default TTL of an RRset without one
)

// rrset is GET /rrsets' RRset.
type rrset struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	TTL     uint32   `json:"ttl"`
	Records []string `json:"records"`
}

// zoneData is GET /rrsets' body.
type zoneData struct {
	Zone   string  `json:"zone"`
	Serial uint32  `json:"serial"`
	RRsets []rrset `json:"rrsets"`
}

// rrsetChange is one entry of a PATCH body, as in the file.
type rrsetChange struct {
	Name       *string  `json:"name"`
	Type       *string  `json:"type"`
	TTL        *uint32  `json:"ttl,omitempty"`
	ChangeType *string  `json:"changetype"`
	Records    []string `json:"records,omitempty"`
}

// patchBody is the body of PATCH /rrsets and the format of `rrset apply -f`.
type patchBody struct {
	RRsets []rrsetChange `json:"rrsets"`
}

// patchResult is a PATCH's answer.
type patchResult struct {
	Zone    string            `json:"zone"`
	Serial  uint32            `json:"serial"`
	Changes []json.RawMessage `json:"changes"`
}

// diffEntry is what one RRset change of the file does to the zone as read.
type diffEntry struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	TTL     *uint32  `json:"ttl,omitempty"`    // the new TTL (REPLACE)
	OldTTL  *uint32  `json:"oldTtl,omitempty"` // the TTL before, when the RRset existed
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
}

// diff is the dry run's answer with -o json.
type diff struct {
	Zone    string      `json:"zone"`
	Serial  uint32      `json:"serial"`
	Changes []diffEntry `json:"changes"`
}

func (a *app) rrsetCmd() *cobra.Command {
	r := group("rrset", "read, change and export a zone's RRsets")
	var name, typ string
	get := &cobra.Command{Use: "get ZONE", Short: "list the zone's RRsets (GET /rrsets)", Args: rangeArgs(1, 1, "ZONE"),
		RunE: func(c *cobra.Command, args []string) error { return a.rrsetGet(c, args[0], name, typ) }}
	get.Flags().StringVar(&name, "name", "", "only this owner name")
	get.Flags().StringVar(&typ, "type", "", "only this type")
	export := &cobra.Command{Use: "export ZONE", Short: "print the zone as a master file", Args: rangeArgs(1, 1, "ZONE"),
		RunE: a.rrsetExport}
	r.AddCommand(get, a.rrsetApplyCmd(), export)
	return r
}

func (a *app) rrsetGet(c *cobra.Command, zone, name, typ string) error {
	cl, err := a.client()
	if err != nil {
		return err
	}
	q := url.Values{}
	if name != "" {
		q.Set("name", name)
	}
	if typ != "" {
		q.Set("type", typ)
	}
	var data zoneData
	resp, err := cl.JSON(c.Context(), Call{Method: http.MethodGet, Path: zonePath(zone, "/rrsets"), Query: q}, &data)
	if err != nil {
		return err
	}
	return a.show(c, resp, func() error {
		var rows [][]string
		for _, s := range data.RRsets {
			for _, v := range s.Records {
				rows = append(rows, []string{s.Name, strconv.FormatUint(uint64(s.TTL), 10), s.Type, v})
			}
		}
		return table(c.OutOrStdout(), []string{"NAME", "TTL", "TYPE", "DATA"}, rows)
	})
}

func (a *app) rrsetExport(c *cobra.Command, args []string) error {
	cl, err := a.client()
	if err != nil {
		return err
	}
	resp, err := cl.Do(c.Context(), Call{Method: http.MethodGet, Path: zonePath(args[0], "/export")})
	if err != nil {
		return err
	}
	_, err = c.OutOrStdout().Write(resp.Body) // a master file either way: -o json has no JSON to show
	return err
}

func (a *app) rrsetApplyCmd() *cobra.Command {
	var file string
	var dryRun, yes bool
	c := &cobra.Command{
		Use:   "apply ZONE -f FILE [--dry-run] [--yes]",
		Short: "show the diff of a PATCH file, ask, and apply it",
		Long: `Apply FILE, a JSON PATCH /rrsets body ({"rrsets":[{"name","type","ttl",
"changetype":"REPLACE"|"DELETE","records":[…]}]}, the API's own shape), to ZONE.

First the zone is read (GET /rrsets) and the diff printed: the records each RRset
gains (+) and loses (-). --dry-run stops there. Otherwise you are asked to confirm
(--yes skips the question; without a terminal on stdin --yes is required), and the
file is sent as PATCH with If-Match set to the serial the diff was computed at, so
a zone that changed meanwhile is refused (412) and nothing is applied.

A file of more than 1,000 records (or about 48 KB of records) does not fit one
PATCH, which is one atomic DNS UPDATE: it is sent as several PATCHes in file order,
each atomic, with a progress bar; only the first carries If-Match. If one part is
refused, the parts before it stay applied and the message says how far it got.`,
		Example: `  bindgate rrset apply example.test -f changes.json --dry-run
  bindgate rrset apply example.test -f changes.json --yes`,
		Args: rangeArgs(1, 1, "ZONE"),
		RunE: func(c *cobra.Command, args []string) error { return a.rrsetApply(c, args[0], file, dryRun, yes) },
	}
	c.Flags().StringVarP(&file, "file", "f", "", "JSON file with the PATCH body (required)")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "print the diff only")
	c.Flags().BoolVarP(&yes, "yes", "y", false, "apply without asking")
	return c
}

// readPatch reads and checks a PATCH file.
func readPatch(file string) (patchBody, error) {
	var p patchBody
	if file == "" {
		return p, usagef("-f FILE is required")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return p, usagef("-f: %v", err)
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return p, usagef("%s: not a PATCH body {\"rrsets\":[…]}: %v", file, err)
	}
	if p.RRsets == nil {
		return p, usagef("%s: no \"rrsets\" list", file)
	}
	for i, ch := range p.RRsets {
		if ch.Name == nil || ch.Type == nil || ch.ChangeType == nil {
			return p, usagef("%s: rrsets[%d]: name, type and changetype are required", file, i)
		}
		if ct := strings.ToUpper(*ch.ChangeType); ct != "REPLACE" && ct != "DELETE" {
			return p, usagef("%s: rrsets[%d]: changetype %q is not REPLACE or DELETE", file, i, *ch.ChangeType)
		}
	}
	return p, nil
}

func (a *app) rrsetApply(c *cobra.Command, zone, file string, dryRun, yes bool) error {
	p, err := readPatch(file)
	if err != nil {
		return err
	}
	cl, err := a.client()
	if err != nil {
		return err
	}
	var cur zoneData
	if _, err := cl.JSON(c.Context(), Call{Method: http.MethodGet, Path: zonePath(zone, "/rrsets")}, &cur); err != nil {
		return err
	}
	d := computeDiff(cur, p)
	out := c.OutOrStdout()
	if a.output == "json" && dryRun {
		b, _ := json.Marshal(d)
		return printJSON(out, b)
	}
	if a.output == "table" || !dryRun {
		w := out
		if a.output == "json" {
			w = a.env.Stderr // the diff is for the person confirming; stdout gets the answer's JSON
		}
		if err := printDiff(w, d); err != nil {
			return err
		}
	}
	if dryRun {
		return nil
	}
	if len(d.Changes) == 0 {
		fmt.Fprintln(a.env.Stderr, "Nothing to change.")
		return nil
	}
	if err := a.confirm(fmt.Sprintf("Apply %d RRset change(s) to %s?", len(d.Changes), cur.Zone), yes); err != nil {
		return err
	}
	parts := splitPatch(p)
	total := 0
	for _, part := range parts {
		total += recordCount(part)
	}
	bar := a.progress("applying", total)
	ifMatch := strconv.FormatUint(uint64(cur.Serial), 10)
	var results []json.RawMessage
	var last patchResult
	for i, part := range parts {
		resp, err := cl.JSON(c.Context(), Call{Method: http.MethodPatch, Path: zonePath(zone, "/rrsets"),
			Body: patchBody{RRsets: part}, IfMatch: ifMatch}, &last)
		if err != nil {
			bar.finish()
			if ae, ok := errors.AsType[*APIError](err); ok && i == 0 && ae.Status == http.StatusPreconditionFailed {
				return fmt.Errorf("the zone changed since the diff was read; nothing was applied, run again: %w", err)
			}
			if i > 0 {
				return fmt.Errorf("part %d of %d refused (parts 1-%d are applied, serial %d): %w", i+1, len(parts), i, last.Serial, err)
			}
			return err
		}
		results = append(results, resp.Body)
		ifMatch = "" // the later parts follow the first; named may sign in between
		bar.add(recordCount(part))
	}
	bar.finish()
	if a.output == "json" {
		if len(results) == 1 {
			return printJSON(out, results[0])
		}
		b, _ := json.Marshal(results)
		return printJSON(out, b)
	}
	_, err = fmt.Fprintf(out, "Applied to %s: serial %d.\n", last.Zone, last.Serial)
	return err
}

// rrKey names an RRset: absolute lower-case owner and upper-case type.
type rrKey struct{ name, typ string }

// computeDiff is what p would change in cur, per RRset in file order; changes that are
// already true are left out, as the API leaves them out. Names and values are put in the
// API's canonical form with the server's own parser (rrdata), so "www" and
// "www.example.test." or "10 mail" and "10 mail.example.test." compare equal; a value it
// cannot parse is compared as written (the API will say what is wrong with it).
func computeDiff(cur zoneData, p patchBody) diff {
	zone, err := zonename.Normalize(cur.Zone)
	if err != nil {
		zone = strings.ToLower(strings.TrimSuffix(cur.Zone, "."))
	}
	have := map[rrKey]rrset{}
	for _, s := range cur.RRsets {
		have[rrKey{strings.ToLower(s.Name), strings.ToUpper(s.Type)}] = s
	}
	d := diff{Zone: cur.Zone, Serial: cur.Serial, Changes: []diffEntry{}}
	for _, ch := range p.RRsets {
		owner, err := rrdata.Owner(zone, *ch.Name)
		if err != nil {
			owner = strings.ToLower(*ch.Name)
		}
		k := rrKey{strings.ToLower(owner), strings.ToUpper(*ch.Type)}
		old, existed := have[k]
		e := diffEntry{Name: owner, Type: k.typ, Added: []string{}, Removed: []string{}}
		if existed {
			e.OldTTL = &old.TTL
		}
		if strings.EqualFold(*ch.ChangeType, "DELETE") {
			e.Removed = append(e.Removed, old.Records...)
		} else {
			ttl := uint32(defaultTTL)
			if ch.TTL != nil {
				ttl = *ch.TTL
			}
			e.TTL = &ttl
			var want []string
			for _, v := range ch.Records {
				want = append(want, canonical(zone, owner, k.typ, v, ttl))
			}
			sameTTL := existed && old.TTL == ttl
			for _, v := range want {
				if !sameTTL || !slices.Contains(old.Records, v) {
					e.Added = append(e.Added, v)
				}
			}
			for _, v := range old.Records {
				if !sameTTL || !slices.Contains(want, v) {
					e.Removed = append(e.Removed, v)
				}
			}
			if !existed {
				e.OldTTL = nil
			}
		}
		if len(e.Added) > 0 || len(e.Removed) > 0 {
			d.Changes = append(d.Changes, e)
		}
	}
	return d
}

// canonical renders value as GET /rrsets shows it, or returns it as written.
func canonical(zone, owner, typ, value string, ttl uint32) string {
	rr, err := rrdata.Parse(zone, rrdata.Record{Name: owner, Type: typ, Value: value, TTL: &ttl}, ttl, nil)
	if err != nil {
		return value
	}
	return rrdata.Value(rr)
}

// printDiff writes the diff as aligned lines: +/- NAME TTL TYPE DATA.
func printDiff(w io.Writer, d diff) error {
	if len(d.Changes) == 0 {
		_, err := fmt.Fprintf(w, "No changes: %s (serial %d) already holds this.\n", d.Zone, d.Serial)
		return err
	}
	var rows [][]string
	added, removed := 0, 0
	for _, e := range d.Changes {
		for _, v := range e.Removed {
			rows = append(rows, []string{"-", e.Name, ttlString(e.OldTTL), e.Type, v})
		}
		for _, v := range e.Added {
			rows = append(rows, []string{"+", e.Name, ttlString(e.TTL), e.Type, v})
		}
		added += len(e.Added)
		removed += len(e.Removed)
	}
	if _, err := fmt.Fprintf(w, "Zone %s at serial %d: %d RRset(s) change, %d record(s) added, %d removed.\n",
		d.Zone, d.Serial, len(d.Changes), added, removed); err != nil {
		return err
	}
	return table(w, []string{"", "NAME", "TTL", "TYPE", "DATA"}, rows)
}

func ttlString(t *uint32) string {
	if t == nil {
		return ""
	}
	return strconv.FormatUint(uint64(*t), 10)
}

// recordCount is what a part counts against the PATCH limit: its records, a DELETE as one.
func recordCount(part []rrsetChange) int {
	n := 0
	for _, ch := range part {
		n += max(1, len(ch.Records))
	}
	return n
}

// splitPatch cuts p into parts that each fit one PATCH, in file order; an RRset is never cut.
func splitPatch(p patchBody) [][]rrsetChange {
	var parts [][]rrsetChange
	var part []rrsetChange
	n, size := 0, 0
	for _, ch := range p.RRsets {
		cn, cs := max(1, len(ch.Records)), 0
		for _, v := range ch.Records {
			cs += len(*ch.Name) + len(v) + 32
		}
		if len(part) > 0 && (n+cn > maxPatchRecords || size+cs > maxPatchBytes) {
			parts = append(parts, part)
			part, n, size = nil, 0, 0
		}
		part = append(part, ch)
		n += cn
		size += cs
	}
	if len(part) > 0 || len(parts) == 0 {
		parts = append(parts, part)
	}
	return parts
}
