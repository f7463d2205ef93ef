package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/net/netutil"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/paths"
	"github.com/cloudup/cloudup/core/signer"
	"github.com/cloudup/cloudup/core/teamsign"
)

const signerHelp = `usage: cloudup-cli signer serve   [--addr 127.0.0.1:8790] [--profile NAME] [--db PATH|postgres://…] [--tls-cert F --tls-key F]
       cloudup-cli signer grant   --editor NAME --folder PREFIX [--folder PREFIX]... [--preset P]...
                                  [--types image,video,raw] [--formats jpg,png,...] [--can-edit] [--can-delete]
                                  [--expires 720h] [--allow-param NAME]... [--db …]
       cloudup-cli signer revoke  --editor NAME [--db …]
       cloudup-cli signer editors [--json] [--db …]
       cloudup-cli signer audit   [--editor NAME] [--since 24h] [--json] [--db …]

The team signing service: it holds the account's API secret (from the
profile's keychain entry, or CLOUDINARY_URL; never from a flag), gives each
editor a revocable token with a grant, signs only what the grant allows and
answers library searches inside the editor's folders. Editors upload straight
to Cloudinary; file bytes never pass through the service.

Without --db the database is signer.db in the Cloudup data dir; several
instances behind a load balancer share one PostgreSQL database
(--db postgres://user@host/db). Run 'cloudup-cli signer COMMAND -h' for flags.
`

func runSigner(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		io.WriteString(e.stderr, signerHelp)
		if len(args) == 0 {
			return usagef("signer needs a command: serve, grant, revoke, editors or audit")
		}
		return nil
	}
	sub := map[string]func(context.Context, *env, []string) error{
		"serve": runSignerServe, "grant": runSignerGrant, "revoke": runSignerRevoke,
		"editors": runSignerEditors, "audit": runSignerAudit,
	}[args[0]]
	if sub == nil {
		return usagef("unknown signer command %q: use serve, grant, revoke, editors or audit", args[0])
	}
	return sub(ctx, e, args[1:])
}

// signerDB is where the service keeps editors and the audit: --db, else
// signer.db in the data dir.
func signerDB(e *env, db string) (string, error) {
	if db != "" {
		return db, nil
	}
	dir := e.getenv("CLOUDUP_DATA_DIR")
	if dir == "" {
		var err error
		if dir, err = paths.DataDir(); err != nil {
			return "", usagef("%v", err)
		}
	}
	return filepath.Join(dir, "signer.db"), nil
}

func openSignerStore(ctx context.Context, e *env, db string) (*signer.Store, error) {
	dsn, err := signerDB(e, db)
	if err != nil {
		return nil, err
	}
	st, err := signer.OpenStore(ctx, dsn)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return st, nil
}

func runSignerServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "signer serve")
	addr := fs.String("addr", "127.0.0.1:8790", "listen `ADDRESS` (loopback unless you mean otherwise; port 0 picks a free one)")
	name := fs.String("profile", "", "profile `NAME` whose keychain secret the service signs with (default: CLOUDINARY_URL when set, else the default profile)")
	db := fs.String("db", "", "database: a SQLite `PATH` or a postgres:// URL (default: signer.db in the data dir)")
	certFile := fs.String("tls-cert", "", "serve HTTPS with this certificate `FILE` (PEM)")
	keyFile := fs.String("tls-key", "", "the certificate's private key `FILE` (PEM)")
	perHour := fs.Int("admin-per-hour", 200, "Admin API calls (library searches) each editor may cause per hour; the account's budget is shared")
	maxConns := fs.Int("max-conns", 512, "connections served at once")
	quiet := fs.Bool("quiet", false, "do not log requests to standard error")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: cloudup-cli signer serve [flags]\nPrints 'listening on URL' first, then serves until interrupted. Put it behind HTTPS (or give --tls-cert/--tls-key) when editors reach it over a network.\n")
		fs.PrintDefaults()
	}
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		// Not echoed: a stray argument might be the secret.
		return usagef("signer serve takes flags only; the secret comes from the profile's keychain entry or CLOUDINARY_URL, never from an argument")
	}
	if (*certFile == "") != (*keyFile == "") {
		return usagef("give both --tls-cert and --tls-key, or neither")
	}
	creds, err := e.credentials(ctx, *name)
	if err != nil {
		return err
	}
	p := creds.Profile
	switch {
	case p.IsTeam():
		return usagef("profile %q is itself a team profile: the service needs a profile that holds the API secret", p.Name)
	case p.Mode == account.Unsigned:
		return usagef("profile %q is unsigned: the service needs a profile that holds the API secret", p.Name)
	}
	store, err := openSignerStore(ctx, e, *db)
	if err != nil {
		return err
	}
	defer store.Close()
	logger := slog.New(slog.DiscardHandler)
	if !*quiet {
		logger = slog.New(slog.NewTextHandler(e.stderr, nil))
	}
	svc, err := signer.New(signer.Config{
		Store: store, AdminPerHour: *perHour, Log: logger,
		Account: signer.Account{Cloud: p.Cloud, APIKey: p.APIKey, Secret: cloud.Secret(creds.Secret.Reveal()), Algorithm: p.Algorithm, APIBase: p.APIBase},
	})
	if err != nil {
		return usagef("%v", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return usagef("cannot listen on %s: %v", *addr, err)
	}
	srv := &http.Server{
		Handler:           svc,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          nil,
	}
	scheme := "http"
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			ln.Close()
			return usagef("the TLS certificate or key cannot be used: %v", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	// The contract: this line first, so scripts can read the address.
	fmt.Fprintf(e.stdout, "listening on %s://%s\n", scheme, ln.Addr())
	if scheme == "http" && !loopback(ln.Addr()) {
		fmt.Fprintf(e.stderr, "cloudup-cli signer: serving plain HTTP on %s: tokens cross the network readable; put the service behind HTTPS or give --tls-cert and --tls-key\n", ln.Addr())
	}
	fmt.Fprintf(e.stderr, "cloudup-cli signer: signing for cloud %q (profile %q), database %s; Ctrl-C stops it\n", p.Cloud, p.Name, store.Where())
	ln = netutil.LimitListener(ln, *maxConns)
	done := make(chan error, 1)
	go func() {
		if scheme == "https" {
			done <- srv.ServeTLS(ln, "", "")
		} else {
			done <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(shut)
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func loopback(a net.Addr) bool {
	t, ok := a.(*net.TCPAddr)
	return ok && t.IP.IsLoopback()
}

func runSignerGrant(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "signer grant")
	editor := fs.String("editor", "", "the editor's `NAME` (a new grant replaces the editor's token)")
	var folders, presets, allow listFlag
	fs.Var(&folders, "folder", "folder `PREFIX` the editor may upload to and read (repeat for more)")
	fs.Var(&presets, "preset", "upload `PRESET` the editor may name (repeat for more; default none)")
	types := fs.String("types", "", "resource `TYPES` the editor may upload: image,video,raw (default all)")
	formats := fs.String("formats", "", "file `FORMATS` the editor may upload, e.g. jpg,png,mp4 (default any of the types)")
	canEdit := fs.Bool("can-edit", false, "may rename, move, retag and change details inside the folders")
	canDelete := fs.Bool("can-delete", false, "may delete inside the folders")
	expires := fs.Duration("expires", 720*time.Hour, "the token stops working after this long (0 = never)")
	fs.Var(&allow, "allow-param", "allow an upload `PARAMETER` refused by default (notification_url, eval, an add-on…); repeat for more")
	db := fs.String("db", "", "database: a SQLite `PATH` or a postgres:// URL (default: signer.db in the data dir)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: cloudup-cli signer grant --editor NAME --folder PREFIX [flags]\nPrints the new token alone on the first line of standard output; it is shown once and stored only as a hash.\n")
		fs.PrintDefaults()
	}
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected arguments %q: signer grant takes flags only", strings.Join(rest, " "))
	}
	if *editor == "" {
		return usagef("signer grant needs --editor NAME")
	}
	if *expires < 0 {
		return usagef("--expires must be positive (or 0 for never)")
	}
	g := teamsign.Grant{
		Folders: folders, Presets: presets, Types: splitCSV(*types), Formats: splitCSV(*formats),
		CanEdit: *canEdit, CanDelete: *canDelete, AllowParams: allow,
	}
	now := time.Now()
	if *expires > 0 {
		g.ExpiresAt = now.Add(*expires).Truncate(time.Second)
	}
	if _, err := signer.NormalizeGrant(g); err != nil {
		return usagef("%v", err)
	}
	store, err := openSignerStore(ctx, e, *db)
	if err != nil {
		return err
	}
	defer store.Close()
	token, err := store.Grant(ctx, *editor, g, now)
	if err != nil {
		return usagef("%v", err)
	}
	fmt.Fprintln(e.stdout, token.Reveal())
	fmt.Fprintf(e.stderr, "Token for %q: %s. Give it to the editor once (they paste it in Cloudup's Settings or pipe it to 'cloudup-cli login --signer URL --token-stdin'); it is not shown again.\n", *editor, describeGrant(g))
	return nil
}

func splitCSV(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// describeGrant says in words what a grant allows.
func describeGrant(g teamsign.Grant) string {
	var parts []string
	parts = append(parts, "upload to "+strings.Join(slashed(g.Folders), ", "))
	if len(g.Types) > 0 {
		parts = append(parts, strings.Join(g.Types, "/")+" only")
	}
	if len(g.Formats) > 0 {
		parts = append(parts, "formats "+strings.Join(g.Formats, ","))
	}
	if len(g.Presets) > 0 {
		parts = append(parts, "presets "+strings.Join(g.Presets, ","))
	}
	switch {
	case g.CanEdit && g.CanDelete:
		parts = append(parts, "may edit and delete there")
	case g.CanEdit:
		parts = append(parts, "may edit there")
	case g.CanDelete:
		parts = append(parts, "may delete there")
	}
	if len(g.AllowParams) > 0 {
		parts = append(parts, "also "+strings.Join(g.AllowParams, ","))
	}
	if g.ExpiresAt.IsZero() {
		parts = append(parts, "never expires")
	} else {
		parts = append(parts, "expires "+g.ExpiresAt.Local().Format("2006-01-02 15:04"))
	}
	return strings.Join(parts, "; ")
}

func slashed(folders []string) []string {
	out := make([]string, len(folders))
	for i, f := range folders {
		out[i] = strings.TrimSuffix(f, "/") + "/"
	}
	return out
}

func runSignerRevoke(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "signer revoke")
	editor := fs.String("editor", "", "the editor's `NAME`")
	db := fs.String("db", "", "database: a SQLite `PATH` or a postgres:// URL (default: signer.db in the data dir)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 || *editor == "" {
		return usagef("usage: cloudup-cli signer revoke --editor NAME")
	}
	store, err := openSignerStore(ctx, e, *db)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Revoke(ctx, *editor, time.Now()); err != nil {
		if errors.Is(err, signer.ErrNoEditor) {
			return usagef("%v", err)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "Token of %q revoked: its next request is refused, by every instance of the service.\n", *editor)
	return nil
}

func runSignerEditors(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "signer editors")
	asJSON := fs.Bool("json", false, "one JSON object per editor")
	db := fs.String("db", "", "database: a SQLite `PATH` or a postgres:// URL (default: signer.db in the data dir)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("signer editors takes flags only")
	}
	store, err := openSignerStore(ctx, e, *db)
	if err != nil {
		return err
	}
	defer store.Close()
	editors, err := store.Editors(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	if *asJSON {
		for _, ed := range editors {
			if err := printJSON(e.stdout, struct {
				signer.Editor
				Status string `json:"status"`
			}{ed, editorStatus(ed, now)}); err != nil {
				return err
			}
		}
		return nil
	}
	if len(editors) == 0 {
		fmt.Fprintln(e.stdout, "No editors yet: 'cloudup-cli signer grant --editor NAME --folder PREFIX' adds one.")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "EDITOR\tSTATUS\tTOKEN\tGRANT\tLAST USED")
	for _, ed := range editors {
		last := "never"
		if !ed.LastUsed.IsZero() {
			last = ed.LastUsed.Local().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t…%s\t%s\t%s\n", ed.Name, editorStatus(ed, now), ed.Hint, describeGrant(ed.Grant), last)
	}
	return tw.Flush()
}

func editorStatus(ed signer.Editor, now time.Time) string {
	switch {
	case !ed.RevokedAt.IsZero():
		return "revoked"
	case !ed.Active(now):
		return "expired"
	}
	return "active"
}

func runSignerAudit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "signer audit")
	editor := fs.String("editor", "", "only this editor's entries")
	since := fs.Duration("since", 24*time.Hour, "entries from this long ago (0 = all)")
	limit := fs.Int("limit", 1000, "at most this many (the newest)")
	asJSON := fs.Bool("json", false, "one JSON object per entry")
	db := fs.String("db", "", "database: a SQLite `PATH` or a postgres:// URL (default: signer.db in the data dir)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("signer audit takes flags only")
	}
	store, err := openSignerStore(ctx, e, *db)
	if err != nil {
		return err
	}
	defer store.Close()
	q := signer.AuditQuery{Editor: *editor, Limit: *limit}
	if *since > 0 {
		q.Since = time.Now().Add(-*since)
	}
	entries, err := store.Audit(ctx, q)
	if err != nil {
		return err
	}
	if *asJSON {
		for _, en := range entries {
			if err := printJSON(e.stdout, en); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tEDITOR\tACTION\tOUTCOME\tDETAIL")
	for _, en := range entries {
		who := en.Editor
		if who == "" {
			who = "(unknown token)"
		}
		outcome := en.Outcome
		if en.Rule != "" {
			outcome += " (" + en.Rule + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", en.At.Local().Format("2006-01-02 15:04:05"), who, en.Action, outcome, en.Detail)
	}
	return tw.Flush()
}
