package watch

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"sync"
	"time"

	"github.com/cloudup/cloudup/core/paths"

	_ "modernc.org/sqlite" // pure-Go SQLite, so CGO_ENABLED=0 builds work
)

// StateFile is the state database's name in the data dir.
const StateFile = "watch.db"

// State remembers, per watched folder, each file's size and modification
// time when it was last dealt with (uploaded, already on Cloudinary,
// refused, or there before the folder was first watched). A file is taken
// again only when it changed since, so a restart uploads what arrived while
// Cloudup was closed and nothing else. It is a small SQLite database of its
// own (watch.db), apart from the upload journal: the journal knows uploads,
// this knows folders.
//
// What it remembers is a shortcut, not the truth about Cloudinary: a file
// it does not know is handed to the engine, whose duplicate check (same
// content, same profile and folder) still answers "already uploaded".
type State struct {
	db   *sql.DB
	path string
}

// DefaultStatePath is watch.db in the data dir.
func DefaultStatePath() (string, error) {
	dir, err := paths.DataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, StateFile), nil
}

const stateSchema = `
CREATE TABLE IF NOT EXISTS folders (
	key        TEXT PRIMARY KEY,
	dir        TEXT NOT NULL,
	created_ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
	key      TEXT NOT NULL,
	rel      TEXT NOT NULL,
	size     INTEGER NOT NULL,
	mtime_ns INTEGER NOT NULL,
	outcome  TEXT NOT NULL,
	at_ns    INTEGER NOT NULL,
	PRIMARY KEY (key, rel)
);
`

// OpenState opens (creating if needed) the state database at path.
func OpenState(path string) (*State, error) {
	if _, err := paths.Ensure(filepath.Dir(path)); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("opening the watched folders' state %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, stateSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("the watched folders' state %s cannot be used (%v): move it aside and start again", path, err)
	}
	return &State{db: db, path: path}, nil
}

// Path is where the state lives.
func (s *State) Path() string { return s.path }

// Close closes the database.
func (s *State) Close() error { return s.db.Close() }

// Outcome is what became of a file.
type Outcome string

const (
	Uploaded Outcome = "uploaded"
	// AlreadyThere: the engine found the same content already uploaded.
	AlreadyThere Outcome = "already uploaded"
	// Refused: the file itself was refused (too large, format not allowed…).
	Refused  Outcome = "refused"
	Canceled Outcome = "canceled"
	// Removed: taken out of the queue by the user before it finished.
	Removed Outcome = "removed"
	// LeftAlone: there before the folder was first watched, and the user
	// chose not to upload what was already there.
	LeftAlone Outcome = "left alone"
)

// Seen is a file as it was when it was dealt with.
type Seen struct {
	Size    int64
	ModTime time.Time
	Outcome Outcome
	At      time.Time
}

// Same reports whether f is the file as it was then.
func (s Seen) Same(size int64, mtime time.Time) bool {
	return s.Size == size && s.ModTime.Equal(mtime)
}

// Ledger is one watched folder's memory, held in memory and written back
// in batches (Flush).
type Ledger struct {
	st  *State
	key string
	dir string

	mu      sync.Mutex
	files   map[string]Seen
	dirty   map[string]bool // rel → write (true) or delete (false)
	known   bool            // the folder was watched before
	started bool            // the folder's row is to be written
}

