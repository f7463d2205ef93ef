package manage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cloudup/cloudup/core/cloud"
)

func folderPaths(fs []cloud.Folder) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Path)
	}
	return out
}

// The Admin API folders calls, against the sandbox: created folders and the
// folders assets sit in, listed level by level; rename moves the assets;
// delete refuses a folder that still holds some.
func TestFoldersCreateListRenameDelete(t *testing.T) {
	sb, c := start(t)
	ctx := context.Background()
	assets := seed(t, c, 2) // in "in"
	if _, err := c.CreateFolder(ctx, "blog/2026/summer"); err != nil {
		t.Fatal(err)
	}
	if f, err := c.CreateFolder(ctx, "blog/2026/summer"); err != nil || f.Path != "blog/2026/summer" || f.Name != "summer" {
		t.Fatalf("creating it again: %+v, %v", f, err)
	}
	root, err := c.Folders(ctx, "")
	if err != nil || !slices.Equal(folderPaths(root), []string{"blog", "in"}) {
		t.Fatalf("root: %v (%v)", folderPaths(root), err)
	}
	sub, err := c.Folders(ctx, "blog/2026")
	if err != nil || !slices.Equal(folderPaths(sub), []string{"blog/2026/summer"}) {
		t.Fatalf("blog/2026: %v (%v)", folderPaths(sub), err)
	}
	if _, err := c.Folders(ctx, "nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("missing folder: %v", err)
	}
	if _, err := c.CreateFolder(ctx, "a/../b"); err == nil {
		t.Fatal("a folder path with .. was created")
	}

	if err := c.RenameFolder(ctx, "in", "archive/in"); err != nil {
		t.Fatal(err)
	}
	info, _ := sb.Asset(ctx, "image", assets[0].PublicID)
	if info.AssetFolder != "archive/in" {
		t.Fatalf("asset is in %q after the rename", info.AssetFolder)
	}
	if err := c.DeleteFolder(ctx, "archive"); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("deleting a folder with assets: %v", err)
	}
	if err := c.DeleteFolder(ctx, "blog"); err != nil {
		t.Fatal(err)
	}
	root, _ = c.Folders(ctx, "")
	if !slices.Equal(folderPaths(root), []string{"archive"}) {
		t.Fatalf("root after delete: %v", folderPaths(root))
	}

	// Admin update: display name, tags and context at once.
	name := "Team at the beach"
	tags := []string{"summer", "team"}
	a, err := c.Update(ctx, ref(assets[1]), cloud.Update{DisplayName: &name, Tags: &tags, Context: map[string]string{"alt": "Five people", "caption": "Sète"}})
	if err != nil || a.Name() != name || !slices.Equal(a.Tags, tags) || a.Context["caption"] != "Sète" {
		t.Fatalf("update: %+v (%v)", a, err)
	}
	if _, err := c.Update(ctx, cloud.Ref{PublicID: "missing"}, cloud.Update{DisplayName: &name}); !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("updating a missing asset: %v", err)
	}
	names, err := c.TagNames(ctx, "image", "t", 100)
	if err != nil || !slices.Equal(names, []string{"team"}) {
		t.Fatalf("tag names with t: %v (%v)", names, err)
	}
}
