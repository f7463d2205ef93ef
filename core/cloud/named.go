package cloud

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
)

var namedTransformationRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$`)

// CreateNamedTransformation saves transformation on the account as a named
// transformation, delivered as t_NAME (Admin API POST /transformations).
// Cloudinary answers 409 when the name is taken.
func (c *Client) CreateNamedTransformation(ctx context.Context, name, transformation string) error {
	if err := c.needSecret(); err != nil {
		return err
	}
	if !namedTransformationRE.MatchString(name) {
		return errors.New("a named transformation's name uses letters, digits, '-' and '_' (at most 100)")
	}
	body := []byte(url.Values{"name": {name}, "transformation": {transformation}}.Encode())
	a, err := c.send(ctx, exchange{
		op:     "named transformation",
		method: http.MethodPost,
		url:    c.endpoint("transformations"),
		header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		body:   func() io.Reader { return bytes.NewReader(body) },
		length: int64(len(body)),
		admin:  true,
	})
	if err != nil {
		return err
	}
	var out struct {
		Message string `json:"message"`
	}
	err = c.decode(a, &out)
	var re *RequestError
	if errors.As(err, &re) && re.Status == http.StatusConflict {
		return &NameTakenError{Name: name}
	}
	return err
}

// NameTakenError is a named transformation's name the account uses already.
type NameTakenError struct{ Name string }

func (e *NameTakenError) Error() string {
	return "Cloudinary already has a transformation called t_" + e.Name + "; pick another name"
}
