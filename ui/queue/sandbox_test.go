package queue

import (
	"context"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
	"github.com/cloudup/cloudup/core/transfer"
	"github.com/cloudup/cloudup/ui/words"
)

// realEngine starts a sandbox on 127.0.0.1 and an engine uploading to it.
func realEngine(t testing.TB) (*transfer.Engine, *sandbox.Server) {
	t.Helper()
	dir := t.TempDir()
	sb := sandboxtest.Start(t, sandbox.Config{Dir: filepath.Join(dir, "sandbox")})
	client := sandboxtest.Client(t, sb)
	j, err := transfer.OpenJournal(filepath.Join(dir, "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := transfer.New(transfer.Config{Client: client, Journal: j, Profile: "sandbox", Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-in first-out: the engine closes before its journal.
	t.Cleanup(func() { j.Close() })
	t.Cleanup(func() { eng.Close() })
	return eng, sb
}

func TestDroppedFilesReachDoneOnTheSandbox(t *testing.T) {
	h := newHarness(t, false)
	eng, sb := realEngine(t)
	h.v.SetAccount(AccountFrom(eng, func() *transfer.Options { return &transfer.Options{Folder: "dropped", Tags: []string{"queue-test"}} }))
	dir := t.TempDir()
	var uris []fyne.URI
	for i, c := range []color.RGBA{{200, 0, 0, 255}, {0, 200, 0, 255}, {0, 0, 200, 255}} {
		p := filepath.Join(dir, fmt.Sprintf("photo-%d.jpg", i+1))
		writeJPEG(t, p, 64+i, 48, c)
		uris = append(uris, storage.NewFileURI(p))
	}
	h.v.HandleDrop(fyne.NewPos(5, 5), uris)

	deadline := time.Now().Add(60 * time.Second)
	for {
		h.tasks.Drain()
		h.v.sync()
		done := 0
		for i := range h.v.Len() {
			switch st := h.v.Row(i); st.State {
			case transfer.Done:
				done++
			case transfer.Failed:
				t.Fatalf("%s failed: %v", st.Name, st.Err)
			}
		}
		if h.v.Len() == 3 && done == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s: %d rows, %d done; footer %q", h.v.Len(), done, h.v.Summary())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := h.v.Summary(); got != "3 of 3 uploaded" {
		t.Errorf("footer = %q", got)
	}
	for i := range 3 {
		st := h.v.Row(i)
		if st.Asset == nil || st.Asset.SecureURL == "" {
			t.Fatalf("%s is done without an asset", st.Name)
		}
	}
	// The sandbox holds them in the folder the account gave.
	client := sandboxtest.Client(t, sb)
	res, err := client.Search(context.Background(), cloud.SearchQuery{Expression: "folder=dropped AND tags=queue-test"})
	if err != nil {
		t.Fatal(err)
	}
	if res.TotalCount != 3 {
		t.Errorf("sandbox has %d assets in folder dropped, want 3", res.TotalCount)
	}
}

func TestBadFilesFailAloneWithWhatToDo(t *testing.T) {
	h := newHarness(t, false)
	eng, _ := realEngine(t)
	h.v.SetAccount(AccountFrom(eng, nil))
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jpg")
	writeJPEG(t, good, 32, 32, color.White)
	empty := filepath.Join(dir, "empty.jpg")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	h.v.AddInputs([]string{good, empty, filepath.Join(dir, "gone.jpg")})

	deadline := time.Now().Add(60 * time.Second)
	for {
		h.tasks.Drain()
		h.v.sync()
		b := h.v.batch
		if b.Total == 3 && b.Finished() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch did not finish: %+v", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	want := map[string]string{"good.jpg": "", "empty.jpg": "The file is empty: there is nothing to upload.", "gone.jpg": "The file was moved or deleted"}
	for i := range h.v.Len() {
		st := h.v.Row(i)
		text, m := rowWords(st, time.Now())
		hint := want[st.Name]
		if hint == "" {
			if st.State != transfer.Done {
				t.Errorf("%s = %s (%s), want done", st.Name, st.State, text)
			}
			continue
		}
		if st.State != transfer.Failed || m.Action != words.Remove || !strings.Contains(text, hint) {
			t.Errorf("%s = %s: %q, want failed with %q", st.Name, st.State, text, hint)
		}
	}
}
