package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

// actor is a history entry's actor: "external" or {"principal","requestId"}.
type actor struct{ raw json.RawMessage }

func (a *actor) UnmarshalJSON(b []byte) error {
	a.raw = append(json.RawMessage(nil), b...)
	return nil
}

func (a actor) String() string {
	var s string
	if json.Unmarshal(a.raw, &s) == nil {
		return s
	}
	var p struct {
		Principal string `json:"principal"`
		RequestID string `json:"requestId"`
	}
	if json.Unmarshal(a.raw, &p) == nil && p.Principal != "" {
		return p.Principal
	}
	return string(a.raw)
}

// changeSet is an RRset of a change, with its DNSSEC mark.
type changeSet struct {
	rrset
	DNSSEC bool `json:"dnssec"`
}

func (a *app) historyCmd() *cobra.Command {
	var limit int
	var before uint32
	c := &cobra.Command{
		Use:   "history ZONE [SERIAL]",
		Short: "list a zone's changes, or show the change that ended at SERIAL",
		Example: `  bindgate history example.test
  bindgate history example.test 2025010103`,
		Args: rangeArgs(1, 2, "ZONE [SERIAL]"),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 2 {
				return a.historyChange(c, args[0], args[1])
			}
			return a.historyList(c, args[0], limit, before)
		},
	}
	c.Flags().IntVar(&limit, "limit", 0, "at most this many changes, 1-1000 (default the API's, 50)")
	c.Flags().Uint32Var(&before, "before", 0, "page on: changes before this serial (the previous page's next)")
	return c
}

func (a *app) historyList(c *cobra.Command, zone string, limit int, before uint32) error {
	cl, err := a.client()
	if err != nil {
		return err
	}
	q := url.Values{}
	if limit != 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if before != 0 {
		q.Set("before", strconv.FormatUint(uint64(before), 10))
	}
	var page struct {
		Changes []struct {
			FromSerial uint32    `json:"fromSerial"`
			ToSerial   uint32    `json:"toSerial"`
			Time       time.Time `json:"time"`
			Added      int       `json:"added"`
			Removed    int       `json:"removed"`
			Actor      actor     `json:"actor"`
		} `json:"changes"`
		Next *uint32 `json:"next"`
	}
	resp, err := cl.JSON(c.Context(), Call{Method: http.MethodGet, Path: zonePath(zone, "/history"), Query: q}, &page)
	if err != nil {
		return err
	}
	return a.show(c, resp, func() error {
		rows := make([][]string, len(page.Changes))
		for i, ch := range page.Changes {
			rows[i] = []string{u32(ch.ToSerial), u32(ch.FromSerial), ch.Time.UTC().Format(time.RFC3339),
				"+" + strconv.Itoa(ch.Added), "-" + strconv.Itoa(ch.Removed), ch.Actor.String()}
		}
		if err := table(c.OutOrStdout(), []string{"SERIAL", "FROM", "TIME", "ADDED", "REMOVED", "ACTOR"}, rows); err != nil {
			return err
		}
		if page.Next != nil {
			fmt.Fprintf(c.OutOrStdout(), "(more: --before %d)\n", *page.Next)
		}
		return nil
	})
}

func (a *app) historyChange(c *cobra.Command, zone, serial string) error {
	if _, err := strconv.ParseUint(serial, 10, 32); err != nil {
		return usagef("SERIAL %q: want a number from 0 to 4294967295", serial)
	}
	cl, err := a.client()
	if err != nil {
		return err
	}
	var ch struct {
		FromSerial uint32      `json:"fromSerial"`
		ToSerial   uint32      `json:"toSerial"`
		Time       time.Time   `json:"time"`
		Actor      actor       `json:"actor"`
		Removed    []changeSet `json:"removed"`
		Added      []changeSet `json:"added"`
	}
	resp, err := cl.JSON(c.Context(), Call{Method: http.MethodGet, Path: zonePath(zone, "/history/"+serial)}, &ch)
	if err != nil {
		return err
	}
	return a.show(c, resp, func() error {
		fmt.Fprintf(c.OutOrStdout(), "Serial %d -> %d at %s by %s\n", ch.FromSerial, ch.ToSerial, ch.Time.UTC().Format(time.RFC3339), ch.Actor)
		return printSets(c.OutOrStdout(), ch.Removed, ch.Added)
	})
}

