package transfer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestJournalSaysWhenItsDiskIsFullAndLosesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "small")
	os.Mkdir(dir, 0o700)
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount a small tmpfs here (%v); the SQLITE_FULL test covers the wording", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	j, err := OpenJournal(filepath.Join(dir, "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, err := fillJournal(t, j, 3); err != nil {
		t.Fatal(err)
	}
	// Something else takes the rest of the disk.
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			break
		}
	}
	f.Close()
	saved, err := fillJournal(t, j, 10000)
	if err == nil {
		t.Fatal("the full disk took 10000 more entries")
	}
	checkFullError(t, err, dir)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Logf("SQLite reported it as %v", err.(*JournalError).Err)
	}
	t.Logf("disk full after %d more entries: %v", saved, err)

	// Nothing recorded before is lost, and once there is room the
	// journal takes writes again.
	if got, err := j.Unfinished(context.Background(), "p"); err != nil || len(got) != 3+saved {
		t.Fatalf("after the failure the journal holds %d entries (%v), want %d", len(got), err, 3+saved)
	}
	os.Remove(filler)
	if err := j.save(context.Background(), "me", journalEntry(99)); err != nil {
		t.Fatalf("with room again: %v", err)
	}
	if got, _ := j.Unfinished(context.Background(), "p"); len(got) != 4+saved {
		t.Errorf("%d entries, want %d", len(got), 4+saved)
	}
}
