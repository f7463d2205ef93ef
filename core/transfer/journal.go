package transfer

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/cloudup/cloudup/core/paths"

	_ "modernc.org/sqlite" // pure-Go SQLite, so CGO_ENABLED=0 builds work
	sqlite3 "modernc.org/sqlite/lib"
)

// Journal is the durable record of uploads: one row per unfinished item
// (with its planned public_id, upload id and acknowledged chunks), committed
// before and after every step, and the history of finished uploads. Several
// processes (the GUI and the CLI) may share it; each engine owns its rows
// through a heartbeat, and a resume takes over only rows whose owner is gone.
type Journal struct {
	db   *sql.DB
	path string
	host string
}

// DefaultJournalPath is journal.db in the data dir.
func DefaultJournalPath() (string, error) {
	dir, err := paths.DataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "journal.db"), nil
}

// schemaVersion 2 added history.account, the key duplicates are found by.
const schemaVersion = 2

const schema = `
CREATE TABLE IF NOT EXISTS items (
	id            TEXT PRIMARY KEY,
	profile       TEXT NOT NULL,
	owner         TEXT NOT NULL,
	kind          TEXT NOT NULL,
	path          TEXT NOT NULL DEFAULT '',
	url           TEXT NOT NULL DEFAULT '',
	name          TEXT NOT NULL DEFAULT '',
	spool         INTEGER NOT NULL DEFAULT 0,
	options       TEXT NOT NULL DEFAULT '{}',
	size          INTEGER NOT NULL DEFAULT 0,
	mtime_ns      INTEGER NOT NULL DEFAULT 0,
	md5           TEXT NOT NULL DEFAULT '',
	resource_type TEXT NOT NULL DEFAULT '',
	format        TEXT NOT NULL DEFAULT '',
	public_id     TEXT NOT NULL DEFAULT '',
	upload_id     TEXT NOT NULL DEFAULT '',
	chunk_size    INTEGER NOT NULL DEFAULT 0,
	state         TEXT NOT NULL,
	error         TEXT NOT NULL DEFAULT '',
	resumable     INTEGER NOT NULL DEFAULT 1,
	attempts      INTEGER NOT NULL DEFAULT 0,
	created_ns    INTEGER NOT NULL,
	updated_ns    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS items_profile_state ON items(profile, state);
CREATE TABLE IF NOT EXISTS chunks (
	item_id   TEXT NOT NULL,
	upload_id TEXT NOT NULL,
	start     INTEGER NOT NULL,
	end       INTEGER NOT NULL,
	acked_ns  INTEGER NOT NULL,
	PRIMARY KEY (item_id, upload_id, start)
);
CREATE TABLE IF NOT EXISTS history (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	item_id       TEXT NOT NULL,
	profile       TEXT NOT NULL,
	folder        TEXT NOT NULL DEFAULT '',
	path          TEXT NOT NULL DEFAULT '',
	url           TEXT NOT NULL DEFAULT '',
	name          TEXT NOT NULL DEFAULT '',
	size          INTEGER NOT NULL DEFAULT 0,
	md5           TEXT NOT NULL DEFAULT '',
	public_id     TEXT NOT NULL DEFAULT '',
	resource_type TEXT NOT NULL DEFAULT '',
	secure_url    TEXT NOT NULL DEFAULT '',
	etag          TEXT NOT NULL DEFAULT '',
	at_ns         INTEGER NOT NULL,
	outcome       TEXT NOT NULL,
	error         TEXT NOT NULL DEFAULT '',
	account       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS history_duplicates ON history(profile, folder, md5, outcome);
CREATE INDEX IF NOT EXISTS history_at ON history(at_ns);
CREATE TABLE IF NOT EXISTS owners (
	owner        TEXT PRIMARY KEY,
	host         TEXT NOT NULL,
	pid          INTEGER NOT NULL,
	heartbeat_ns INTEGER NOT NULL
);
`

