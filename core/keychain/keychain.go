// Package keychain keeps Cloudinary API secrets in the operating system's
// credential store (Secret Service on Linux, Keychain on macOS, Credential
// Manager on Windows) under the service name "cloudup", one item per profile.
//
// It owns the only path by which a secret is stored or read, bounds every call
// with a timeout (a locked keyring may sit at an unlock prompt for ever), and
// turns the backends' failures into typed errors that say what to do. It must
// not fall back to a plaintext file, log a secret, or put one in an error. The
// in-memory implementation next to the interface serves tests and a "this
// session only" choice the GUI can offer when no keychain is available.
package keychain

import (
	"context"
	"errors"
	"fmt"
)

// Service is the service name every Cloudup item is stored under.
const Service = "cloudup"

// Keychain stores one secret per account (Cloudup uses the profile name).
// Implementations are safe for concurrent use. Get and Delete return an error
// matching ErrNotFound when there is nothing stored for the account.
type Keychain interface {
	Get(ctx context.Context, account string) (Secret, error)
	Set(ctx context.Context, account string, secret Secret) error
	Delete(ctx context.Context, account string) error
}

// Sentinels for errors.Is. Everything that means "the keychain cannot be used
// right now" also matches ErrUnavailable, so a caller that only wants to offer
// a fallback (such as "keep it for this session only") tests for that one.
var (
	// ErrNotFound: nothing is stored for the account.
	ErrNotFound = errors.New("no secret stored")
	// ErrUnavailable: the keychain cannot be reached or used.
	ErrUnavailable = errors.New("keychain unavailable")
	// ErrNoSessionBus: Linux/BSD without a D-Bus session bus to reach the
	// Secret Service through.
	ErrNoSessionBus = fmt.Errorf("%w: no D-Bus session bus", ErrUnavailable)
	// ErrNoProvider: a session bus, but nothing on it provides the Secret
	// Service (no gnome-keyring, KeePassXC, KWallet…).
	ErrNoProvider = fmt.Errorf("%w: no Secret Service provider", ErrUnavailable)
	// ErrLocked: the keyring is locked and could not be unlocked (no prompt
	// could be shown, or it was dismissed).
	ErrLocked = fmt.Errorf("%w: keyring locked", ErrUnavailable)
	// ErrNoKeyring: the Secret Service has no login or default keyring.
	ErrNoKeyring = fmt.Errorf("%w: no default keyring", ErrUnavailable)
	// ErrTimeout: the keychain did not answer in time, usually because it is
	// waiting for the user at an unlock prompt.
	ErrTimeout = fmt.Errorf("%w: no answer in time", ErrUnavailable)
	// ErrTooBig: the platform refused a secret of this size.
	ErrTooBig = errors.New("secret too large for the keychain")
	// ErrInvalid: an empty account or secret was passed in.
	ErrInvalid = errors.New("invalid keychain request")
)

// Error is a failed keychain call, in words: what was attempted, what went
// wrong and what the user can do. It never contains the secret.
type Error struct {
	Backend string // "system keychain" or "session memory"
	Op      string // "read", "save" or "delete"
	Account string
	Kind    error  // one of the sentinels above
	Reason  string // what happened
	Fix     string // what to do next; may be empty
	Err     error  // the backend's own error, if any
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s: cannot %s the secret for %q: %s", e.Backend, e.Op, e.Account, e.Reason)
	if e.Fix != "" {
		msg += "; " + e.Fix
	}
	return msg
}

// Unwrap exposes both the kind (for errors.Is) and the backend's error (for
// errors.As by people debugging a new failure mode).
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

func notFound(backend, op, account string) *Error {
	return &Error{
		Backend: backend, Op: op, Account: account, Kind: ErrNotFound,
		Reason: "nothing is stored for it",
	}
}

func invalid(backend, op, account, reason string) *Error {
	return &Error{Backend: backend, Op: op, Account: account, Kind: ErrInvalid, Reason: reason}
}

// checkArgs rejects requests no backend should see.
func checkArgs(backend, op, account string, secret *Secret) error {
	if account == "" {
		return invalid(backend, op, account, "the account name is empty")
	}
	if secret != nil && secret.IsZero() {
		return invalid(backend, op, account, "the secret is empty")
	}
	return nil
}
