// Package teamsign is the editor's side of team signing: a cloud.Authority
// that asks the team's signing service (cloudup-cli signer serve) for every
// signature instead of holding the API secret, and sends Admin API reads to
// the service, which answers them on the editor's behalf inside the editor's
// folders. It also holds the JSON shapes both sides speak.
//
// It never sees the secret, and it keeps the editor's token out of errors,
// logs and formatted values (Token redacts itself). File bytes never go to
// the service: uploads still go straight to Cloudinary.
package teamsign

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"
)

// Routes of the signing service. Admin API reads keep Cloudinary's own paths
// (/v1_1/{cloud}/resources/search, …) below the service's URL.
const (
	PathWhoAmI  = "/v1/whoami"
	PathSign    = "/v1/sign"
	PathSignURL = "/v1/sign-url"
	// The request shapes of the web guides' routes, so a team's upload
	// widget can use the same service.
	PathSeedSign    = "/api/sign"
	PathSeedGallery = "/api/gallery"
)

// MaxBatch is the most calls one sign request may carry.
const MaxBatch = 1000

// Token is an editor's token. It prints as "[redacted]" through fmt, slog
// and encoding/json.
type Token string

const redacted = "[redacted]"

func (Token) String() string                  { return redacted }
func (Token) GoString() string                { return redacted }
func (Token) LogValue() slog.Value            { return slog.StringValue(redacted) }
func (Token) MarshalJSON() ([]byte, error)    { return json.Marshal(redacted) }
func (t Token) Format(f fmt.State, verb rune) { io.WriteString(f, redacted) }

// Reveal returns the token itself, for the Authorization header.
func (t Token) Reveal() string { return string(t) }

// Grant is what an editor may do, as the service states it.
type Grant struct {
	// Folders are the folder prefixes the editor may upload to and read
	// from, without a trailing slash ("blog", "news/2026").
	Folders []string `json:"folders"`
	// Presets are the upload presets the editor may name; empty: none.
	Presets []string `json:"presets,omitempty"`
	// Types are the resource types the editor may upload (image, video,
	// raw); empty: all.
	Types []string `json:"types,omitempty"`
	// Formats are the file formats the editor may upload; empty: any of
	// the allowed types.
	Formats []string `json:"formats,omitempty"`
	// CanEdit allows rename, retag, context and explicit inside Folders.
	CanEdit bool `json:"can_edit,omitempty"`
	// CanDelete allows destroy inside Folders.
	CanDelete bool `json:"can_delete,omitempty"`
	// AllowParams are upload parameters the owner allowed beyond the
	// default set (notification_url, eval, paid add-ons, …).
	AllowParams []string `json:"allow_params,omitempty"`
	// ExpiresAt is when the token stops working; zero: never.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// WhoAmI is the service's answer to PathWhoAmI: who the token belongs to,
// the account the service signs for, and the editor's grant.
type WhoAmI struct {
	Editor  string `json:"editor"`
	Cloud   string `json:"cloud"`
	APIKey  string `json:"api_key"`
	APIBase string `json:"api_base"`
	Grant   Grant  `json:"grant"`
}

// SignCall is one Upload API call to sign.
type SignCall struct {
	Action       string     `json:"action"`
	ResourceType string     `json:"resource_type,omitempty"`
	Params       url.Values `json:"params"`
}

// SignRequest is the body of PathSign.
type SignRequest struct {
	Calls []SignCall `json:"calls"`
}

// SignResult is the answer for one call: the params to send (timestamp,
// api_key and signature included, plus anything the grant adds) or why not.
type SignResult struct {
	Params url.Values `json:"params,omitempty"`
	Error  *Problem   `json:"error,omitempty"`
}

// SignResponse is the answer to PathSign, one result per call in order.
type SignResponse struct {
	Results []SignResult `json:"results"`
}

// Problem is an error in Cloudinary's shape plus a code (cloud.CodePolicy,
// cloud.CodeToken, …) that says whose rule refused it.
type Problem struct {
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
}

// SignURLRequest is the body of PathSignURL: a delivery URL to sign.
type SignURLRequest struct {
	PublicID       string `json:"public_id"`
	ResourceType   string `json:"resource_type,omitempty"`
	Type           string `json:"type,omitempty"`
	Transformation string `json:"transformation,omitempty"`
	Format         string `json:"format,omitempty"`
	Version        int64  `json:"version,omitempty"`
}

// SignURLResponse is the signed delivery URL.
type SignURLResponse struct {
	URL string `json:"url"`
}
