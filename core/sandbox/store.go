package sandbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, so CGO_ENABLED=0 builds work
)

// asset is one stored original and what the account knows about it.
type asset struct {
	Seq              int64 // insertion order: the final tie-breaker of every listing
	AssetID          string
	ResourceType     string
	Type             string
	PublicID         string
	Version          int64
	VersionID        string
	Format           string
	Bytes            int64
	Width            int
	Height           int
	Pages            int
	Duration         float64
	Etag             string
	Blob             string // path of the original, relative to the data dir
	CreatedAt        time.Time
	UploadedAt       time.Time
	AssetFolder      string
	DisplayName      string
	OriginalFilename string
	Tags             []string
	Context          map[string]string
	Eager            []string
	Media            map[string]any // video/audio details from ffprobe
	AccessMode       string
}

// errNoAsset means no asset has the given identity.
var errNoAsset = errors.New("no such asset")

// errExists means the target of a rename is taken.
var errExists = errors.New("asset exists")

// store keeps metadata in SQLite (WAL, busy timeout) and a snapshot of all
// assets in memory, rebuilt after each write, for search and listings.
type store struct {
	db *sql.DB

	mu    sync.Mutex
	gen   uint64
	snap  []*asset
	snapG uint64
}

const schema = `
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS assets (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	asset_id TEXT NOT NULL UNIQUE,
	resource_type TEXT NOT NULL,
	type TEXT NOT NULL,
	public_id TEXT NOT NULL,
	version INTEGER NOT NULL,
	version_id TEXT NOT NULL,
	format TEXT NOT NULL,
	bytes INTEGER NOT NULL,
	width INTEGER NOT NULL,
	height INTEGER NOT NULL,
	pages INTEGER NOT NULL,
	duration REAL NOT NULL,
	etag TEXT NOT NULL,
	blob TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	uploaded_at INTEGER NOT NULL,
	asset_folder TEXT NOT NULL,
	display_name TEXT NOT NULL,
	original_filename TEXT NOT NULL,
	tags TEXT NOT NULL,
	context TEXT NOT NULL,
	eager TEXT NOT NULL,
	media TEXT NOT NULL,
	access_mode TEXT NOT NULL,
	UNIQUE (resource_type, type, public_id)
);
CREATE TABLE IF NOT EXISTS presets (
	name TEXT PRIMARY KEY,
	unsigned INTEGER NOT NULL,
	settings TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
`

func openStore(ctx context.Context, path string) (*store, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(15000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("cannot open the database %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot open the database %s (is it a sandbox database?): %w", path, err)
	}
	return &store{db: db}, nil
}

func (st *store) close() error { return st.db.Close() }

// setting returns a remembered value, creating it with make the first time.
func (st *store) setting(ctx context.Context, key string, make func() (string, error)) (string, error) {
	var v string
	err := st.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	v, err = make()
	if err != nil {
		return "", err
	}
	if _, err := st.db.ExecContext(ctx, `INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)`, key, v); err != nil {
		return "", err
	}
	// Another process may have won the race; the stored value counts.
	err = st.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	return v, err
}

const assetColumns = `seq, asset_id, resource_type, type, public_id, version, version_id, format, bytes,
	width, height, pages, duration, etag, blob, created_at, uploaded_at, asset_folder, display_name,
	original_filename, tags, context, eager, media, access_mode`

type scanner interface{ Scan(dest ...any) error }

