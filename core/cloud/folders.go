package cloud

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Folder is one folder of a dynamic-folder account (Admin API folders).
type Folder struct {
	Name       string `json:"name"`
	Path       string `json:"path"`
	ExternalID string `json:"external_id,omitempty"`
}

// adminCall sends an Admin API request with Basic auth; form values go in
// the body (url-encoded) for writes and in the query for reads.
func (c *Client) adminCall(ctx context.Context, op, method, u string, form url.Values, out any) (*answer, error) {
	if err := c.needSecret(); err != nil {
		return nil, err
	}
	ex := exchange{op: op, method: method, url: u, admin: true}
	if len(form) > 0 {
		if method == http.MethodGet {
			u += "?" + form.Encode()
			ex.url = u
		} else {
			encoded := []byte(form.Encode())
			ex.header = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
			ex.body = func() io.Reader { return bytes.NewReader(encoded) }
			ex.length = int64(len(encoded))
		}
	}
	a, err := c.send(ctx, ex)
	if err != nil {
		return nil, err
	}
	return a, c.decode(a, out)
}

func escapePath(p string) string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// Folders lists the folders directly inside parent ("" is the root).
func (c *Client) Folders(ctx context.Context, parent string) ([]Folder, error) {
	u := c.endpoint("folders")
	if parent = strings.Trim(parent, "/"); parent != "" {
		u += "/" + escapePath(parent)
	}
	var out struct {
		Folders []Folder `json:"folders"`
	}
	if _, err := c.adminCall(ctx, "folder listing", http.MethodGet, u, nil, &out); err != nil {
		return nil, err
	}
	return out.Folders, nil
}

// CreateFolder makes a folder (and the ones above it); one that exists is
// not an error.
func (c *Client) CreateFolder(ctx context.Context, path string) (*Folder, error) {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil, fmt.Errorf("no folder name: type the folder's path, like blog/2026")
	}
	var f Folder
	if _, err := c.adminCall(ctx, "folder creation", http.MethodPost, c.endpoint("folders")+"/"+escapePath(path), nil, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// RenameFolder moves a folder, with everything in it, to a new path.
func (c *Client) RenameFolder(ctx context.Context, from, to string) error {
	_, err := c.adminCall(ctx, "folder rename", http.MethodPut, c.endpoint("folders")+"/"+escapePath(from), url.Values{"to_folder": {strings.Trim(to, "/")}}, nil)
	return err
}

// DeleteFolder removes an empty folder.
func (c *Client) DeleteFolder(ctx context.Context, path string) error {
	_, err := c.adminCall(ctx, "folder deletion", http.MethodDelete, c.endpoint("folders")+"/"+escapePath(path), nil, nil)
	return err
}

// Update are the Admin API's asset changes; nil fields are left as they are.
type Update struct {
	DisplayName *string
	AssetFolder *string
	Tags        *[]string         // replaces all tags
	Context     map[string]string // replaces all context; "" values are dropped
}

// Update changes an asset's names, folder, tags or context (Admin API
// update) and returns it as it is now.
func (c *Client) Update(ctx context.Context, ref Ref, up Update) (*Asset, error) {
	form := url.Values{}
	if up.DisplayName != nil {
		form.Set("display_name", *up.DisplayName)
	}
	if up.AssetFolder != nil {
		form.Set("asset_folder", strings.Trim(*up.AssetFolder, "/"))
	}
	if up.Tags != nil {
		form.Set("tags", strings.Join(cleanTags(*up.Tags), ","))
	}
	if up.Context != nil {
		form.Set("context", FormatContext(up.Context))
	}
	u := c.endpoint("resources", ref.rt(), ref.typ()) + "/" + escapePath(ref.PublicID)
	var asset Asset
	a, err := c.adminCall(ctx, "asset update", http.MethodPost, u, form, &asset)
	if a != nil && a.status == http.StatusNotFound {
		return nil, fmt.Errorf("%s: %w", ref.PublicID, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return &asset, nil
}

// AddContext sets context keys (alt, caption…) on up to 1,000 assets of one
// resource type in one call; an empty value removes the key. It returns the
// public_ids changed.
func (c *Client) AddContext(ctx context.Context, kv map[string]string, resourceType, typ string, publicIDs []string) ([]string, error) {
	if err := c.needSecret(); err != nil {
		return nil, err
	}
	if len(publicIDs) == 0 {
		return nil, fmt.Errorf("no public ids to change")
	}
	p := url.Values{"command": {"add"}, "context": {FormatContext(kv)}, "type": {orDefault(typ, "upload")}}
	for i, id := range publicIDs {
		p.Set("public_ids["+strconv.Itoa(i)+"]", id)
	}
	rt := orDefault(resourceType, "image")
	if err := c.sign(ctx, "context", rt, p); err != nil {
		return nil, err
	}
	var out struct {
		PublicIDs []string `json:"public_ids"`
	}
	if err := c.postForm(ctx, "context", c.endpoint(rt, "context"), p, false, &out); err != nil {
		return nil, err
	}
	return out.PublicIDs, nil
}

// TagNames lists the tags the account uses on one resource type, those
// starting with prefix, up to max (Cloudinary pages at 500).
func (c *Client) TagNames(ctx context.Context, resourceType, prefix string, max int) ([]string, error) {
	var all []string
	cursor := ""
	for len(all) < max {
		form := url.Values{"max_results": {strconv.Itoa(min(500, max-len(all)))}}
		if prefix != "" {
			form.Set("prefix", prefix)
		}
		if cursor != "" {
			form.Set("next_cursor", cursor)
		}
		var out struct {
			Tags       []string `json:"tags"`
			NextCursor string   `json:"next_cursor"`
		}
		if _, err := c.adminCall(ctx, "tag listing", http.MethodGet, c.endpoint("tags", orDefault(resourceType, "image")), form, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Tags...)
		if out.NextCursor == "" || len(out.Tags) == 0 {
			break
		}
		cursor = out.NextCursor
	}
	return all, nil
}
