package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cloudup/cloudup/core/searchexpr"
)

// searchRequest is the Search API body. cloudinary-go and Node send JSON;
// fields may be an array (Go) or a comma-separated string (the spec);
// with_field likewise; sort_by is [{"field":"asc|desc"}, …].
type searchRequest struct {
	Expression string          `json:"expression"`
	SortBy     json.RawMessage `json:"sort_by"`
	MaxResults json.RawMessage `json:"max_results"`
	NextCursor string          `json:"next_cursor"`
	WithField  json.RawMessage `json:"with_field"`
	Fields     json.RawMessage `json:"fields"`
	Aggregate  json.RawMessage `json:"aggregate"`
}

// stringList reads a JSON array of strings or one comma-separated string.
func stringList(raw json.RawMessage, name string) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, badRequest("Invalid %s: give an array of names or a comma-separated string", name)
	}
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out, nil
}

func parseSortBy(raw json.RawMessage) ([]sortKey, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return []sortKey{{field: "created_at", desc: true}}, nil
	}
	var pairs []map[string]string
	if err := json.Unmarshal(raw, &pairs); err != nil {
		var one map[string]string
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, badRequest(`Invalid sort_by: give [{"created_at":"desc"}, {"public_id":"asc"}]`)
		}
		pairs = []map[string]string{one}
	}
	var keys []sortKey
	for _, pair := range pairs {
		if len(pair) != 1 {
			return nil, badRequest(`Invalid sort_by: each entry names one field, like {"created_at":"desc"}`)
		}
		for field, dir := range pair {
			if !sortFields[field] {
				return nil, badRequest("Invalid sort_by field %q: sort by created_at, uploaded_at, public_id, bytes, width, height, format, display_name, …", field)
			}
			switch strings.ToLower(dir) {
			case "desc", "-1":
				keys = append(keys, sortKey{field: field, desc: true})
			case "asc", "1", "":
				keys = append(keys, sortKey{field: field})
			default:
				return nil, badRequest("Invalid sort_by direction %q for %s: use asc or desc", dir, field)
			}
		}
	}
	if len(keys) == 0 {
		keys = []sortKey{{field: "created_at", desc: true}}
	}
	return keys, nil
}

// handleSearch serves POST /resources/search (and GET with query
// parameters).
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) error {
	started := time.Now()
	var req searchRequest
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		req.Expression, req.NextCursor = q.Get("expression"), q.Get("next_cursor")
		if v := q.Get("max_results"); v != "" {
			req.MaxResults = json.RawMessage(strconv.Quote(v))
		}
		for name, dst := range map[string]*json.RawMessage{"sort_by": &req.SortBy, "with_field": &req.WithField, "fields": &req.Fields} {
			if v := q.Get(name); v != "" {
				if json.Valid([]byte(v)) {
					*dst = json.RawMessage(v)
				} else {
					*dst = json.RawMessage(strconv.Quote(v))
				}
			}
		}
	} else {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return badRequest("The request body broke off: %v", err)
		}
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, &req); err != nil {
				return badRequest("Malformed search request: %v (send a JSON object with expression, sort_by, max_results, next_cursor, with_field, fields)", err)
			}
		}
	}
	max := 50
	if len(req.MaxResults) > 0 && string(req.MaxResults) != "null" {
		v := strings.Trim(string(req.MaxResults), `"`)
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 500 {
			return badRequest("Invalid max_results value %s: it must be a number from 0 to 500", v)
		}
		max = n
	}
	keys, err := parseSortBy(req.SortBy)
	if err != nil {
		return err
	}
	withField, err := stringList(req.WithField, "with_field")
	if err != nil {
		return err
	}
	fields, err := stringList(req.Fields, "fields")
	if err != nil {
		return err
	}
	expr, err := searchexpr.Parse(req.Expression)
	if err != nil {
		var se *searchexpr.SyntaxError
		if errors.As(err, &se) {
			return badRequest("Invalid search expression %q: %s (at position %d)", truncate(req.Expression, 200), se.Msg, se.Pos)
		}
		return badRequest("Invalid search expression: %v", err)
	}
	all, err := s.store.all(s.ctx)
	if err != nil {
		return err
	}
	var matches []*asset
	for _, a := range all {
		if expr.Match(searchDoc{a}) {
			matches = append(matches, a)
		}
	}
	resp := map[string]any{"total_count": len(matches)}
	list := []map[string]any{}
	if max > 0 {
		got, next, err := page(matches, keys, req.NextCursor, max)
		if err != nil {
			return err
		}
		for _, a := range got {
			list = append(list, s.searchJSON(a, withField, fields))
		}
		if next != "" {
			resp["next_cursor"] = next
		}
	}
	resp["resources"] = list
	resp["time"] = time.Since(started).Milliseconds()
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// searchJSON is one search result. context is a flat string map here
// (cloudinary-go's SearchAsset fails to decode {"custom":{…}}).
func (s *Server) searchJSON(a *asset, withField, fields []string) map[string]any {
	u := s.deliveryURL(a, "")
	m := map[string]any{
		"asset_id":       a.AssetID,
		"public_id":      a.PublicID,
		"folder":         folderOf(a),
		"asset_folder":   a.AssetFolder,
		"filename":       filenameOf(a),
		"display_name":   a.DisplayName,
		"format":         a.Format,
		"version":        a.Version,
		"resource_type":  a.ResourceType,
		"type":           a.Type,
		"created_at":     rfc3339(a.CreatedAt),
		"uploaded_at":    rfc3339(a.UploadedAt),
		"bytes":          a.Bytes,
		"backup_bytes":   0,
		"url":            u,
		"secure_url":     u,
		"status":         "active",
		"access_mode":    a.AccessMode,
		"access_control": nil,
		"etag":           a.Etag,
		"created_by":     map[string]string{"access_key": s.key},
		"uploaded_by":    map[string]string{"access_key": s.key},
	}
	if a.ResourceType != "raw" {
		m["width"] = a.Width
		m["height"] = a.Height
		m["aspect_ratio"] = aspectRatio(a)
		m["pixels"] = a.Width * a.Height
	} else {
		m["format"] = nil
	}
	if a.ResourceType == "video" {
		m["duration"] = a.Duration
	}
	want := map[string]bool{}
	for _, f := range withField {
		want[f] = true
	}
	for _, f := range fields {
		want[f] = true
	}
	if want["tags"] {
		m["tags"] = append([]string{}, a.Tags...)
	}
	if want["context"] {
		ctx := map[string]string{}
		for k, v := range a.Context {
			ctx[k] = v
		}
		m["context"] = ctx
	}
	if want["image_metadata"] {
		m["image_metadata"] = map[string]string{}
	}
	if len(fields) > 0 {
		keep := map[string]bool{"public_id": true, "asset_id": true, "asset_folder": true, "created_at": true, "status": true, "type": true, "resource_type": true}
		for _, f := range fields {
			keep[f] = true
		}
		for k := range m {
			if !keep[k] {
				delete(m, k)
			}
		}
	}
	return m
}

