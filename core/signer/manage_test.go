package signer

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/teamsign"
)

func TestEditorsManageFoldersAndAssetsInsideTheirGrantOnly(t *testing.T) {
	f := newFixture(t, sandbox.Config{}, nil)
	ctx := context.Background()
	for _, folder := range []string{"blog/2026", "drafts"} {
		if _, err := f.admin.CreateFolder(ctx, folder); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := upload(ctx, f.admin, pngBytes(t, 10), cloud.UploadParams{PublicID: "blog/a", AssetFolder: "blog"}); err != nil {
		t.Fatal(err)
	}
	if _, err := upload(ctx, f.admin, pngBytes(t, 90), cloud.UploadParams{PublicID: "drafts/secret", AssetFolder: "drafts"}); err != nil {
		t.Fatal(err)
	}
	reader := f.grant(t, "bob", teamsign.Grant{Folders: []string{"blog"}})
	editor := f.grant(t, "ann", teamsign.Grant{Folders: []string{"blog"}, CanEdit: true})
	c, _ := f.editorClient(t, editor)

	root, err := c.Folders(ctx, "")
	if err != nil || len(root) != 1 || root[0].Path != "blog" {
		t.Fatalf("root as seen by ann: %+v (%v)", root, err)
	}
	if sub, err := c.Folders(ctx, "blog"); err != nil || len(sub) != 1 || sub[0].Path != "blog/2026" {
		t.Fatalf("blog: %+v (%v)", sub, err)
	}
	var pe *cloud.PolicyError
	if _, err := c.Folders(ctx, "drafts"); !errors.As(err, &pe) {
		t.Fatalf("listing drafts: %v", err)
	}
	if _, err := c.CreateFolder(ctx, "blog/summer"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateFolder(ctx, "drafts/mine"); !errors.As(err, &pe) {
		t.Fatalf("creating drafts/mine: %v", err)
	}

	name, tags, folder := "Team photo", []string{"summer"}, "blog/summer"
	a, err := c.Update(ctx, cloud.Ref{PublicID: "blog/a"}, cloud.Update{DisplayName: &name, Tags: &tags, AssetFolder: &folder, Context: map[string]string{"alt": "Five people"}})
	if err != nil || a.Name() != name || a.AssetFolder != folder || a.Context["alt"] != "Five people" || !slices.Equal(a.Tags, tags) {
		t.Fatalf("update: %+v (%v)", a, err)
	}
	out := "drafts"
	if _, err := c.Update(ctx, cloud.Ref{PublicID: "blog/a"}, cloud.Update{AssetFolder: &out}); !errors.As(err, &pe) {
		t.Fatalf("moving out of the grant: %v", err)
	}
	if _, err := c.Update(ctx, cloud.Ref{PublicID: "drafts/secret"}, cloud.Update{DisplayName: &name}); !errors.As(err, &pe) {
		t.Fatalf("updating drafts/secret: %v", err)
	}
	rc, _ := f.editorClient(t, reader)
	if _, err := rc.Update(ctx, cloud.Ref{PublicID: "blog/a"}, cloud.Update{DisplayName: &name}); !errors.As(err, &pe) || !strings.Contains(pe.Message, "changing") {
		t.Fatalf("a reader updating: %v", err)
	}
	entries, err := f.store.Audit(ctx, AuditQuery{Editor: "ann"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.Action+"/"+string(e.Outcome)] = true
	}
	for _, want := range []string{"folders/answered", "folders/refused", "create-folder/answered", "create-folder/refused", "update/answered", "update/refused"} {
		if !seen[want] {
			t.Errorf("no audit row %s: %v", want, seen)
		}
	}
	f.noLeaks(t, editor, reader)
}
