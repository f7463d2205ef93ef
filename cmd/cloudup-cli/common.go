package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/paths"
	"github.com/cloudup/cloudup/core/signing"
)

// Helpers every subcommand shares: where profiles live, where secrets live,
// which credentials a command runs with, and machine-readable output.

var systemKeychain = sync.OnceValue(func() keychain.Keychain { return keychain.NewSystem() })

// secrets is the keychain commands use: the system one unless a test gave
// env another.
func (e *env) secrets() keychain.Keychain {
	if e.keys != nil {
		return e.keys
	}
	return systemKeychain()
}

// profiles is the profile store: $CLOUDUP_CONFIG_DIR, else the user config
// dir.
func (e *env) profiles() (*account.Store, error) {
	if dir := e.getenv("CLOUDUP_CONFIG_DIR"); dir != "" {
		return account.NewStore(dir), nil
	}
	dir, err := paths.ConfigDir()
	if err != nil {
		return nil, &usageError{msg: err.Error(), err: err}
	}
	return account.NewStore(dir), nil
}

// resolve picks the credentials for --profile NAME (empty: CLOUDINARY_URL
// when set, else the default profile) without insisting on a secret. On a
// keychain failure it returns the credentials it has and the error.
func (e *env) resolve(ctx context.Context, profile string) (account.Credentials, error) {
	store, err := e.profiles()
	if err != nil {
		return account.Credentials{}, err
	}
	r := &account.Resolver{Store: store, Keychain: e.secrets(), Getenv: e.getenv}
	creds, err := r.Resolve(ctx, profile)
	return creds, asConfigError(err)
}

// credentials is what commands that talk to Cloudinary call: the resolved
// profile with a usable secret (or an unsigned profile), or an error that
// exits with code 2 and says how to fix the setup.
func (e *env) credentials(ctx context.Context, profile string) (account.Credentials, error) {
	creds, err := e.resolve(ctx, profile)
	if err != nil {
		return creds, err
	}
	if err := creds.RequireSecret(); err != nil {
		return creds, asConfigError(err)
	}
	return creds, nil
}

// asConfigError marks errors that mean "fix your setup or your command line"
// so the command exits with code 2: unknown profile, malformed
// CLOUDINARY_URL, damaged profiles file, invalid profile, no secret, no
// usable keychain.
func asConfigError(err error) error {
	if err == nil {
		return nil
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return err
	}
	for _, kind := range []error{
		account.ErrProfileNotFound, account.ErrMalformedURL, account.ErrCorrupt,
		account.ErrInvalidProfile, account.ErrNoSecret, account.ErrReserved,
		keychain.ErrUnavailable, keychain.ErrInvalid, keychain.ErrTooBig,
	} {
		if errors.Is(err, kind) {
			return &usageError{msg: err.Error(), err: err}
		}
	}
	return err
}

// printJSON writes v as one line of JSON, with '&' and '<' left readable.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// algorithmName is how an algorithm is written for people.
func algorithmName(a signing.Algorithm) string {
	if a == signing.SHA256 {
		return "SHA-256"
	}
	return "SHA-1"
}
