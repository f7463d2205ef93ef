package cloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cloudup/cloudup/core/signing"
)

// ErrStale is what a *StaleError unwraps to: the request's timestamp was more
// than an hour away from the server's clock.
var ErrStale = errors.New("stale request: this computer's clock is off")

// ErrInvalidSignature is core/signing's sentinel, re-exported so callers of
// this package need not import signing to classify an *AuthError.
var ErrInvalidSignature = signing.ErrInvalidSignature

// ErrUnauthorized is what an *AuthError that is not about the signature
// unwraps to (unknown API key, disabled account, missing credentials).
var ErrUnauthorized = errors.New("the account refused these credentials")

// ErrNotFound is returned by Resource and Destroy when the asset does not exist.
var ErrNotFound = errors.New("asset not found")

// ErrFileChanged means the file became shorter while it was being sent, so the
// bytes on the wire no longer describe one version of the file.
var ErrFileChanged = errors.New("the file changed while it was being uploaded")

// ErrNeedsSecret is returned by calls that only a signed profile can make.
var ErrNeedsSecret = errors.New("this needs the account's API secret, and the profile is unsigned (preset only): add the secret in Settings or with 'cloudup-cli login'")

// StaleError is Cloudinary's "Stale request" answer. ServerDate is the
// server's Date header and Offset how far the local clock is from it; the
// client has already applied Offset to the timestamps it signs next.
type StaleError struct {
	ServerDate time.Time     // zero when the answer had no Date header
	Offset     time.Duration // server time minus local time
	Message    string        // the server's own words
}

func (e *StaleError) Error() string {
	if e.ServerDate.IsZero() {
		return "Cloudinary says the request is stale (" + e.Message + "): this computer's clock is wrong; set it right and try again"
	}
	return fmt.Sprintf("this computer's clock is off by %s compared with Cloudinary's (server time %s): requests are now signed with the server's time, but set the system clock right",
		roundOffset(e.Offset), e.ServerDate.UTC().Format(time.RFC3339))
}

func (e *StaleError) Unwrap() error { return ErrStale }

// Correctable reports whether re-signing with the measured offset can help.
func (e *StaleError) Correctable() bool { return !e.ServerDate.IsZero() }

// roundOffset keeps the offset to what a Date header can tell (whole
// seconds), and to minutes once it is that large.
func roundOffset(d time.Duration) time.Duration {
	if d < 0 {
		d = -d
	}
	if d >= time.Minute {
		return d.Round(time.Minute)
	}
	return d.Round(time.Second)
}

// AuthError is a 401 (or a 403 about credentials). When Signature is true the
// server could not verify the signature: in practice the secret is wrong or
// the account signs with the other algorithm.
type AuthError struct {
	Status    int
	Signature bool
	Message   string // the server's words
}

func (e *AuthError) Error() string {
	if e.Signature {
		// The server's message quotes the string it hashed; it holds no secret,
		// but it is noise to a person, so it is left out of the sentence.
		return "wrong secret or signature algorithm for this account: check the API secret and the signature algorithm (sha1/sha256) in the profile"
	}
	return fmt.Sprintf("the account refused these credentials (%d: %s): check the cloud name and API key in the profile", e.Status, e.Message)
}

func (e *AuthError) Unwrap() error {
	if e.Signature {
		return signing.ErrInvalidSignature
	}
	return ErrUnauthorized
}

// RateLimitedError is a 420 or 429. RetryAt is when the server said to try
// again (Retry-After, or the "Try again on …" sentence of a 420); zero when it
// did not say.
type RateLimitedError struct {
	Status  int
	RetryAt time.Time
	Message string
}

func (e *RateLimitedError) Error() string {
	if e.RetryAt.IsZero() {
		return fmt.Sprintf("Cloudinary is rate limiting this account (%d: %s): wait a while and retry", e.Status, e.Message)
	}
	return fmt.Sprintf("Cloudinary is rate limiting this account (%d: %s): retrying at %s", e.Status, e.Message, e.RetryAt.UTC().Format(time.RFC3339))
}

// ServerError is a 5xx answer or a reply that is not Cloudinary's JSON; it is
// worth retrying.
type ServerError struct {
	Status  int
	Message string
	// RetryAt is when a 503's Retry-After said to come back; zero when it
	// did not say.
	RetryAt time.Time
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("Cloudinary had a problem (%d: %s); it will be retried", e.Status, e.Message)
}

