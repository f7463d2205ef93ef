package session

import (
	"context"
	"fmt"
	"net/http"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/effects"
	"github.com/cloudup/cloudup/core/teamsign"
)

// Conn is a profile's way to its account: the Cloudinary client (signing
// with the secret here, or through the team signing service) and the
// signer of delivery links. Commands that only search or build links need
// no more than this; Open adds the upload engine.
type Conn struct {
	profile account.Profile
	client  *cloud.Client
	team    *teamsign.Client // nil unless the profile signs through a team service
	links   linkSigner
}

// Connect builds the client for creds. A signed profile without a secret
// (or a team profile without a token) fails with an *account.NoSecretError
// that says what to do. A team profile that never reached its service asks
// it which account it signs for; later ones use what the profile
// remembers, so a service that is down does not hide the queue.
func Connect(ctx context.Context, creds account.Credentials, hc *http.Client) (*Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := creds.Profile.Normalized()
	if err := creds.RequireSecret(); err != nil {
		return nil, err
	}
	if p.Sandbox && p.APIBase == "" {
		return nil, fmt.Errorf("profile %q points at the embedded sandbox, which is not running: start it first (session.Sandbox.Credentials)", p.Name)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	cc := cloud.Config{
		Cloud:        p.Cloud,
		APIKey:       p.APIKey,
		Algorithm:    p.Algorithm,
		APIBase:      p.APIBase,
		UploadPreset: p.Preset,
		HTTPClient:   hc,
	}
	conn := &Conn{links: localLinks(p, creds.Secret)}
	switch {
	case p.IsTeam():
		team, err := teamsign.NewClient(p.Signer, teamsign.Token(creds.Secret.Reveal()), hc)
		if err != nil {
			return nil, fmt.Errorf("profile %q: %w", p.Name, err)
		}
		if p.Cloud == "" || p.APIKey == "" {
			who, err := team.WhoAmI(ctx)
			if err != nil {
				return nil, fmt.Errorf("profile %q: %w", p.Name, err)
			}
			p = WithTeam(p, who)
		}
		cc.Cloud, cc.APIKey, cc.APIBase = p.Cloud, p.APIKey, p.APIBase
		cc.Authority = teamsign.NewAuthority(team)
		conn.team, conn.links = team, teamLinks(team)
	case p.Mode == account.Unsigned && !p.Sandbox:
		cc.Unsigned = true
	default:
		cc.Secret = cloud.Secret(creds.Secret.Reveal())
	}
	client, err := cloud.New(cc)
	if err != nil {
		return nil, fmt.Errorf("profile %q: %w", p.Name, err)
	}
	conn.profile, conn.client = p, client
	return conn, nil
}

// WithTeam records in a team profile what its service said it signs for.
func WithTeam(p account.Profile, who *teamsign.WhoAmI) account.Profile {
	p.Cloud, p.APIKey, p.APIBase = who.Cloud, who.APIKey, who.APIBase
	return p.Normalized()
}

// Profile is the profile the connection was made for, normalized (a team
// profile with what its service said it signs for).
func (c *Conn) Profile() account.Profile { return c.profile }

// Client talks to the account.
func (c *Conn) Client() *cloud.Client { return c.client }

// Team is the team signing service a team profile works through; nil for
// a profile that holds its secret.
func (c *Conn) Team() *teamsign.Client { return c.team }

// SignedURL is the signed delivery URL of ref with transformation: signed
// here with the profile's secret, or by the team signing service within the
// editor's grant.
func (c *Conn) SignedURL(ctx context.Context, ref effects.Ref, transformation string) (string, error) {
	return c.links(ctx, ref, transformation)
}
