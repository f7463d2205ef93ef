package ui

import (
	"context"
	"testing"

	"github.com/cloudup/cloudup/core/account"
)

// A preset saved from the studio lands in the profile file and comes back
// next time the studio opens; saving the same name again replaces it.
func TestStudioPresetsAreKeptInTheProfile(t *testing.T) {
	store := account.NewStore(t.TempDir())
	p := account.SandboxProfile()
	p.LinkTemplates = []account.LinkTemplate{{Name: "wp", Text: "<img src={url}>"}}
	if err := store.Put(p); err != nil {
		t.Fatal(err)
	}
	open := studioProfile(store, p)
	sp := open()
	if len(sp.Templates) != 1 || len(sp.Presets) != 0 {
		t.Fatalf("first open: %+v", sp)
	}
	for _, tr := range []string{"e_sepia:30", "e_sepia:40/f_auto,q_auto"} {
		if err := sp.SavePreset(context.Background(), account.StudioPreset{Name: "Warm", Transformation: tr}); err != nil {
			t.Fatal(err)
		}
	}
	got := open().Presets
	if len(got) != 1 || got[0].Transformation != "e_sepia:40/f_auto,q_auto" {
		t.Fatalf("presets after saving twice: %+v", got)
	}
	if err := sp.SavePreset(context.Background(), account.StudioPreset{Name: "Bad", Transformation: ""}); err == nil {
		t.Fatal("a preset without a transformation was saved")
	}
}
