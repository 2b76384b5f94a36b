// Command bindgate serves an HTTP API for zones and records in front of a BIND9 name server.
// It only wires: configuration, the server, signals and the exit code.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/bindgate/bindgate/internal/app"
	"github.com/bindgate/bindgate/internal/cli"
	"github.com/bindgate/bindgate/internal/config"
	"github.com/bindgate/bindgate/internal/devmode"
	"github.com/bindgate/bindgate/internal/openapi"
	"github.com/bindgate/bindgate/internal/rotatecli"
)

// version is set at link time: go build -ldflags "-X main.version=$(VERSION)" (docs/contract.md §13).
var version = "0.0.0-dev"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if cli.Handles(args) { // zone, record, rrset, history, rollback, completion, help, --help
		return cli.Run(ctx, args, cli.Env{Stdin: os.Stdin, Stdout: stdout, Stderr: stderr, Getenv: os.LookupEnv, ServerUsage: config.Usage})
	}
	if len(args) > 0 && args[0] == "rotate-key" {
		return rotatecli.Run(ctx, args[1:], rotatecli.Env{Stdout: stdout, Stderr: stderr, Getenv: os.LookupEnv})
	}
	if len(args) > 0 && args[0] == "openapi" { // print the OpenAPI document (JSON)
		if err := openapi.Write(stdout); err != nil {
			fmt.Fprintln(stderr, "bindgate openapi:", err)
			return 1
		}
		return 0
	}
	if len(args) > 0 && args[0] == "dev" {
		opts, err := devmode.ParseFlags(args[1:], stderr)
		if errors.Is(err, flag.ErrHelp) {
			config.Usage(stdout)
			return 0
		}
		if err != nil {
			return 2
		}
		opts.Version, opts.Stdout, opts.Stderr, opts.Env = version, stdout, stderr, os.LookupEnv
		if err := devmode.Run(ctx, opts); err != nil {
			fmt.Fprintln(stderr, "bindgate dev:", err)
			return 1
		}
		return 0
	}

	cfg, err := config.Load(args, os.LookupEnv)
	if errors.Is(err, flag.ErrHelp) {
		config.Usage(stdout)
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "bindgate: configuration:", err)
		return 1
	}
	if cfg.Version {
		fmt.Fprintln(stdout, "bindgate", version)
		return 0
	}
	if err := cfg.Guard(); err != nil {
		fmt.Fprintln(stderr, "bindgate: refusing to start:", err)
		return 1
	}
	level := new(slog.LevelVar)
	level.Set(cfg.LogLevel)
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	reload := func() (config.Config, error) { return config.Load(args, os.LookupEnv) }
	if err := app.Run(ctx, cfg, app.Options{Version: version, Logger: logger, Reload: reload}); err != nil {
		logger.Error("bindgate stopped", "err", err)
		return 1
	}
	return 0
}
