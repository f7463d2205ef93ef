package transfer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func journalEntry(i int) *Entry {
	return &Entry{ID: newItemID(), Profile: "p", Path: fmt.Sprintf("/photos/%04d-%s.jpg", i, strings.Repeat("x", 200)),
		Name: "photo.jpg", State: Queued, Resumable: true, Options: &Options{Folder: strings.Repeat("f", 500)}}
}

// fillJournal saves entries until a save fails, and returns the error and
// how many were saved.
func fillJournal(t *testing.T, j *Journal, limit int) (int, error) {
	t.Helper()
	for i := 0; i < limit; i++ {
		if err := j.save(context.Background(), "me", journalEntry(i)); err != nil {
			return i, err
		}
	}
	return limit, nil
}

func checkFullError(t *testing.T, err error, dir string) {
	t.Helper()
	var je *JournalError
	if !errors.As(err, &je) || !errors.Is(err, ErrJournalFull) {
		t.Fatalf("error %v, want a full-journal *JournalError", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "is full") || !strings.Contains(msg, "free some space") || !strings.Contains(msg, dir) || !strings.Contains(msg, "nothing recorded so far is lost") {
		t.Errorf("message %q does not say what happened, where, and what to do", msg)
	}
}

func TestJournalSaysWhenItsDatabaseIsFull(t *testing.T) {
	// SQLite's own "database or disk is full" (SQLITE_FULL), made real by
	// capping the database's pages.
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, err := fillJournal(t, j, 5); err != nil {
		t.Fatal(err)
	}
	var pages int
	j.db.QueryRow("PRAGMA page_count").Scan(&pages)
	if _, err := j.db.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", pages+1)); err != nil {
		t.Fatal(err)
	}
	saved, err := fillJournal(t, j, 1000)
	checkFullError(t, err, filepath.Dir(path))
	if got, _ := j.Unfinished(context.Background(), "p"); len(got) != 5+saved {
		t.Errorf("the journal holds %d entries after the failure, want %d", len(got), 5+saved)
	}
}

func TestJournalSaysWhenAnotherProgramHoldsIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.save(context.Background(), "me", journalEntry(0)); err != nil {
		t.Fatal(err)
	}
	// Another program (its own connection, its own lock) holds a write
	// transaction for longer than the journal waits.
	other, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(1)
	tx, err := other.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`UPDATE owners SET heartbeat_ns = heartbeat_ns`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO owners (owner, host, pid, heartbeat_ns) VALUES ('other', 'h', 1, 1)`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = j.save(context.Background(), "me", journalEntry(1))
	waited := time.Since(start)
	var je *JournalError
	if !errors.As(err, &je) || !errors.Is(err, ErrJournalLocked) {
		t.Fatalf("save while another program holds the journal: %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "locked by another program") || !strings.Contains(msg, path) || !strings.Contains(msg, "then try again") {
		t.Errorf("message %q does not say what happened and what to do", msg)
	}
	t.Logf("after waiting %v: %v", waited.Round(time.Second), err)
	tx.Rollback()
	if err := j.save(context.Background(), "me", journalEntry(2)); err != nil {
		t.Fatalf("once the other program let go: %v", err)
	}
	if got, _ := j.Unfinished(context.Background(), "p"); len(got) != 2 {
		t.Errorf("%d entries, want the 2 saved", len(got))
	}
}

// TestQueuedJournalWritesSayWhenTheyFail: the writes the engine queues
// (a cancel's state, a removal) report a failure as the insert path does,
// once per distinct failure, instead of dropping it.
func TestQueuedJournalWritesSayWhenTheyFail(t *testing.T) {
	r := newRig(t, rigOptions{})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 2, 1000, ".bin")
	e := r.engine(nil)
	e.Pause()
	sub := e.Subscribe()
	warnings := make(chan string, 16)
	go func() {
		for ev := range sub.C {
			if ev.Kind == Warning {
				warnings <- ev.Message
			}
		}
	}()
	defer sub.Close()
	ids := e.Add(itemsFor(paths)...)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		r.journal.db.QueryRow(`SELECT count(*) FROM items`).Scan(&n)
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d rows journaled, want 2", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The database refuses every change to an item row from now on.
	for _, op := range []string{"UPDATE", "DELETE"} {
		if _, err := r.journal.db.Exec(`CREATE TRIGGER refuse_` + op + ` BEFORE ` + op + ` ON items BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Cancel(ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := e.Remove(ids[1]); err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-warnings:
		if !strings.Contains(msg, "the upload journal cannot be written") || !strings.Contains(msg, "refused by the test") || !strings.Contains(msg, "not be resumable after a crash") {
			t.Errorf("warning %q does not say what failed", msg)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no warning for the failed journal writes")
	}
	// Both writes failed the same way: said once.
	select {
	case msg := <-warnings:
		t.Errorf("the same failure said again: %q", msg)
	case <-time.After(300 * time.Millisecond):
	}
	var state string
	r.journal.db.QueryRow(`SELECT state FROM items WHERE id = ?`, string(ids[0])).Scan(&state)
	if state != string(Queued) {
		t.Errorf("the refused write changed the row to %q", state)
	}
}
