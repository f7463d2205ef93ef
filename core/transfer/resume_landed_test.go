package transfer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/sandbox"
)

// A file Cloudinary stored while its answer was lost with the process (the
// app killed just then) is found on the account when the upload resumes,
// and is not sent again; one that did not land is sent.
func TestResumedFileThatLandedIsNotSentAgain(t *testing.T) {
	r := newRig(t, rigOptions{sandbox: sandbox.Config{Faults: "on=upload,schedule=stall,stall"}, clientMod: patient})
	paths, sums := writeFiles(t, filepath.Join(r.dir, "in"), 2, 3_000, ".bin")
	e1 := r.engine(func(c *Config) { c.Concurrency = 2 })
	e1.Add(itemsFor(paths)...)
	waitFor(t, func() bool { return r.sb.Requests(sandbox.EndpointUpload) == 2 })
	e1.Close()
	r.journal.Close()
	r.journal = r.openJournal()
	left, err := r.journal.Unfinished(context.Background(), "test")
	if err != nil || len(left) != 2 || left[0].PublicID == "" || left[1].PublicID == "" {
		t.Fatalf("journal after the interruption: %+v, %v", left, err)
	}
	r.sb.SetFaults("")

	// The first one landed: its bytes are on the account under the public_id
	// the journal planned.
	landed := left[0]
	f, err := os.Open(landed.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := r.client.Upload(context.Background(), cloud.UploadRequest{
		File: cloud.File{Name: landed.Name, Data: f, Size: landed.Size}, ResourceType: landed.ResourceType,
		Params: cloud.UploadParams{PublicID: landed.PublicID},
	}); err != nil {
		t.Fatal(err)
	}
	r.sb.ResetStats()

	e2 := r.engine(nil)
	ids, err := e2.ResumeUnfinished(context.Background())
	if err != nil || len(ids) != 2 {
		t.Fatalf("resume: %v %v", ids, err)
	}
	snap := finish(t, e2, time.Minute)
	byPath := map[string]ItemStatus{}
	for _, st := range snap.Items {
		byPath[st.Path] = st
	}
	first, second := byPath[left[0].Path], byPath[left[1].Path]
	if first.State != Done || first.Asset == nil || first.Asset.PublicID != landed.PublicID || first.Asset.Bytes != landed.Size || first.MD5 != sums[landed.Path] ||
		!strings.Contains(first.Words, "already on Cloudinary") {
		t.Fatalf("the file that landed: %s (%s) %+v", first.State, first.Words, first.Asset)
	}
	if second.State != Done || second.Asset == nil || second.Asset.ETag != sums[left[1].Path] {
		t.Fatalf("the file that did not land: %s (%s) %+v", second.State, second.Words, second.Asset)
	}
	st := r.sb.Stats()
	if sent := st.Requests[sandbox.EndpointUpload]; sent != 1 {
		t.Fatalf("%d upload requests after resuming, want 1 (only the file that did not land): %s", sent, st)
	}
	if st.AdminCalls == 0 || st.Assets != 2 {
		t.Fatalf("the account was not asked, or holds other than the two files: %s", st)
	}
	h, err := r.journal.History(context.Background(), HistoryQuery{Profile: "test"})
	if err != nil || len(h) != 2 {
		t.Fatalf("history: %d rows, %v", len(h), err)
	}
}
