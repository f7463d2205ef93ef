// Package session turns resolved credentials into the live objects one
// account needs: the Cloudinary client, the upload journal and the upload
// engine. The GUI opens one per selected profile and the CLI one per command.
//
// It owns the mapping from an account.Profile onto cloud.Config and
// transfer.Config, and the sharing of the one journal database among the
// sessions of a process. It must not resolve credentials itself (the caller
// hands it a secret already read from the keychain or the environment),
// start servers other than the embedded sandbox (sandbox.go), or import Fyne.
package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/paths"
	"github.com/cloudup/cloudup/core/transfer"
)

// JournalFile is the journal's file name in the data dir.
const JournalFile = "journal.db"

// Options are the parts of a session that do not come from the profile.
type Options struct {
	// DataDir holds the journal; "" means paths.DataDir().
	DataDir string
	// Concurrency pins the number of uploads at once over the profile's
	// (0 keeps the profile's, whose default is automatic).
	Concurrency int
	// HTTPClient defaults to cloud.NewHTTPClient().
	HTTPClient *http.Client
	// ChunkSize overrides the 20 MB default; below 5 MB only with
	// AllowSmallChunks (tests against a sandbox that accepts them).
	ChunkSize        int64
	AllowSmallChunks bool
}

// Session is one open account. Its methods are safe for concurrent use.
type Session struct {
	*Conn
	engine  *transfer.Engine
	journal *sharedJournal

	closeOnce sync.Once
	closeErr  error
}

// Open builds the client and the engine for creds and opens the journal in
// the data dir. A signed profile without a secret fails with an
// *account.NoSecretError that says what to run. Nothing is uploaded and
// unfinished work of an earlier run is not resumed: call
// Engine().ResumeUnfinished when the user asks for it.
func Open(ctx context.Context, creds account.Credentials, opts Options) (*Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	conn, err := Connect(ctx, creds, opts.HTTPClient)
	if err != nil {
		return nil, err
	}
	p, client := conn.Profile(), conn.Client()

	concurrency := p.Concurrency
	if opts.Concurrency > 0 {
		concurrency = opts.Concurrency
	}
	if concurrency > account.MaxConcurrency {
		return nil, fmt.Errorf("concurrency %d is too high: use 1 to %d (or leave it unset: Cloudup then chooses)", concurrency, account.MaxConcurrency)
	}

	dir := opts.DataDir
	if dir == "" {
		if dir, err = paths.DataDir(); err != nil {
			return nil, err
		}
	}
	j, err := openJournal(filepath.Join(dir, JournalFile))
	if err != nil {
		return nil, err
	}

	engine, err := transfer.New(transfer.Config{
		Client:  client,
		Journal: j.j,
		Profile: p.Name,
		Options: UploadOptions(p),
		Limits: transfer.Limits{
			MaxImageBytes:  p.Limits.MaxImageBytes,
			MaxVideoBytes:  p.Limits.MaxVideoBytes,
			MaxRawBytes:    p.Limits.MaxRawBytes,
			AllowedFormats: append([]string(nil), p.Limits.AllowedFormats...),
			MaxFiles:       p.Limits.MaxFiles,
		},
		Concurrency:      concurrency,
		ChunkSize:        opts.ChunkSize,
		AllowSmallChunks: opts.AllowSmallChunks,
	})
	if err != nil {
		j.release()
		return nil, fmt.Errorf("profile %q: %w", p.Name, err)
	}
	return &Session{Conn: conn, engine: engine, journal: j}, nil
}

// UploadOptions are the upload defaults a profile sets: folder (and
// dynamic folders), public_id template, tags and preset. Callers that give
// items their own options (transfer.Item.Options replaces the defaults
// wholesale, e.g. to force a duplicate) start from these.
func UploadOptions(p account.Profile) transfer.Options {
	return transfer.Options{
		Folder:           p.Folder,
		DynamicFolders:   p.DynamicFolders,
		PublicIDTemplate: p.PublicIDTemplate,
		Tags:             append([]string(nil), p.Tags...),
		Preset:           p.Preset,
	}
}

// Engine uploads to the session's account.
func (s *Session) Engine() *transfer.Engine { return s.engine }

// Journal is the journal and upload history shared by every profile (rows
// carry the profile name). It stays open until the last session of the
// process using it closes.
func (s *Session) Journal() *transfer.Journal { return s.journal.j }

// Unfinished counts the uploads an earlier run left unfinished for this
// session's profile (what Engine().ResumeUnfinished would take over).
func (s *Session) Unfinished(ctx context.Context) (int, error) {
	entries, err := s.journal.j.Unfinished(ctx, s.Profile().Name)
	return len(entries), err
}

// UnfinishedNames names those uploads, oldest first, so the window can say
// which files did not finish.
func (s *Session) UnfinishedNames(ctx context.Context) ([]string, error) {
	entries, err := s.journal.j.Unfinished(ctx, s.profile.Name)
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name
		if names[i] == "" {
			names[i] = e.URL // a remote upload the journal kept no name for
		}
	}
	return names, err
}

// Close stops the engine (items in flight stay resumable in the journal)
// and releases the journal. It is idempotent.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = errors.Join(s.engine.Close(), s.journal.release())
	})
	return s.closeErr
}

// The journal is one SQLite database for every profile. Sessions of one
// process share a single handle: the journal serialises its writes on one
// connection, and two handles on the same file would only wait on each
// other's locks.
var (
	journalsMu sync.Mutex
	journals   = map[string]*sharedJournal{}
)

type sharedJournal struct {
	path string
	j    *transfer.Journal
	refs int
}

func openJournal(path string) (*sharedJournal, error) {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	journalsMu.Lock()
	defer journalsMu.Unlock()
	if sj := journals[path]; sj != nil {
		sj.refs++
		return sj, nil
	}
	j, err := transfer.OpenJournal(path)
	if err != nil {
		return nil, err
	}
	sj := &sharedJournal{path: path, j: j, refs: 1}
	journals[path] = sj
	return sj, nil
}

func (sj *sharedJournal) release() error {
	journalsMu.Lock()
	defer journalsMu.Unlock()
	sj.refs--
	if sj.refs > 0 {
		return nil
	}
	delete(journals, sj.path)
	return sj.j.Close()
}
