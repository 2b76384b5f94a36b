// Package cli is bindgate's command line for people (issue 11 item 4): `bindgate zone`,
// `record`, `rrset`, `history`, `rollback` and `completion`, built with cobra. Every
// command talks to a running bindgate's API (--url or BINDGATE_URL; the token from
// BINDGATE_TOKEN or --token-file, never from a flag value), prints aligned tables, or the
// API's JSON with -o json, and exits 0 (done), 1 (the API refused, with its message, or
// the user declined), 2 (usage) or 3 (bindgate unreachable). The server itself (`bindgate
// [run]`, `dev`, `rotate-key`) is not parsed here: main dispatches it before.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	ExitOK          = 0 // done
	ExitRefused     = 1 // the API refused (its message is printed), or the user declined
	ExitUsage       = 2 // bad arguments or input file; nothing was sent
	ExitUnreachable = 3 // no answer from bindgate (refused connection, timeout, TLS)
)

// DefaultURL is the server's default listen port (API_PORT 8080) on loopback.
const DefaultURL = "http://127.0.0.1:8080"

// Env is what Run reads and writes outside its arguments; tests replace them.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) (string, bool)
	// Client sends the requests; nil -> a client with --timeout per request.
	Client *http.Client
	// IsTerminal tells whether f (Stdin or Stderr) is a terminal: for the confirmation
	// prompt and the progress bar. nil -> an *os.File that is a character device.
	IsTerminal func(f any) bool
	// ServerUsage, when set, prints the server's flags and variables after the grouped
	// help of `bindgate --help` and `bindgate help` (config.Usage).
	ServerUsage func(io.Writer)
}

// commands are the first arguments Run handles; main sends everything else to the server.
// __complete and __completeNoDesc are cobra's hidden commands behind shell completion.
var commands = []string{"zone", "record", "rrset", "history", "rollback", "completion", "help", "__complete", "__completeNoDesc"}

// Handles reports whether args (without the program name) are a client command or the
// top-level help, which Run serves; anything else is the server's.
func Handles(args []string) bool {
	if len(args) == 0 {
		return false
	}
	if len(args) == 1 && (args[0] == "--help" || args[0] == "-h") {
		return true
	}
	return slices.Contains(commands, args[0])
}

// usageError is a mistake in the command line or an input file: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// errDeclined is a confirmation answered no: exit 1, nothing applied.
var errDeclined = errors.New("not applied")

// Run runs the client command in args and returns the exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Stderr == nil {
		env.Stderr = io.Discard
	}
	if env.Getenv == nil {
		env.Getenv = func(string) (string, bool) { return "", false }
	}
	if env.IsTerminal == nil {
		env.IsTerminal = isTerminal
	}
	a := &app{env: env}
	root := a.root()
	root.SetArgs(args)
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if cmd != nil {
		a.cmdPath = cmd.CommandPath()
	}
	return a.exit(err)
}

// exit prints err and maps it to an exit code.
func (a *app) exit(err error) int {
	if err == nil {
		return ExitOK
	}
	w := a.env.Stderr
	if ue, ok := errors.AsType[*UnreachableError](err); ok {
		fmt.Fprintf(w, "bindgate: %v\n(is bindgate running there? set --url or BINDGATE_URL)\n", ue)
		return ExitUnreachable
	}
	if ae, ok := errors.AsType[*APIError](err); ok {
		fmt.Fprintf(w, "bindgate: %v\n", err)
		if ae.Status == http.StatusUnauthorized && a.token == "" {
			fmt.Fprintln(w, "(no token: set BINDGATE_TOKEN or pass --token-file FILE)")
		}
		return ExitRefused
	}
	if errors.Is(err, errDeclined) {
		fmt.Fprintln(w, "Not applied.")
		return ExitRefused
	}
	if _, ok := errors.AsType[*usageError](err); ok || strings.HasPrefix(err.Error(), "unknown command") {
		fmt.Fprintf(w, "bindgate: %v\n(%s --help for usage)\n", err, a.cmdPath)
		return ExitUsage
	}
	fmt.Fprintf(w, "bindgate: %v\n", err)
	return ExitRefused
}