// RequestError is a 4xx that no retry can fix: too large, wrong format,
// unknown preset, bad parameter. Hint says what to do, when we know; Kind
// is one of the sentinels below when the answer is one we recognise.
type RequestError struct {
	Status  int
	Message string
	Hint    string
	Kind    error
}

// Kinds of *RequestError, for errors.Is.
var (
	// ErrPresetNotFound: the account has no upload preset of that name.
	ErrPresetNotFound = errors.New("upload preset not found")
	// ErrUnsignedNotAllowed: the preset is not marked Unsigned.
	ErrUnsignedNotAllowed = errors.New("the preset does not allow unsigned uploads")
	// ErrUnsupportedFile: Cloudinary cannot read the file as its type.
	ErrUnsupportedFile = errors.New("Cloudinary cannot read this file")
	// ErrTooLarge: the file is over the account's size limit for its type
	// (a *TooLargeError says by how much).
	ErrTooLarge = errors.New("the file is over the account's size limit")
)

func (e *RequestError) Unwrap() error { return e.Kind }

// TooLargeError is Cloudinary's "File size too large. Got N. Maximum is
// M.": the plan's limit for this type of file. Size is 0 when the server
// did not say how large the file was (a remote file it stopped reading).
type TooLargeError struct {
	RequestError
	Size, Limit int64
}

// Unwrap keeps errors.As(err, *RequestError) working for it.
func (e *TooLargeError) Unwrap() error { return &e.RequestError }

// ErrSourceNotFound is what a *SourceError unwraps to when the web address
// answered 404.
var ErrSourceNotFound = errors.New("the source URL was not found")

// SourceError is a remote upload whose source URL Cloudinary could not
// fetch: the address answered 404 (NotFound), or another error.
type SourceError struct {
	URL      string
	NotFound bool
	Err      *RequestError // Cloudinary's answer
}

func (e *SourceError) Error() string {
	// The URL is left out: it may carry a token in its query.
	if e.NotFound {
		return "Cloudinary could not fetch the source URL: nothing was found at that address (404); check the link"
	}
	return "Cloudinary could not fetch the source URL (" + e.Err.Message + "); check the link"
}

func (e *SourceError) Unwrap() []error {
	if e.NotFound {
		return []error{ErrSourceNotFound, e.Err}
	}
	return []error{e.Err}
}

// sourceError reads a remote upload's refusal: a 404, "Resource not found
// - URL" or "Error in loading URL" is about the source, not the account.
func sourceError(fileURL string, err error) error {
	var re *RequestError
	if !errors.As(err, &re) {
		return err
	}
	m := strings.ToLower(re.Message)
	switch {
	case re.Status == http.StatusNotFound, strings.HasPrefix(m, "resource not found"):
		return &SourceError{URL: fileURL, NotFound: true, Err: re}
	case strings.HasPrefix(m, "error in loading"):
		return &SourceError{URL: fileURL, NotFound: strings.Contains(m, "404"), Err: re}
	}
	return err
}

func (e *RequestError) Error() string {
	s := fmt.Sprintf("Cloudinary refused the request (%d: %s)", e.Status, e.Message)
	if e.Hint != "" {
		s += ": " + e.Hint
	}
	return s
}

// NetworkError is a failure to reach the server or to finish the exchange
// (refused, reset, timed out, stalled). Worth retrying.
type NetworkError struct {
	Op  string // what was being done: "upload", "search", …
	Err error
}

func (e *NetworkError) Error() string {
	return fmt.Sprintf("network problem during %s (%v); it will be retried", e.Op, e.Err)
}

func (e *NetworkError) Unwrap() error { return e.Err }

// ErrStalled is the cause of a NetworkError when no byte moved for the
// client's StallTimeout.
var ErrStalled = errors.New("no data moved for too long")

// Retryable reports whether sending the same request again can succeed:
// network errors, 5xx, rate limits and a stale timestamp the client has
// corrected. Cancellation is never retryable.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var (
		ne *NetworkError
		se *ServerError
		rl *RateLimitedError
		st *StaleError
	)
	switch {
	case errors.As(err, &st):
		return st.Correctable()
	case errors.As(err, &ne), errors.As(err, &se), errors.As(err, &rl):
		return true
	}
	return false
}

