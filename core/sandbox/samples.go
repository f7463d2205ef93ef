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

// SeedSamples uploads the bundled sample photos when the account holds no
// assets at all, so a newcomer's library is not empty. It does nothing on
// an account that has anything in it, so it is safe to call at every start.
func (s *Server) SeedSamples(ctx context.Context) error {
	all, err := s.store.all(ctx)
	if err != nil {
		return fmt.Errorf("sandbox: cannot read the account: %w", err)
	}
	if len(all) > 0 {
		return nil
	}
	entries, err := fs.ReadDir(assets.Samples, "samples")
	if err != nil {
		return fmt.Errorf("sandbox: the sample photos are missing from this build: %w", err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() {
			continue
		}
		if err := s.seedOne(ctx, e.Name()); err != nil {
			return fmt.Errorf("sandbox: seeding %s: %w", e.Name(), err)
		}
	}
	s.logf("sandbox: seeded %d sample photos into %s/", len(entries), SampleFolder)
	return nil
}

func (s *Server) seedOne(ctx context.Context, name string) error {
	src, err := assets.Samples.Open(path.Join("samples", name))
	if err != nil {
		return err
	}
	defer src.Close()
	sp, err := s.newSpool()
	if err != nil {
		return err
	}
	defer sp.discard()
	if _, err := io.Copy(sp, src); err != nil {
		return err
	}
	if err := sp.finish(); err != nil {
		return err
	}
	base := strings.TrimSuffix(name, path.Ext(name))
	title := strings.ToUpper(base[:1]) + strings.ReplaceAll(base[1:], "-", " ")
	_, err = s.commitUpload(ctx, uploadInput{
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
	return err
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
