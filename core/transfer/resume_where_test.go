package transfer

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestResumeUnfinishedWhereTakesOnlyTheChosenEntriesAndLeavesTheRest(t *testing.T) {
	r := newRig(t, rigOptions{})
	watched, _ := writeFiles(t, filepath.Join(r.dir, "watched"), 2, 2_000, ".bin")
	other, _ := writeFiles(t, filepath.Join(r.dir, "other"), 2, 2_000, ".bin")
	e1 := r.engine(func(c *Config) { c.Concurrency = 1 })
	e1.Pause() // nothing starts: all four stay queued in the journal
	e1.Add(itemsFor(append(append([]string{}, watched...), other...))...)
	e1.Close()

	e2 := r.engine(nil)
	under := filepath.Join(r.dir, "watched") + string(filepath.Separator)
	ids, err := e2.ResumeUnfinishedWhere(context.Background(), func(ent Entry) bool { return strings.HasPrefix(ent.Path, under) })
	if err != nil || len(ids) != 2 {
		t.Fatalf("resumed %d (%v), want the 2 watched files", len(ids), err)
	}
	snap := finish(t, e2, 30*time.Second)
	for _, it := range snap.Items {
		if !strings.HasPrefix(it.Path, under) || it.State != Done {
			t.Errorf("%s: %s", it.Path, it.Words)
		}
	}
	left, err := r.journal.Unfinished(context.Background(), "test")
	if err != nil || len(left) != 2 {
		t.Fatalf("left in the journal: %d (%v), want the 2 others", len(left), err)
	}
	for _, ent := range left {
		if strings.HasPrefix(ent.Path, under) {
			t.Errorf("%s was resumed and is still unfinished", ent.Path)
		}
	}
	if !Resumable(&GaveUpError{Last: context.DeadlineExceeded}) || Resumable(&RejectedError{Kind: ErrTooLarge, Reason: "x"}) {
		t.Error("Resumable: a network give-up may pass, a refusal of the file does not")
	}
}
