package watch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/transfer"
)

// engines lends one real engine for profile "work" and refuses "locked".
type engines struct {
	eng      *transfer.Engine
	mu       sync.Mutex
	leased   int
	released int
}

func (e *engines) Acquire(_ context.Context, profile string) (Lease, error) {
	if profile != "work" {
		return Lease{}, errors.New("the keychain is locked")
	}
	e.mu.Lock()
	e.leased++
	e.mu.Unlock()
	return Lease{Engine: e.eng, Defaults: transfer.Options{Folder: "default", Tags: []string{"from-profile"}}, Release: func() {
		e.mu.Lock()
		e.released++
		e.mu.Unlock()
	}}, nil
}

func (e *engines) counts() (int, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leased, e.released
}

func TestServiceWatchesEnabledFoldersWithTheirOwnOptionsAndSaysWhyOthersCannot(t *testing.T) {
	t.Parallel()
	r := newFeedRig(t)
	ru := r.start(true, nil) // only for its engine; its own feed watches r.dir
	eng := &engines{eng: ru.eng}
	changed := make(chan struct{}, 100)
	svc := NewService(r.state, eng, func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	defer svc.Close()

	shots := filepath.Join(t.TempDir(), "Screenshots")
	os.MkdirAll(shots, 0o755)
	folders := []Folder{
		{ID: "a", Dir: shots, Profile: "work", Folder: "shots", Tags: []string{"screen"}, Enabled: true, Existing: true},
		{ID: "b", Dir: shots, Profile: "locked", Enabled: true},
		{ID: "c", Dir: t.TempDir(), Profile: "work", Enabled: false},
	}
	svc.Apply(context.Background(), folders)
	if svc.Watching() != 1 {
		t.Fatalf("watching %d folders, want 1", svc.Watching())
	}
	if st, ok := svc.Status("b"); !ok || st.Phase != Blocked || !strings.Contains(st.Words(), "keychain is locked") {
		t.Fatalf("status of the locked profile's folder: %+v", st)
	}
	if _, ok := svc.Status("c"); ok {
		t.Fatal("a disabled folder has a status")
	}
	waitUntil(t, 10*time.Second, "folder a watching", func() bool { st, _ := svc.Status("a"); return st.Phase == Watching })

	writeFile(t, filepath.Join(shots, "shot.png"), 900)
	got := ru.done(t, 1)
	it := got["shot.png"]
	if it.State != transfer.Done || it.Asset == nil || !strings.HasPrefix(it.Asset.PublicID, "shots/") || strings.Join(it.Asset.Tags, ",") != "screen" {
		t.Fatalf("shot.png: %s %+v", it.Words, it.Asset)
	}

	// Switched off: the feed stops and the engine is given back.
	folders[0].Enabled = false
	svc.Apply(context.Background(), folders)
	if svc.Watching() != 0 {
		t.Fatalf("still watching %d", svc.Watching())
	}
	if leased, released := eng.counts(); leased != 1 || released != 1 {
		t.Fatalf("leased %d, released %d", leased, released)
	}
	writeFile(t, filepath.Join(shots, "after.png"), 900)
	time.Sleep(5 * testSettle)
	if n := len(ru.eng.Snapshot().Items); n != 1 {
		t.Fatalf("%d items after the folder was switched off, want 1", n)
	}
}
