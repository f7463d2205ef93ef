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
		Name: "photo.jpg", State: Queued, Resumable: true, Options: Options{Folder: strings.Repeat("f", 500)}}
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
