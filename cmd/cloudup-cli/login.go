package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/signing"
)

// maxSecretInput bounds what login reads from standard input: a Cloudinary
// secret is 27 characters, so anything near this is a wrong pipe.
const maxSecretInput = 4096

func runLogin(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "login")
	name := fs.String("profile", "", "profile `NAME` (with --from-env: defaults to the cloud name)")
	cloud := fs.String("cloud", "", "Cloudinary cloud `NAME`")
	key := fs.String("key", "", "API `KEY`")
	secretStdin := fs.Bool("secret-stdin", false, "read the API secret from standard input (it is never an argument)")
	apiBase := fs.String("api-base", "", "API base `URL` (default "+account.DefaultAPIBase+")")
	algorithm := fs.String("algorithm", "", "signature algorithm: sha1 or sha256, as set for the account (default sha1)")
	folder := fs.String("folder", "", "default upload `FOLDER`")
	tags := fs.String("tags", "", "default `TAGS`, comma-separated")
	preset := fs.String("preset", "", "upload `PRESET`")
	unsigned := fs.Bool("unsigned", false, "preset-only profile: unsigned uploads, no secret")
	fromEnv := fs.Bool("from-env", false, "import CLOUDINARY_URL: secret to the keychain, the rest to the profile")
	makeDefault := fs.Bool("default", false, "make this the default profile")
	signerURL := fs.String("signer", "", "team profile: the signing service's `URL` (the account owner gives it with your token)")
	fs.Bool("token-stdin", false, "team profile: read your token from standard input (it is never an argument)")
	fs.Usage = func() {
		io.WriteString(fs.Output(), `usage: cloudup-cli login --profile NAME --cloud CLOUD --key KEY [--secret-stdin] [flags]
       cloudup-cli login --profile NAME --cloud CLOUD --unsigned --preset PRESET
       cloudup-cli login --from-env [--profile NAME]
       cloudup-cli login --profile NAME --signer URL --token-stdin [--folder F]
Stores a profile in the config dir and its API secret in the system keychain.
The secret is read from standard input, e.g.:
  printf '%s' "$SECRET" | cloudup-cli login --profile work --cloud demo --key 1234 --secret-stdin
`)
		fs.PrintDefaults()
	}
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		// Not echoed: a stray argument here is often the secret itself.
		return usagef("login takes no arguments; the secret is never an argument: pipe it with --secret-stdin")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	store, err := e.profiles()
	if err != nil {
		return err
	}
	// A damaged profiles file is reported before anything is written.
	if _, err := store.List(); err != nil {
		return asConfigError(err)
	}

	if set["signer"] || set["token-stdin"] {
		return loginTeam(ctx, e, store, *name, *signerURL, set, *folder, *tags, *preset, *makeDefault)
	}

	var p account.Profile
	var secret keychain.Secret
	if *fromEnv {
		for _, f := range []string{"cloud", "key", "api-base", "algorithm", "unsigned", "secret-stdin"} {
			if set[f] {
				return usagef("--from-env takes cloud, key, secret, API base and algorithm from CLOUDINARY_URL: drop --%s", f)
			}
		}
		raw := e.getenv(account.EnvVar)
		if strings.TrimSpace(raw) == "" {
			return usagef("--from-env: CLOUDINARY_URL is not set")
		}
		u, err := account.ParseCloudinaryURL(raw)
		if err != nil {
			return asConfigError(err)
		}
		profileName := *name
		if profileName == "" {
			profileName = u.Cloud
		}
		p = u.Profile(profileName)
		secret = u.Secret
	} else {
		if *name == "" {
			return usagef("login needs --profile NAME (or --from-env to import CLOUDINARY_URL)")
		}
		if *cloud == "" {
			return usagef("login needs --cloud CLOUD: the cloud name from the Cloudinary console")
		}
		algo, err := signing.ParseAlgorithm(*algorithm)
		if err != nil {
			return usagef("%v", err)
		}
		p = account.Profile{Name: *name, Cloud: *cloud, APIKey: *key, Algorithm: algo, APIBase: *apiBase, Mode: account.Signed}
		if *unsigned {
			if *secretStdin {
				return usagef("an unsigned profile has no secret: drop --secret-stdin")
			}
			if *preset == "" {
				return usagef("--unsigned needs --preset PRESET: an unsigned upload preset from the Cloudinary console")
			}
			p.Mode = account.Unsigned
		} else if *key == "" {
			return usagef("login needs --key KEY: the API key from the Cloudinary console (or --unsigned --preset P)")
		}
	}
	p.Folder, p.Tags, p.Preset = *folder, account.ParseTags(*tags), *preset

	old, oldErr := store.Get(p.Name)
	existed := oldErr == nil && !old.Sandbox
	if existed {
		keepUnsetFields(&p, old, set)
	}
	p = p.Normalized()
	if err := p.Validate(); err != nil {
		return usagef("%v", err)
	}

	if p.Mode == account.Signed && !*fromEnv {
		if !*secretStdin && !isTerminal(e.stdin) {
			return usagef("a signed profile needs its API secret: pipe it with --secret-stdin (or use --unsigned --preset P)")
		}
		secret, err = readSecret(e, fmt.Sprintf("API secret for cloud %s (input hidden): ", p.Cloud), p.APIKey)
		if err != nil {
			return err
		}
	}

	// Everything is checked; now write: the secret first, so a profile is
	// never saved pointing at a secret that could not be stored.
	keys := e.secrets()
	restore := func() {}
	if p.Mode == account.Signed {
		prev, prevErr := keys.Get(ctx, p.SecretAccount())
		if err := keys.Set(ctx, p.SecretAccount(), secret); err != nil {
			return asConfigError(err)
		}
		restore = func() {
			if prevErr == nil {
				keys.Set(context.WithoutCancel(ctx), p.SecretAccount(), prev)
			} else {
				keys.Delete(context.WithoutCancel(ctx), p.SecretAccount())
			}
		}
	}
	if err := store.Put(p); err != nil {
		restore()
		return asConfigError(err)
	}
	if *makeDefault {
		if err := store.SetDefault(p.Name); err != nil {
			return asConfigError(err)
		}
	}
	if p.Mode == account.Unsigned && existed && old.Mode == account.Signed {
		// The profile no longer signs: its old secret has no business in
		// the keychain.
		if err := keys.Delete(ctx, p.SecretAccount()); err != nil && !errors.Is(err, keychain.ErrNotFound) {
			fmt.Fprintf(e.stderr, "note: the old secret could not be removed: %v\n", err)
		}
	}
	return printLoginSummary(e, store, p, *fromEnv)
}

