package signer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"

	"github.com/cloudup/cloudup/core/teamsign"
)

// Store keeps editors, their hashed tokens and the audit trail. All of the
// service's state that matters lives here, so several instances on one
// PostgreSQL database behave as one: a token revoked through one is refused
// by the next request to any of them.
type Store struct {
	db      *sql.DB
	dialect dialect
	where   string // for messages: the file, or the PostgreSQL host and database
}

type dialect int

const (
	sqlite dialect = iota
	postgres
)

// Editor is one editor as the owner sees it. The token itself is never
// stored; Hint is its last four characters, to tell tokens apart.
type Editor struct {
	Name      string         `json:"name"`
	Grant     teamsign.Grant `json:"grant"`
	Hint      string         `json:"token_hint"`
	CreatedAt time.Time      `json:"created_at"`
	RevokedAt time.Time      `json:"revoked_at,omitzero"`
	LastUsed  time.Time      `json:"last_used_at,omitzero"`
}

// Active reports whether the editor's token works at now.
func (e Editor) Active(now time.Time) bool {
	return e.RevokedAt.IsZero() && (e.Grant.ExpiresAt.IsZero() || now.Before(e.Grant.ExpiresAt))
}

// OpenStore opens (creating if needed) the database named by dsn: a
// postgres:// or postgresql:// URL, or a SQLite file path.
func OpenStore(ctx context.Context, dsn string) (*Store, error) {
	if dsn == "" {
		return nil, errors.New("no database given")
	}
	s := &Store{}
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		s.dialect = postgres
		s.where = describePostgres(dsn)
		s.db, err = sql.Open("pgx", dsn)
	} else {
		s.dialect = sqlite
		s.where = dsn
		if err := os.MkdirAll(filepath.Dir(dsn), 0o700); err != nil {
			return nil, fmt.Errorf("cannot create the folder for the signing database %s: %w", dsn, err)
		}
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_txlock", "immediate")
		s.db, err = sql.Open("sqlite", "file:"+filepath.ToSlash(dsn)+"?"+q.Encode())
	}
	if err != nil {
		return nil, fmt.Errorf("opening the signing database %s: %w", s.where, err)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("the signing database %s cannot be used: %w", s.where, err)
	}
	if s.dialect == sqlite {
		// The database holds token hashes and the audit: owner only.
		for _, f := range []string{dsn, dsn + "-wal", dsn + "-shm"} {
			os.Chmod(f, 0o600)
		}
	}
	return s, nil
}

// describePostgres names a PostgreSQL database without its password.
func describePostgres(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "the PostgreSQL database"
	}
	return "postgres://" + u.Host + u.Path
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Where names the database for messages; never with a password.
func (s *Store) Where() string { return s.where }

