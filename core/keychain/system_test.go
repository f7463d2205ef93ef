package keychain

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// blockingBackend stands in for go-keyring stuck at an unlock prompt: every
// call waits until release is closed.
type blockingBackend struct {
	release chan struct{}
	mu      sync.Mutex
	calls   int
}

func (b *blockingBackend) wait() error {
	b.mu.Lock()
	b.calls++
	b.mu.Unlock()
	<-b.release
	return nil
}
func (b *blockingBackend) Get(string, string) (string, error) { return "late", b.wait() }
func (b *blockingBackend) Set(string, string, string) error   { return b.wait() }
func (b *blockingBackend) Delete(string, string) error        { return b.wait() }

func newBlockedSystem(t *testing.T, timeout time.Duration) (*System, *blockingBackend) {
	b := &blockingBackend{release: make(chan struct{})}
	s := NewSystem()
	s.backend, s.busCheck, s.Timeout = b, nil, timeout
	t.Cleanup(func() {
		close(b.release)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Wait(ctx); err != nil {
			t.Errorf("calls still in flight after release: %v", err)
		}
	})
	return s, b
}

func TestSystemCallGivesUpAfterTimeoutWithWordsAboutUnlocking(t *testing.T) {
	s, _ := newBlockedSystem(t, 50*time.Millisecond)
	_, err := s.Get(context.Background(), "work")
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Get = %v, want ErrTimeout", err)
	}
	if !strings.Contains(err.Error(), "unlock") {
		t.Errorf("message %q should tell the user to unlock the keyring", err)
	}
}

func TestSystemStuckCallBlocksLaterCallsInsteadOfPilingUpGoroutines(t *testing.T) {
	s, b := newBlockedSystem(t, 50*time.Millisecond)
	ctx := context.Background()
	if err := s.Set(ctx, "work", "x"); !errors.Is(err, ErrTimeout) {
		t.Fatalf("first call: %v", err)
	}
	for range 3 {
		err := s.Set(ctx, "work", "x")
		if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "earlier request") {
			t.Fatalf("queued call: %v, want a timeout naming the earlier request", err)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.calls != 1 {
		t.Errorf("backend reached %d times while the first call was stuck, want 1", b.calls)
	}
}

func TestSystemCallerCancellationIsNotReportedAsTimeout(t *testing.T) {
	s, _ := newBlockedSystem(t, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	err := s.Delete(ctx, "work")
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("Delete = %v, want context.Canceled", err)
	}
}

func TestSystemRejectsEmptySecretBeforeReachingTheBackend(t *testing.T) {
	s, b := newBlockedSystem(t, time.Minute)
	if err := s.Set(context.Background(), "work", ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Set empty = %v", err)
	}
	if b.calls != 0 {
		t.Error("the backend was called with an empty secret")
	}
}
