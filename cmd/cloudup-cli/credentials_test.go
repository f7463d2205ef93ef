package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/keychain/keychaintest"
	"github.com/cloudup/cloudup/core/signing"
)

func readProfiles(t *testing.T, h *cliHarness) map[string]account.Profile {
	t.Helper()
	list, err := account.NewStore(h.config).List()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]account.Profile{}
	for _, p := range list {
		out[p.Name] = p
	}
	return out
}

func TestLoginPutsTheSecretInTheKeychainAndTheRestInTheProfile(t *testing.T) {
	kc := keychaintest.System(t)
	h := newHarness(t)
	name := keychaintest.Account(t, kc)

	r := h.ok(h.secret+"\n", "login", "--profile", name, "--cloud", "demo", "--key", "123456789012345",
		"--secret-stdin", "--algorithm", "sha256", "--folder", "blog/2026", "--tags", "a, b")
	if !strings.Contains(r.stdout, "Secret stored in the system keychain") {
		t.Errorf("login output does not say where the secret went:\n%s", r.stdout)
	}
	got, err := kc.Get(context.Background(), name)
	if err != nil || got.Reveal() != h.secret {
		t.Fatalf("keychain holds the wrong secret (err %v)", err)
	}
	p := readProfiles(t, h)[name]
	if p.Cloud != "demo" || p.APIKey != "123456789012345" || p.Algorithm != signing.SHA256 ||
		p.Folder != "blog/2026" || strings.Join(p.Tags, ",") != "a,b" || p.Mode != account.Signed {
		t.Errorf("profile = %+v", p)
	}
	if files := h.configFiles(); len(files) != 1 || filepath.Base(files[0]) != account.FileName {
		t.Errorf("config dir holds %v", files)
	}

	st := h.ok("", "status")
	if !strings.Contains(st.stdout, "in the system keychain") || !strings.Contains(st.stdout, "(default)") {
		t.Errorf("status:\n%s", st.stdout)
	}
	var js statusReport
	if err := json.Unmarshal([]byte(h.ok("", "status", "--json").stdout), &js); err != nil || js.Secret != "keychain" || !js.Default {
		t.Errorf("status --json = %+v, %v", js, err)
	}
}

func TestSignPrintsASignatureCloudinaryWouldAccept(t *testing.T) {
	kc := keychaintest.System(t)
	h := newHarness(t)
	name := keychaintest.Account(t, kc)
	h.ok(h.secret, "login", "--profile", name, "--cloud", "demo", "--key", "k1", "--secret-stdin")

	before := time.Now().Unix()
	r := h.ok("", "sign", "folder=blog", "public_id=a&b", "tags=x", "tags=y")
	var got signResult
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("sign output is not JSON: %v\n%s", err, r.stdout)
	}
	ts, _ := strconv.ParseInt(got.Timestamp, 10, 64)
	if ts < before || ts > time.Now().Unix() {
		t.Errorf("timestamp %s is not now", got.Timestamp)
	}
	if got.APIKey != "k1" || got.CloudName != "demo" || got.Algorithm != "sha1" {
		t.Errorf("result = %+v", got)
	}
	params := url.Values{"folder": {"blog"}, "public_id": {"a&b"}, "tags": {"x,y"}, "timestamp": {got.Timestamp}}
	if err := signing.Verify(params, got.Signature, h.secret); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if got.StringToSign != "folder=blog&public_id=a%26b&tags=x,y&timestamp="+got.Timestamp {
		t.Errorf("string_to_sign = %q", got.StringToSign)
	}

	// A timestamp given is kept, and an old one draws a warning.
	r = h.ok("", "sign", "timestamp=1315060510", "public_id=sample_image")
	json.Unmarshal([]byte(r.stdout), &got)
	if got.Timestamp != "1315060510" || !strings.Contains(r.stderr, "stale") {
		t.Errorf("given timestamp: %+v, stderr %q", got, r.stderr)
	}
}

func TestUnsignedLoginStoresNoSecret(t *testing.T) {
	h := newHarness(t)
	r := h.ok("", "login", "--profile", "open", "--cloud", "demo", "--unsigned", "--preset", "ml_default")
	if !strings.Contains(r.stdout, "No secret stored") || !strings.Contains(r.stdout, "anyone who knows") {
		t.Errorf("login output:\n%s", r.stdout)
	}
	p := readProfiles(t, h)["open"]
	if p.Mode != account.Unsigned || p.Preset != "ml_default" {
		t.Errorf("profile = %+v", p)
	}
	st := h.ok("", "status", "--profile", "open")
	if !strings.Contains(st.stdout, "not needed") {
		t.Errorf("status:\n%s", st.stdout)
	}
	if r := h.run("", []string{"sign", "--profile", "open", "a=b"}); r.code != 2 || !strings.Contains(r.stderr, "nothing to sign") {
		t.Errorf("sign with an unsigned profile: %+v", r)
	}
}

