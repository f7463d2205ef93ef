package sandbox

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cloudup/cloudup/core/signing"
)

// access is how a request proved it may act on the account.
type access struct {
	signed bool    // by signature (or Basic auth): anything goes
	preset *preset // the upload_preset it names, if any
}

// unsignedAllowed are the only parameters an unsigned upload may carry
// besides the file: Cloudinary's list, plus what the SDKs add on their own
// (Go sends unsigned=true and resource_type as form fields).
var unsignedAllowed = []string{"upload_preset", "callback", "public_id", "folder", "asset_folder", "tags", "context",
	"metadata", "face_coordinates", "custom_coordinates", "source", "filename_override", "manifest_transformation",
	"manifest_json", "template", "template_vars", "regions", "public_id_prefix", "display_name"}

var sdkAdded = map[string]bool{"unsigned": true, "resource_type": true, "api_key": true, "timestamp": true, "file": true}

var indexedParam = regexp.MustCompile(`^(.*)\[\d*\]$`)

// baseName strips an array suffix: "tags[]" and "tags[3]" are "tags".
func baseName(key string) string {
	if m := indexedParam.FindStringSubmatch(key); m != nil {
		return m[1]
	}
	return key
}

// authorizeUpload checks an Upload API request: a signature over the
// parameters exactly as received, or (when allowUnsigned) an unsigned
// upload preset. Basic auth with the key and secret is also accepted.
func (s *Server) authorizeUpload(ctx context.Context, r *http.Request, params url.Values, allowUnsigned bool) (access, error) {
	var acc access
	if name := params.Get("upload_preset"); name != "" {
		p, err := s.store.preset(ctx, name)
		if errors.Is(err, errNoPreset) {
			return acc, badRequest("Upload preset not found")
		}
		if err != nil {
			return acc, err
		}
		acc.preset = p
	}
	if _, _, ok := r.BasicAuth(); ok {
		if err := s.checkBasicAuth(r); err != nil {
			return acc, err
		}
		acc.signed = true
		return acc, nil
	}
	sig := params.Get("signature")
	key := params.Get("api_key")
	if sig == "" {
		if key != "" {
			return acc, badRequest("Missing required parameter - signature")
		}
		if !allowUnsigned {
			return acc, errorf(http.StatusUnauthorized, "Must supply api_key")
		}
		return acc, checkUnsigned(acc.preset, params)
	}
	if key == "" {
		return acc, errorf(http.StatusUnauthorized, "Must supply api_key")
	}
	if key != s.key {
		return acc, errorf(http.StatusUnauthorized, "Unknown API key %s", key)
	}
	ts := params.Get("timestamp")
	if ts == "" {
		return acc, badRequest("Missing required parameter - timestamp")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return acc, badRequest("Invalid timestamp parameter value %s", ts)
	}
	reported := time.Unix(sec, 0).UTC()
	switch age := s.now().Sub(reported); {
	case age > signing.MaxAge:
		return acc, badRequest("Stale request - reported time is %s which is more than 1 hour ago", reported.Format("2006-01-02 15:04:05 -0700"))
	case age < -signing.MaxAge:
		// A timestamp from the future would keep a leaked signature valid
		// until then. Cloudinary's wording for the past, so clients that
		// correct their clock from a stale answer's Date do so here too.
		return acc, badRequest("Stale request - reported time is %s which is more than 1 hour in the future", reported.Format("2006-01-02 15:04:05 -0700"))
	}
	verify := signing.Verify
	if s.cfg.AllowV1Signatures {
		verify = signing.VerifyAllowingV1
	}
	if err := verify(params, sig, s.secret); err != nil {
		// The message is Cloudinary's: the signature received and the
		// string the server hashed (the secret is not part of it).
		return acc, errorf(http.StatusUnauthorized, "%s", err.Error())
	}
	acc.signed = true
	return acc, nil
}

func checkUnsigned(p *preset, params url.Values) error {
	if p == nil {
		return badRequest("Upload preset must be specified when using unsigned upload")
	}
	if !p.Unsigned {
		return badRequest("Upload preset must be whitelisted for unsigned uploads")
	}
	allowed := map[string]bool{}
	for _, k := range unsignedAllowed {
		allowed[k] = true
	}
	var bad []string
	for k := range params {
		b := baseName(k)
		if !allowed[b] && !sdkAdded[b] {
			bad = append(bad, b)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return badRequest("%s parameter is not allowed when using unsigned upload. Only %s parameter are allowed.", bad[0], strings.Join(unsignedAllowed, ","))
	}
	return nil
}

// checkBasicAuth is the Admin API's authentication: HTTP Basic with the
// API key and secret.
func (s *Server) checkBasicAuth(r *http.Request) error {
	key, secret, ok := r.BasicAuth()
	if !ok || key == "" {
		return errorf(http.StatusUnauthorized, "Must supply api_key")
	}
	if key != s.key {
		return errorf(http.StatusUnauthorized, "Unknown API key %s", key)
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(s.secret)) != 1 {
		return errorf(http.StatusUnauthorized, "api_secret mismatch")
	}
	return nil
}
