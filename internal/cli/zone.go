package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// message is the API's success answer of zone and record writes.
type message struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
	Details any    `json:"details"`
}

// show prints resp: its JSON with -o json, else what text gives (one line or a table).
func (a *app) show(c *cobra.Command, resp *Response, text func() error) error {
	if a.output == "json" {
		return printJSON(c.OutOrStdout(), resp.Body)
	}
	return text()
}

// simple sends call and prints the API's message (or JSON).
func (a *app) simple(c *cobra.Command, call Call) error {
	cl, err := a.client()
	if err != nil {
		return err
	}
	var m message
	resp, err := cl.JSON(c.Context(), call, &m)
	if err != nil {
		return err
	}
	return a.show(c, resp, func() error {
		_, err := fmt.Fprintln(c.OutOrStdout(), m.Message)
		return err
	})
}

func (a *app) zoneCmd() *cobra.Command {
	z := group("zone", "list, create, delete and operate zones")
	z.AddCommand(
		&cobra.Command{Use: "list", Short: "list the zones", Args: noArgs, RunE: a.zoneList},
		&cobra.Command{Use: "get ZONE", Short: "show a zone's type, serial and file", Args: rangeArgs(1, 1, "ZONE"), RunE: a.zoneGet},
		a.zoneCreateCmd(),
		&cobra.Command{Use: "delete ZONE", Short: "delete a zone (delzone, then its files)", Args: rangeArgs(1, 1, "ZONE"),
			RunE: func(c *cobra.Command, args []string) error {
				return a.simple(c, Call{Method: http.MethodDelete, Path: zonePath(args[0], "")})
			}},
		&cobra.Command{Use: "status ZONE", Short: "show named's zonestatus", Args: rangeArgs(1, 1, "ZONE"), RunE: a.zoneStatus},
	)
	for _, verb := range []string{"reload", "freeze", "thaw", "notify", "retransfer"} {
		z.AddCommand(&cobra.Command{Use: verb + " ZONE", Short: "rndc " + verb + " the zone", Args: rangeArgs(1, 1, "ZONE"),
			RunE: func(c *cobra.Command, args []string) error {
				return a.simple(c, Call{Method: http.MethodPost, Path: zonePath(args[0], "/"+verb)})
			}})
	}
	return z
}

func (a *app) zoneList(c *cobra.Command, _ []string) error {
	cl, err := a.client()
	if err != nil {
		return err
	}
	var list struct {
		Zones []string `json:"zones"`
	}
	resp, err := cl.JSON(c.Context(), Call{Method: http.MethodGet, Path: "/api/v1/zones"}, &list)
	if err != nil {
		return err
	}
	return a.show(c, resp, func() error {
		rows := make([][]string, len(list.Zones))
		for i, z := range list.Zones {
			rows[i] = []string{z}
		}
		return table(c.OutOrStdout(), []string{"ZONE"}, rows)
	})
}

func (a *app) zoneGet(c *cobra.Command, args []string) error {
	cl, err := a.client()
	if err != nil {
		return err
	}
	var info struct {
		Name     string  `json:"name"`
		ZoneType string  `json:"zoneType"`
		Serial   *uint32 `json:"serial"`
		FilePath string  `json:"filePath"`
	}
	resp, err := cl.JSON(c.Context(), Call{Method: http.MethodGet, Path: zonePath(args[0], "")}, &info)
	if err != nil {
		return err
	}
	return a.show(c, resp, func() error {
		serial := "-"
		if info.Serial != nil {
			serial = strconv.FormatUint(uint64(*info.Serial), 10)
		}
		return table(c.OutOrStdout(), []string{"ZONE", "TYPE", "SERIAL", "FILE"}, [][]string{{info.Name, info.ZoneType, serial, info.FilePath}})
	})
}

func (a *app) zoneStatus(c *cobra.Command, args []string) error {
	cl, err := a.client()
	if err != nil {
		return err
	}
	var m message
	resp, err := cl.JSON(c.Context(), Call{Method: http.MethodGet, Path: zonePath(args[0], "/status")}, &m)
	if err != nil {
		return err
	}
	return a.show(c, resp, func() error {
		_, err := fmt.Fprintln(c.OutOrStdout(), strings.TrimRight(fmt.Sprint(m.Details), "\n"))
		return err
	})
}

// zoneCreate holds the flags of `zone create`.
type zoneCreate struct {
	file, primaryNS, adminEmail, updateKey string
	ns                                     []string
	ttl                                    uint32
}