func TestLoginFromEnvImportsCloudinaryURLIntoKeychainAndProfile(t *testing.T) {
	kc := keychaintest.System(t)
	h := newHarness(t)
	name := keychaintest.Account(t, kc)
	envURL := "CLOUDINARY_URL=cloudinary://4242:" + h.secret + "@envcloud?upload_prefix=http://127.0.0.1:8787&signature_algorithm=sha256"

	r := h.run("", []string{"login", "--from-env", "--profile", name, "--tags", "imported"}, envURL)
	if r.code != 0 {
		t.Fatalf("login --from-env: %+v", r)
	}
	p := readProfiles(t, h)[name]
	if p.Cloud != "envcloud" || p.APIKey != "4242" || p.APIBase != "http://127.0.0.1:8787" || p.Algorithm != signing.SHA256 || p.Tags[0] != "imported" {
		t.Errorf("profile = %+v", p)
	}
	if got, err := kc.Get(context.Background(), name); err != nil || got.Reveal() != h.secret {
		t.Errorf("keychain: %v", err)
	}
	// Without CLOUDINARY_URL the imported profile is the default, and its
	// secret comes from the keychain.
	st := h.ok("", "status")
	if !strings.Contains(st.stdout, name) || !strings.Contains(st.stdout, "in the system keychain") {
		t.Errorf("status:\n%s", st.stdout)
	}
}

func TestCloudinaryURLWinsWithoutProfileAndIsNeverStored(t *testing.T) {
	h := newHarness(t)
	h.ok("", "login", "--profile", "open", "--cloud", "demo", "--unsigned", "--preset", "p")
	envURL := "CLOUDINARY_URL=cloudinary://77:" + h.secret + "@fromenv"

	r := h.run("", []string{"status"}, envURL)
	if r.code != 0 || !strings.Contains(r.stdout, "fromenv") || !strings.Contains(r.stdout, "from the CLOUDINARY_URL environment variable") {
		t.Errorf("status with CLOUDINARY_URL: %+v", r)
	}
	r = h.run("", []string{"status", "--profile", "open"}, envURL)
	if !strings.Contains(r.stdout, "Cloud:    demo") {
		t.Errorf("--profile should beat CLOUDINARY_URL:\n%s", r.stdout)
	}
	r = h.run("", []string{"sign", "public_id=x"}, envURL)
	var got signResult
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.CloudName != "fromenv" || got.APIKey != "77" {
		t.Fatalf("sign with CLOUDINARY_URL: %+v, %v", r, err)
	}
	if err := signing.Verify(url.Values{"public_id": {"x"}, "timestamp": {got.Timestamp}}, got.Signature, h.secret); err != nil {
		t.Error(err)
	}
	if r := h.run("", []string{"profiles"}, envURL); !strings.Contains(r.stdout, "CLOUDINARY_URL is set") {
		t.Errorf("profiles does not mention CLOUDINARY_URL:\n%s", r.stdout)
	}
}

func TestLogoutRemovesTheSecretAndStatusThenSaysMissing(t *testing.T) {
	kc := keychaintest.System(t)
	h := newHarness(t)
	name := keychaintest.Account(t, kc)
	h.ok(h.secret, "login", "--profile", name, "--cloud", "demo", "--key", "k", "--secret-stdin")

	if r := h.ok("", "logout", "--profile", name); !strings.Contains(r.stdout, "removed from the system keychain") {
		t.Errorf("logout: %s", r.stdout)
	}
	if _, err := kc.Get(context.Background(), name); !errors.Is(err, keychain.ErrNotFound) {
		t.Errorf("the secret is still in the keychain: %v", err)
	}
	st := h.run("", []string{"status", "--profile", name})
	if st.code != 1 || !strings.Contains(st.stdout, "Secret:   missing") || !strings.Contains(st.stderr, "--secret-stdin") {
		t.Errorf("status after logout: %+v", st)
	}
	if r := h.run("", []string{"sign", "--profile", name, "a=b"}); r.code != 2 || !strings.Contains(r.stderr, "no API secret") {
		t.Errorf("sign without a secret: %+v", r)
	}
	if r := h.ok("", "logout", "--profile", name); !strings.Contains(r.stdout, "No secret was stored") {
		t.Errorf("second logout: %s", r.stdout)
	}
	h.ok("", "logout", "--profile", name, "--delete")
	if _, ok := readProfiles(t, h)[name]; ok {
		t.Error("logout --delete left the profile")
	}
}