// keepUnsetFields carries over what the user did not say this time, so
// logging in again to rotate a secret keeps the profile's defaults.
func keepUnsetFields(p *account.Profile, old account.Profile, set map[string]bool) {
	if !set["folder"] {
		p.Folder = old.Folder
	}
	if !set["tags"] {
		p.Tags = old.Tags
	}
	if !set["preset"] {
		p.Preset = old.Preset
	}
	if !set["api-base"] && !set["from-env"] {
		p.APIBase = old.APIBase
	}
	if !set["algorithm"] && !set["from-env"] {
		p.Algorithm = old.Algorithm
	}
	p.PublicIDTemplate, p.DynamicFolders, p.Concurrency = old.PublicIDTemplate, old.DynamicFolders, old.Concurrency
	p.Limits, p.LinkFormat = old.Limits, old.LinkFormat
}

func printLoginSummary(e *env, store *account.Store, p account.Profile, imported bool) error {
	w := e.stdout
	what := "saved"
	if imported {
		what = "imported from CLOUDINARY_URL"
	}
	fmt.Fprintf(w, "Profile %q %s: cloud %s", p.Name, what, p.Cloud)
	if p.Mode == account.Signed {
		fmt.Fprintf(w, ", API key %s, signed with %s", p.APIKey, algorithmName(p.Algorithm))
	} else {
		fmt.Fprintf(w, ", unsigned with preset %s", p.Preset)
	}
	if p.APIBase != account.DefaultAPIBase {
		fmt.Fprintf(w, ", API base %s", p.APIBase)
	}
	fmt.Fprintf(w, " (%s).\n", store.Path())
	if p.Mode == account.Signed {
		fmt.Fprintf(w, "Secret stored in the system keychain (service %q, account %q).\n", keychain.Service, p.SecretAccount())
	} else {
		fmt.Fprintf(w, "No secret stored. Note: anyone who knows cloud %s and preset %s can upload to it.\n", p.Cloud, p.Preset)
	}
	if def, err := store.DefaultName(); err == nil && def == p.Name {
		fmt.Fprintf(w, "%q is the default profile.\n", p.Name)
	}
	if imported {
		fmt.Fprintf(w, "CLOUDINARY_URL still wins while it is set; unset it to use this profile by default.\n")
	}
	return nil
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// readSecret reads the API secret from standard input: hidden when it is a
// terminal, else everything piped in. It refuses what is clearly not a
// secret, without ever repeating what was read.
func readSecret(e *env, prompt, apiKey string) (keychain.Secret, error) {
	var raw []byte
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("cannot read the secret from the terminal: %w", err)
		}
		raw = b
	} else {
		b, err := io.ReadAll(io.LimitReader(e.stdin, maxSecretInput+1))
		if err != nil {
			return "", fmt.Errorf("cannot read the secret from standard input: %w", err)
		}
		raw = b
	}
	if len(raw) > maxSecretInput {
		return "", usagef("more than %d bytes on standard input: pipe only the API secret", maxSecretInput)
	}
	s := keychain.Secret(strings.TrimSpace(string(raw)))
	if s.IsZero() {
		return "", usagef("the secret on standard input is empty: pipe the API secret (Cloudinary console > Settings > API Keys), e.g. printf '%%s' \"$SECRET\" | cloudup-cli login ... --secret-stdin")
	}
	if strings.HasPrefix(strings.ToLower(s.Reveal()), "cloudinary://") {
		return "", usagef("that is a CLOUDINARY_URL, not a secret: set CLOUDINARY_URL and run cloudup-cli login --from-env")
	}
	var bad *account.InvalidProfileError
	if err := account.CheckSecret(s, apiKey); errors.As(err, &bad) {
		return "", usagef("%s", bad.Reason)
	}
	return s, nil
}

