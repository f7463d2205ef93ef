package desktop

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cloudup/cloudup/core/watch"
)

func TestSettingsRoundTripInAPrivateFileAndRefuseBadFolders(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir)
	if set, err := s.Load(); err != nil || len(set.Watched) != 0 || set.CopyLinks {
		t.Fatalf("defaults: %+v %v", set, err)
	}
	shots := filepath.Join(dir, "Screenshots")
	f, err := s.PutFolder(watch.Folder{Dir: shots + "/", Profile: "work", Folder: "/shots/", Tags: []string{" a ", "a", "b"}, Enabled: true})
	if err != nil || f.ID == "" {
		t.Fatalf("put: %+v %v", f, err)
	}
	if _, err := s.Update(func(set *Settings) error { set.CopyLinks, set.OnClose = true, KeepInTray; return nil }); err != nil {
		t.Fatal(err)
	}
	set, err := NewStore(dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	got, ok := set.Folder(f.ID)
	if !ok || got.Dir != shots || got.Folder != "shots" || strings.Join(got.Tags, ",") != "a,b" || !set.CopyLinks || set.OnClose != KeepInTray {
		t.Fatalf("read back %+v", set)
	}
	if fi, err := os.Stat(s.Path()); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Fatalf("file mode: %v %v", fi.Mode(), err)
	}

	if _, err := s.PutFolder(watch.Folder{Dir: shots, Profile: "work"}); err == nil || !strings.Contains(err.Error(), "already watched") {
		t.Errorf("second watch of the same folder and profile: %v", err)
	}
	if _, err := s.PutFolder(watch.Folder{Dir: "relative", Profile: "work"}); err == nil || !strings.Contains(err.Error(), "not a full path") {
		t.Errorf("relative folder: %v", err)
	}
	got.Enabled = false
	if _, err := s.PutFolder(got); err != nil {
		t.Fatal(err)
	}
	if set, _ := s.Load(); len(set.Watched) != 1 || set.Watched[0].Enabled {
		t.Fatalf("after switching it off: %+v", set.Watched)
	}
	if err := s.DeleteFolder(f.ID); err != nil {
		t.Fatal(err)
	}
	if set, _ := s.Load(); len(set.Watched) != 0 || !set.CopyLinks {
		t.Fatalf("after removing it: %+v", set)
	}
}

func TestDamagedSettingsSayWhatToDo(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, FileName), []byte("{not json"), 0o600)
	_, err := NewStore(dir).Load()
	if err == nil || !strings.Contains(err.Error(), "is damaged") || !strings.Contains(err.Error(), "move it aside") {
		t.Fatalf("err = %v", err)
	}
	if _, err := NewStore(dir).Update(func(*Settings) error { return nil }); err == nil {
		t.Fatal("a damaged file was overwritten")
	}
}
