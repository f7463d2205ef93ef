// Command cloudup-cli is Cloudup without a window: the same core, for scripts,
// servers and tests. It must build with CGO_ENABLED=0. Each subcommand lives in
// its own file and stays thin: parse flags, call core, print.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/cloudup/cloudup/core/keychain"
)

// Exit codes of the CLI contract.
const (
	exitOK       = 0
	exitSomeFail = 1
	exitUsage    = 2
)

// env is what a subcommand may touch of the outside world, so tests can run
// commands in-process with their own streams and environment.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// keys is where secrets are kept; nil means the system keychain
	// (see secrets in common.go).
	keys keychain.Keychain
}

type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

var commands = map[string]command{
	"login":    {"store a profile (secret to the OS keychain)", runLogin},
	"logout":   {"remove a profile's secret from the keychain", runLogout},
	"profiles": {"list profiles; the default is marked", runProfiles},
	"status":   {"say where the secret lives (never print it)", runStatus},
	"sign":     {"sign key=value parameters; --curl FILE prints an upload command", runSign},
	"upload":   {"upload files, folders, URLs or a camera photo", runUpload},
	"watch":    {"upload what lands in folders, until interrupted", runWatch},
	"search":   {"search the account's assets", runSearch},
	"url":      {"build a delivery URL or share link", runURL},
	"sandbox":  {"run a local Cloudinary-compatible server", runSandbox},
	"signer":   {"the team signing service: serve, grant, revoke, editors, audit", runSigner},
}

// usageError makes the command exit with code 2 (bad usage or configuration).
// err, when set, is the classified cause (for errors.Is).
type usageError struct {
	msg string
	err error
}

func (u *usageError) Error() string { return u.msg }
func (u *usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// partialError makes the command exit with code 1: the run finished but some
// items failed. The message is the summary line.
type partialError struct{ msg string }

func (p *partialError) Error() string { return p.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(run(ctx, e, os.Args[1:]))
}

func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(e.stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "cloudup-cli: unknown command %q; run 'cloudup-cli help' for the list\n", args[0])
		return exitUsage
	}
	err := cmd.run(ctx, e, args[1:])
	var ue *usageError
	var pe *partialError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &pe):
		fmt.Fprintf(e.stderr, "cloudup-cli %s: %s\n", args[0], oneLine(err.Error()))
		return exitSomeFail
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "cloudup-cli %s: %s\n", args[0], oneLine(err.Error()))
		return exitUsage
	default:
		fmt.Fprintf(e.stderr, "cloudup-cli %s: %s\n", args[0], oneLine(err.Error()))
		return exitSomeFail
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: cloudup-cli COMMAND [flags] [args]")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "Run 'cloudup-cli COMMAND -h' for a command's flags.")
}

// oneLine keeps an error to a single line for stderr.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// newFlags returns a flag set that reports errors as usage errors instead of
// exiting, and prints its help to stderr.
func newFlags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("cloudup-cli "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parseFlags parses args allowing flags after positional arguments
// ("upload a.jpg --json"), which the flag package alone does not. A bad flag
// is reported in one line (the flag package would print the whole usage
// after it); -h prints the usage.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		out := fs.Output()
		fs.SetOutput(io.Discard)
		err := fs.Parse(args)
		fs.SetOutput(out)
		if err != nil {
			if errors.Is(err, flag.ErrHelp) {
				if fs.Usage != nil {
					fs.Usage()
				} else {
					fmt.Fprintf(out, "usage of %s:\n", fs.Name())
					fs.PrintDefaults()
				}
				return nil, err
			}
			return nil, &usageError{msg: fmt.Sprintf("%v (see '%s -h')", err, fs.Name())}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if rest[0] == "--" {
			return append(positional, rest[1:]...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}
