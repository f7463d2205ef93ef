package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/cloudup/cloudup/assets"
)

// SampleFolder is where SeedSamples puts the demo photos (public_ids
// "samples/NAME", asset folder "samples", tag "sample").
const SampleFolder = "samples"

// samplesSeededKey is the settings row that records that SeedSamples has
// run to the end (or found the account in use), so it never runs again.
const samplesSeededKey = "samples_seeded"

// SeedSamples uploads the bundled sample photos into an account that holds
// nothing else, so a newcomer's library is not empty. It is meant to be
// called at every start:
//   - once it has finished, it remembers that in the database and later calls
//     do nothing, even if the user has since deleted the samples;
//   - an account with anything but samples in it is left alone;
//   - a run cut short (the app quit halfway) is finished by the next call,
//     which uploads only the samples still missing (overwrite=false keeps the
//     others as they are), so no sample is ever stored twice.
//
// It takes a few milliseconds per photo. Close waits for a run in progress.
func (s *Server) SeedSamples(ctx context.Context) error {
	if !s.enter() {
		return errors.New("sandbox: cannot seed the sample photos: the sandbox is closed")
	}
	defer s.handlers.Done()
	s.seedMu.Lock()
	defer s.seedMu.Unlock()

	var done bool
	if err := s.store.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM settings WHERE key = ?)`, samplesSeededKey).Scan(&done); err != nil {
		return fmt.Errorf("sandbox: cannot read the account: %w", err)
	}
	if done {
		return nil
	}
	entries, err := fs.ReadDir(assets.Samples, "samples")
	if err != nil {
		return fmt.Errorf("sandbox: the sample photos are missing from this build: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	others, err := s.countOtherThanSamples(ctx, names)
	if err != nil {
		return fmt.Errorf("sandbox: cannot read the account: %w", err)
	}
	if others > 0 {
		return s.markSeeded(ctx, "skipped: the account was in use")
	}
	added := 0
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.ctx.Err(); err != nil {
			return errors.New("sandbox: seeding stopped: the sandbox is closing")
		}
		stored, err := s.seedOne(ctx, name)
		if err != nil {
			return fmt.Errorf("sandbox: seeding %s: %w", name, err)
		}
		if stored {
			added++
		}
	}
	if err := s.markSeeded(ctx, "done"); err != nil {
		return err
	}
	s.logf("sandbox: seeded %d sample photos into %s/", added, SampleFolder)
	return nil
}

// countOtherThanSamples counts the assets that are not bundled samples.
func (s *Server) countOtherThanSamples(ctx context.Context, names []string) (int, error) {
	q := `SELECT COUNT(*) FROM assets WHERE NOT (resource_type = 'image' AND type = 'upload' AND public_id IN (''`
	args := make([]any, 0, len(names))
	for _, name := range names {
		q += ", ?"
		args = append(args, samplePublicID(name))
	}
	q += "))"
	var n int
	err := s.store.db.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, err
}

func (s *Server) markSeeded(ctx context.Context, how string) error {
	if _, err := s.store.db.ExecContext(ctx, `INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)`, samplesSeededKey, how); err != nil {
		return fmt.Errorf("sandbox: cannot record that the samples were seeded: %w", err)
	}
	return nil
}

// samplePublicID is the public_id a bundled file gets ("samples/NAME").
func samplePublicID(file string) string {
	return SampleFolder + "/" + strings.TrimSuffix(file, path.Ext(file))
}

// seedOne stores one bundled photo unless its public_id is taken; stored
// says whether it added anything.
func (s *Server) seedOne(ctx context.Context, name string) (bool, error) {
	src, err := assets.Samples.Open(path.Join("samples", name))
	if err != nil {
		return false, err
	}
	defer src.Close()
	sp, err := s.newSpool()
	if err != nil {
		return false, err
	}
	defer sp.discard()
	if _, err := io.Copy(sp, src); err != nil {
		return false, err
	}
	if err := sp.finish(); err != nil {
		return false, err
	}
	base := strings.TrimSuffix(name, path.Ext(name))
	title := strings.ToUpper(base[:1]) + strings.ReplaceAll(base[1:], "-", " ")
	res, err := s.commitUpload(ctx, uploadInput{
		params: url.Values{
			"public_id":    {base},
			"folder":       {SampleFolder},
			"asset_folder": {SampleFolder},
			"display_name": {title},
			"tags":         {"sample"},
			"context":      {"alt=" + title + "|caption=A sample photo bundled with Cloudup"},
			"overwrite":    {"false"},
		},
		access:   access{signed: true},
		rtPath:   "image",
		path:     sp.path,
		size:     sp.size,
		etag:     sp.etag(),
		filename: name,
		onStored: func() { sp.kept = true },
	})
	return err == nil && !res.existing, err
}

// AssetInfo is what the sandbox holds about one asset. Tests use it to
// check what was stored without spending Admin API calls.
type AssetInfo struct {
	AssetID      string
	PublicID     string
	ResourceType string // image, video or raw
	Type         string // upload, private or authenticated
	Format       string
	Version      int64
	VersionID    string
	Bytes        int64
	Width        int
	Height       int
	Duration     float64
	Etag         string // hex MD5 of the original
	AssetFolder  string
	DisplayName  string
	Tags         []string
	Context      map[string]string
	CreatedAt    time.Time
	UploadedAt   time.Time
	URL          string // where the sandbox delivers the original
}

// ErrNotFound means no asset has the public_id asked for.
var ErrNotFound = errors.New("sandbox: no such asset")

func (s *Server) info(a *asset) AssetInfo {
	ctx := make(map[string]string, len(a.Context))
	for k, v := range a.Context {
		ctx[k] = v
	}
	return AssetInfo{
		AssetID: a.AssetID, PublicID: a.PublicID, ResourceType: a.ResourceType, Type: a.Type,
		Format: a.Format, Version: a.Version, VersionID: a.VersionID, Bytes: a.Bytes,
		Width: a.Width, Height: a.Height, Duration: a.Duration, Etag: a.Etag,
		AssetFolder: a.AssetFolder, DisplayName: a.DisplayName, Tags: append([]string{}, a.Tags...),
		Context: ctx, CreatedAt: a.CreatedAt, UploadedAt: a.UploadedAt, URL: s.deliveryURL(a, ""),
	}
}

// Assets lists every stored asset, oldest first.
func (s *Server) Assets(ctx context.Context) ([]AssetInfo, error) {
	all, err := s.store.all(ctx)
	if err != nil {
		return nil, fmt.Errorf("sandbox: cannot read the account: %w", err)
	}
	out := make([]AssetInfo, 0, len(all))
	for _, a := range all {
		out = append(out, s.info(a))
	}
	return out, nil
}

// Asset returns one asset of delivery type upload; ErrNotFound when there
// is none.
func (s *Server) Asset(ctx context.Context, resourceType, publicID string) (AssetInfo, error) {
	a, err := s.store.get(ctx, resourceType, "upload", publicID)
	if errors.Is(err, errNoAsset) {
		return AssetInfo{}, fmt.Errorf("%w: %s/%s", ErrNotFound, resourceType, publicID)
	}
	if err != nil {
		return AssetInfo{}, fmt.Errorf("sandbox: cannot read the account: %w", err)
	}
	return s.info(a), nil
}