// OpenJournal opens (creating if needed) the journal database at path.
func OpenJournal(path string) (*Journal, error) {
	if _, err := paths.Ensure(filepath.Dir(path)); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	// NORMAL in WAL mode survives a crash or kill of the app (only a power
	// cut can lose the last commits), at a fraction of FULL's fsyncs.
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("opening the upload journal %s: %w", path, err)
	}
	// One connection: writes are serialised anyway, and it keeps our own
	// goroutines from ever meeting SQLITE_BUSY between themselves.
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		db.Close()
		if explained := explainJournal(path, err); explained != err {
			return nil, explained
		}
		return nil, fmt.Errorf("the upload journal %s cannot be read (%v): move it aside and start again", path, err)
	}
	if version > schemaVersion {
		db.Close()
		return nil, fmt.Errorf("the upload journal %s was written by a newer Cloudup (schema %d): update Cloudup", path, version)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, explainJournal(path, fmt.Errorf("preparing the upload journal %s: %w", path, err))
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, explainJournal(path, fmt.Errorf("updating the upload journal %s: %w", path, err))
	}
	if _, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		db.Close()
		return nil, err
	}
	host, _ := os.Hostname()
	return &Journal{db: db, path: path, host: host}, nil
}

// migrate brings an older journal's tables up to schemaVersion. Version 1
// had no history.account: its rows keep an empty account, which matches no
// account, so they never make a file count as already uploaded.
func migrate(ctx context.Context, db *sql.DB) error {
	has := false
	rows, err := db.QueryContext(ctx, `SELECT name FROM pragma_table_info('history')`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		has = has || name == "account"
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if !has {
		if _, err := db.ExecContext(ctx, `ALTER TABLE history ADD COLUMN account TEXT NOT NULL DEFAULT ''`); err != nil {
			return err
		}
	}
	_, err = db.ExecContext(ctx, `CREATE INDEX IF NOT EXISTS history_account ON history(account, folder, md5, outcome)`)
	return err
}

// Path is where the journal lives.
func (j *Journal) Path() string { return j.path }

// Close closes the database.
func (j *Journal) Close() error { return j.db.Close() }

// Entry is one unfinished item as the journal keeps it.
type Entry struct {
	ID      ItemID
	Profile string
	Path    string
	URL     string
	Name    string
	Spool   bool
	// Options is shared by the items added together (read-only; thirty
	// thousand copies of the same options add up).
	Options      *Options
	Size         int64
	ModTime      time.Time
	MD5          string
	ResourceType string
	Format       string
	PublicID     string
	UploadID     string
	ChunkSize    int64
	Acked        int64 // bytes acknowledged from the start, in whole chunks
	State        State
	Error        string
	Resumable    bool
	Attempts     int
	Created      time.Time
	Updated      time.Time
}

func (e *Entry) kind() string {
	if e.URL != "" {
		return "url"
	}
	return "file"
}

// HistoryEntry is one finished upload (or final failure).
type HistoryEntry struct {
	ID      int64
	ItemID  ItemID
	Profile string
	// Account is the cloud, API key and API base the upload went to
	// (cloud.Client.Account); duplicates are found per account.
	Account      string
	Folder       string
	Path         string
	URL          string
	Name         string
	Size         int64
	MD5          string
	PublicID     string
	ResourceType string
	SecureURL    string
	ETag         string
	At           time.Time
	Outcome      State // Done, Skipped or Failed
	Error        string
}

const itemColumns = `id, profile, path, url, name, spool, options, size, mtime_ns, md5, resource_type, format,
	public_id, upload_id, chunk_size, state, error, resumable, attempts, created_ns, updated_ns`

type scanner interface{ Scan(...any) error }

func scanEntry(s scanner) (Entry, error) {
	var e Entry
	var opts string
	var mtime, created, updated int64
	var id, state string
	err := s.Scan(&id, &e.Profile, &e.Path, &e.URL, &e.Name, &e.Spool, &opts, &e.Size, &mtime, &e.MD5,
		&e.ResourceType, &e.Format, &e.PublicID, &e.UploadID, &e.ChunkSize, &state, &e.Error, &e.Resumable,
		&e.Attempts, &created, &updated)
	if err != nil {
		return e, err
	}
	e.ID, e.State = ItemID(id), State(state)
	if mtime != 0 {
		e.ModTime = time.Unix(0, mtime)
	}
	e.Created, e.Updated = time.Unix(0, created), time.Unix(0, updated)
	e.Options = new(Options)
	if err := json.Unmarshal([]byte(opts), e.Options); err != nil {
		return e, fmt.Errorf("journal row %s has unreadable options: %w", id, err)
	}
	return e, nil
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// save writes an item's row (insert or full update) under owner.
func (j *Journal) save(ctx context.Context, owner string, e *Entry) (err error) {
	defer j.explain(&err)
	opts, err := json.Marshal(e.Options)
	if err != nil {
		return err
	}
	now := time.Now().UnixNano()
	if e.Created.IsZero() {
		e.Created = time.Unix(0, now)
	}
	_, err = j.db.ExecContext(ctx, `INSERT INTO items (id, profile, owner, kind, path, url, name, spool, options, size, mtime_ns, md5,
		resource_type, format, public_id, upload_id, chunk_size, state, error, resumable, attempts, created_ns, updated_ns)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT(id) DO UPDATE SET owner=excluded.owner, size=excluded.size, mtime_ns=excluded.mtime_ns,
		md5=excluded.md5, resource_type=excluded.resource_type, format=excluded.format, public_id=excluded.public_id,
		upload_id=excluded.upload_id, chunk_size=excluded.chunk_size, state=excluded.state, error=excluded.error,
		resumable=excluded.resumable, attempts=excluded.attempts, options=excluded.options, updated_ns=excluded.updated_ns`,
		string(e.ID), e.Profile, owner, e.kind(), e.Path, e.URL, e.Name, e.Spool, string(opts), e.Size, nanos(e.ModTime), e.MD5,
		e.ResourceType, e.Format, e.PublicID, e.UploadID, e.ChunkSize, string(e.State), e.Error, e.Resumable, e.Attempts,
		e.Created.UnixNano(), now)
	if err != nil {
		return fmt.Errorf("writing the upload journal: %w", err)
	}
	return nil
}

// insertQueued records newly added items in one transaction; rows that a
// worker already wrote are left alone.
func (j *Journal) insertQueued(ctx context.Context, owner string, entries []*Entry) (err error) {
	defer j.explain(&err)
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO items (id, profile, owner, kind, path, url, name, spool, options,
		state, error, resumable, created_ns, updated_ns) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	now := time.Now().UnixNano()
	var lastOpts *Options // items added together share their options
	var opts []byte
	for _, e := range entries {
		if opts == nil || e.Options != lastOpts {
			if opts, err = json.Marshal(e.Options); err != nil {
				return err
			}
			lastOpts = e.Options
		}
		if _, err := stmt.ExecContext(ctx, string(e.ID), e.Profile, owner, e.kind(), e.Path, e.URL, e.Name, e.Spool, string(opts),
			string(e.State), e.Error, e.Resumable, now, now); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// ackChunk records that the server has bytes [start, end) of an upload.
func (j *Journal) ackChunk(ctx context.Context, id ItemID, uploadID string, start, end int64) (err error) {
	defer j.explain(&err)
	_, err = j.db.ExecContext(ctx, `INSERT OR REPLACE INTO chunks (item_id, upload_id, start, end, acked_ns) VALUES (?,?,?,?,?)`,
		string(id), uploadID, start, end, time.Now().UnixNano())
	if err != nil {
		return fmt.Errorf("writing the upload journal: %w", err)
	}
	return nil
}

// acked is how many bytes from the start of the upload the server has
// acknowledged without a gap.
func (j *Journal) acked(ctx context.Context, id ItemID, uploadID string) (int64, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT start, end FROM chunks WHERE item_id = ? AND upload_id = ? ORDER BY start`, string(id), uploadID)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var covered int64
	for rows.Next() {
		var s, e int64
		if err := rows.Scan(&s, &e); err != nil {
			return 0, err
		}
		if s > covered {
			break
		}
		covered = max(covered, e)
	}
	return covered, rows.Err()
}

// resetChunks forgets an upload's acknowledged chunks (the file changed, or
// the server lost them).
func (j *Journal) resetChunks(ctx context.Context, id ItemID) error {
	_, err := j.db.ExecContext(ctx, `DELETE FROM chunks WHERE item_id = ?`, string(id))
	return err
}

// finish records the outcome in the history and drops the item's row and
// chunks, in one transaction. Failed items keep their row (with the reason)
// until they are retried, removed or cleared.
func (j *Journal) finish(ctx context.Context, owner string, e *Entry, h HistoryEntry) (err error) {
	defer j.explain(&err)
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO history (item_id, profile, folder, path, url, name, size, md5, public_id,
		resource_type, secure_url, etag, at_ns, outcome, error, account) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		string(h.ItemID), h.Profile, h.Folder, h.Path, h.URL, h.Name, h.Size, h.MD5, h.PublicID, h.ResourceType,
		h.SecureURL, h.ETag, h.At.UnixNano(), string(h.Outcome), h.Error, h.Account); err != nil {
		return fmt.Errorf("writing the upload history: %w", err)
	}
	if h.Outcome == Failed {
		opts, _ := json.Marshal(e.Options)
		if _, err := tx.ExecContext(ctx, `UPDATE items SET state = ?, error = ?, resumable = ?, owner = ?, options = ?, updated_ns = ? WHERE id = ?`,
			string(Failed), e.Error, e.Resumable, owner, string(opts), time.Now().UnixNano(), string(e.ID)); err != nil {
			return err
		}
	} else {
		if _, err := tx.ExecContext(ctx, `DELETE FROM items WHERE id = ?`, string(e.ID)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM chunks WHERE item_id = ?`, string(e.ID)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// setState updates only an item's state and error.
func (j *Journal) setState(ctx context.Context, owner string, id ItemID, s State, msg string, resumable bool) (err error) {
	defer j.explain(&err)
	_, err = j.db.ExecContext(ctx, `UPDATE items SET state = ?, error = ?, resumable = ?, owner = ?, updated_ns = ? WHERE id = ?`,
		string(s), msg, resumable, owner, time.Now().UnixNano(), string(id))
	return err
}

// remove deletes items' rows and chunks (history stays).
func (j *Journal) remove(ctx context.Context, ids []ItemID) error {
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `DELETE FROM items WHERE id = ?`, string(id)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM chunks WHERE item_id = ?`, string(id)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// unfinishedStates are rows a resume picks up: interrupted mid-way, or
// failed for a reason that may pass (network, server, credentials).
const unfinishedWhere = `(state IN ('queued','checking','uploading','retrying') OR (state = 'failed' AND resumable = 1))`

// Unfinished lists the items of a profile that a resume would pick up:
// interrupted, or failed for a reason that may pass, and not owned by a
// running engine. The GUI offers to resume them on start.
func (j *Journal) Unfinished(ctx context.Context, profile string) ([]Entry, error) {
	live, err := j.liveOwners(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := j.db.QueryContext(ctx, `SELECT `+itemColumns+`, owner FROM items WHERE profile = ? AND `+unfinishedWhere+` ORDER BY created_ns, id`, profile)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var owner string
		e, err := scanEntry(rowWithOwner{rows, &owner})
		if err != nil {
			return nil, err
		}
		if live[owner] {
			continue
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].UploadID != "" {
			if out[i].Acked, err = j.acked(ctx, out[i].ID, out[i].UploadID); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

type rowWithOwner struct {
	rows  *sql.Rows
	owner *string
}

func (r rowWithOwner) Scan(dest ...any) error { return r.rows.Scan(append(dest, r.owner)...) }

// claim gives owner the rows Unfinished lists that keep accepts (nil: all),
// so no other engine resumes them too.
func (j *Journal) claim(ctx context.Context, owner, profile string, keep func(Entry) bool) (_ []Entry, err error) {
	defer j.explain(&err)
	entries, err := j.Unfinished(ctx, profile)
	if err != nil {
		return nil, err
	}
	if keep != nil {
		kept := entries[:0]
		for _, e := range entries {
			if keep(e) {
				kept = append(kept, e)
			}
		}
		entries = kept
	}
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	for _, e := range entries {
		if _, err := tx.ExecContext(ctx, `UPDATE items SET owner = ? WHERE id = ?`, owner, string(e.ID)); err != nil {
			return nil, err
		}
	}
	return entries, tx.Commit()
}

// heartbeat says owner is alive.
func (j *Journal) heartbeat(ctx context.Context, owner string) (err error) {
	defer j.explain(&err)
	_, err = j.db.ExecContext(ctx, `INSERT INTO owners (owner, host, pid, heartbeat_ns) VALUES (?,?,?,?)
		ON CONFLICT(owner) DO UPDATE SET heartbeat_ns = excluded.heartbeat_ns`, owner, j.host, os.Getpid(), time.Now().UnixNano())
	return err
}

// release says owner is gone (a clean shutdown).
func (j *Journal) release(ctx context.Context, owner string) error {
	_, err := j.db.ExecContext(ctx, `DELETE FROM owners WHERE owner = ?`, owner)
	return err
}

// ownerTimeout is how stale a heartbeat may be before its owner counts as
// gone (engines beat every heartbeatEvery).
const (
	heartbeatEvery = 5 * time.Second
	ownerTimeout   = 20 * time.Second
)

// liveOwners are owners with a fresh heartbeat whose process still runs
// (checked for this host; a killed process is gone at once).
func (j *Journal) liveOwners(ctx context.Context) (map[string]bool, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT owner, host, pid, heartbeat_ns FROM owners`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	live := map[string]bool{}
	cutoff := time.Now().Add(-ownerTimeout).UnixNano()
	for rows.Next() {
		var owner, host string
		var pid int
		var beat int64
		if err := rows.Scan(&owner, &host, &pid, &beat); err != nil {
			return nil, err
		}
		if beat < cutoff {
			continue
		}
		if host == j.host && !processAlive(pid) {
			continue
		}
		live[owner] = true
	}
	return live, rows.Err()
}

// FindDuplicate returns the latest successful upload of content md5 to
// account (cloud.Client.Account) and folder, or nil. Whatever the profile's
// name: two profiles on one account share it, and a profile pointed at
// another cloud does not.
//
// Rows written before history knew the account (schema 1) carry none: for
// profile they are returned when the account has no row, to be confirmed on
// the account like any other (same public id, same bytes there) before a
// file counts as uploaded; otherwise every file uploaded before an upgrade
// would be sent again once. A confirmed one is adopted (AdoptForAccount).
func (j *Journal) FindDuplicate(ctx context.Context, account, profile, folder, md5 string) (*HistoryEntry, error) {
	if account == "" {
		return nil, nil
	}
	for _, owner := range [][2]string{{account, ""}, {"", profile}} {
		// Each on the history_account index: this account's rows, then the
		// profile's rows without an account.
		row := j.db.QueryRowContext(ctx, `SELECT `+historyColumns+` FROM history
			WHERE account = ? AND folder = ? AND md5 = ? AND outcome = 'done' AND (? = '' OR profile = ?)
			ORDER BY at_ns DESC LIMIT 1`, owner[0], folder, md5, owner[1], owner[1])
		h, err := scanHistory(row)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &h, nil
	}
	return nil, nil
}

// AdoptForAccount gives a history row written before rows knew their
// account (h.Account empty) the account the asset was just confirmed on.
func (j *Journal) AdoptForAccount(ctx context.Context, h *HistoryEntry, account string) error {
	if h.Account != "" || account == "" {
		return nil
	}
	_, err := j.db.ExecContext(ctx, `UPDATE history SET account = ? WHERE id = ? AND account = ''`, account, h.ID)
	return err
}

const historyColumns = `id, item_id, profile, folder, path, url, name, size, md5, public_id, resource_type, secure_url, etag, at_ns, outcome, error, account`

func scanHistory(s scanner) (HistoryEntry, error) {
	var h HistoryEntry
	var itemID, outcome string
	var at int64
	err := s.Scan(&h.ID, &itemID, &h.Profile, &h.Folder, &h.Path, &h.URL, &h.Name, &h.Size, &h.MD5, &h.PublicID,
		&h.ResourceType, &h.SecureURL, &h.ETag, &at, &outcome, &h.Error, &h.Account)
	h.ItemID, h.Outcome, h.At = ItemID(itemID), State(outcome), time.Unix(0, at)
	return h, err
}

// HistoryQuery selects history rows, newest first.
type HistoryQuery struct {
	Profile string // empty: every profile
	Limit   int    // default 100
	Search  string // substring of name, path, url or public_id
}

// History lists finished uploads, newest first.
func (j *Journal) History(ctx context.Context, q HistoryQuery) ([]HistoryEntry, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	where := []string{"1=1"}
	var args []any
	if q.Profile != "" {
		where = append(where, "profile = ?")
		args = append(args, q.Profile)
	}
	if q.Search != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(q.Search) + "%"
		where = append(where, `(name LIKE ? ESCAPE '\' OR path LIKE ? ESCAPE '\' OR url LIKE ? ESCAPE '\' OR public_id LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like, like)
	}
	args = append(args, q.Limit)
	rows, err := j.db.QueryContext(ctx, `SELECT `+historyColumns+` FROM history WHERE `+strings.Join(where, " AND ")+` ORDER BY at_ns DESC, id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []HistoryEntry
	for rows.Next() {
		h, err := scanHistory(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// newOwner names one engine run: host, pid and a random part.
func newOwner() string {
	var b [6]byte
	rand.Read(b[:])
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// newItemID is a random item id.
func newItemID() ItemID {
	var b [8]byte
	rand.Read(b[:])
	return ItemID(hex.EncodeToString(b[:]))
}

// ErrJournalFull and ErrJournalLocked classify a *JournalError.
var (
	ErrJournalFull   = errors.New("the disk holding the upload journal is full")
	ErrJournalLocked = errors.New("the upload journal is locked by another program")
)

// JournalError is a journal write that failed for a reason the person at
// the keyboard can fix: a full disk, or the journal held by another
// program. SQLite rolls the failed write back, so what the journal held
// before is intact; the message says so, and what to do.
type JournalError struct {
	Kind error // ErrJournalFull or ErrJournalLocked
	Path string
	Err  error
}

func (e *JournalError) Error() string {
	if e.Kind == ErrJournalLocked {
		return fmt.Sprintf("the upload journal (%s) is locked by another program, probably another Cloudup or cloudup-cli using the same data folder: close it or let it finish, then try again; nothing recorded so far is lost", e.Path)
	}
	return fmt.Sprintf("the disk holding the upload journal (%s) is full: free some space, then try again; nothing recorded so far is lost", filepath.Dir(e.Path))
}

func (e *JournalError) Unwrap() []error { return []error{e.Kind, e.Err} }

func (j *Journal) explain(err *error) {
	if *err != nil {
		*err = explainJournal(j.path, *err)
	}
}

// explainJournal turns a full disk (ENOSPC, SQLITE_FULL) or a lock held
// elsewhere (SQLITE_BUSY, SQLITE_LOCKED, after the busy timeout) into a
// *JournalError; other errors pass unchanged.
func explainJournal(path string, err error) error {
	var je *JournalError
	if errors.As(err, &je) {
		return err
	}
	var coded interface{ Code() int }
	code := -1
	if errors.As(err, &coded) {
		code = coded.Code() & 0xff // the primary code of an extended one
	}
	switch {
	case errors.Is(err, syscall.ENOSPC) || code == sqlite3.SQLITE_FULL:
		return &JournalError{Kind: ErrJournalFull, Path: path, Err: err}
	case code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED:
		return &JournalError{Kind: ErrJournalLocked, Path: path, Err: err}
	}
	return err
}

// uploadsAt returns the latest successful upload to account (or, before
// rows knew it, by profile) of each of
// paths that has one: the assets a batch of those files will likely ask
// about, so their existence is confirmed in a few calls rather than one per
// file.
func (j *Journal) uploadsAt(ctx context.Context, account, profile string, paths []string) ([]HistoryEntry, error) {
	var out []HistoryEntry
	for len(paths) > 0 {
		part := paths[:min(len(paths), 500)]
		paths = paths[len(part):]
		args := []any{account, profile}
		for _, p := range part {
			args = append(args, p)
		}
		// Rows of before the account was kept count for their profile, as
		// in FindDuplicate; this account's own come first.
		rows, err := j.db.QueryContext(ctx, `SELECT `+historyColumns+` FROM history
			WHERE account IN (?, '') AND (account != '' OR profile = ?) AND outcome = 'done'
			AND path IN (?`+strings.Repeat(",?", len(part)-1)+`) ORDER BY account = '', at_ns DESC`, args...)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for rows.Next() {
			h, err := scanHistory(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			if !seen[h.Path] {
				seen[h.Path] = true
				out = append(out, h)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
