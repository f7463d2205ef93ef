package keychain_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/keychain/keychaintest"
)

// These run against the Secret Service on the session bus (`make test`
// starts a throwaway gnome-keyring for them).

func TestSystemKeychainRoundTripsThroughTheSecretService(t *testing.T) {
	k := keychaintest.System(t)
	ctx := context.Background()
	acct := keychaintest.Account(t, k)
	secret := keychain.Secret("kc-" + keychaintest.RandomHex(12))

	if _, err := k.Get(ctx, acct); !errors.Is(err, keychain.ErrNotFound) {
		t.Fatalf("Get before Set = %v, want ErrNotFound", err)
	}
	if err := k.Set(ctx, acct, secret); err != nil {
		t.Fatal(err)
	}
	got, err := k.Get(ctx, acct)
	if err != nil || got != secret {
		t.Fatalf("Get = %v (equal: %v), %v", got, got == secret, err)
	}

	// Another Secret Service client sees the same item under service
	// "cloudup": the secret really is in the keyring, not somewhere of ours.
	if path, err := exec.LookPath("secret-tool"); err == nil {
		out, err := exec.Command(path, "lookup", "service", keychain.Service, "username", acct).Output()
		if err != nil {
			t.Fatalf("secret-tool lookup: %v", err)
		}
		if string(out) != secret.Reveal() {
			t.Errorf("secret-tool sees a different value under service %q", keychain.Service)
		}
	}
	// The keyring file gnome-keyring writes is encrypted: the secret is not
	// in it as text.
	if data := os.Getenv("XDG_DATA_HOME"); data != "" {
		assertNotInFiles(t, filepath.Join(data, "keyrings"), secret.Reveal())
	}

	replacement := keychain.Secret("line one\nlïne twö " + keychaintest.RandomHex(4))
	if err := k.Set(ctx, acct, replacement); err != nil {
		t.Fatal(err)
	}
	if got, _ := k.Get(ctx, acct); got != replacement {
		t.Error("Set did not replace the previous secret")
	}
	if err := k.Delete(ctx, acct); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Get(ctx, acct); !errors.Is(err, keychain.ErrNotFound) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}
	if err := k.Delete(ctx, acct); !errors.Is(err, keychain.ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
}

func TestSystemKeychainCheckSucceedsWhenTheServiceAnswers(t *testing.T) {
	k := keychaintest.System(t)
	if err := k.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func assertNotInFiles(t *testing.T, dir, needle string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(data), needle) {
			t.Errorf("%s contains the secret in plain text", path)
		}
		return nil
	})
}