func scanAsset(row scanner) (*asset, error) {
	var a asset
	var created, uploaded int64
	var tags, ctxJSON, eager, media string
	err := row.Scan(&a.Seq, &a.AssetID, &a.ResourceType, &a.Type, &a.PublicID, &a.Version, &a.VersionID,
		&a.Format, &a.Bytes, &a.Width, &a.Height, &a.Pages, &a.Duration, &a.Etag, &a.Blob, &created, &uploaded,
		&a.AssetFolder, &a.DisplayName, &a.OriginalFilename, &tags, &ctxJSON, &eager, &media, &a.AccessMode)
	if err != nil {
		return nil, err
	}
	a.CreatedAt = time.Unix(0, created).UTC()
	a.UploadedAt = time.Unix(0, uploaded).UTC()
	if err := json.Unmarshal([]byte(tags), &a.Tags); err != nil {
		return nil, fmt.Errorf("asset %s: tags: %w", a.AssetID, err)
	}
	if err := json.Unmarshal([]byte(ctxJSON), &a.Context); err != nil {
		return nil, fmt.Errorf("asset %s: context: %w", a.AssetID, err)
	}
	if err := json.Unmarshal([]byte(eager), &a.Eager); err != nil {
		return nil, fmt.Errorf("asset %s: eager: %w", a.AssetID, err)
	}
	if err := json.Unmarshal([]byte(media), &a.Media); err != nil {
		return nil, fmt.Errorf("asset %s: media: %w", a.AssetID, err)
	}
	return &a, nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (a *asset) normalize() {
	if a.Tags == nil {
		a.Tags = []string{}
	}
	if a.Context == nil {
		a.Context = map[string]string{}
	}
	if a.Eager == nil {
		a.Eager = []string{}
	}
	if a.Media == nil {
		a.Media = map[string]any{}
	}
	if a.AccessMode == "" {
		a.AccessMode = "public"
	}
}

func (a *asset) args() []any {
	a.normalize()
	return []any{a.AssetID, a.ResourceType, a.Type, a.PublicID, a.Version, a.VersionID, a.Format, a.Bytes,
		a.Width, a.Height, a.Pages, a.Duration, a.Etag, a.Blob, a.CreatedAt.UnixNano(), a.UploadedAt.UnixNano(),
		a.AssetFolder, a.DisplayName, a.OriginalFilename, jsonText(a.Tags), jsonText(a.Context), jsonText(a.Eager),
		jsonText(a.Media), a.AccessMode}
}

func (st *store) changed() {
	st.mu.Lock()
	st.gen++
	st.mu.Unlock()
}

// all returns every asset, in insertion order. The slice and the assets
// are shared: callers must not modify them.
func (st *store) all(ctx context.Context) ([]*asset, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.snap != nil && st.snapG == st.gen {
		return st.snap, nil
	}
	gen := st.gen
	rows, err := st.db.QueryContext(ctx, `SELECT `+assetColumns+` FROM assets ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []*asset{}
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	st.snap, st.snapG = list, gen
	return list, nil
}

func (st *store) get(ctx context.Context, resourceType, typ, publicID string) (*asset, error) {
	row := st.db.QueryRowContext(ctx, `SELECT `+assetColumns+` FROM assets WHERE resource_type = ? AND type = ? AND public_id = ?`, resourceType, typ, publicID)
	a, err := scanAsset(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoAsset
	}
	return a, err
}

func (st *store) getByAssetID(ctx context.Context, assetID string) (*asset, error) {
	row := st.db.QueryRowContext(ctx, `SELECT `+assetColumns+` FROM assets WHERE asset_id = ?`, assetID)
	a, err := scanAsset(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoAsset
	}
	return a, err
}

// putResult says what put did.
type putResult struct {
	asset       *asset // as stored now
	existing    bool   // overwrite was off and the public_id was taken: nothing changed
	overwritten bool   // a previous version was replaced
	replaced    *asset // that version, whose file is to be deleted
}

// put stores a new asset or a new version of an existing one, atomically
// with respect to other uploads of the same public_id. a.Blob must already
// be in place. With overwrite false an existing asset wins and is returned.
func (st *store) put(ctx context.Context, a *asset, overwrite bool) (putResult, error) {
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return putResult{}, err
	}
	defer tx.Rollback()
	row := tx.QueryRowContext(ctx, `SELECT `+assetColumns+` FROM assets WHERE resource_type = ? AND type = ? AND public_id = ?`, a.ResourceType, a.Type, a.PublicID)
	old, err := scanAsset(row)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		res, err := tx.ExecContext(ctx, `INSERT INTO assets (`+strings.TrimPrefix(assetColumns, "seq, ")+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, a.args()...)
		if err != nil {
			return putResult{}, err
		}
		a.Seq, _ = res.LastInsertId()
		if err := tx.Commit(); err != nil {
			return putResult{}, err
		}
		st.changed()
		return putResult{asset: a}, nil
	case err != nil:
		return putResult{}, err
	case !overwrite:
		return putResult{asset: old, existing: true}, nil
	}
	// A new version of the same asset: same asset_id, first creation time.
	a.Seq, a.AssetID, a.CreatedAt = old.Seq, old.AssetID, old.CreatedAt
	if a.Version <= old.Version {
		a.Version = old.Version + 1
	}
	if err := st.update(ctx, tx, a); err != nil {
		return putResult{}, err
	}
	if err := tx.Commit(); err != nil {
		return putResult{}, err
	}
	st.changed()
	return putResult{asset: a, overwritten: true, replaced: old}, nil
}

func (st *store) update(ctx context.Context, tx *sql.Tx, a *asset) error {
	sets := strings.Split(strings.TrimPrefix(assetColumns, "seq, "), ",")
	for i := range sets {
		sets[i] = strings.TrimSpace(sets[i]) + " = ?"
	}
	args := append(a.args(), a.Seq)
	_, err := tx.ExecContext(ctx, `UPDATE assets SET `+strings.Join(sets, ", ")+` WHERE seq = ?`, args...)
	return err
}

// modify applies fn to stored assets inside one transaction and saves the
// ones fn reports as changed.
func (st *store) modify(ctx context.Context, resourceType, typ string, publicIDs []string, fn func(a *asset) bool) ([]*asset, error) {
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var done []*asset
	for _, id := range publicIDs {
		row := tx.QueryRowContext(ctx, `SELECT `+assetColumns+` FROM assets WHERE resource_type = ? AND type = ? AND public_id = ?`, resourceType, typ, id)
		a, err := scanAsset(row)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if fn(a) {
			if err := st.update(ctx, tx, a); err != nil {
				return nil, err
			}
		}
		done = append(done, a)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	st.changed()
	return done, nil
}

// rename moves an asset to a new public_id (and delivery type).
func (st *store) rename(ctx context.Context, resourceType, fromType, from, toType, to string, overwrite bool) (moved *asset, replaced *asset, err error) {
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	a, err := scanAsset(tx.QueryRowContext(ctx, `SELECT `+assetColumns+` FROM assets WHERE resource_type = ? AND type = ? AND public_id = ?`, resourceType, fromType, from))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, errNoAsset
	}
	if err != nil {
		return nil, nil, err
	}
	target, err := scanAsset(tx.QueryRowContext(ctx, `SELECT `+assetColumns+` FROM assets WHERE resource_type = ? AND type = ? AND public_id = ?`, resourceType, toType, to))
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, nil, err
	case target.Seq == a.Seq:
		return a, nil, tx.Commit()
	case !overwrite:
		return nil, nil, errExists
	default:
		if _, err := tx.ExecContext(ctx, `DELETE FROM assets WHERE seq = ?`, target.Seq); err != nil {
			return nil, nil, err
		}
		replaced = target
	}
	a.PublicID, a.Type = to, toType
	if err := st.update(ctx, tx, a); err != nil {
		return nil, nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, err
	}
	st.changed()
	return a, replaced, nil
}

// remove deletes assets by public_id and returns the removed ones.
func (st *store) remove(ctx context.Context, resourceType, typ string, publicIDs []string) ([]*asset, error) {
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var gone []*asset
	for _, id := range publicIDs {
		a, err := scanAsset(tx.QueryRowContext(ctx, `SELECT `+assetColumns+` FROM assets WHERE resource_type = ? AND type = ? AND public_id = ?`, resourceType, typ, id))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM assets WHERE seq = ?`, a.Seq); err != nil {
			return nil, err
		}
		gone = append(gone, a)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	st.changed()
	return gone, nil
}

// preset is a named set of upload parameters.
type preset struct {
	Name      string
	Unsigned  bool
	Settings  map[string]string
	CreatedAt time.Time
}

var errNoPreset = errors.New("no such preset")

func (st *store) preset(ctx context.Context, name string) (*preset, error) {
	var p preset
	var settings string
	var created int64
	err := st.db.QueryRowContext(ctx, `SELECT name, unsigned, settings, created_at FROM presets WHERE name = ?`, name).Scan(&p.Name, &p.Unsigned, &settings, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoPreset
	}
	if err != nil {
		return nil, err
	}
	p.CreatedAt = time.Unix(0, created).UTC()
	if err := json.Unmarshal([]byte(settings), &p.Settings); err != nil {
		return nil, fmt.Errorf("preset %s: %w", name, err)
	}
	return &p, nil
}

func (st *store) presets(ctx context.Context) ([]*preset, error) {
	rows, err := st.db.QueryContext(ctx, `SELECT name FROM presets ORDER BY created_at DESC, name`)
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*preset, 0, len(names))
	for _, n := range names {
		p, err := st.preset(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// savePreset creates (create=true, failing if it exists) or replaces one.
func (st *store) savePreset(ctx context.Context, p *preset, create bool) error {
	if p.Settings == nil {
		p.Settings = map[string]string{}
	}
	if create {
		res, err := st.db.ExecContext(ctx, `INSERT OR IGNORE INTO presets (name, unsigned, settings, created_at) VALUES (?, ?, ?, ?)`,
			p.Name, p.Unsigned, jsonText(p.Settings), time.Now().UnixNano())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errExists
		}
		return nil
	}
	res, err := st.db.ExecContext(ctx, `UPDATE presets SET unsigned = ?, settings = ? WHERE name = ?`, p.Unsigned, jsonText(p.Settings), p.Name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errNoPreset
	}
	return nil
}

func (st *store) deletePreset(ctx context.Context, name string) error {
	res, err := st.db.ExecContext(ctx, `DELETE FROM presets WHERE name = ?`, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errNoPreset
	}
	return nil
}

// sortedKeys returns m's keys in byte order, for stable output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
