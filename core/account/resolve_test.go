package account

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/signing"
)

func newResolver(t *testing.T, env map[string]string) (*Resolver, *keychain.Memory) {
	t.Helper()
	kc := keychain.NewMemory()
	r := &Resolver{Store: NewStore(t.TempDir()), Keychain: kc, Getenv: func(k string) string { return env[k] }}
	return r, kc
}

func TestResolveFollowsTheCLIContract(t *testing.T) {
	ctx := context.Background()
	envURL := "cloudinary://envkey:" + urlSecret + "@envcloud?upload_prefix=http://127.0.0.1:9&signature_algorithm=sha256"
	tests := []struct {
		name       string
		env        string
		profile    string
		setup      func(*testing.T, *Resolver, *keychain.Memory)
		wantName   string
		wantSource Source
		wantSecret string
	}{
		{"nothing configured: sandbox", "", "", nil, SandboxName, SourceSandbox, ""},
		{"env wins without --profile", envURL, "", storeWork, EnvProfileName, SourceEnv, urlSecret},
		{"--profile beats env", envURL, "work", storeWork, "work", SourceKeychain, "work-secret"},
		{"default profile from keychain", "", "", storeWork, "work", SourceKeychain, "work-secret"},
		{"secret missing", "", "", func(t *testing.T, r *Resolver, _ *keychain.Memory) {
			mustPut(t, r, Profile{Name: "bare", Cloud: "c", APIKey: "k"})
		}, "bare", SourceMissing, ""},
		{"unsigned needs none", "", "open", func(t *testing.T, r *Resolver, _ *keychain.Memory) {
			mustPut(t, r, Profile{Name: "open", Cloud: "c", Mode: Unsigned, Preset: "p"})
		}, "open", SourceNotNeeded, ""},
		{"--profile Sandbox", envURL, "Sandbox", storeWork, SandboxName, SourceSandbox, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, kc := newResolver(t, map[string]string{EnvVar: tc.env})
			if tc.setup != nil {
				tc.setup(t, r, kc)
			}
			c, err := r.Resolve(ctx, tc.profile)
			if err != nil {
				t.Fatal(err)
			}
			if c.Profile.Name != tc.wantName || c.Source != tc.wantSource || c.Secret.Reveal() != tc.wantSecret {
				t.Errorf("got %s/%s/secret-match=%v, want %s/%s", c.Profile.Name, c.Source, c.Secret.Reveal() == tc.wantSecret, tc.wantName, tc.wantSource)
			}
		})
	}
}

func storeWork(t *testing.T, r *Resolver, kc *keychain.Memory) {
	mustPut(t, r, Profile{Name: "work", Cloud: "demo", APIKey: "111"})
	if err := kc.Set(context.Background(), "work", "work-secret"); err != nil {
		t.Fatal(err)
	}
}

func mustPut(t *testing.T, r *Resolver, p Profile) {
	t.Helper()
	if err := r.Store.(*Store).Put(p); err != nil {
		t.Fatal(err)
	}
}

func TestResolveFromEnvCarriesPrefixAndAlgorithm(t *testing.T) {
	r, _ := newResolver(t, map[string]string{EnvVar: "cloudinary://k:" + urlSecret + "@c?upload_prefix=http://127.0.0.1:9&signature_algorithm=sha256"})
	c, err := r.Resolve(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Profile.APIBase != "http://127.0.0.1:9" || c.Profile.Algorithm != signing.SHA256 || c.Profile.Cloud != "c" {
		t.Errorf("profile = %+v", c.Profile)
	}
	if !strings.Contains(c.Where(), "CLOUDINARY_URL") {
		t.Errorf("Where() = %q", c.Where())
	}
}

func TestResolveReportsBadInput(t *testing.T) {
	r, _ := newResolver(t, map[string]string{EnvVar: "cloudinary://k:" + urlSecret})
	if _, err := r.Resolve(context.Background(), ""); !errors.Is(err, ErrMalformedURL) || strings.Contains(err.Error(), urlSecret) {
		t.Errorf("malformed env: %v", err)
	}
	if _, err := r.Resolve(context.Background(), "nobody"); !errors.Is(err, ErrProfileNotFound) {
		t.Errorf("unknown profile: %v", err)
	}
}

func TestResolveReturnsTheProfileAlongsideAKeychainFailure(t *testing.T) {
	r, kc := newResolver(t, nil)
	storeWork(t, r, kc)
	kc.FailWith(&keychain.Error{Backend: "system keychain", Op: "read", Account: "work", Kind: keychain.ErrLocked, Reason: "locked"})
	c, err := r.Resolve(context.Background(), "")
	if !errors.Is(err, keychain.ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	if c.Profile.Name != "work" || c.Source != SourceMissing {
		t.Errorf("credentials = %s/%s", c.Profile.Name, c.Source)
	}
}

func TestRequireSecretSaysHowToFixIt(t *testing.T) {
	c := Credentials{Profile: Profile{Name: "work", Mode: Signed}, Source: SourceMissing}
	err := c.RequireSecret()
	if !errors.Is(err, ErrNoSecret) || !strings.Contains(err.Error(), "login --profile work --secret-stdin") {
		t.Errorf("RequireSecret = %v", err)
	}
	sb := Credentials{Profile: SandboxProfile(), Source: SourceSandbox}
	if err := sb.RequireSecret(); !errors.Is(err, ErrNoSecret) || !strings.Contains(err.Error(), "sandbox") {
		t.Errorf("sandbox without a running sandbox: %v", err)
	}
	open := Credentials{Profile: Profile{Name: "o", Mode: Unsigned, Preset: "p"}, Source: SourceNotNeeded}
	if err := open.RequireSecret(); err != nil {
		t.Errorf("unsigned: %v", err)
	}
}

func TestSandboxCredentialsKeepTheProfilesDefaults(t *testing.T) {
	p := SandboxProfile()
	p.Folder, p.Tags = "tryout", []string{"demo"}
	c, err := SandboxCredentials(p, "CLOUDINARY_URL=cloudinary://sandbox-key:"+urlSecret+"@sandbox?upload_prefix=http://127.0.0.1:8787")
	if err != nil {
		t.Fatal(err)
	}
	if c.Profile.Cloud != "sandbox" || c.Profile.APIBase != "http://127.0.0.1:8787" || c.Profile.Folder != "tryout" ||
		c.Secret.Reveal() != urlSecret || c.Source != SourceSandbox || c.RequireSecret() != nil {
		t.Errorf("credentials = %+v", c)
	}
	if err := c.Profile.Validate(); err != nil {
		t.Error(err)
	}
}
