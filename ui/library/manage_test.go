package library

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
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/effects"
	corelib "github.com/cloudup/cloudup/core/library"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
	"github.com/cloudup/cloudup/ui/dialogs"
	"github.com/cloudup/cloudup/ui/preview"
)

// sandboxAccount is a real profile's Account on a fresh sandbox holding n
// images named "Beach day NN.png" (random public ids), in "trips/2026"
// and, every third, "team".
func sandboxAccount(t *testing.T, n int) (*sandbox.Server, *cloud.Client, Account) {
	t.Helper()
	sb := sandboxtest.Start(t, sandbox.Config{})
	client := sandboxtest.Client(t, sb)
	for i := range n {
		img := image.NewNRGBA(image.Rect(0, 0, 64, 48))
		for p := range 64 * 48 {
			img.Set(p%64, p/64, color.NRGBA{uint8(40 * i), uint8(p % 64 * 4), 160, 255})
		}
		var buf bytes.Buffer
		png.Encode(&buf, img)
		folder := "trips/2026"
		if i%3 == 0 {
			folder = "team"
		}
		name := fmt.Sprintf("Beach day %02d.png", i)
		if _, err := client.Upload(context.Background(), cloud.UploadRequest{
			File:   cloud.File{Name: name, Data: bytes.NewReader(buf.Bytes()), Size: int64(buf.Len())},
			Params: cloud.UploadParams{PublicID: fmt.Sprintf("id%02dxq7rk", i), AssetFolder: folder, DisplayName: strings.TrimSuffix(name, ".png")},
		}); err != nil {
			t.Fatal(err)
		}
	}
	thumbs, err := corelib.NewThumbs(corelib.ThumbsConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	delivery, err := effects.DeliveryFor(sb.Cloud(), sb.URL())
	if err != nil {
		t.Fatal(err)
	}
	return sb, client, AccountFrom(client, thumbs, delivery, nil, effects.LinkURL)
}

func TestLibraryFoldersAndNamesFromTheSandbox(t *testing.T) {
	_, _, acct := sandboxAccount(t, 6)
	fx := newFixture(t, acct)
	fx.tasks.Wait()
	var names []string
	for _, f := range fx.v.SubFolders() {
		names = append(names, f.Path)
	}
	if !slices.Equal(names, []string{"team", "trips"}) {
		t.Fatalf("root folders %v", names)
	}
	a, _ := fx.v.browser.Asset(0)
	if a.Name() != "Beach day 05" {
		t.Fatalf("first cell is named %q", a.Name())
	}
	test.AssertRendersToImage(t, "folders_root.png", fx.win.Canvas())

	fx.v.OpenFolder("trips")
	fx.tasks.Wait()
	if fx.v.FolderPath() != "trips" || len(fx.v.SubFolders()) != 1 || fx.v.SubFolders()[0].Path != "trips/2026" {
		t.Fatalf("in trips: %q, %v", fx.v.FolderPath(), fx.v.SubFolders())
	}
	if st := fx.v.State(); st.Len != 4 {
		t.Fatalf("trips shows %d assets, want 4", st.Len)
	}
	fx.v.OpenFolder(parentOf(fx.v.FolderPath())) // Up
	fx.tasks.Wait()
	if fx.v.FolderPath() != "" || fx.v.State().Len != 6 {
		t.Fatalf("after Up: %q with %d assets", fx.v.FolderPath(), fx.v.State().Len)
	}
}

// A folder made after the Library loaded (an upload's, from the Details
// panel) is listed once the Library refreshes, as it does when uploads end.
func TestLibraryRefreshListsAFolderMadeMeanwhile(t *testing.T) {
	_, client, acct := sandboxAccount(t, 3)
	fx := newFixture(t, acct)
	fx.tasks.Wait()
	if _, err := client.CreateFolder(context.Background(), "e2e-trip"); err != nil {
		t.Fatal(err)
	}
	fx.v.Refresh()
	fx.tasks.Wait()
	var names []string
	for _, f := range fx.v.SubFolders() {
		names = append(names, f.Path)
	}
	if !slices.Equal(names, []string{"e2e-trip", "team", "trips"}) {
		t.Fatalf("root folders after a refresh %v", names)
	}
}

func TestLibraryBulkActionsOnASelectionReportPartialFailures(t *testing.T) {
	sb, client, acct := sandboxAccount(t, 6)
	fx := newFixture(t, acct)
	ctx := context.Background()
	fx.v.Toggle(0)
	fx.v.SelectRange(3) // Shift-click: cells 0–3
	if n := len(fx.v.Selected()); n != 4 {
		t.Fatalf("%d selected after a range, want 4", n)
	}
	fx.v.Toggle(1) // Ctrl-click off
	sel := fx.v.Selected()
	if len(sel) != 3 {
		t.Fatalf("%d selected, want 3", len(sel))
	}
	test.AssertRendersToImage(t, "selection.png", fx.win.Canvas())

	// One of them disappears behind the view's back: it fails alone.
	if err := client.Destroy(ctx, cloud.Ref{PublicID: sel[2].PublicID}, false); err != nil {
		t.Fatal(err)
	}
	fx.v.AddTag("campaign")
	fx.tasks.Wait()
	want := "Tagging: 2 of 3 done, 1 failed: " + sel[2].Name() + ": it is no longer in the account."
	if got := fx.v.BulkResult(); got != want {
		t.Fatalf("result %q, want %q", got, want)
	}
	for _, a := range sel[:2] {
		info, _ := sb.Asset(ctx, "image", a.PublicID)
		if !slices.Contains(info.Tags, "campaign") {
			t.Fatalf("%s tags %v", a.PublicID, info.Tags)
		}
	}
	test.AssertRendersToImage(t, "bulk_partial.png", fx.win.Canvas())

	fx.v.SetAlt("Two people on a beach")
	fx.tasks.Wait()
	info, _ := sb.Asset(ctx, "image", sel[0].PublicID)
	if info.Context["alt"] != "Two people on a beach" {
		t.Fatalf("alt %v", info.Context)
	}

	dir := t.TempDir()
	fx.v.DownloadTo(dir)
	fx.tasks.Wait()
	entries, _ := os.ReadDir(dir)
	// The vanished asset left the grid when it reloaded after tagging.
	if len(entries) != 2 || !strings.Contains(fx.v.BulkResult(), "2 of 2 done") {
		t.Fatalf("downloaded %d files: %s", len(entries), fx.v.BulkResult())
	}
	if _, err := os.Stat(filepath.Join(dir, sel[0].Name()+".png")); err != nil {
		t.Fatalf("no file named %s: %v", sel[0].Name(), err)
	}

	fx.v.MoveTo("archive")
	fx.tasks.Wait()
	info, _ = sb.Asset(ctx, "image", sel[1].PublicID)
	if info.AssetFolder != "archive" || len(fx.v.Selected()) != 0 {
		t.Fatalf("moved to %q, %d still selected", info.AssetFolder, len(fx.v.Selected()))
	}

	fx.v.SelectAll()
	if n := len(fx.v.Selected()); n != 5 {
		t.Fatalf("select all: %d", n)
	}
	fx.v.AskDeleteSelected()
	if fx.v.confirm == nil {
		t.Fatal("no confirmation")
	}
	test.AssertRendersToImage(t, "bulk_delete_confirm.png", fx.win.Canvas())
	fx.v.ConfirmDeleteSelected(true)
	fx.tasks.Wait()
	left, _ := sb.Assets(ctx)
	if len(left) != 0 || fx.v.State().Len != 0 || !strings.HasPrefix(fx.v.BulkResult(), "Deleting: 5 of 5 done") {
		t.Fatalf("%d assets left, grid %d: %s", len(left), fx.v.State().Len, fx.v.BulkResult())
	}
}

func TestPreviewEditRenamesMovesAndSetsMetadataWithTheNewLinkShown(t *testing.T) {
	sb, _, acct := sandboxAccount(t, 2)
	fx := newFixture(t, acct)
	ctx := context.Background()
	fx.v.Open(0)
	fx.tasks.Wait()
	p := fx.v.Preview()
	before := p.Asset()
	fx.win.Resize(fyne.NewSize(1000, 760))
	p.AskEdit()
	// No golden image here: the preview shows the sandbox's port and the
	// upload time. The form's fields are checked instead.
	if f := p.EditForm(); f == nil || f.DisplayName != "Beach day 01" || f.PublicID != before.PublicID || f.Folder != "trips/2026" {
		t.Fatalf("edit form holds %+v", f)
	}
	dialogs.For(fx.win).CloseTop()
	p.SaveEdit(preview.Edit{DisplayName: "Team photo", Tags: []string{"summer", "team"}, Alt: "Five people", Caption: "At the beach",
		PublicID: "campaign/team-photo", Folder: "campaign"})
	fx.tasks.Wait()
	after := p.Asset()
	if after.PublicID != "campaign/team-photo" || !strings.Contains(p.Link(), "/campaign/team-photo") {
		t.Fatalf("preview shows %s with link %s", after.PublicID, p.Link())
	}
	if !strings.HasPrefix(p.Status(), "Saved. The link is ") {
		t.Fatalf("status %q", p.Status())
	}
	if !shows(fx.win.Canvas().Overlays().Top(), "Team photo") || shows(fx.win.Canvas().Overlays().Top(), "Beach day 01") {
		t.Error("the preview's title does not say the new name (or still says the old one)")
	}
	if n := len(fx.win.Canvas().Overlays().List()); n != 1 {
		t.Errorf("%d dialogs open after the rename, want the preview alone", n)
	}
	info, err := sb.Asset(ctx, "image", "campaign/team-photo")
	if err != nil {
		t.Fatal(err)
	}
	if info.DisplayName != "Team photo" || info.AssetFolder != "campaign" || info.Context["alt"] != "Five people" ||
		info.Context["caption"] != "At the beach" || !slices.Equal(info.Tags, []string{"summer", "team"}) {
		t.Fatalf("asset now %+v", info)
	}
	if _, err := sb.Asset(ctx, "image", before.PublicID); err == nil {
		t.Fatalf("%s still exists after the rename", before.PublicID)
	}
	// A rename onto a taken public_id is refused in words, nothing else changes.
	other, _ := fx.v.browser.Asset(1)
	p.SaveEdit(preview.Edit{DisplayName: "Other", PublicID: other.PublicID, Folder: "campaign", Tags: []string{"summer", "team"}, Alt: "Five people", Caption: "At the beach"})
	fx.tasks.Wait()
	if p.Status() != "Not renamed. Another asset already has that public ID: choose another one." {
		t.Fatalf("status %q", p.Status())
	}
}

// shows reports whether a label in o says text.
func shows(o fyne.CanvasObject, text string) bool {
	for _, c := range test.LaidOutObjects(o) {
		if l, ok := c.(*widget.Label); ok && l.Text == text {
			return true
		}
	}
	return false
}
