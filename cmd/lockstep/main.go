// Command lockstep ingests account activity into Neo4j, detects coordinated
// fake-account networks and serves the results to analysts.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
)

var rootCmd = &cobra.Command{
	Use:           "lockstep",
	Short:         "Investigate coordinated fake-account networks in Neo4j",
	SilenceUsage:  true,
	SilenceErrors: true,
	Version:       buildVersion(),
}

var logLevel = new(slog.LevelVar)

// buildVersion names the build from what the Go toolchain stamps into the
// binary: `make build` builds with VCS stamping, which makes the module
// version a pseudo-version carrying the commit, its time and "+dirty" for
// local changes, so a report can say which code produced it.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	return info.Main.Version + " " + info.GoVersion
}

func main() {
	verbose := rootCmd.PersistentFlags().BoolP("verbose", "v", false, "log debug messages")
	rootCmd.PersistentPreRun = func(*cobra.Command, []string) {
		if *verbose {
			logLevel.Set(slog.LevelDebug)
		}
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel})))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := rootCmd.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "lockstep:", err)
		os.Exit(exitCode(err))
	}
}

// exitError lets a subcommand choose its exit status (ingest uses 2 for
// "finished, but rejected records").
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	if e, ok := err.(*exitError); ok {
		return e.code
	}
	return 1
}

// writeJSON prints a command's --json answer: indented, one document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
