package teamsign

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
)

// Client talks to a team signing service as one editor.
type Client struct {
	base  *url.URL
	token Token
	http  *http.Client
}

// NewClient checks the service URL and returns a client. The token is not
// checked here; WhoAmI does that.
func NewClient(serviceURL string, token Token, hc *http.Client) (*Client, error) {
	u, err := ParseServiceURL(serviceURL)
	if err != nil {
		return nil, err
	}
	if token == "" {
		return nil, errors.New("no team token: paste the token the account owner gave you in Settings (or 'cloudup-cli login --signer URL --token-stdin')")
	}
	if hc == nil {
		hc = cloud.NewHTTPClient()
	}
	return &Client{base: u, token: token, http: hc}, nil
}

// ParseServiceURL checks a signing service's address: http or https, a host,
// no query, no credentials in it.
func ParseServiceURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(s), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q is not a signing service address: use the URL the account owner gave you, like https://sign.example.com", s)
	}
	if u.User != nil {
		return nil, errors.New("the signing service address must not contain a user name or password: the token goes in its own field")
	}
	return u, nil
}

// URL is the service's address.
func (c *Client) URL() string { return c.base.String() }

// ErrUnreachable is what an *UnreachableError unwraps to.
var ErrUnreachable = errors.New("the team signing service cannot be reached")

// call makes one request to the service and decodes its JSON answer into
// out. Failures come back as the typed errors of package cloud (a refused
// token, a policy refusal, a rate limit) or as a *cloud.NetworkError, which
// the upload engine retries.
func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token.Reveal())
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "Cloudup/"+cloud.Version+" (Go)")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return err
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is noise in a sentence for people
		}
		return &cloud.NetworkError{Op: "asking the team signing service", Err: fmt.Errorf("%w (%v)", ErrUnreachable, err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return &cloud.NetworkError{Op: "asking the team signing service", Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		return answerError(resp.StatusCode, resp.Header, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return &cloud.ServerError{Status: resp.StatusCode, Message: "the team signing service's answer could not be read"}
	}
	return nil
}

// answerError classifies a non-200 answer of the service.
func answerError(status int, hdr http.Header, raw []byte) error {
	var body struct {
		Error *Problem `json:"error"`
	}
	msg := ""
	code := ""
	if json.Unmarshal(raw, &body) == nil && body.Error != nil {
		msg, code = body.Error.Message, body.Error.Code
	}
	switch {
	case code == cloud.CodePolicy || status == http.StatusForbidden:
		if msg == "" {
			msg = "The team's grant does not allow this; ask the account owner."
		}
		return &cloud.PolicyError{Message: msg}
	case code == cloud.CodeToken || status == http.StatusUnauthorized:
		return &cloud.TokenError{Message: msg}
	case code == cloud.CodeLimited || status == http.StatusTooManyRequests:
		re := &cloud.RateLimitedError{Status: status, Message: msg}
		if secs := hdr.Get("Retry-After"); secs != "" {
			var n int
			if _, err := fmt.Sscan(secs, &n); err == nil && n >= 0 {
				re.RetryAt = time.Now().Add(time.Duration(n) * time.Second)
			}
		}
		return re
	case code == cloud.CodeInvalid:
		return &cloud.InvalidRequestError{Message: msg}
	case status >= 500:
		if msg == "" {
			msg = http.StatusText(status)
		}
		return &cloud.ServerError{Status: status, Message: "the team signing service: " + msg}
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	return &cloud.RequestError{Status: status, Message: msg}
}

// WhoAmI asks who the token belongs to and what the editor may do.
func (c *Client) WhoAmI(ctx context.Context) (*WhoAmI, error) {
	var out WhoAmI
	if err := c.call(ctx, http.MethodGet, PathWhoAmI, nil, &out); err != nil {
		return nil, err
	}
	if out.Cloud == "" || out.APIKey == "" {
		return nil, errors.New("the team signing service did not say which account it signs for")
	}
	return &out, nil
}

// Sign signs calls in one round trip; results are in order.
func (c *Client) Sign(ctx context.Context, calls []SignCall) ([]SignResult, error) {
	var out SignResponse
	if err := c.call(ctx, http.MethodPost, PathSign, SignRequest{Calls: calls}, &out); err != nil {
		return nil, err
	}
	if len(out.Results) != len(calls) {
		return nil, &cloud.ServerError{Status: http.StatusOK, Message: fmt.Sprintf("the team signing service answered %d of %d calls", len(out.Results), len(calls))}
	}
	return out.Results, nil
}

// SignURL asks for a signed delivery URL.
func (c *Client) SignURL(ctx context.Context, req SignURLRequest) (string, error) {
	var out SignURLResponse
	if err := c.call(ctx, http.MethodPost, PathSignURL, req, &out); err != nil {
		return "", err
	}
	return out.URL, nil
}
