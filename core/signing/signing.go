// Package signing computes and checks Cloudinary request signatures exactly as
// Cloudinary does (shared/reference/cloudinary-wire.md §2). The client side uses
// Sign; the sandbox uses Verify. It owns no secrets: callers pass them in and
// nothing here logs, stores or formats a secret into an error.
package signing

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the hash an account signs with. It is an account setting on
// Cloudinary's side and never travels on the wire, so the client must be told.
type Algorithm string

const (
	SHA1   Algorithm = "sha1"
	SHA256 Algorithm = "sha256"
)

// ParseAlgorithm accepts "sha1" or "sha256" (any case); empty means SHA-1, the
// Cloudinary default.
func ParseAlgorithm(s string) (Algorithm, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "sha1", "sha-1":
		return SHA1, nil
	case "sha256", "sha-256":
		return SHA256, nil
	}
	return "", fmt.Errorf("unknown signature algorithm %q: use sha1 or sha256 (the one set for your account in the Cloudinary console)", s)
}

func (a Algorithm) newHash() hash.Hash {
	if a == SHA256 {
		return sha256.New()
	}
	return sha1.New()
}

// CurrentVersion is the signature version the SDKs use since June 2025: "&"
// inside values is written as "%26" before hashing.
const CurrentVersion = 2

// MaxAge is how long Cloudinary accepts a signed request after its timestamp.
const MaxAge = time.Hour

// excluded keys are never part of the string to sign.
func excluded(key string) bool {
	switch key {
	case "file", "cloud_name", "resource_type", "api_key", "signature":
		return true
	}
	return false
}

var indexedKey = regexp.MustCompile(`^(.*)\[(\d*)\]$`)

// StringToSign returns the exact text Cloudinary hashes (before the secret is
// appended): excluded keys dropped, "name[N]" keys collapsed into "name" in byte
// order of the full key and "name[]" in the order received, values joined with
// ",", keys sorted by bytes, and for version ≥ 2 every "&" in a value written
// as "%26". Empty values are kept, as the Go SDK does.
func StringToSign(params url.Values, version int) string {
	return stringToSign(params, version, true)
}

func stringToSign(params url.Values, version int, keepEmpty bool) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	joined := map[string][]string{}
	for _, k := range keys {
		name := k
		if m := indexedKey.FindStringSubmatch(k); m != nil {
			name = m[1]
		}
		if excluded(name) {
			continue
		}
		joined[name] = append(joined[name], params[k]...)
	}

	names := make([]string, 0, len(joined))
	for n := range joined {
		names = append(names, n)
	}
	sort.Strings(names)

	var b strings.Builder
	for _, n := range names {
		v := strings.Join(joined[n], ",")
		if v == "" && !keepEmpty {
			continue
		}
		if version >= 2 {
			v = strings.ReplaceAll(v, "&", "%26")
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(n)
		b.WriteByte('=')
		b.WriteString(v)
	}
	return b.String()
}

func digest(toSign, secret string, algo Algorithm) string {
	h := algo.newHash()
	h.Write([]byte(toSign))
	h.Write([]byte(secret))
	return hex.EncodeToString(h.Sum(nil))
}

// Sign returns the hex signature of params with the current signature version.
// params must already hold a timestamp (see Stamp).
func Sign(params url.Values, secret string, algo Algorithm) string {
	return digest(StringToSign(params, CurrentVersion), secret, algo)
}

// Stamp sets timestamp to now (Unix seconds, shifted by offset to correct a
// wrong local clock) when it is missing or "0", and returns the value used.
func Stamp(params url.Values, now time.Time) string {
	if ts := params.Get("timestamp"); ts != "" && ts != "0" {
		return ts
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	params.Set("timestamp", ts)
	return ts
}

// ErrInvalidSignature means the signature does not match the parameters: in
// practice the secret is wrong, or the account signs with the other algorithm.
var ErrInvalidSignature = errors.New("wrong secret or signature algorithm for this account")

// InvalidSignatureError carries what the server hashed, as Cloudinary reports it.
type InvalidSignatureError struct {
	Signature string
	ToSign    string
}

func (e *InvalidSignatureError) Error() string {
	return fmt.Sprintf("Invalid Signature %s. String to sign - '%s'.", e.Signature, e.ToSign)
}

func (e *InvalidSignatureError) Unwrap() error { return ErrInvalidSignature }

// Verify checks a received signature over params exactly as received. The
// algorithm follows from the length (40 hex digits SHA-1, 64 SHA-256); the
// string is the current version's (2: "&" inside a value written %26),
// with or without empty values (the Node SDK drops them).
func Verify(params url.Values, signature, secret string) error {
	return verify(params, signature, secret, []int{CurrentVersion})
}

// VerifyAllowingV1 is Verify that also accepts signature version 1, which
// signs "&" inside values raw, as clients from before June 2025 do. Only a
// compatibility option should use it: under version 1 a value "a&b=c"
// signs the same string as a value "a" plus a parameter b=c that nobody
// signed.
func VerifyAllowingV1(params url.Values, signature, secret string) error {
	return verify(params, signature, secret, []int{CurrentVersion, 1})
}

func verify(params url.Values, signature, secret string, versions []int) error {
	var algo Algorithm
	switch len(signature) {
	case 40:
		algo = SHA1
	case 64:
		algo = SHA256
	default:
		return &InvalidSignatureError{Signature: signature, ToSign: StringToSign(params, CurrentVersion)}
	}
	want := []byte(strings.ToLower(signature))
	for _, version := range versions {
		for _, keepEmpty := range []bool{true, false} {
			got := digest(stringToSign(params, version, keepEmpty), secret, algo)
			if subtle.ConstantTimeCompare([]byte(got), want) == 1 {
				return nil
			}
		}
	}
	return &InvalidSignatureError{Signature: signature, ToSign: StringToSign(params, CurrentVersion)}
}

// ResponseSignature is the signature Cloudinary puts in an upload response:
// SHA(public_id=<id>&version=<version> + secret), signature version 1, no
// timestamp.
func ResponseSignature(publicID string, version int64, secret string, algo Algorithm) string {
	return digest(fmt.Sprintf("public_id=%s&version=%d", publicID, version), secret, algo)
}

// VerifyResponse reports whether an upload response's signature is genuine.
func VerifyResponse(publicID string, version int64, signature, secret string, algo Algorithm) bool {
	want := ResponseSignature(publicID, version, secret, algo)
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(signature))) == 1
}

// DeliverySignature returns the "s--XXXXXXXX--" component of a signed delivery
// URL for toSign = "<transformation>/<public_id[.ext]>" (no version). long
// selects Cloudinary's long_url_signature: SHA-256 and 32 characters.
func DeliverySignature(toSign, secret string, long bool) string {
	algo, n := SHA1, 8
	if long {
		algo, n = SHA256, 32
	}
	h := algo.newHash()
	h.Write([]byte(toSign))
	h.Write([]byte(secret))
	sig := base64.RawURLEncoding.EncodeToString(h.Sum(nil))
	return "s--" + sig[:n] + "--"
}
