package cloud

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/cloudup/cloudup/core/signing"
)

// Authority authorises a client's requests to Cloudinary. There are two:
// a profile that holds the API secret signs on this computer (SecretAuthority),
// and a team profile asks the team's signing service, which holds the secret
// and signs only what the editor's grant allows (package teamsign). The
// engine, the library and the window hold a *Client and never know which.
type Authority interface {
	// Sign stamps params for one Upload API call (an upload or one of its
	// chunks, destroy, rename, tags, explicit) with timestamp, api_key and
	// signature. It may add parameters its policy requires (a team service
	// adds allowed_formats); what it leaves in params is exactly what must be
	// sent, since the signature covers it.
	Sign(ctx context.Context, call Call, params url.Values) error
	// Admin authenticates an Admin API request (search, resource lookups,
	// folders). A team authority also readdresses it to the service, which
	// answers on the editor's behalf.
	Admin(req *http.Request) error
}

// Call says what a signature is for, so a team service can apply the
// editor's grant to it.
type Call struct {
	// Action is the Upload API endpoint: "upload" (every chunk too),
	// "destroy", "rename", "tags", "explicit", "context".
	Action string
	// ResourceType is the endpoint's resource type: image, video, raw or auto.
	ResourceType string
	// Now is the client's estimate of Cloudinary's clock (the local clock
	// plus the offset measured from a stale answer).
	Now time.Time
}

// Preparer is an Authority that can sign many calls in one round trip ahead
// of time (a team service); Client.Prepare hands it upcoming uploads.
type Preparer interface {
	Prepare(ctx context.Context, calls []PreparedCall) error
}

// PreparedCall is one call to sign ahead of time: the same call and params
// that Sign will be asked for when the request is sent.
type PreparedCall struct {
	Call   Call
	Params url.Values
}

// SecretAuthority signs with the API secret held on this computer.
type SecretAuthority struct {
	APIKey    string
	Secret    Secret
	Algorithm signing.Algorithm
}

// Sign implements Authority.
func (a SecretAuthority) Sign(_ context.Context, call Call, params url.Values) error {
	if a.Secret == "" {
		return errors.New("no API secret for this signed profile: add it with 'cloudup-cli login' or in Settings")
	}
	params.Del("timestamp")
	params.Del("signature")
	params.Del("api_key")
	signing.Stamp(params, call.Now)
	params.Set("signature", signing.Sign(params, string(a.Secret), a.Algorithm))
	params.Set("api_key", a.APIKey)
	return nil
}

// Admin implements Authority: Basic auth with key and secret, as Cloudinary's
// Admin API wants.
func (a SecretAuthority) Admin(req *http.Request) error {
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(a.APIKey+":"+string(a.Secret))))
	return nil
}

// sign has params signed for call by the client's authority. It is called
// for every request and every chunk, so nothing sent is ever older than the
// moment it was sent.
func (c *Client) sign(ctx context.Context, action, resourceType string, params url.Values) error {
	return c.auth.Sign(ctx, Call{Action: action, ResourceType: resourceType, Now: c.Now()}, params)
}

// Prepare hands upcoming uploads to an authority that signs ahead in
// batches (a team service), so that sending them later costs no extra round
// trip. With an authority that signs locally it does nothing. Params are as
// UploadRequest would send them.
func (c *Client) Prepare(ctx context.Context, uploads []PreparedUpload) error {
	p, ok := c.auth.(Preparer)
	if !ok || len(uploads) == 0 || c.cfg.Unsigned {
		return nil
	}
	now := c.Now()
	calls := make([]PreparedCall, len(uploads))
	for i, u := range uploads {
		rt := u.ResourceType
		if rt == "" {
			rt = "auto"
		}
		calls[i] = PreparedCall{Call: Call{Action: "upload", ResourceType: rt, Now: now}, Params: c.values(u.Params)}
	}
	return p.Prepare(ctx, calls)
}

// SignsAhead reports whether Prepare does anything: the authority signs
// far away (a team service) and can sign upcoming uploads in batches.
func (c *Client) SignsAhead() bool {
	_, ok := c.auth.(Preparer)
	return ok && !c.cfg.Unsigned
}

// PreparedUpload is an upload the engine is about to send.
type PreparedUpload struct {
	ResourceType string
	Params       UploadParams
}

// Readdress points an Admin API request at base, keeping its path under
// base's own path: how a team authority sends admin reads to its service.
func Readdress(req *http.Request, base *url.URL) {
	u := *req.URL
	u.Scheme, u.Host = base.Scheme, base.Host
	u.Path = base.Path + u.Path
	u.RawPath = ""
	req.URL = &u
	req.Host = base.Host
}
