package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/library"
	"github.com/cloudup/cloudup/core/session"
	"github.com/cloudup/cloudup/core/transfer"
)

func runSearch(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "search")
	name := fs.String("profile", "", "profile `NAME` (default: CLOUDINARY_URL when set, else the default profile)")
	expr := fs.String("expression", "", "Search API `EXPRESSION`, e.g. 'tags=cat AND folder:blog/*' (default: everything)")
	maxResults := fs.Int("max", 100, "print at most `N` assets; 0 prints every match")
	asJSON := fs.Bool("json", false, "print one JSON object per asset")
	pageSize := fs.Int("page-size", 0, "assets per Search API call, 1 to 500 (default: --max, at most 500)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: cloudup-cli search [--profile NAME] [--expression E] [--max N] [--json]
Lists the account's assets newest first through the Search API, following
next_cursor page by page until --max assets are printed. Each page is one
Admin API call (at most 500 assets per call).
  cloudup-cli search --expression 'folder:blog/* AND tags=cover' --max 20
  cloudup-cli search --json --max 0 > everything.jsonl`)
		fs.PrintDefaults()
	}
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("search takes no arguments: put the query in --expression, e.g. --expression 'tags=%s'", rest[0])
	}
	if *maxResults < 0 {
		return usagef("--max must be 0 (everything) or more, not %d", *maxResults)
	}
	if *pageSize < 0 || *pageSize > 500 {
		return usagef("--page-size must be 1 to 500 (Cloudinary's limit per call), not %d", *pageSize)
	}
	client, err := adminClient(ctx, e, *name, "search")
	if err != nil {
		return err
	}

	if *pageSize == 0 {
		*pageSize = 500
		if *maxResults > 0 {
			*pageSize = min(*maxResults, 500)
		}
	}
	pager := library.NewPager(client, library.NewQuery(*expr, *pageSize))
	var tw *tabwriter.Writer
	if !*asJSON {
		tw = tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PUBLIC ID\tTYPE\tFORMAT\tSIZE\tBYTES\tCREATED\tTAGS")
	}
	printed := 0
	for *maxResults == 0 || printed < *maxResults {
		page, err := pager.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if tw != nil {
				tw.Flush()
			}
			return cloudError(err, "search")
		}
		for _, a := range page {
			if *maxResults > 0 && printed == *maxResults {
				break
			}
			printed++
			if *asJSON {
				if err := printJSON(e.stdout, a); err != nil {
					return err
				}
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.PublicID, dash(a.ResourceType), dash(a.Format),
				dimensions(a), transfer.HumanBytes(a.Bytes), created(a.CreatedAt), dash(strings.Join(a.Tags, ",")))
		}
	}
	if tw != nil {
		tw.Flush()
		more := ""
		if pager.More() {
			more = " (raise --max to see more)"
		}
		fmt.Fprintf(e.stderr, "%d of %d matching assets, %d Search API call(s)%s\n", printed, pager.Total(), pager.Calls(), more)
	}
	return nil
}

func dimensions(a cloud.Asset) string {
	if a.Width == 0 && a.Height == 0 {
		return "-"
	}
	return fmt.Sprintf("%d×%d", a.Width, a.Height)
}

func created(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

// adminClient is a client for commands that call the Admin or Search API,
// which need the secret (or a team service that answers for the editor): an
// unsigned profile is a usage error that says so.
func adminClient(ctx context.Context, e *env, profile, what string) (*cloud.Client, error) {
	creds, err := e.credentials(ctx, profile)
	if err != nil {
		return nil, err
	}
	p := creds.Profile
	if p.Mode == account.Unsigned {
		return nil, usagef("%s needs the API secret, and profile %q is unsigned (upload preset only): pick a signed profile with --profile", what, p.Name)
	}
	conn, err := session.Connect(ctx, creds, nil)
	if err != nil {
		return nil, connectError(err)
	}
	return conn.Client(), nil
}

// connectError sorts what session.Connect says: a setup problem (exit 2)
// or a service that could not be reached (exit 1).
func connectError(err error) error {
	var ne *cloud.NetworkError
	if errors.As(err, &ne) {
		return err
	}
	if errors.Is(err, cloud.ErrTokenRejected) {
		return &usageError{msg: err.Error(), err: err}
	}
	if ce := asConfigError(err); ce != err {
		return ce
	}
	return &usageError{msg: err.Error(), err: err}
}

// cloudError marks what the account refused (wrong credentials, a bad
// expression) as configuration or usage errors (exit 2); network and server
// failures stay exit 1.
func cloudError(err error, what string) error {
	var (
		re *cloud.RequestError
		ie *cloud.InvalidRequestError
	)
	if errors.Is(err, cloud.ErrUnauthorized) || errors.Is(err, cloud.ErrTokenRejected) || errors.Is(err, cloud.ErrRefused) || errors.As(err, &re) || errors.As(err, &ie) {
		return &usageError{msg: what + ": " + err.Error(), err: err}
	}
	return fmt.Errorf("%s: %w", what, err)
}