// apiError is Cloudinary's error body: {"error":{"message":"…"}}. A team
// signing service answers in the same shape and adds a code (CodePolicy,
// CodeToken) so its refusals are told apart from Cloudinary's.
type apiError struct {
	Error *struct {
		Message string `json:"message"`
		Code    string `json:"code,omitempty"`
	} `json:"error"`
}

// Codes a team signing service puts in its error answers.
const (
	// CodePolicy: the editor's grant does not allow the request.
	CodePolicy = "policy"
	// CodeToken: the editor's token is unknown, revoked or expired.
	CodeToken = "token"
	// CodeLimited: the service is rate limiting this editor.
	CodeLimited = "rate_limited"
	// CodeInvalid: the service cannot take the request as sent (a search
	// expression that does not parse, a malformed body).
	CodeInvalid = "invalid"
)

// InvalidRequestError is a team signing service's answer that a request is
// malformed; Message is its sentence for the editor.
type InvalidRequestError struct {
	Message string
}

func (e *InvalidRequestError) Error() string { return e.Message }

// ErrRefused is what a *PolicyError unwraps to.
var ErrRefused = errors.New("the team's grant does not allow this")

// PolicyError is a team signing service's refusal: the editor's grant does
// not allow the request. Message is the service's sentence, written for the
// editor ("You may upload to blog/ and news/ only; …").
type PolicyError struct {
	Message string
}

func (e *PolicyError) Error() string { return e.Message }
func (e *PolicyError) Unwrap() error { return ErrRefused }

// ErrTokenRejected is what a *TokenError unwraps to.
var ErrTokenRejected = errors.New("the team signing service refused this token")

// TokenError is a team signing service's answer that the editor's token is
// not (or no longer) valid.
type TokenError struct {
	Message string
}

func (e *TokenError) Error() string {
	if e.Message == "" {
		return "the team signing service does not accept your token: ask the account owner for a new one"
	}
	return e.Message
}
func (e *TokenError) Unwrap() error { return ErrTokenRejected }

// serviceError turns a team signing service's coded answer into its typed
// error; ok is false for codes it does not know (then the status decides).
func serviceError(status int, header http.Header, code, message string, localNow time.Time) (error, bool) {
	switch code {
	case CodePolicy:
		return &PolicyError{Message: message}, true
	case CodeToken:
		return &TokenError{Message: message}, true
	case CodeLimited:
		return &RateLimitedError{Status: status, Message: message, RetryAt: retryAt(header, message, localNow)}, true
	case CodeInvalid:
		return &InvalidRequestError{Message: message}, true
	}
	return nil, false
}

// classify turns a non-success answer into one of the typed errors above.
// Status and body are both read: the Go SDK looks only at the body, so a 5xx
// with a JSON error would look final to it and an HTML 502 from a proxy would
// be a JSON decoding error.
func (c *Client) classify(status int, header http.Header, message string, localNow time.Time) error {
	if message == "" {
		message = http.StatusText(status)
		if message == "" {
			message = "status " + strconv.Itoa(status)
		}
	}
	switch {
	case strings.HasPrefix(message, "Stale request"):
		e := &StaleError{Message: message}
		if d, err := http.ParseTime(header.Get("Date")); err == nil {
			e.ServerDate = d
			e.Offset = d.Sub(localNow)
			c.SetClockOffset(e.Offset)
		}
		return e
	case status == http.StatusUnauthorized || strings.HasPrefix(message, "Invalid Signature"):
		return &AuthError{Status: status, Signature: strings.HasPrefix(message, "Invalid Signature"), Message: message}
	case status == 420 || status == http.StatusTooManyRequests:
		return &RateLimitedError{Status: status, Message: message, RetryAt: retryAt(header, message, localNow)}
	case status >= 500 || status == http.StatusRequestTimeout:
		return &ServerError{Status: status, Message: message, RetryAt: retryAt(header, "", localNow)}
	default:
		re := RequestError{Status: status, Message: message, Hint: hintFor(status, message), Kind: kindOf(message)}
		if m := tooLarge.FindStringSubmatch(message); m != nil {
			size, _ := strconv.ParseInt(m[2], 10, 64)
			limit, _ := strconv.ParseInt(m[3], 10, 64)
			if m[1] != "" {
				size = 0 // "more than": the server stopped reading
			}
			re.Kind = ErrTooLarge
			return &TooLargeError{RequestError: re, Size: size, Limit: limit}
		}
		return &re
	}
}

