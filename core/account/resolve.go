package account

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cloudup/cloudup/core/keychain"
)

// Source says where a profile's secret came from.
type Source string

const (
	// SourceKeychain: read from the system keychain (service "cloudup").
	SourceKeychain Source = "keychain"
	// SourceEnv: CLOUDINARY_URL in the environment; never stored.
	SourceEnv Source = "CLOUDINARY_URL"
	// SourceMissing: the profile signs requests but no secret is stored
	// (or the keychain could not be read: see the error Resolve returned).
	SourceMissing Source = "missing"
	// SourceNotNeeded: an unsigned (preset-only) profile has no secret.
	SourceNotNeeded Source = "not needed"
	// SourceSandbox: the embedded sandbox supplies cloud, key and secret
	// when it starts (see SandboxCredentials).
	SourceSandbox Source = "sandbox"
)

// EnvProfileName is the name given to the profile CLOUDINARY_URL describes.
const EnvProfileName = EnvVar

// Credentials is what a command runs with: the profile, its secret (empty
// unless Source is SourceKeychain, SourceEnv or a started sandbox) and where
// the secret came from.
type Credentials struct {
	Profile Profile
	Secret  Secret
	Source  Source
}

// ErrNoSecret is matched by RequireSecret when a signed profile has no
// secret to sign with.
var ErrNoSecret = errors.New("no API secret")

// NoSecretError names the profile and says how to give it a secret.
type NoSecretError struct {
	Profile string
	Sandbox bool
	Team    bool // the missing piece is the editor's team token
}

func (e *NoSecretError) Error() string {
	if e.Team {
		return fmt.Sprintf("no team token for profile %q: paste the token the account owner gave you in Settings, or run `cloudup-cli login --profile %s --signer URL --token-stdin`", e.Profile, e.Profile)
	}
	if e.Sandbox {
		return fmt.Sprintf("profile %q gets its credentials from the embedded sandbox, which is not running here: start one (cloudup-cli sandbox) and use the CLOUDINARY_URL it prints, or log in to a real account", e.Profile)
	}
	return fmt.Sprintf("no API secret for profile %q: store one with `cloudup-cli login --profile %s --secret-stdin` (or the Settings dialog), or set CLOUDINARY_URL", e.Profile, e.Profile)
}

func (e *NoSecretError) Is(target error) bool { return target == ErrNoSecret }

// RequireSecret returns nil when requests can be made: the profile is
// unsigned, or a secret is at hand.
func (c Credentials) RequireSecret() error {
	if c.Profile.Mode == Unsigned && !c.Profile.Sandbox {
		return nil
	}
	if c.Secret.IsZero() {
		return &NoSecretError{Profile: c.Profile.Name, Sandbox: c.Profile.Sandbox, Team: c.Profile.IsTeam()}
	}
	return nil
}

// Where says in words where the secret is, never what it is.
func (c Credentials) Where() string {
	switch c.Source {
	case SourceKeychain:
		if c.Profile.IsTeam() {
			return fmt.Sprintf("held by the team signing service %s; your token is in the system keychain (service %q, account %q)", c.Profile.Signer, keychain.Service, c.Profile.SecretAccount())
		}
		return fmt.Sprintf("in the system keychain (service %q, account %q)", keychain.Service, c.Profile.SecretAccount())
	case SourceEnv:
		return "from the CLOUDINARY_URL environment variable (not stored anywhere)"
	case SourceNotNeeded:
		return "not needed: unsigned uploads with preset " + c.Profile.Preset
	case SourceSandbox:
		if c.Secret.IsZero() {
			return "supplied by the embedded sandbox when it starts"
		}
		return "supplied by the embedded sandbox"
	default:
		return "missing"
	}
}

// FromCloudinaryURL returns credentials for a CLOUDINARY_URL value.
func FromCloudinaryURL(raw string) (Credentials, error) {
	u, err := ParseCloudinaryURL(raw)
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{Profile: u.Profile(EnvProfileName), Secret: u.Secret, Source: SourceEnv}, nil
}

// SandboxCredentials fills a sandbox profile with what a running sandbox
// reports (its CLOUDINARY_URL): cloud, key, secret and API base come from
// the sandbox; folder, tags and the other defaults stay the profile's.
func SandboxCredentials(p Profile, cloudinaryURL string) (Credentials, error) {
	u, err := ParseCloudinaryURL(cloudinaryURL)
	if err != nil {
		return Credentials{}, err
	}
	p.Sandbox = true
	p.Name = SandboxName
	p.Mode = Signed
	p.Cloud, p.APIKey, p.APIBase = u.Cloud, u.APIKey, u.UploadPrefix
	if u.Algorithm != "" {
		p.Algorithm = u.Algorithm
	}
	return Credentials{Profile: p.Normalized(), Secret: u.Secret, Source: SourceSandbox}, nil
}

// ProfileSource is what Resolve reads profiles from; *Store is one.
type ProfileSource interface {
	Get(name string) (Profile, error)
	Default() (Profile, error)
}

// Resolver picks the credentials a command runs with.
type Resolver struct {
	Store    ProfileSource
	Keychain keychain.Keychain
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

// Resolve follows the CLI contract: with a name, that profile (CLOUDINARY_URL
// is ignored); without one, CLOUDINARY_URL when it is set, else the default
// profile (the Sandbox profile when none is configured). The secret of a
// signed profile is read from the keychain. A missing secret is not an
// error (Source is SourceMissing); a keychain that cannot be read is, and
// the credentials are returned alongside so callers can still show the
// profile.
func (r *Resolver) Resolve(ctx context.Context, name string) (Credentials, error) {
	getenv := r.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var p Profile
	var err error
	switch {
	case name != "":
		p, err = r.Store.Get(name)
	case strings.TrimSpace(getenv(EnvVar)) != "":
		return FromCloudinaryURL(getenv(EnvVar))
	default:
		p, err = r.Store.Default()
	}
	if err != nil {
		return Credentials{}, err
	}
	switch {
	case p.Sandbox:
		return Credentials{Profile: p, Source: SourceSandbox}, nil
	case p.Mode == Unsigned:
		return Credentials{Profile: p, Source: SourceNotNeeded}, nil
	}
	secret, err := r.Keychain.Get(ctx, p.SecretAccount())
	switch {
	case err == nil:
		return Credentials{Profile: p, Secret: secret, Source: SourceKeychain}, nil
	case errors.Is(err, keychain.ErrNotFound):
		return Credentials{Profile: p, Source: SourceMissing}, nil
	default:
		return Credentials{Profile: p, Source: SourceMissing}, err
	}
}
