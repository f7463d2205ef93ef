package keychain

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
	"golang.org/x/sync/semaphore"
)

const systemBackend = "system keychain"

// DefaultTimeout bounds each system keychain call. It is long because a
// locked keyring may be showing an unlock prompt the user has to type into
// (GitHub's CLI learned that 3 s is too short for that: cli/cli#11005).
const DefaultTimeout = 30 * time.Second

// backend is the part of go-keyring System uses; tests substitute it to
// reach failure modes a healthy machine never shows.
type backend interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

type goKeyring struct{}

func (goKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (goKeyring) Set(service, user, pw string) error       { return keyring.Set(service, user, pw) }
func (goKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

// System is the operating system's keychain, reached through go-keyring.
//
// go-keyring has no timeouts and no cancellation: on Linux, a locked keyring
// with a display makes it wait for the unlock prompt's answer for ever
// (secret_service.handlePrompt). So each call runs in its own goroutine and
// the caller stops waiting after Timeout. Calls are serialised by a
// one-slot semaphore that the goroutine holds until go-keyring returns, so a
// prompt nobody answers ties up at most one goroutine, and later calls time
// out waiting for the slot instead of piling up behind it.
type System struct {
	// Timeout bounds each call; zero means DefaultTimeout. Set it before use.
	Timeout time.Duration

	backend  backend
	busCheck func() *Error // nil means no check needed on this OS
	slot     *semaphore.Weighted
	inflight sync.WaitGroup
}

// NewSystem returns the OS keychain with the default timeout.
func NewSystem() *System {
	return &System{backend: goKeyring{}, busCheck: sessionBusCheck, slot: semaphore.NewWeighted(1)}
}

func (s *System) String() string { return systemBackend }

func (s *System) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

// Get returns the secret stored for account.
func (s *System) Get(ctx context.Context, account string) (Secret, error) {
	if err := checkArgs(systemBackend, "read", account, nil); err != nil {
		return "", err
	}
	var got string
	err := s.call(ctx, "read", account, func() error {
		var err error
		got, err = s.backend.Get(Service, account)
		return err
	})
	if err != nil {
		return "", err
	}
	return Secret(got), nil
}

// Set stores secret for account, replacing what was there.
func (s *System) Set(ctx context.Context, account string, secret Secret) error {
	if err := checkArgs(systemBackend, "save", account, &secret); err != nil {
		return err
	}
	return s.call(ctx, "save", account, func() error {
		return s.backend.Set(Service, account, secret.Reveal())
	})
}

// Delete removes the secret for account.
func (s *System) Delete(ctx context.Context, account string) error {
	if err := checkArgs(systemBackend, "delete", account, nil); err != nil {
		return err
	}
	return s.call(ctx, "delete", account, func() error {
		return s.backend.Delete(Service, account)
	})
}

// Check reports whether the keychain can be used now: nil when it answers
// (whether or not anything is stored), else the classified error.
func (s *System) Check(ctx context.Context) error {
	_, err := s.Get(ctx, "cloudup-availability-check")
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// Wait blocks until no call is in flight or ctx ends. A process that wants
// to exit cleanly after a timeout calls it with a short deadline.
func (s *System) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *System) call(ctx context.Context, op, account string, fn func() error) error {
	if s.busCheck != nil {
		// Checked before go-keyring runs: without a bus address godbus would
		// exec dbus-launch, whose dbus-daemon outlives us (godbus/dbus#268).
		if e := s.busCheck(); e != nil {
			e.Op, e.Account = op, account
			return e
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %s for %q canceled: %w", systemBackend, op, account, err)
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()

	if err := s.slot.Acquire(ctx, 1); err != nil {
		return s.stopped(parent, op, account, true)
	}
	done := make(chan error, 1)
	s.inflight.Add(1)
	go func() {
		defer s.inflight.Done()
		defer s.slot.Release(1)
		done <- fn()
	}()
	select {
	case err := <-done:
		return classify(op, account, err)
	case <-ctx.Done():
		return s.stopped(parent, op, account, false)
	}
}

// stopped explains why a call gave up waiting: the caller canceled, or the
// keychain (or an earlier request still at a prompt) did not answer in time.
func (s *System) stopped(parent context.Context, op, account string, queued bool) error {
	if errors.Is(parent.Err(), context.Canceled) {
		return fmt.Errorf("%s: %s for %q canceled: %w", systemBackend, op, account, parent.Err())
	}
	reason := fmt.Sprintf("it did not answer within %s, probably because it is waiting for you to unlock it", s.timeout())
	if queued {
		reason = fmt.Sprintf("an earlier request has been waiting for it to answer for over %s, probably at an unlock prompt", s.timeout())
	}
	return &Error{
		Backend: systemBackend, Op: op, Account: account, Kind: ErrTimeout, Reason: reason,
		Fix: "unlock your keyring (answer the password prompt, or open your keyring manager) and try again",
	}
}

// classify turns go-keyring's errors into typed ones. Apart from ErrNotFound
// and ErrSetDataTooBig, go-keyring returns untyped errors from godbus and its
// own fmt.Errorf texts (zalando/go-keyring#116), so the platform files match
// those by type or text; this is the one place that does it.
func classify(op, account string, err error) error {
	if err == nil {
		return nil
	}
	e := &Error{Backend: systemBackend, Op: op, Account: account, Err: err}
	var execErr *exec.Error
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		e.Kind, e.Reason = ErrNotFound, "nothing is stored for it"
	case errors.Is(err, keyring.ErrSetDataTooBig):
		e.Kind, e.Reason = ErrTooBig, "the secret is larger than this platform's keychain accepts"
		e.Fix = "check that you pasted only the API secret"
	case errors.Is(err, keyring.ErrUnsupportedPlatform):
		e.Kind, e.Reason = ErrUnavailable, "this operating system has no keychain Cloudup can use"
		e.Fix = "set CLOUDINARY_URL in the environment instead"
	case errors.As(err, &execErr):
		// godbus looked for dbus-launch because no bus address was known.
		e.Kind, e.Reason = ErrNoSessionBus, "there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
		e.Fix = fixNoBus
	default:
		if !classifyPlatform(e, err) {
			e.Kind, e.Reason = ErrUnavailable, "it failed: "+err.Error()
			e.Fix = "check that your keyring service is running and unlocked"
		}
	}
	return e
}

const fixNoBus = "start Cloudup from your desktop session, or run it under dbus-run-session with gnome-keyring-daemon running; or set CLOUDINARY_URL instead"