// printSets writes removed and added RRsets as -/+ lines.
func printSets(w io.Writer, removed, added []changeSet) error {
	var rows [][]string
	for _, l := range []struct {
		sign string
		sets []changeSet
	}{{"-", removed}, {"+", added}} {
		for _, s := range l.sets {
			typ := s.Type
			if s.DNSSEC {
				typ += " (dnssec)"
			}
			for _, v := range s.Records {
				rows = append(rows, []string{l.sign, s.Name, u32(s.TTL), typ, v})
			}
		}
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "No record changes.")
		return err
	}
	return table(w, []string{"", "NAME", "TTL", "TYPE", "DATA"}, rows)
}

func u32(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

func (a *app) rollbackCmd() *cobra.Command {
	var to uint32
	var dryRun, yes bool
	c := &cobra.Command{
		Use:   "rollback ZONE --to SERIAL [--dry-run] [--yes]",
		Short: "undo every change after SERIAL, in one atomic update",
		Long: `Roll ZONE back to its data at SERIAL (see bindgate history): the diff is
shown first (a dry run of POST /rollback), then, once you confirm (or with --yes),
applied as one UPDATE. --dry-run stops after the diff.`,
		Example: "  bindgate rollback example.test --to 2025010102 --dry-run",
		Args:    rangeArgs(1, 1, "ZONE"),
		RunE: func(c *cobra.Command, args []string) error {
			if !c.Flags().Changed("to") {
				return usagef("--to SERIAL is required")
			}
			return a.rollback(c, args[0], to, dryRun, yes)
		},
	}
	c.Flags().Uint32Var(&to, "to", 0, "the serial to roll back to")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "show the diff only")
	c.Flags().BoolVarP(&yes, "yes", "y", false, "apply without asking")
	return c
}

type rollbackResult struct {
	Zone         string      `json:"zone"`
	FromSerial   uint32      `json:"fromSerial"`
	ToSerial     uint32      `json:"toSerial"`
	TargetSerial uint32      `json:"targetSerial"`
	Removed      []changeSet `json:"removed"`
	Added        []changeSet `json:"added"`
	Applied      bool        `json:"applied"`
}

func (a *app) rollback(c *cobra.Command, zone string, to uint32, dryRun, yes bool) error {
	cl, err := a.client()
	if err != nil {
		return err
	}
	path := zonePath(zone, "/rollback")
	var plan rollbackResult
	resp, err := cl.JSON(c.Context(), Call{Method: http.MethodPost, Path: path, Body: map[string]any{"toSerial": to, "dryRun": true}}, &plan)
	if err != nil {
		return err
	}
	out := c.OutOrStdout()
	if dryRun && a.output == "json" {
		return printJSON(out, resp.Body)
	}
	w := out
	if a.output == "json" {
		w = a.env.Stderr
	}
	fmt.Fprintf(w, "Roll %s back from serial %d to %d:\n", plan.Zone, plan.FromSerial, plan.TargetSerial)
	if err := printSets(w, plan.Removed, plan.Added); err != nil {
		return err
	}
	if dryRun || len(plan.Removed)+len(plan.Added) == 0 {
		return nil
	}
	if err := a.confirm(fmt.Sprintf("Roll %s back to serial %d?", plan.Zone, plan.TargetSerial), yes); err != nil {
		return err
	}
	// The rollback route takes no If-Match: it computes the diff again at the zone's serial
	// then. A zone that moved since the preview is said, not hidden.
	var res rollbackResult
	resp, err = cl.JSON(c.Context(), Call{Method: http.MethodPost, Path: path, Body: map[string]any{"toSerial": to}}, &res)
	if err != nil {
		return err
	}
	if res.FromSerial != plan.FromSerial {
		fmt.Fprintf(a.env.Stderr, "note: %s changed after the preview (serial %d, then %d); the rollback was computed at %d\n",
			res.Zone, plan.FromSerial, res.FromSerial, res.FromSerial)
	}
	if a.output == "json" {
		return printJSON(out, resp.Body)
	}
	_, err = fmt.Fprintf(out, "Rolled back: %s is at serial %d with the data of serial %d.\n", res.Zone, res.ToSerial, res.TargetSerial)
	return err
}