func (s *Store) migrate(ctx context.Context) error {
	id := "INTEGER PRIMARY KEY AUTOINCREMENT"
	if s.dialect == postgres {
		id = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
	}
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS editors (
			name TEXT PRIMARY KEY,
			token_hash TEXT NOT NULL UNIQUE,
			token_hint TEXT NOT NULL,
			grant_json TEXT NOT NULL,
			created_at BIGINT NOT NULL,
			expires_at BIGINT NOT NULL,
			revoked_at BIGINT NOT NULL DEFAULT 0,
			last_used_at BIGINT NOT NULL DEFAULT 0)`,
		`CREATE TABLE IF NOT EXISTS audit (
			id ` + id + `,
			at BIGINT NOT NULL,
			editor TEXT NOT NULL,
			action TEXT NOT NULL,
			outcome TEXT NOT NULL,
			rule TEXT NOT NULL,
			detail TEXT NOT NULL,
			remote TEXT NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS audit_editor_at ON audit (editor, at)`,
		`CREATE INDEX IF NOT EXISTS audit_at ON audit (at)`,
	}
	for _, q := range stmts {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// TokenPrefix starts every editor token, so a leaked one is recognisable
// (secret scanners) and a pasted API secret is not mistaken for one.
const TokenPrefix = "cup_"

// newToken is 32 random bytes, base64url: 256 bits, so a fast hash is
// enough to store it (nothing to brute-force).
func newToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

var editorName = func(n string) error {
	if n == "" || len(n) > 64 || strings.TrimSpace(n) != n {
		return fmt.Errorf("editor name %q: use 1 to 64 characters without leading or trailing spaces", n)
	}
	for _, r := range n {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("editor name %q contains a control character", n)
		}
	}
	return nil
}

// Grant gives editor a new token with grant, replacing (and so revoking)
// any token the editor had. The token is returned once and never stored.
func (s *Store) Grant(ctx context.Context, editor string, g teamsign.Grant, now time.Time) (teamsign.Token, error) {
	if err := editorName(editor); err != nil {
		return "", err
	}
	g, err := NormalizeGrant(g)
	if err != nil {
		return "", err
	}
	raw, err := json.Marshal(g)
	if err != nil {
		return "", err
	}
	token := newToken()
	var expires int64
	if !g.ExpiresAt.IsZero() {
		expires = g.ExpiresAt.UnixNano()
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO editors (name, token_hash, token_hint, grant_json, created_at, expires_at, revoked_at, last_used_at)
		VALUES ($1, $2, $3, $4, $5, $6, 0, 0)
		ON CONFLICT (name) DO UPDATE SET token_hash = excluded.token_hash, token_hint = excluded.token_hint,
			grant_json = excluded.grant_json, created_at = excluded.created_at, expires_at = excluded.expires_at,
			revoked_at = 0, last_used_at = 0`,
		editor, hashToken(token), token[len(token)-4:], string(raw), now.UnixNano(), expires)
	if err != nil {
		return "", fmt.Errorf("saving the grant in %s: %w", s.where, err)
	}
	return teamsign.Token(token), nil
}

// ErrNoEditor is returned by Revoke for a name that has no grant.
var ErrNoEditor = errors.New("no such editor")

