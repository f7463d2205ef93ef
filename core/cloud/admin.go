package cloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

func (c *Client) needSecret() error {
	if !c.Signed() {
		return ErrNeedsSecret
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Ref names one asset: its public_id, resource type (image by default) and
// delivery type (upload by default).
type Ref struct {
	PublicID     string
	ResourceType string
	Type         string
}

func (r Ref) rt() string  { return orDefault(r.ResourceType, "image") }
func (r Ref) typ() string { return orDefault(r.Type, "upload") }

// Destroy deletes an asset (and, with invalidate, its CDN copies). A missing
// asset is ErrNotFound.
func (c *Client) Destroy(ctx context.Context, ref Ref, invalidate bool) error {
	if err := c.needSecret(); err != nil {
		return err
	}
	params := url.Values{"public_id": {ref.PublicID}, "type": {ref.typ()}}
	if invalidate {
		params.Set("invalidate", "true")
	}
	if err := c.sign(ctx, "destroy", ref.rt(), params); err != nil {
		return err
	}
	var out struct {
		Result string `json:"result"`
	}
	if err := c.postForm(ctx, "destroy", c.endpoint(ref.rt(), "destroy"), params, false, &out); err != nil {
		return err
	}
	switch out.Result {
	case "ok":
		return nil
	case "not found":
		return fmt.Errorf("destroying %s: %w", ref.PublicID, ErrNotFound)
	}
	return &ServerError{Status: http.StatusOK, Message: fmt.Sprintf("destroy answered %q", out.Result)}
}

// Rename gives an asset a new public_id.
func (c *Client) Rename(ctx context.Context, ref Ref, to string, overwrite bool) (*Asset, error) {
	if err := c.needSecret(); err != nil {
		return nil, err
	}
	params := url.Values{
		"from_public_id": {ref.PublicID},
		"to_public_id":   {to},
		"type":           {ref.typ()},
		"overwrite":      {strconv.FormatBool(overwrite)},
	}
	if err := c.sign(ctx, "rename", ref.rt(), params); err != nil {
		return nil, err
	}
	var asset Asset
	if err := c.postForm(ctx, "rename", c.endpoint(ref.rt(), "rename"), params, false, &asset); err != nil {
		return nil, err
	}
	return &asset, nil
}

// Explicit applies actions to an existing asset (eager transformations, new
// tags or context…); params are Cloudinary's explicit parameters.
func (c *Client) Explicit(ctx context.Context, ref Ref, params url.Values) (*Asset, error) {
	if err := c.needSecret(); err != nil {
		return nil, err
	}
	p := url.Values{}
	for k, v := range params {
		p[k] = append([]string(nil), v...)
	}
	p.Set("public_id", ref.PublicID)
	p.Set("type", ref.typ())
	if err := c.sign(ctx, "explicit", ref.rt(), p); err != nil {
		return nil, err
	}
	var asset Asset
	if err := c.postForm(ctx, "explicit", c.endpoint(ref.rt(), "explicit"), p, false, &asset); err != nil {
		return nil, err
	}
	return &asset, nil
}

// TagCommand is what Tags does.
type TagCommand string

const (
	TagAdd       TagCommand = "add"
	TagRemove    TagCommand = "remove"
	TagReplace   TagCommand = "replace"
	TagRemoveAll TagCommand = "remove_all"
)

// Tags adds, removes or replaces a tag on assets of one resource type and
// returns the public_ids changed.
func (c *Client) Tags(ctx context.Context, cmd TagCommand, tag, resourceType string, publicIDs []string) ([]string, error) {
	if err := c.needSecret(); err != nil {
		return nil, err
	}
	if len(publicIDs) == 0 {
		return nil, errors.New("no public ids to tag")
	}
	p := url.Values{"command": {string(cmd)}}
	if cmd != TagRemoveAll {
		p.Set("tag", tag)
	}
	for i, id := range publicIDs {
		p.Set("public_ids["+strconv.Itoa(i)+"]", id)
	}
	if err := c.sign(ctx, "tags", orDefault(resourceType, "image"), p); err != nil {
		return nil, err
	}
	var out struct {
		PublicIDs []string `json:"public_ids"`
	}
	if err := c.postForm(ctx, "tags", c.endpoint(orDefault(resourceType, "image"), "tags"), p, false, &out); err != nil {
		return nil, err
	}
	return out.PublicIDs, nil
}

// Resource looks one asset up by public_id (Admin API). A missing asset is
// ErrNotFound.
func (c *Client) Resource(ctx context.Context, ref Ref) (*Asset, error) {
	if err := c.needSecret(); err != nil {
		return nil, err
	}
	segs := strings.Split(ref.PublicID, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	u := c.endpoint("resources", ref.rt(), ref.typ()) + "/" + strings.Join(segs, "/")
	a, err := c.send(ctx, exchange{op: "resource lookup", method: http.MethodGet, url: u, admin: true})
	if err != nil {
		return nil, err
	}
	if a.status == http.StatusNotFound {
		return nil, fmt.Errorf("%s: %w", ref.PublicID, ErrNotFound)
	}
	var asset Asset
	if err := c.decode(a, &asset); err != nil {
		return nil, err
	}
	return &asset, nil
}

// SortField orders search results: {"created_at": "desc"}.
type SortField struct {
	Field     string
	Direction string // "asc" or "desc"
}

// SearchQuery is a Search API request.
type SearchQuery struct {
	Expression string
	SortBy     []SortField
	MaxResults int    // Cloudinary allows up to 500; 0 = server default (50)
	NextCursor string // from the previous page
	WithField  []string
	Fields     []string
}

// SearchResult is one page of a search.
type SearchResult struct {
	TotalCount int     `json:"total_count"`
	Time       int     `json:"time"`
	Resources  []Asset `json:"resources"`
	NextCursor string  `json:"next_cursor"`
}

// Search runs a Search API query (POST resources/search, JSON body).
func (c *Client) Search(ctx context.Context, q SearchQuery) (*SearchResult, error) {
	if err := c.needSecret(); err != nil {
		return nil, err
	}
	if q.MaxResults < 0 || q.MaxResults > 500 {
		return nil, fmt.Errorf("max results %d is out of range: Cloudinary returns 1 to 500 per page", q.MaxResults)
	}
	body := map[string]any{}
	if q.Expression != "" {
		body["expression"] = q.Expression
	}
	if len(q.SortBy) > 0 {
		sorts := make([]map[string]string, 0, len(q.SortBy))
		for _, s := range q.SortBy {
			sorts = append(sorts, map[string]string{s.Field: orDefault(s.Direction, "desc")})
		}
		body["sort_by"] = sorts
	}
	if q.MaxResults > 0 {
		body["max_results"] = q.MaxResults
	}
	if q.NextCursor != "" {
		body["next_cursor"] = q.NextCursor
	}
	if len(q.WithField) > 0 {
		body["with_field"] = q.WithField
	}
	if len(q.Fields) > 0 {
		body["fields"] = q.Fields
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	a, err := c.send(ctx, exchange{
		op:     "search",
		method: http.MethodPost,
		url:    c.endpoint("resources", "search"),
		header: http.Header{"Content-Type": {"application/json"}},
		body:   func() io.Reader { return bytes.NewReader(raw) },
		length: int64(len(raw)),
		admin:  true,
	})
	if err != nil {
		return nil, err
	}
	var out SearchResult
	if err := c.decode(a, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// MaxIDsPerLookup is how many public_ids one ResourcesByIDs call may name.
const MaxIDsPerLookup = 100

// ResourcesByIDs looks assets of one resource type up by public_id with the
// Admin API (GET resources/{rt}/upload?public_ids=…), at most
// MaxIDsPerLookup per call: one call of the hourly budget for up to 100
// assets. Assets that do not exist are simply absent from the answer.
func (c *Client) ResourcesByIDs(ctx context.Context, resourceType string, publicIDs []string) ([]Asset, error) {
	if err := c.needSecret(); err != nil {
		return nil, err
	}
	if len(publicIDs) == 0 {
		return nil, nil
	}
	if len(publicIDs) > MaxIDsPerLookup {
		return nil, fmt.Errorf("%d public ids in one lookup: Cloudinary takes at most %d", len(publicIDs), MaxIDsPerLookup)
	}
	q := url.Values{"max_results": {strconv.Itoa(len(publicIDs))}}
	for _, id := range publicIDs {
		q.Add("public_ids[]", id)
	}
	u := c.endpoint("resources", orDefault(resourceType, "image"), "upload") + "?" + q.Encode()
	a, err := c.send(ctx, exchange{op: "resource lookup", method: http.MethodGet, url: u, admin: true})
	if err != nil {
		return nil, err
	}
	var out struct {
		Resources []Asset `json:"resources"`
	}
	if err := c.decode(a, &out); err != nil {
		return nil, err
	}
	return out.Resources, nil
}