// Ledger loads the memory of the folder named by key (see Key).
func (s *State) Ledger(ctx context.Context, key, dir string) (*Ledger, error) {
	l := &Ledger{st: s, key: key, dir: dir, files: map[string]Seen{}, dirty: map[string]bool{}}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM folders WHERE key = ?`, key).Scan(&n); err != nil {
		return nil, fmt.Errorf("reading the watched folders' state: %w", err)
	}
	l.known = n > 0
	rows, err := s.db.QueryContext(ctx, `SELECT rel, size, mtime_ns, outcome, at_ns FROM files WHERE key = ?`, key)
	if err != nil {
		return nil, fmt.Errorf("reading the watched folders' state: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rel, outcome string
		var size, mtime, at int64
		if err := rows.Scan(&rel, &size, &mtime, &outcome, &at); err != nil {
			return nil, err
		}
		l.files[rel] = Seen{Size: size, ModTime: time.Unix(0, mtime), Outcome: Outcome(outcome), At: time.Unix(0, at)}
	}
	return l, rows.Err()
}

// Key names a watched folder's memory: the same folder watched for another
// profile or destination folder is another memory (its files are not
// uploaded there yet).
func Key(profile, folder, dir string) string {
	return profile + "\x00" + folder + "\x00" + filepath.Clean(dir)
}

// Known reports whether the folder was watched before (its first scan
// finished and was written).
func (l *Ledger) Known() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.known
}

// Get is what is remembered of a file.
func (l *Ledger) Get(rel string) (Seen, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.files[rel]
	return s, ok
}

// Put remembers a file as it is.
func (l *Ledger) Put(rel string, s Seen) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.files[rel] = s
	l.dirty[rel] = true
}

// Len is how many files are remembered.
func (l *Ledger) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.files)
}

// Keep forgets files that are no longer there.
func (l *Ledger) Keep(present map[string]bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for rel := range l.files {
		if !present[rel] {
			delete(l.files, rel)
			l.dirty[rel] = false
		}
	}
}

// MarkKnown records that the folder's first scan is done: from now on a
// file it does not know arrived after the folder was first watched.
func (l *Ledger) MarkKnown() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.known {
		l.known, l.started = true, true
	}
}

// Flush writes what changed since the last flush, in one transaction.
func (l *Ledger) Flush(ctx context.Context) error {
	l.mu.Lock()
	if len(l.dirty) == 0 && !l.started {
		l.mu.Unlock()
		return nil
	}
	type row struct {
		rel   string
		seen  Seen
		write bool
	}
	rows := make([]row, 0, len(l.dirty))
	for rel, write := range l.dirty {
		rows = append(rows, row{rel, l.files[rel], write})
	}
	started := l.started
	l.dirty, l.started = map[string]bool{}, false
	l.mu.Unlock()

	err := l.write(ctx, started, func(tx *sql.Tx) error {
		for _, r := range rows {
			var err error
			if r.write {
				_, err = tx.ExecContext(ctx, `INSERT INTO files (key, rel, size, mtime_ns, outcome, at_ns) VALUES (?,?,?,?,?,?)
					ON CONFLICT(key, rel) DO UPDATE SET size=excluded.size, mtime_ns=excluded.mtime_ns, outcome=excluded.outcome, at_ns=excluded.at_ns`,
					l.key, r.rel, r.seen.Size, r.seen.ModTime.UnixNano(), string(r.seen.Outcome), r.seen.At.UnixNano())
			} else {
				_, err = tx.ExecContext(ctx, `DELETE FROM files WHERE key = ? AND rel = ?`, l.key, r.rel)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// Keep them for the next flush, unless something newer replaced them.
		l.mu.Lock()
		for _, r := range rows {
			if _, newer := l.dirty[r.rel]; !newer {
				l.dirty[r.rel] = r.write
			}
		}
		l.started = l.started || started
		l.mu.Unlock()
		return fmt.Errorf("writing the watched folders' state %s: %w", l.st.path, err)
	}
	return nil
}

func (l *Ledger) write(ctx context.Context, started bool, rows func(*sql.Tx) error) error {
	tx, err := l.st.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if started {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO folders (key, dir, created_ns) VALUES (?,?,?)`, l.key, l.dir, time.Now().UnixNano()); err != nil {
			return err
		}
	}
	if err := rows(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Forget drops everything remembered about a folder (it is no longer
// watched): watching it again starts afresh.
func (s *State) Forget(ctx context.Context, key string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM files WHERE key = ?`, key); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM folders WHERE key = ?`, key); err != nil {
		return err
	}
	return tx.Commit()
}
