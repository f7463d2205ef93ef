package keychain

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

func TestMemoryStoresReplacesAndDeletes(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	if _, err := m.Get(ctx, "work"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get on empty store: %v, want ErrNotFound", err)
	}
	if err := m.Set(ctx, "work", "one"); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(ctx, "work", "two\nlines ünïcode"); err != nil {
		t.Fatal(err)
	}
	got, err := m.Get(ctx, "work")
	if err != nil || got.Reveal() != "two\nlines ünïcode" {
		t.Fatalf("Get = %q, %v", got.Reveal(), err)
	}
	if err := m.Delete(ctx, "work"); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(ctx, "work"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v, want ErrNotFound", err)
	}
}

func TestMemoryRejectsEmptyAccountAndSecret(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	if err := m.Set(ctx, "", "x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty account: %v", err)
	}
	err := m.Set(ctx, "work", "")
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "secret is empty") {
		t.Errorf("empty secret: %v", err)
	}
}

func TestMemoryFailWithReturnsTheInjectedError(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	locked := &Error{Backend: systemBackend, Op: "save", Account: "work", Kind: ErrLocked, Reason: "the keyring is locked"}
	m.FailWith(locked)
	if err := m.Set(ctx, "work", "x"); !errors.Is(err, ErrLocked) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Set: %v", err)
	}
	m.FailWith(nil)
	if err := m.Set(ctx, "work", "x"); err != nil {
		t.Fatal(err)
	}
}

func TestMemoryIsSafeForConcurrentUse(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acct := string(rune('a' + i))
			for range 100 {
				if err := m.Set(ctx, acct, "v"); err != nil {
					t.Error(err)
					return
				}
				if _, err := m.Get(ctx, acct); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
