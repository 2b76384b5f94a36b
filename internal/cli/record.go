package cli

import (
	"net/http"

	"github.com/spf13/cobra"
)

// recordFlags are the optional fields of a record add or update.
type recordFlags struct {
	ttl      uint32
	priority uint16
}

// set adds ttl and priority to body when given.
func (o recordFlags) set(c *cobra.Command, body map[string]any) {
	if c.Flags().Changed("ttl") {
		body["ttl"] = o.ttl
	}
	if c.Flags().Changed("priority") {
		body["priority"] = o.priority
	}
}

func (o *recordFlags) bind(c *cobra.Command) {
	c.Flags().Uint32Var(&o.ttl, "ttl", 3600, "TTL")
	c.Flags().Uint16Var(&o.priority, "priority", 0, "MX or SRV priority (or give it as the value's first number)")
}

func (a *app) recordCmd() *cobra.Command {
	r := group("record", "add, update or remove one record (RFC 2136 updates)")
	r.Long = "One-record changes, bindcar's routes (POST/PUT/DELETE /api/v1/zones/{name}/records).\n" +
		"NAME is relative to the zone (www) or absolute (www.example.com.); @ is the apex."
	var add, upd recordFlags
	addCmd := &cobra.Command{Use: "add ZONE NAME TYPE VALUE", Short: "add a record (adding one that exists is a no-op)",
		Example: "  bindgate record add example.test www A 192.0.2.1 --ttl 300",
		Args:    rangeArgs(4, 4, "ZONE NAME TYPE VALUE"),
		RunE: func(c *cobra.Command, args []string) error {
			body := map[string]any{"name": args[1], "type": args[2], "value": args[3]}
			add.set(c, body)
			return a.simple(c, Call{Method: http.MethodPost, Path: zonePath(args[0], "/records"), Body: body})
		}}
	add.bind(addCmd)
	updCmd := &cobra.Command{Use: "update ZONE NAME TYPE CURRENT NEW", Short: "replace one record's value",
		Example: "  bindgate record update example.test www A 192.0.2.1 192.0.2.2",
		Args:    rangeArgs(5, 5, "ZONE NAME TYPE CURRENT NEW"),
		RunE: func(c *cobra.Command, args []string) error {
			body := map[string]any{"name": args[1], "type": args[2], "currentValue": args[3], "newValue": args[4]}
			upd.set(c, body)
			return a.simple(c, Call{Method: http.MethodPut, Path: zonePath(args[0], "/records"), Body: body})
		}}
	upd.bind(updCmd)
	rmCmd := &cobra.Command{Use: "rm ZONE NAME TYPE [VALUE]", Short: "remove one record, or the whole RRset without VALUE",
		Example: "  bindgate record rm example.test www A 192.0.2.1",
		Args:    rangeArgs(3, 4, "ZONE NAME TYPE [VALUE]"),
		RunE: func(c *cobra.Command, args []string) error {
			body := map[string]any{"name": args[1], "type": args[2]}
			if len(args) == 4 {
				body["value"] = args[3]
			}
			return a.simple(c, Call{Method: http.MethodDelete, Path: zonePath(args[0], "/records"), Body: body})
		}}
	r.AddCommand(addCmd, updCmd, rmCmd)
	return r
}