// searchDoc exposes an asset to search expressions.
type searchDoc struct{ a *asset }

func (d searchDoc) Text(field string) []string {
	a := d.a
	switch field {
	case "public_id":
		return []string{a.PublicID}
	case "asset_id":
		return []string{a.AssetID}
	case "filename":
		return []string{filenameOf(a)}
	case "display_name":
		return []string{a.DisplayName}
	case "folder":
		// In dynamic-folder accounts "folder" searches the asset folder;
		// the public_id path counts too.
		out := []string{a.AssetFolder}
		if f := folderOf(a); f != a.AssetFolder {
			out = append(out, f)
		}
		return out
	case "asset_folder":
		return []string{a.AssetFolder}
	case "format":
		return []string{a.Format}
	case "resource_type":
		return []string{a.ResourceType}
	case "type":
		return []string{a.Type}
	case "tags":
		return a.Tags
	case "status":
		return []string{"active"}
	case "access_mode":
		return []string{a.AccessMode}
	case "etag":
		return []string{a.Etag}
	case "original_filename":
		return []string{a.OriginalFilename}
	case "context":
		out := make([]string, 0, len(a.Context))
		for _, k := range sortedKeys(a.Context) {
			out = append(out, a.Context[k])
		}
		return out
	}
	if key, ok := strings.CutPrefix(field, "context."); ok {
		if v, ok := a.Context[key]; ok {
			return []string{v}
		}
	}
	return nil
}

func (d searchDoc) Number(field string) (float64, bool) {
	a := d.a
	visual := a.ResourceType != "raw"
	switch field {
	case "bytes":
		return float64(a.Bytes), true
	case "width":
		return float64(a.Width), visual
	case "height":
		return float64(a.Height), visual
	case "pixels":
		return float64(a.Width * a.Height), visual
	case "aspect_ratio":
		return aspectRatio(a), visual && a.Height > 0
	case "duration":
		return a.Duration, a.ResourceType == "video"
	case "version":
		return float64(a.Version), true
	case "pages":
		return float64(a.Pages), a.ResourceType == "image"
	}
	return 0, false
}

func (d searchDoc) Time(field string) (time.Time, bool) {
	switch field {
	case "created_at":
		return d.a.CreatedAt, true
	case "uploaded_at":
		return d.a.UploadedAt, true
	}
	return time.Time{}, false
}