func (a *app) zoneCreateCmd() *cobra.Command {
	var o zoneCreate
	c := &cobra.Command{
		Use:   "create ZONE --ns NAME[=IP]... | create -f FILE",
		Short: "create a primary zone, or the zones of a JSON file",
		Long: `Create a primary zone from flags, or create the zones of FILE: the body of
POST /api/v1/zones (any zone type and setting), or a JSON array of such bodies
(created one after the other with a progress bar; failures are reported and the
rest still created).`,
		Example: `  bindgate zone create example.test --ns ns1.example.test.=192.0.2.53 --update-key bindgate-key
  bindgate zone create -f zones.json`,
		RunE: func(c *cobra.Command, args []string) error { return a.zoneCreate(c, args, o) },
	}
	f := c.Flags()
	f.StringVarP(&o.file, "file", "f", "", "JSON file: one POST /api/v1/zones body, or an array of them")
	f.StringArrayVar(&o.ns, "ns", nil, "name server NAME or NAME=IP (the IP is the glue an in-zone name server needs); repeatable")
	f.StringVar(&o.primaryNS, "primary-ns", "", "SOA primary name server (default: the first --ns)")
	f.StringVar(&o.adminEmail, "admin-email", "", "SOA mailbox, e.g. hostmaster.example.com. (default hostmaster.ZONE.)")
	f.StringVar(&o.updateKey, "update-key", "", "TSIG key name allowed to update the zone (needed for records)")
	f.Uint32Var(&o.ttl, "ttl", 3600, "default TTL of the zone")
	return c
}

func (a *app) zoneCreate(c *cobra.Command, args []string, o zoneCreate) error {
	if o.file != "" {
		if len(args) > 0 || len(o.ns) > 0 || o.primaryNS != "" || o.adminEmail != "" || o.updateKey != "" || c.Flags().Changed("ttl") {
			return usagef("-f FILE holds the whole request: no ZONE argument or zone flags with it")
		}
		return a.zoneCreateFile(c, o.file)
	}
	if len(args) != 1 {
		return usagef("want ZONE (or -f FILE)")
	}
	if len(o.ns) == 0 {
		return usagef("--ns NAME[=IP] is required (at least one name server)")
	}
	zone := strings.TrimSuffix(args[0], ".")
	var names []string
	ips := map[string]string{}
	for _, v := range o.ns {
		name, ip, _ := strings.Cut(v, "=")
		name = absName(name, zone)
		names = append(names, name)
		if ip != "" {
			ips[name] = ip
		}
	}
	if o.primaryNS == "" {
		o.primaryNS = names[0]
	}
	if o.adminEmail == "" {
		o.adminEmail = "hostmaster." + zone + "."
	}
	zc := map[string]any{
		"ttl":         o.ttl,
		"soa":         map[string]any{"primaryNs": absName(o.primaryNS, zone), "adminEmail": absName(o.adminEmail, zone)},
		"nameServers": names,
	}
	if len(ips) > 0 {
		zc["nameServerIps"] = ips
	}
	body := map[string]any{"zoneName": zone, "zoneType": "primary", "zoneConfig": zc}
	if o.updateKey != "" {
		body["updateKeyName"] = o.updateKey
	}
	return a.simple(c, Call{Method: http.MethodPost, Path: "/api/v1/zones", Body: body})
}

// absName makes a name given on the command line absolute: "ns1" in zone example.test is
// ns1.example.test.; a name with a dot is taken as absolute.
func absName(name, zone string) string {
	switch {
	case strings.HasSuffix(name, "."):
		return name
	case strings.Contains(name, "."):
		return name + "."
	}
	return name + "." + zone + "."
}

// zoneCreateFile creates the zone of file, or each zone of its array.
func (a *app) zoneCreateFile(c *cobra.Command, file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return usagef("-f: %v", err)
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '[' {
		if !json.Valid(data) {
			return usagef("%s: not JSON", file)
		}
		return a.simple(c, Call{Method: http.MethodPost, Path: "/api/v1/zones", Body: json.RawMessage(data)})
	}
	var bodies []json.RawMessage
	if err := json.Unmarshal(data, &bodies); err != nil {
		return usagef("%s: %v", file, err)
	}
	cl, err := a.client()
	if err != nil {
		return err
	}
	bar := a.progress("creating zones", len(bodies))
	type outcome struct {
		Zone   string `json:"zone"`
		Result string `json:"result"`
	}
	var results []outcome
	var failed []error
	for i, b := range bodies {
		var name struct {
			ZoneName string `json:"zoneName"`
		}
		_ = json.Unmarshal(b, &name)
		if name.ZoneName == "" {
			name.ZoneName = "#" + strconv.Itoa(i+1)
		}
		var m message
		_, err := cl.JSON(c.Context(), Call{Method: http.MethodPost, Path: "/api/v1/zones", Body: b}, &m)
		bar.add(1)
		if _, ok := errors.AsType[*UnreachableError](err); ok {
			bar.finish()
			return err
		}
		if err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", name.ZoneName, err))
			results = append(results, outcome{name.ZoneName, err.Error()})
			continue
		}
		results = append(results, outcome{name.ZoneName, m.Message})
	}
	bar.finish()
	if a.output == "json" {
		b, _ := json.Marshal(results)
		if err := printJSON(c.OutOrStdout(), b); err != nil {
			return err
		}
	} else {
		rows := make([][]string, len(results))
		for i, r := range results {
			rows[i] = []string{r.Zone, r.Result}
		}
		if err := table(c.OutOrStdout(), []string{"ZONE", "RESULT"}, rows); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d zones not created; first: %w", len(failed), len(bodies), failed[0])
	}
	return nil
}
