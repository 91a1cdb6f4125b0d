// Command iotsim runs IoT network experiments described in TOML files and
// writes their results as Parquet tables.
//
//	iotsim run [FILE.toml] [--out DIR] [--seed N] [--set PATH=VALUE]... [--workers N] [--shard I/N] [--quiet]
//	iotsim validate FILE.toml [--list]
//	iotsim report DIR [--html FILE] [--latency-rows N]
//	iotsim version
//
// Exit codes: 0 success, 1 the simulation or output failed (or it was
// interrupted: Ctrl-C/SIGTERM keeps finished runs; run again to resume), 2
// bad usage, an invalid experiment file, or an output folder that holds
// another experiment's results. This package only parses flags, prints and
// maps errors to exit codes; everything else lives in experiments.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/iotsim/iotsim/experiments"
	"github.com/iotsim/iotsim/experiments/config"
	"github.com/urfave/cli/v2"
)

// usageError is bad usage: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	if len(args) > 1 && !strings.HasPrefix(args[1], "-") && args[1] != "help" && app.Command(args[1]) == nil {
		fmt.Fprintf(stderr, "iotsim: unknown command %q (valid: run, validate, report, version)\n", args[1])
		return 2
	}
	err := app.RunContext(ctx, reorderArgs(app, args))
	if err == nil {
		return 0
	}
	var problems config.Problems
	var usage usageError
	var mismatch *experiments.MismatchError
	switch {
	case errors.As(err, &problems):
		for _, p := range problems {
			fmt.Fprintln(stderr, p.Error())
		}
		return 2
	case errors.As(err, &usage):
		fmt.Fprintln(stderr, "iotsim:", usage.msg)
		return 2
	case errors.As(err, &mismatch):
		fmt.Fprintln(stderr, "iotsim: refusing to resume:", mismatch)
		return 2
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "iotsim: interrupted; finished runs are kept, runs in progress left no files")
		return 1
	default:
		fmt.Fprintln(stderr, "iotsim:", err)
		return 1
	}
}

func newApp(stdout, stderr io.Writer) *cli.App {
	usage := func(_ *cli.Context, err error, _ bool) error { return usageError{err.Error()} }
	commands := []*cli.Command{runCommand(), validateCommand(), reportCommand(), versionCommand()}
	for _, c := range commands {
		c.OnUsageError = usage
	}
	return &cli.App{
		Name:      "iotsim",
		Usage:     "deterministic discrete-event simulator for large IoT fleets",
		Writer:    stdout,
		ErrWriter: stderr,
		// Errors are mapped to exit codes in run, never by os.Exit inside cli.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   usage,
		Commands:       commands,
	}
}

// reorderArgs moves the flags of a subcommand before its positional
// arguments, because urfave/cli stops parsing flags at the first positional
// one: `iotsim run exp.toml --seed 3` then works as users expect.
func reorderArgs(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	cmd := app.Command(args[1])
	if cmd == nil {
		return args
	}
	boolFlags := map[string]bool{}
	for _, f := range cmd.Flags {
		if _, ok := f.(*cli.BoolFlag); ok {
			for _, n := range f.Names() {
				boolFlags[n] = true
			}
		}
	}
	var flags, positional []string
	rest := args[2:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			positional = append(positional, rest[i+1:]...)
			break
		}
		if len(a) > 1 && a[0] == '-' {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && !boolFlags[name] && name != "help" && name != "h" && i+1 < len(rest) {
				flags = append(flags, rest[i+1])
				i++
			}
			continue
		}
		positional = append(positional, a)
	}
	out := append([]string{}, args[:2]...)
	out = append(out, flags...)
	return append(out, positional...)
}