func TestLoginAgainRotatesTheSecretAndKeepsTheDefaults(t *testing.T) {
	kc := keychaintest.System(t)
	h := newHarness(t)
	name := keychaintest.Account(t, kc)
	h.ok("old-"+h.secret, "login", "--profile", name, "--cloud", "demo", "--key", "k", "--secret-stdin", "--folder", "keep/me", "--tags", "t1")
	h.ok(h.secret, "login", "--profile", name, "--cloud", "demo", "--key", "k", "--secret-stdin")
	if got, _ := kc.Get(context.Background(), name); got.Reveal() != h.secret {
		t.Error("the secret was not replaced")
	}
	p := readProfiles(t, h)[name]
	if p.Folder != "keep/me" || len(p.Tags) != 1 {
		t.Errorf("defaults lost: %+v", p)
	}
	// Switching the profile to unsigned takes its secret out of the keychain.
	h.ok("", "login", "--profile", name, "--cloud", "demo", "--unsigned", "--preset", "p")
	if _, err := kc.Get(context.Background(), name); !errors.Is(err, keychain.ErrNotFound) {
		t.Errorf("unsigned profile kept a secret: %v", err)
	}
}

func TestProfilesMarksTheDefaultAndAlwaysListsTheSandbox(t *testing.T) {
	h := newHarness(t)
	if r := h.ok("", "profiles"); !strings.Contains(r.stdout, "*  Sandbox") {
		t.Errorf("with nothing configured the Sandbox is the default:\n%s", r.stdout)
	}
	h.ok("", "login", "--profile", "first", "--cloud", "c1", "--unsigned", "--preset", "p")
	h.ok("", "login", "--profile", "second", "--cloud", "c2", "--unsigned", "--preset", "p")
	if r := h.ok("", "profiles"); !strings.Contains(r.stdout, "*  first") || !strings.Contains(r.stdout, "Sandbox") {
		t.Errorf("profiles:\n%s", r.stdout)
	}
	r := h.ok("", "profiles", "--default", "second", "--json")
	defaults := 0
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var p struct {
			Name    string `json:"name"`
			Default bool   `json:"default"`
		}
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if p.Default {
			defaults++
			if p.Name != "second" {
				t.Errorf("default is %q, want second", p.Name)
			}
		}
	}
	if defaults != 1 {
		t.Errorf("%d profiles marked default", defaults)
	}
}