// app is one run: the options of the root flags and what the commands share.
type app struct {
	env       Env
	url       string
	tokenFile string
	output    string
	timeout   time.Duration
	token     string
	cmdPath   string // "bindgate zone get": the command that ran, for the usage hint
}

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "bindgate",
		Short: "HTTP API in front of BIND 9, and its command line",
		Long: `bindgate serves an HTTP API for zones and records in front of a BIND 9 name server
(the server commands), and is a command line for that API (the client commands).

  bindgate [run] [flags]    start the server; bindgate run --help lists every flag
                            and environment variable
  bindgate dev              a private named and the server, for trying it out
  bindgate zone list        a client command: talks to the API at --url
                            (default $BINDGATE_URL, else ` + DefaultURL + `) with the
                            token in $BINDGATE_TOKEN or --token-file

Client exit codes: 0 done, 1 the API refused (its message is printed) or you
declined, 2 bad usage or input, 3 bindgate unreachable.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          noArgs,
		RunE:          func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	root.AddGroup(
		&cobra.Group{ID: "server", Title: "Server commands (bindgate run --help lists every server flag):"},
		&cobra.Group{ID: "client", Title: "Client commands (talk to a running bindgate's API):"},
	)
	root.SetUsageTemplate(strings.NewReplacer(
		"\n\nFlags:\n", "\n\n{{if .HasParent}}Flags:{{else}}Client flags (every client command):{{end}}\n",
		"\n\nGlobal Flags:\n", "\n\nClient flags:\n",
	).Replace(root.UsageTemplate()))
	help := root.HelpFunc()
	root.SetHelpFunc(func(c *cobra.Command, args []string) {
		help(c, args)
		if c == root && a.env.ServerUsage != nil {
			fmt.Fprintln(c.OutOrStdout(), "\nServer flags and environment (bindgate run --help):")
			a.env.ServerUsage(c.OutOrStdout())
		}
	})
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err.Error()} })
	root.SetHelpCommandGroupID("client")
	root.SetCompletionCommandGroupID("client")
	pf := root.PersistentFlags()
	pf.StringVar(&a.url, "url", "", "bindgate's API (default $BINDGATE_URL, else "+DefaultURL+")")
	pf.StringVar(&a.tokenFile, "token-file", "", "file holding the bearer token (default $BINDGATE_TOKEN)")
	pf.StringVarP(&a.output, "output", "o", "table", "output: table or json (the API's JSON)")
	pf.DurationVar(&a.timeout, "timeout", 30*time.Second, "bound on each request")
	root.PersistentPreRunE = a.prepare

	for _, c := range serverCommands() {
		c.GroupID = "server"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.zoneCmd(), a.recordCmd(), a.rrsetCmd(), a.historyCmd(), a.rollbackCmd()} {
		c.GroupID = "client"
		root.AddCommand(c)
	}
	return root
}

// serverCommands list the server's commands in the help; main runs them before Run, so
// these never parse anything.
func serverCommands() []*cobra.Command {
	stub := func(use, short, long string) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Long: long, DisableFlagParsing: true,
			RunE: func(c *cobra.Command, _ []string) error {
				return usagef("%s is a server command: run `bindgate %s --help`", c.Name(), c.Name())
			}}
	}
	return []*cobra.Command{
		stub("run", "start the server (the default; flags: bindgate run --help)",
			"bindgate [run] [flags] starts the API server in front of named.\n`bindgate run --help` lists every flag and environment variable."),
		stub("dev", "start a private named and the server for trying bindgate out",
			"bindgate dev starts a private named and the API in front of it and prints the URL and a token.\n`bindgate dev --help` lists its flags."),
		stub("rotate-key", "rotate the rndc/TSIG key file (bindgate rotate-key --help)",
			"bindgate rotate-key rotates the rndc/TSIG key of this host.\n`bindgate rotate-key --help` explains it."),
	}
}

// prepare checks the root flags and reads the token before a client command runs.
func (a *app) prepare(_ *cobra.Command, _ []string) error {
	if a.output != "table" && a.output != "json" {
		return usagef("-o %q: want table or json", a.output)
	}
	if a.timeout <= 0 {
		return usagef("--timeout must be positive")
	}
	if a.url == "" {
		a.url, _ = a.env.Getenv("BINDGATE_URL")
	}
	if a.url == "" {
		a.url = DefaultURL
	}
	if a.tokenFile != "" {
		b, err := os.ReadFile(a.tokenFile)
		if err != nil {
			return usagef("--token-file: %v", err)
		}
		a.token = strings.TrimSpace(string(b))
	} else {
		a.token, _ = a.env.Getenv("BINDGATE_TOKEN")
	}
	return nil
}

// client returns the API client for this run.
func (a *app) client() (*Client, error) {
	hc := a.env.Client
	if hc == nil {
		hc = &http.Client{Timeout: a.timeout}
	}
	return NewClient(a.url, a.token, hc)
}

// group is a command that only holds subcommands: alone it prints its help; with an
// unknown subcommand it is a usage error (cobra would print the help and exit 0).
func group(use, short string) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() }}
}

// noArgs and rangeArgs are cobra argument checks that are usage errors.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	return nil
}

func rangeArgs(lo, hi int, names string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return usagef("want %s, got %d argument(s)", names, len(args))
		}
		return nil
	}
}

// isTerminal reports whether f is an *os.File on a character device (a terminal).
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	fi, err := file.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
