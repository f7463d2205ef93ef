package manage

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
)

func pngOf(c color.Color, side int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	for i := range side * side {
		img.Set(i%side, i/side, c)
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

// seed uploads n small images named shot-NNN.png in folder "in" and returns
// them as the sandbox answered.
func seed(t testing.TB, c *cloud.Client, n int) []cloud.Asset {
	t.Helper()
	out := make([]cloud.Asset, n)
	g, ctx := errgroup.WithContext(context.Background())
	g.SetLimit(4)
	for i := range n {
		g.Go(func() error {
			data := pngOf(color.NRGBA{uint8(i), uint8(i >> 8), 200, 255}, 8)
			a, err := c.Upload(ctx, cloud.UploadRequest{
				File:   cloud.File{Name: fmt.Sprintf("shot-%03d.png", i), Data: bytes.NewReader(data), Size: int64(len(data))},
				Params: cloud.UploadParams{PublicID: fmt.Sprintf("p%03d", i), AssetFolder: "in"},
			})
			if err == nil {
				out[i] = *a
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	return out
}

func start(t testing.TB) (*sandbox.Server, *cloud.Client) {
	sb := sandboxtest.Start(t, sandbox.Config{})
	return sb, sandboxtest.Client(t, sb)
}

func TestBulkTagsUseOneBatchCallAndReportTheMissing(t *testing.T) {
	sb, c := start(t)
	ctx := context.Background()
	assets := seed(t, c, 14)
	// Two vanish before the action: they fail, the others are done.
	for _, a := range assets[3:5] {
		if err := c.Destroy(ctx, ref(a), false); err != nil {
			t.Fatal(err)
		}
	}
	sb.ResetStats()
	var last [2]int
	out := AddTag(ctx, c, assets, "campaign", func(f, total int) { last = [2]int{f, total} })
	if out.Done != 12 || len(out.Failed) != 2 || out.Total != 14 {
		t.Fatalf("outcome %+v", out)
	}
	if got := sb.Requests(sandbox.EndpointTags); got != 1 {
		t.Fatalf("%d tags calls for 14 assets, want 1", got)
	}
	if last != [2]int{14, 14} {
		t.Fatalf("progress ended at %v", last)
	}
	sum := out.Summary()
	if !strings.HasPrefix(sum, "12 of 14 done, 2 failed: shot-003.png: it is no longer in the account") {
		t.Fatalf("summary %q", sum)
	}
	for i, a := range assets {
		info, err := sb.Asset(ctx, "image", a.PublicID)
		if i == 3 || i == 4 {
			continue
		}
		if err != nil || !slices.Contains(info.Tags, "campaign") {
			t.Fatalf("%s: tags %v (%v)", a.PublicID, info.Tags, err)
		}
	}
	out = RemoveTag(ctx, c, assets[:3], "campaign", nil)
	if out.Done != 3 || out.Err() != nil {
		t.Fatalf("remove: %s", out.Summary())
	}
	info, _ := sb.Asset(ctx, "image", assets[0].PublicID)
	if slices.Contains(info.Tags, "campaign") {
		t.Fatalf("tag still on %s: %v", assets[0].PublicID, info.Tags)
	}
	if out := AddTag(ctx, c, assets[:2], "a,b", nil); out.Done != 0 || !strings.Contains(out.Summary(), "comma") {
		t.Fatalf("a tag with a comma: %s", out.Summary())
	}
}

func TestBatchesHoldAtMostAThousandIDsPerTypePair(t *testing.T) {
	var assets []cloud.Asset
	for i := range 2500 {
		assets = append(assets, cloud.Asset{PublicID: fmt.Sprint(i), ResourceType: "image", Type: "upload"})
	}
	assets = append(assets, cloud.Asset{PublicID: "v", ResourceType: "video", Type: "upload"})
	keys, batches := groups(assets)
	if len(keys) != 2 || len(batches[keys[0]]) != 3 || len(batches[keys[0]][2]) != 500 || len(batches[keys[1]]) != 1 {
		t.Fatalf("keys %v, image batches %d", keys, len(batches[keys[0]]))
	}
}

func TestAltTextIsSetInBatchesAndSeenByTheAccount(t *testing.T) {
	sb, c := start(t)
	ctx := context.Background()
	assets := seed(t, c, 5)
	sb.ResetStats()
	out := SetContext(ctx, c, assets, "alt", "Team on the beach | summer", nil)
	if out.Err() != nil || out.Done != 5 {
		t.Fatal(out.Summary())
	}
	if got := sb.Requests(sandbox.EndpointContext); got != 1 {
		t.Fatalf("%d context calls, want 1", got)
	}
	for _, a := range assets {
		info, _ := sb.Asset(ctx, "image", a.PublicID)
		if info.Context["alt"] != "Team on the beach | summer" {
			t.Fatalf("%s context %v", a.PublicID, info.Context)
		}
	}
}

func TestMoveAndDeleteGoOnPastFailures(t *testing.T) {
	sb, c := start(t)
	ctx := context.Background()
	assets := seed(t, c, 6)
	if err := c.Destroy(ctx, ref(assets[2]), false); err != nil {
		t.Fatal(err)
	}
	out := Move(ctx, c, assets, "/blog/2026/", nil)
	if out.Done != 5 || len(out.Failed) != 1 || out.Failed[0].Asset.PublicID != assets[2].PublicID {
		t.Fatalf("move: %s", out.Summary())
	}
	for i, a := range assets {
		if i == 2 {
			continue
		}
		info, _ := sb.Asset(ctx, "image", a.PublicID)
		if info.AssetFolder != "blog/2026" {
			t.Fatalf("%s is in %q", a.PublicID, info.AssetFolder)
		}
	}
	folders, err := c.Folders(ctx, "blog")
	if err != nil || len(folders) != 1 || folders[0].Path != "blog/2026" {
		t.Fatalf("folders under blog: %v (%v)", folders, err)
	}

	out = Delete(ctx, c, assets, nil)
	if out.Done != 5 || len(out.Failed) != 1 || !strings.HasPrefix(out.Summary(), "5 of 6 done, 1 failed: shot-002.png") {
		t.Fatalf("delete: %s", out.Summary())
	}
	left, _ := sb.Assets(ctx)
	if len(left) != 0 {
		t.Fatalf("%d assets left", len(left))
	}
}

func TestConfirmDeleteNamesCountAndFirstNames(t *testing.T) {
	var assets []cloud.Asset
	for i := range 5 {
		assets = append(assets, cloud.Asset{PublicID: fmt.Sprintf("x/id%d", i), OriginalFilename: fmt.Sprintf("photo-%d", i), Format: "jpg"})
	}
	got := ConfirmDelete(assets)
	want := "Delete 5 assets (“photo-0.jpg”, “photo-1.jpg”, “photo-2.jpg” and 2 more) from the account? Their links stop working."
	if got != want {
		t.Fatalf("%q", got)
	}
	if got := ConfirmDelete(assets[:1]); got != "Delete “photo-0.jpg” from the account? Its links stop working." {
		t.Fatalf("%q", got)
	}
}

func TestDownloadSavesOriginalsUnderTheirNamesWithProgress(t *testing.T) {
	_, c := start(t)
	ctx := context.Background()
	assets := seed(t, c, 3)
	assets[1].DisplayName = assets[0].Name() // two alike: the second gets " (2)"
	gone := assets[2]
	if err := c.Destroy(ctx, ref(gone), true); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var mu sync.Mutex
	var last [2]int64
	out, files := Download(ctx, nil, assets, dir, func(done, total int64) {
		mu.Lock()
		last = [2]int64{done, total}
		mu.Unlock()
	})
	if out.Done != 2 || len(out.Failed) != 1 || len(files) != 2 {
		t.Fatalf("%s, files %v", out.Summary(), files)
	}
	want := []string{filepath.Join(dir, "shot-000.png"), filepath.Join(dir, "shot-000 (2).png")}
	slices.Sort(files)
	slices.Sort(want)
	if !slices.Equal(files, want) {
		t.Fatalf("files %v, want %v", files, want)
	}
	var sum int64
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(data)); err != nil {
			t.Fatalf("%s is not the PNG: %v", f, err)
		}
		sum += int64(len(data))
	}
	if last[0] != sum {
		t.Fatalf("progress says %d bytes, files hold %d", last[0], sum)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("the folder holds %d entries (a partial download left behind?)", len(entries))
	}
}