// tooLarge reads "File size too large. Got 151968510. Maximum is
// 104857600." ("Got more than N." when a remote file was cut off).
var tooLarge = regexp.MustCompile(`(?i)file size too large\. got (more than )?(\d+)\. maximum is (\d+)`)

// kindOf recognises the answers people can act on.
func kindOf(message string) error {
	m := strings.ToLower(message)
	switch {
	case strings.Contains(m, "upload preset not found"):
		return ErrPresetNotFound
	case strings.Contains(m, "must be whitelisted for unsigned") || strings.Contains(m, "unsigned upload"):
		return ErrUnsignedNotAllowed
	case strings.Contains(m, "invalid image file") || strings.Contains(m, "unsupported"):
		return ErrUnsupportedFile
	}
	return nil
}

// hintFor says what a person can do about a 4xx, for the answers we know.
func hintFor(status int, message string) string {
	m := strings.ToLower(message)
	switch {
	case strings.Contains(m, "file size too large"):
		return "the file is larger than the account allows for this type; shrink it or raise the plan's limit"
	case strings.Contains(m, "upload preset not found"):
		return "check the upload preset's name in the profile"
	case strings.Contains(m, "must be whitelisted for unsigned") || strings.Contains(m, "unsigned upload"):
		return "unsigned uploads need a preset marked Unsigned in the Cloudinary console, or a signed profile"
	case strings.Contains(m, "invalid image file") || strings.Contains(m, "unsupported") || strings.Contains(m, "format"):
		return "Cloudinary cannot take this file's format; convert it or upload it as raw"
	case strings.Contains(m, "missing required parameter"):
		return "this is a bug in Cloudup; please report it"
	}
	switch status {
	case http.StatusForbidden:
		return "the account does not allow this operation"
	case http.StatusNotFound:
		return "check the cloud name and the API base URL in the profile"
	case http.StatusRequestEntityTooLarge:
		return "the request is too large for one call; use a smaller chunk size"
	case http.StatusConflict:
		return "an asset with that public ID already exists"
	}
	return ""
}

// tryAgainOn matches the time in Cloudinary's 420 message, e.g. "Rate Limit
// Exceeded. Limit of 500 api operations reached. Try again on 2024-10-04
// 14:00:00 UTC".
var tryAgainOn = regexp.MustCompile(`(?i)try again (?:on|at) (\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\s*(UTC|GMT|Z|[+-]\d{2}:?\d{2}))?`)

// retryAt reads when to try again: Retry-After (seconds or an HTTP date), else
// the "Try again on …" sentence. Zero when neither says. The result is on the
// local clock: a time the server names is shifted by the difference between
// its Date header and localNow, so waiting for it is right even when the
// local clock is wrong.
func retryAt(header http.Header, message string, localNow time.Time) time.Time {
	skew := time.Duration(0)
	if d, err := http.ParseTime(header.Get("Date")); err == nil {
		skew = localNow.Sub(d)
	}
	v := strings.TrimSpace(header.Get("Retry-After"))
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return time.Time{}
		}
		return localNow.Add(time.Duration(min(secs, 7*24*3600)) * time.Second)
	}
	if t, err := http.ParseTime(v); v != "" && err == nil {
		return t.Add(skew)
	}
	if t, ok := parseTryAgainOn(message); ok {
		return t.Add(skew)
	}
	return time.Time{}
}

// parseTryAgainOn finds the time in a 420 message.
func parseTryAgainOn(message string) (time.Time, bool) {
	m := tryAgainOn.FindStringSubmatch(message)
	if m == nil {
		return time.Time{}, false
	}
	zone := strings.ReplaceAll(m[3], ":", "")
	switch strings.ToUpper(zone) {
	case "", "UTC", "GMT", "Z":
		zone = "+0000"
	}
	t, err := time.Parse("2006-01-02 15:04:05 -0700", m[1]+" "+m[2]+" "+zone)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// TooLarge is the refusal Cloudinary gives a file of size bytes over limit,
// made without sending it (the limit is known from an earlier refusal);
// note tells the details so.
func TooLarge(size, limit int64, note string) *TooLargeError {
	msg := fmt.Sprintf("File size too large. Got %d. Maximum is %d.", size, limit)
	re := RequestError{Status: http.StatusBadRequest, Message: msg + " " + note, Hint: hintFor(http.StatusBadRequest, msg), Kind: ErrTooLarge}
	return &TooLargeError{RequestError: re, Size: size, Limit: limit}
}