// Revoke ends the editor's token at once: the next request with it, to any
// instance, is refused.
func (s *Store) Revoke(ctx context.Context, editor string, now time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE editors SET revoked_at = $1 WHERE name = $2 AND revoked_at = 0`, now.UnixNano(), editor)
	if err != nil {
		return fmt.Errorf("revoking in %s: %w", s.where, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var one int
		if err := s.db.QueryRowContext(ctx, `SELECT 1 FROM editors WHERE name = $1`, editor).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w %q: 'cloudup-cli signer editors' lists them", ErrNoEditor, editor)
		}
	}
	return nil
}

// Editors lists every editor, active or not, by name.
func (s *Store) Editors(ctx context.Context) ([]Editor, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, token_hint, grant_json, created_at, expires_at, revoked_at, last_used_at FROM editors ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("reading editors from %s: %w", s.where, err)
	}
	defer rows.Close()
	var out []Editor
	for rows.Next() {
		e, err := scanEditor(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(...any) error }

func scanEditor(r scanner) (Editor, error) {
	var (
		e                                Editor
		grant                            string
		created, expires, revoked, lastU int64
	)
	if err := r.Scan(&e.Name, &e.Hint, &grant, &created, &expires, &revoked, &lastU); err != nil {
		return e, err
	}
	if err := json.Unmarshal([]byte(grant), &e.Grant); err != nil {
		return e, fmt.Errorf("the grant of %q cannot be read: %w", e.Name, err)
	}
	e.CreatedAt = time.Unix(0, created)
	if expires != 0 {
		e.Grant.ExpiresAt = time.Unix(0, expires)
	}
	if revoked != 0 {
		e.RevokedAt = time.Unix(0, revoked)
	}
	if lastU != 0 {
		e.LastUsed = time.Unix(0, lastU)
	}
	return e, nil
}

// Errors Authenticate returns; each wording is for the editor.
var (
	ErrBadToken = errors.New("this token is not valid: ask the account owner for a new one")
	ErrRevoked  = errors.New("your access was revoked by the account owner; ask them for a new token")
)

// ExpiredError is a token past its expiry.
type ExpiredError struct{ At time.Time }

func (e *ExpiredError) Error() string {
	return fmt.Sprintf("your access expired on %s; ask the account owner to renew it", e.At.UTC().Format("2 Jan 2006 15:04 UTC"))
}

// Authenticate finds the editor a token belongs to, checking revocation and
// expiry on every call: nothing is cached, so a revocation through any
// instance holds at once.
func (s *Store) Authenticate(ctx context.Context, token string, now time.Time) (Editor, error) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) != len(TokenPrefix)+43 {
		return Editor{}, ErrBadToken
	}
	row := s.db.QueryRowContext(ctx, `SELECT name, token_hint, grant_json, created_at, expires_at, revoked_at, last_used_at FROM editors WHERE token_hash = $1`, hashToken(token))
	e, err := scanEditor(row)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Editor{}, ErrBadToken
	case err != nil:
		return Editor{}, fmt.Errorf("reading the signing database: %w", err)
	case !e.RevokedAt.IsZero():
		return e, ErrRevoked
	case !e.Grant.ExpiresAt.IsZero() && !now.Before(e.Grant.ExpiresAt):
		return e, &ExpiredError{At: e.Grant.ExpiresAt}
	}
	// Last use is for the owner's list: written at most once a minute per
	// editor, so signing does not turn every request into a write.
	if now.Sub(e.LastUsed) > time.Minute {
		s.db.ExecContext(ctx, `UPDATE editors SET last_used_at = $1 WHERE name = $2 AND last_used_at < $3`,
			now.UnixNano(), e.Name, now.Add(-time.Minute).UnixNano())
	}
	return e, nil
}

// AuditEntry is one signature, refusal or answered read.
type AuditEntry struct {
	At      time.Time `json:"at"`
	Editor  string    `json:"editor"`
	Action  string    `json:"action"`
	Outcome string    `json:"outcome"` // signed, refused, answered, failed
	Rule    string    `json:"rule,omitempty"`
	Detail  string    `json:"detail"`
	Remote  string    `json:"remote,omitempty"`
}

// Outcomes recorded in the audit.
const (
	OutcomeSigned   = "signed"
	OutcomeRefused  = "refused"
	OutcomeAnswered = "answered"
	OutcomeFailed   = "failed"
)

// Record appends entries to the audit in one transaction.
func (s *Store) Record(ctx context.Context, entries ...AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("writing the audit in %s: %w", s.where, err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO audit (at, editor, action, outcome, rule, detail, remote) VALUES ($1, $2, $3, $4, $5, $6, $7)`)
	if err != nil {
		return fmt.Errorf("writing the audit in %s: %w", s.where, err)
	}
	defer stmt.Close()
	for _, e := range entries {
		if _, err := stmt.ExecContext(ctx, e.At.UnixNano(), e.Editor, e.Action, e.Outcome, e.Rule, e.Detail, e.Remote); err != nil {
			return fmt.Errorf("writing the audit in %s: %w", s.where, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("writing the audit in %s: %w", s.where, err)
	}
	return nil
}

// AuditQuery filters the audit; zero fields do not filter.
type AuditQuery struct {
	Editor string
	Since  time.Time
	Limit  int // default 1000
}

// Audit lists entries oldest first.
func (s *Store) Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	if q.Limit <= 0 {
		q.Limit = 1000
	}
	query := `SELECT at, editor, action, outcome, rule, detail, remote FROM audit WHERE at >= $1`
	args := []any{q.Since.UnixNano()}
	if q.Since.IsZero() {
		args[0] = int64(0)
	}
	if q.Editor != "" {
		query += ` AND editor = $2`
		args = append(args, q.Editor)
	}
	// The newest Limit entries, shown oldest first.
	query = `SELECT * FROM (` + query + fmt.Sprintf(` ORDER BY at DESC, id DESC LIMIT %d) recent ORDER BY at`, q.Limit)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("reading the audit from %s: %w", s.where, err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var (
			e  AuditEntry
			at int64
		)
		if err := rows.Scan(&at, &e.Editor, &e.Action, &e.Outcome, &e.Rule, &e.Detail, &e.Remote); err != nil {
			return nil, err
		}
		e.At = time.Unix(0, at)
		out = append(out, e)
	}
	return out, rows.Err()
}
