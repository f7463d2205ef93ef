package account

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"github.com/cloudup/cloudup/core/signing"
)

// EnvVar is the environment variable the Cloudinary SDKs read.
const EnvVar = "CLOUDINARY_URL"

// CloudinaryURL is a parsed cloudinary://API_KEY:API_SECRET@CLOUD_NAME?… URL,
// the ecosystem's one-line configuration.
type CloudinaryURL struct {
	APIKey string
	Secret Secret
	Cloud  string
	// UploadPrefix is the API base from ?upload_prefix= ("" when absent).
	UploadPrefix string
	// Algorithm is from ?signature_algorithm= ("" when absent: SHA-1).
	Algorithm signing.Algorithm
	// Options holds every other query parameter as given (secure, cname…).
	Options url.Values
}

// ErrMalformedURL is matched by every CLOUDINARY_URL parse error.
var ErrMalformedURL = errors.New("malformed " + EnvVar)

// URLError says what is wrong with a CLOUDINARY_URL. Its text never
// contains the API secret, however malformed the input.
type URLError struct{ Reason string }

func (e *URLError) Error() string {
	return "malformed " + EnvVar + ": " + e.Reason + " (expected cloudinary://API_KEY:API_SECRET@CLOUD_NAME)"
}

func (e *URLError) Is(target error) bool { return target == ErrMalformedURL }

func malformed(format string, args ...any) error {
	return &URLError{Reason: fmt.Sprintf(format, args...)}
}

// ParseCloudinaryURL parses raw. It accepts what people paste: surrounding
// spaces or quotes, and a leading "CLOUDINARY_URL=" (the sandbox prints the
// whole line). Errors say which part is wrong without repeating the input,
// because the input holds the secret; net/url's own errors quote the whole
// URL, so they are never passed on.
func ParseCloudinaryURL(raw string) (CloudinaryURL, error) {
	s := strings.TrimSpace(raw)
	s = strings.TrimPrefix(s, EnvVar+"=")
	s = unquote(s)
	if s == "" {
		return CloudinaryURL{}, malformed("it is empty")
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return CloudinaryURL{}, malformed("it is not a URL")
	}
	if !strings.EqualFold(scheme, "cloudinary") {
		if len(scheme) > 20 || strings.ContainsAny(scheme, ":@/") {
			return CloudinaryURL{}, malformed("it must start with cloudinary://")
		}
		return CloudinaryURL{}, malformed("it must start with cloudinary://, not %s://", scheme)
	}
	// As in net/url, the authority ends at the first '/', '?' or '#'.
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		if strings.Contains(tail, "@") {
			return CloudinaryURL{}, malformed("the API key or secret contains '/', '?' or '#'; percent-encode it")
		}
		return CloudinaryURL{}, malformed("there is no '@' before the cloud name")
	}
	userinfo, cloud := authority[:at], authority[at+1:]
	rawKey, rawSecret, ok := strings.Cut(userinfo, ":")
	if !ok {
		return CloudinaryURL{}, malformed("the API secret is missing: write API_KEY:API_SECRET before '@'")
	}
	key, err := url.PathUnescape(rawKey)
	if err != nil {
		return CloudinaryURL{}, malformed("the API key has a stray '%%' (write it as %%25)")
	}
	secret, err := url.PathUnescape(rawSecret)
	if err != nil {
		return CloudinaryURL{}, malformed("the API secret has a stray '%%' (write it as %%25)")
	}
	switch {
	case key == "":
		return CloudinaryURL{}, malformed("the API key is empty")
	case !keyPattern.MatchString(key):
		return CloudinaryURL{}, malformed("the API key may only hold letters, digits, '-' and '_'")
	case secret == "":
		return CloudinaryURL{}, malformed("the API secret is empty")
	case strings.IndexFunc(secret, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return CloudinaryURL{}, malformed("the API secret contains spaces or control characters")
	case cloud == "":
		return CloudinaryURL{}, malformed("the cloud name after '@' is empty")
	case len(cloud) > 128 || !cloudPattern.MatchString(cloud):
		return CloudinaryURL{}, malformed("the cloud name after '@' may only hold letters, digits, '-' and '_'")
	}

	u := CloudinaryURL{APIKey: key, Secret: Secret(secret), Cloud: cloud, Options: url.Values{}}
	path, query, _ := strings.Cut(tail, "?")
	query, _, _ = strings.Cut(query, "#")
	if idx := strings.Index(path, "#"); idx >= 0 {
		path = path[:idx]
	}
	if path != "" && path != "/" {
		return CloudinaryURL{}, malformed("there is a path after the cloud name; only ?options may follow it")
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return CloudinaryURL{}, malformed("the options after '?' are not a valid query string")
	}
	for k, vs := range values {
		v := ""
		if len(vs) > 0 {
			v = vs[len(vs)-1]
		}
		switch k {
		case "upload_prefix":
			prefix := strings.TrimRight(v, "/")
			if err := ValidateAPIBase(prefix); err != nil {
				return CloudinaryURL{}, malformed("upload_prefix %q must be an http(s) URL with a host and no query", v)
			}
			u.UploadPrefix = prefix
		case "signature_algorithm":
			algo, err := signing.ParseAlgorithm(v)
			if err != nil {
				return CloudinaryURL{}, malformed("signature_algorithm %q is unknown: use sha1 or sha256", v)
			}
			u.Algorithm = algo
		default:
			u.Options[k] = vs
		}
	}
	return u, nil
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// Profile is the profile this URL describes, under name.
func (u CloudinaryURL) Profile(name string) Profile {
	return Profile{
		Name: name, Cloud: u.Cloud, APIKey: u.APIKey, Mode: Signed,
		Algorithm: u.Algorithm, APIBase: u.UploadPrefix,
	}.Normalized()
}

// String is the URL with the secret redacted, safe to print.
func (u CloudinaryURL) String() string { return u.format("[redacted]") }

// Reveal is the URL with the secret, for handing to an SDK or a child
// process that needs it. Never print or log it.
func (u CloudinaryURL) Reveal() string { return u.format(url.PathEscape(u.Secret.Reveal())) }

func (u CloudinaryURL) format(secret string) string {
	q := url.Values{}
	for k, vs := range u.Options {
		q[k] = vs
	}
	if u.UploadPrefix != "" {
		q.Set("upload_prefix", u.UploadPrefix)
	}
	if u.Algorithm != "" {
		q.Set("signature_algorithm", string(u.Algorithm))
	}
	s := "cloudinary://" + url.PathEscape(u.APIKey) + ":" + secret + "@" + u.Cloud
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}