func runLogout(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "logout")
	name := fs.String("profile", "", "profile `NAME` whose secret to remove")
	forget := fs.Bool("delete", false, "also delete the profile itself")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: cloudup-cli logout --profile NAME [--delete]\nRemoves the profile's API secret from the system keychain; --delete removes the profile too.")
		fs.PrintDefaults()
	}
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("logout takes no arguments: use --profile NAME")
	}
	if *name == "" {
		return usagef("logout needs --profile NAME (see cloudup-cli profiles)")
	}
	store, err := e.profiles()
	if err != nil {
		return err
	}
	p, err := store.Get(*name)
	if err != nil {
		return asConfigError(err)
	}
	if p.Sandbox {
		return usagef("the Sandbox profile has no stored secret and cannot be deleted")
	}
	if p.Mode != account.Unsigned || *forget {
		what := "Secret"
		if p.IsTeam() {
			what = "Team token"
		}
		err := e.secrets().Delete(ctx, p.SecretAccount())
		switch {
		case err == nil:
			fmt.Fprintf(e.stdout, "%s for %q removed from the system keychain.\n", what, p.Name)
		case errors.Is(err, keychain.ErrNotFound):
			fmt.Fprintf(e.stdout, "No secret was stored for %q.\n", p.Name)
		default:
			return asConfigError(err)
		}
	} else {
		fmt.Fprintf(e.stdout, "Profile %q is unsigned: it has no secret.\n", p.Name)
	}
	if *forget {
		if err := store.Delete(p.Name); err != nil {
			return asConfigError(err)
		}
		fmt.Fprintf(e.stdout, "Profile %q deleted.\n", p.Name)
	}
	return nil
}