// Bad input: one clear line on stderr, exit code 2, nothing written, and
// the secret (when there is one in the input) never repeated.
func TestBadInputExitsTwoWithOneLineAndWritesNothing(t *testing.T) {
	h := newHarness(t)
	s := h.secret
	missingFile := filepath.Join(t.TempDir(), "nope.jpg")
	tests := []struct {
		name  string
		stdin string
		args  []string
		env   string
		words string
	}{
		{"malformed CLOUDINARY_URL (status)", "", []string{"status"}, "CLOUDINARY_URL=cloudinary://k:" + s, "malformed CLOUDINARY_URL"},
		{"malformed CLOUDINARY_URL (sign)", "", []string{"sign", "a=b"}, "CLOUDINARY_URL=https://k:" + s + "@c", "cloudinary://"},
		{"malformed CLOUDINARY_URL (import)", "", []string{"login", "--from-env"}, "CLOUDINARY_URL=cloudinary://:" + s + "@c", "API key is empty"},
		{"bad upload_prefix", "", []string{"sign", "a=b"}, "CLOUDINARY_URL=cloudinary://k:" + s + "@c?upload_prefix=ftp://x", "upload_prefix"},
		{"import without CLOUDINARY_URL", "", []string{"login", "--from-env"}, "", "not set"},
		{"empty secret", "", []string{"login", "--profile", "p", "--cloud", "c", "--key", "k", "--secret-stdin"}, "", "empty"},
		{"blank secret", " \n\t\n", []string{"login", "--profile", "p", "--cloud", "c", "--key", "k", "--secret-stdin"}, "", "empty"},
		{"two-line secret", s + "\nmore", []string{"login", "--profile", "p", "--cloud", "c", "--key", "k", "--secret-stdin"}, "", "line breaks"},
		{"quoted secret", `"` + s + `"`, []string{"login", "--profile", "p", "--cloud", "c", "--key", "k", "--secret-stdin"}, "", "quotes"},
		{"URL as secret", "cloudinary://k:" + s + "@c", []string{"login", "--profile", "p", "--cloud", "c", "--key", "k", "--secret-stdin"}, "", "--from-env"},
		{"key as secret", "k123", []string{"login", "--profile", "p", "--cloud", "c", "--key", "k123", "--secret-stdin"}, "", "not the key"},
		{"secret as argument", "", []string{"login", "--profile", "p", "--cloud", "c", "--key", "k", s}, "", "never an argument"},
		{"--secret flag", "", []string{"login", "--profile", "p", "--cloud", "c", "--key", "k", "--secret=" + s}, "", "-secret"},
		{"unknown algorithm", s, []string{"login", "--profile", "p", "--cloud", "c", "--key", "k", "--secret-stdin", "--algorithm", "md5"}, "", "sha1 or sha256"},
		{"missing --cloud", s, []string{"login", "--profile", "p", "--key", "k", "--secret-stdin"}, "", "--cloud"},
		{"missing --key", s, []string{"login", "--profile", "p", "--cloud", "c", "--secret-stdin"}, "", "--key"},
		{"missing --profile", s, []string{"login", "--cloud", "c", "--key", "k", "--secret-stdin"}, "", "--profile"},
		{"no secret at all", "", []string{"login", "--profile", "p", "--cloud", "c", "--key", "k"}, "", "--secret-stdin"},
		{"unsigned without preset", "", []string{"login", "--profile", "p", "--cloud", "c", "--unsigned"}, "", "--preset"},
		{"unsigned with a secret", s, []string{"login", "--profile", "p", "--cloud", "c", "--unsigned", "--preset", "x", "--secret-stdin"}, "", "no secret"},
		{"bad cloud name", s, []string{"login", "--profile", "p", "--cloud", "my cloud", "--key", "k", "--secret-stdin"}, "", "cloud name"},
		{"bad api base", s, []string{"login", "--profile", "p", "--cloud", "c", "--key", "k", "--secret-stdin", "--api-base", "ftp://x"}, "", "https://"},
		{"reserved name", s, []string{"login", "--profile", "sandbox", "--cloud", "c", "--key", "k", "--secret-stdin"}, "", "reserved"},
		{"unknown profile (status)", "", []string{"status", "--profile", "nobody"}, "", `no profile named "nobody"`},
		{"unknown profile (sign)", "", []string{"sign", "--profile", "nobody", "a=b"}, "", `no profile named "nobody"`},
		{"unknown profile (logout)", "", []string{"logout", "--profile", "nobody"}, "", `no profile named "nobody"`},
		{"unknown default", "", []string{"profiles", "--default", "nobody"}, "", `no profile named "nobody"`},
		{"logout without profile", "", []string{"logout"}, "", "--profile"},
		{"sign bad parameter", "", []string{"sign", "novalue"}, "CLOUDINARY_URL=cloudinary://k:" + s + "@c", "key=value"},
		{"sign api_key", "", []string{"sign", "api_key=1"}, "CLOUDINARY_URL=cloudinary://k:" + s + "@c", "added by sign"},
		{"sign bad timestamp", "", []string{"sign", "timestamp=soon"}, "CLOUDINARY_URL=cloudinary://k:" + s + "@c", "Unix seconds"},
		{"sign --curl missing file", "", []string{"sign", "--curl", missingFile}, "CLOUDINARY_URL=cloudinary://k:" + s + "@c", "cannot read"},
		{"sign with the sandbox", "", []string{"sign", "a=b"}, "", "sandbox"},
		{"unknown command", "", []string{"logn"}, "", "unknown command"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var env []string
			if tc.env != "" {
				env = append(env, tc.env)
			}
			r := h.run(tc.stdin, tc.args, env...)
			if r.code != 2 {
				t.Errorf("exit code %d, want 2 (stderr %q)", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			if len(lines) != 1 || lines[0] == "" {
				t.Errorf("stderr is not one line: %q", r.stderr)
			}
			if !strings.Contains(r.stderr, tc.words) {
				t.Errorf("stderr %q does not say %q", r.stderr, tc.words)
			}
			if r.stdout != "" {
				t.Errorf("stdout is not empty: %q", r.stdout)
			}
			if files := h.configFiles(); len(files) != 0 {
				t.Errorf("files were written: %v", files)
			}
		})
	}
}

func TestUnusableKeychainIsAClearConfigurationError(t *testing.T) {
	h := newHarness(t)
	noBus := "DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(t.TempDir(), "no-bus")
	r := h.run(h.secret, []string{"login", "--profile", "p", "--cloud", "c", "--key", "k", "--secret-stdin"}, noBus)
	if r.code != 2 || !strings.Contains(r.stderr, "D-Bus session bus") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("login without a reachable keychain: %+v", r)
	}
	if files := h.configFiles(); len(files) != 0 {
		t.Errorf("a profile was saved without its secret: %v", files)
	}
}

func TestStatusNeverPrintsTheSecret(t *testing.T) {
	h := newHarness(t)
	for _, args := range [][]string{{"status"}, {"status", "--json"}, {"profiles"}, {"profiles", "--json"}} {
		r := h.run("", args, "CLOUDINARY_URL=cloudinary://k:"+h.secret+"@c")
		if r.code != 0 {
			t.Errorf("%v: %+v", args, r)
		}
	}
	// assertSecretNowhere checks the outputs when the test ends.
}
