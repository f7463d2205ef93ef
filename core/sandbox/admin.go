package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// adminParams merges the query string with the body: JSON from
// cloudinary-go (which sends a JSON body even with DELETE), url-encoded or
// multipart from Node. JSON arrays become repeated "key[]" values and
// objects stay JSON text.
func adminParams(r *http.Request) (url.Values, error) {
	p := url.Values{}
	for k, v := range r.URL.Query() {
		p[k] = append(p[k], v...)
	}
	if r.Method == http.MethodGet || r.Body == nil {
		return p, nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		return nil, badRequest("The request body broke off: %v", err)
	}
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
	case mt == "application/json" || trimmed[0] == '{':
		var m map[string]json.RawMessage
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return nil, badRequest("Malformed JSON body: %v", err)
		}
		for k, raw := range m {
			var v any
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			if err := d.Decode(&v); err != nil {
				return nil, badRequest("Malformed JSON body: %s: %v", k, err)
			}
			if arr, ok := v.([]any); ok {
				for _, e := range arr {
					p.Add(k+"[]", jsonScalar(e))
				}
				continue
			}
			p.Add(k, jsonScalar(v))
		}
	case strings.HasPrefix(mt, "multipart/"):
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return nil, badRequest("Malformed multipart body: %v", err)
		}
		for k, v := range r.MultipartForm.Value {
			p[k] = append(p[k], v...)
		}
	default:
		q, err := url.ParseQuery(string(trimmed))
		if err != nil {
			return nil, badRequest("Malformed url-encoded body: %v", err)
		}
		for k, v := range q {
			p[k] = append(p[k], v...)
		}
	}
	return p, nil
}

var assetIDRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// handleResources serves /resources/… except search.
func (s *Server) handleResources(w http.ResponseWriter, r *http.Request, rest []string) error {
	p, err := adminParams(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	switch {
	case len(rest) == 0:
		return s.resourceTypes(w, r)
	case len(rest) == 1 && assetIDRE.MatchString(rest[0]):
		a, err := s.store.getByAssetID(ctx, rest[0])
		if errors.Is(err, errNoAsset) {
			return notFound("Resource not found - %s", rest[0])
		}
		if err != nil {
			return err
		}
		if r.Method == http.MethodPut || r.Method == http.MethodPost {
			return s.updateResource(w, a.ResourceType, a.Type, a.PublicID, p)
		}
		writeJSON(w, http.StatusOK, s.resourceJSON(a, resourceOptions{details: true, tags: true, context: true}))
		return nil
	case rest[0] == "by_asset_folder":
		folder := strings.Trim(p.Get("asset_folder"), "/")
		return s.listResources(w, p, func(a *asset) bool { return a.AssetFolder == folder })
	case rest[0] == "by_asset_ids":
		ids := listParam(p, "asset_ids")
		return s.listResources(w, p, func(a *asset) bool { return contains(ids, a.AssetID) })
	case !resourceTypes[rest[0]]:
		return notFound("Unknown resource type %s: use image, video or raw", rest[0])
	}
	rt := rest[0]
	if len(rest) == 1 {
		if r.Method != http.MethodGet {
			return errorf(http.StatusMethodNotAllowed, "%s needs GET", r.URL.Path)
		}
		return s.listResources(w, p, func(a *asset) bool { return a.ResourceType == rt })
	}
	switch rest[1] {
	case "tags":
		if len(rest) < 3 {
			return badRequest("Missing the tag: /resources/%s/tags/TAG", rt)
		}
		tag := strings.Join(rest[2:], "/")
		match := func(a *asset) bool { return a.ResourceType == rt && contains(a.Tags, tag) }
		if r.Method == http.MethodDelete {
			return s.deleteMatching(w, rt, match)
		}
		return s.listResources(w, p, match)
	case "context":
		key, value := p.Get("key"), p.Get("value")
		if key == "" {
			return badRequest("Missing required parameter - key")
		}
		return s.listResources(w, p, func(a *asset) bool {
			v, ok := a.Context[key]
			return a.ResourceType == rt && ok && (value == "" || v == value)
		})
	}
	typ := rest[1]
	if len(rest) == 2 {
		switch r.Method {
		case http.MethodDelete:
			return s.deleteResources(w, rt, typ, p)
		case http.MethodGet:
			if ids := listParam(p, "public_ids"); len(ids) > 0 {
				if len(ids) > 100 {
					return badRequest("Too many public_ids: %d given, at most 100 per call", len(ids))
				}
				// A lookup by ids answers every id asked for, not the
				// listing's default page of 10.
				if p.Get("max_results") == "" {
					p.Set("max_results", strconv.Itoa(len(ids)))
				}
				return s.listResources(w, p, func(a *asset) bool {
					return a.ResourceType == rt && a.Type == typ && contains(ids, a.PublicID)
				})
			}
			return s.listResources(w, p, func(a *asset) bool { return a.ResourceType == rt && a.Type == typ })
		}
		return errorf(http.StatusMethodNotAllowed, "%s needs GET or DELETE", r.URL.Path)
	}
	// The public_id is the rest of the path, slashes and all.
	publicID := strings.Join(rest[2:], "/")
	switch r.Method {
	case http.MethodGet:
		a, err := s.store.get(ctx, rt, typ, publicID)
		if errors.Is(err, errNoAsset) {
			return notFound("Resource not found - %s", publicID)
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, s.resourceJSON(a, resourceOptions{details: true, tags: true, context: true}))
		return nil
	case http.MethodPost, http.MethodPut:
		return s.updateResource(w, rt, typ, publicID, p)
	}
	return errorf(http.StatusMethodNotAllowed, "%s needs GET or POST", r.URL.Path)
}

func (s *Server) resourceTypes(w http.ResponseWriter, r *http.Request) error {
	all, err := s.store.all(r.Context())
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, a := range all {
		seen[a.ResourceType] = true
	}
	writeJSON(w, http.StatusOK, map[string][]string{"resource_types": sortedKeys(seen)})
	return nil
}

// maxResults reads max_results with a default and Cloudinary's ceiling.
func maxResults(p url.Values, def, max int) (int, error) {
	v := p.Get("max_results")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > max {
		return 0, badRequest("Invalid max_results value %q: it must be a number from 0 to %d", v, max)
	}
	return n, nil
}

// listResources answers GET /resources/… listings: newest first by
// default (direction=asc for oldest first), by public_id when a prefix is
// given, paged with next_cursor.
func (s *Server) listResources(w http.ResponseWriter, p url.Values, match func(*asset) bool) error {
	max, err := maxResults(p, 10, 500)
	if err != nil {
		return err
	}
	if max == 0 {
		max = 10
	}
	prefix := p.Get("prefix")
	var startAt time.Time
	if v := p.Get("start_at"); v != "" {
		if startAt, err = time.Parse(time.RFC3339, v); err != nil {
			return badRequest("Invalid start_at %q: use an RFC 3339 time such as 2024-01-31T00:00:00Z", v)
		}
	}
	keys := []sortKey{{field: "created_at", desc: true}}
	switch strings.ToLower(p.Get("direction")) {
	case "", "desc", "-1":
	case "asc", "1":
		keys[0].desc = false
	default:
		return badRequest("Invalid direction %q: use asc or desc", p.Get("direction"))
	}
	if prefix != "" {
		keys = []sortKey{{field: "public_id"}}
	}
	all, err := s.store.all(s.ctx)
	if err != nil {
		return err
	}
	var matches []*asset
	for _, a := range all {
		if match(a) && strings.HasPrefix(a.PublicID, prefix) && (startAt.IsZero() || !a.CreatedAt.Before(startAt)) {
			matches = append(matches, a)
		}
	}
	got, next, err := page(matches, keys, p.Get("next_cursor"), max)
	if err != nil {
		return err
	}
	wantTags, _ := boolParam(p, "tags", false)
	wantContext, _ := boolParam(p, "context", false)
	opts := resourceOptions{tags: wantTags, context: wantContext, fields: listParam(p, "fields")}
	list := make([]map[string]any, 0, len(got))
	for _, a := range got {
		list = append(list, s.resourceJSON(a, opts))
	}
	resp := map[string]any{"resources": list}
	if next != "" {
		resp["next_cursor"] = next
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// resourceOptions choose what a resource's JSON carries.
type resourceOptions struct {
	details bool     // a single asset: etag, original_filename, pages, derived…
	tags    bool     // include tags
	context bool     // include context as {"custom":{…}}
	fields  []string // when set, only these (plus identity fields)
}

func (s *Server) resourceJSON(a *asset, o resourceOptions) map[string]any {
	u := s.deliveryURL(a, "")
	m := map[string]any{
		"asset_id":      a.AssetID,
		"public_id":     a.PublicID,
		"format":        a.Format,
		"version":       a.Version,
		"resource_type": a.ResourceType,
		"type":          a.Type,
		"created_at":    rfc3339(a.CreatedAt),
		"bytes":         a.Bytes,
		"width":         a.Width,
		"height":        a.Height,
		"asset_folder":  a.AssetFolder,
		"display_name":  a.DisplayName,
		"backup":        false,
		"access_mode":   a.AccessMode,
		"url":           u,
		"secure_url":    u,
	}
	if a.ResourceType == "raw" {
		delete(m, "format")
		delete(m, "width")
		delete(m, "height")
	}
	if a.ResourceType == "video" && a.Duration > 0 {
		m["duration"] = a.Duration
	}
	if o.tags {
		m["tags"] = append([]string{}, a.Tags...)
	}
	if o.context && len(a.Context) > 0 {
		m["context"] = fullContext{Custom: a.Context}
	}
	if o.details {
		m["etag"] = a.Etag
		m["original_filename"] = a.OriginalFilename
		m["pages"] = a.Pages
		m["uploaded_at"] = rfc3339(a.UploadedAt)
		m["placeholder"] = false
		m["derived"] = []any{}
		m["next_cursor"] = ""
		m["last_updated"] = map[string]string{"updated_at": rfc3339(a.UploadedAt)}
		m["usage"] = map[string]any{}
		if a.ResourceType == "video" {
			m["video_metadata"] = a.Media
		}
		if len(a.Eager) > 0 {
			var eager []eagerResult
			for _, e := range a.Eager {
				eager = append(eager, s.eagerResult(a, e))
			}
			m["eager"] = eager
		}
	}
	if len(o.fields) > 0 {
		keep := map[string]bool{"public_id": true, "asset_id": true, "asset_folder": true, "created_at": true, "type": true, "resource_type": true, "status": true}
		for _, f := range o.fields {
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

// updateResource applies an Admin API update (tags, context, display_name,
// asset_folder) and answers with the asset's details.
func (s *Server) updateResource(w http.ResponseWriter, rt, typ, publicID string, p url.Values) error {
	var tags []string
	var err error
	setTags := len(listKeys(p, "tags")) > 0
	if setTags {
		if tags, err = tagsParam(p, "tags"); err != nil {
			return err
		}
	}
	var custom map[string]string
	if _, ok := p["context"]; ok {
		if custom, err = parseContext(p.Get("context")); err != nil {
			return err
		}
		for k, v := range custom {
			if v == "" {
				delete(custom, k)
			}
		}
	}
	af, setAF := p["asset_folder"]
	if setAF {
		if err := checkFolder("asset_folder", strings.Trim(af[0], "/")); err != nil {
			return err
		}
	}
	changed, err := s.store.modify(s.ctx, rt, typ, []string{publicID}, func(a *asset) bool {
		if setTags {
			a.Tags = tags
		}
		if custom != nil {
			a.Context = custom
		}
		if v := p.Get("display_name"); v != "" {
			a.DisplayName = v
		}
		if setAF {
			a.AssetFolder = strings.Trim(af[0], "/")
		}
		return true
	})
	if err != nil {
		return err
	}
	if len(changed) == 0 {
		return notFound("Resource not found - %s", publicID)
	}
	writeJSON(w, http.StatusOK, s.resourceJSON(changed[0], resourceOptions{details: true, tags: true, context: true}))
	return nil
}

type deleteResult struct {
	Deleted       map[string]string         `json:"deleted"`
	DeletedCounts map[string]map[string]int `json:"deleted_counts"`
	Partial       bool                      `json:"partial"`
	NextCursor    string                    `json:"next_cursor,omitempty"`
}

// deleteResources serves DELETE /resources/{rt}/{type} by public_ids
// (Go: {"public_ids":"a,b"}; Node: public_ids[]=a&public_ids[]=b), prefix
// or all.
func (s *Server) deleteResources(w http.ResponseWriter, rt, typ string, p url.Values) error {
	if ids := listParam(p, "public_ids"); len(ids) > 0 {
		if len(ids) > 100 {
			return badRequest("Too many public_ids: %d given, at most 100 per call", len(ids))
		}
		gone, err := s.store.remove(s.ctx, rt, typ, ids)
		if err != nil {
			return err
		}
		res := deleteResult{Deleted: map[string]string{}, DeletedCounts: map[string]map[string]int{}}
		for _, id := range ids {
			res.Deleted[id] = "not_found"
		}
		for _, a := range gone {
			s.removeBlob(a)
			res.Deleted[a.PublicID] = "deleted"
			res.DeletedCounts[a.PublicID] = map[string]int{"original": 1, "derived": 0}
		}
		writeJSON(w, http.StatusOK, res)
		return nil
	}
	prefix := p.Get("prefix")
	if prefix == "" {
		prefix = p.Get("prefix[]")
	}
	all, _ := boolParam(p, "all", false)
	if prefix == "" && !all {
		return badRequest("Missing required parameter - public_ids (or prefix, or all=true)")
	}
	return s.deleteMatching(w, rt, func(a *asset) bool {
		return a.ResourceType == rt && a.Type == typ && strings.HasPrefix(a.PublicID, prefix)
	})
}

// deleteMatching deletes up to 1000 matching assets per call, as
// Cloudinary does, saying partial when more remain.
func (s *Server) deleteMatching(w http.ResponseWriter, rt string, match func(*asset) bool) error {
	all, err := s.store.all(s.ctx)
	if err != nil {
		return err
	}
	byType := map[string][]string{}
	n := 0
	partial := false
	for _, a := range all {
		if !match(a) {
			continue
		}
		if n == 1000 {
			partial = true
			break
		}
		byType[a.Type] = append(byType[a.Type], a.PublicID)
		n++
	}
	res := deleteResult{Deleted: map[string]string{}, DeletedCounts: map[string]map[string]int{}, Partial: partial}
	for typ, ids := range byType {
		gone, err := s.store.remove(s.ctx, rt, typ, ids)
		if err != nil {
			return err
		}
		for _, a := range gone {
			s.removeBlob(a)
			res.Deleted[a.PublicID] = "deleted"
			res.DeletedCounts[a.PublicID] = map[string]int{"original": 1, "derived": 0}
		}
	}
	if partial {
		res.NextCursor = "more"
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// handleTagList serves GET /tags/{rt}: the tags in use, sorted.
func (s *Server) handleTagList(w http.ResponseWriter, r *http.Request, rest []string) error {
	if len(rest) != 1 || !resourceTypes[rest[0]] {
		return notFound("Use /tags/image, /tags/video or /tags/raw")
	}
	p, err := adminParams(r)
	if err != nil {
		return err
	}
	max, err := maxResults(p, 10, 500)
	if err != nil {
		return err
	}
	all, err := s.store.all(s.ctx)
	if err != nil {
		return err
	}
	prefix := p.Get("prefix")
	seen := map[string]bool{}
	for _, a := range all {
		if a.ResourceType != rest[0] {
			continue
		}
		for _, t := range a.Tags {
			if strings.HasPrefix(t, prefix) {
				seen[t] = true
			}
		}
	}
	tags := sortedKeys(seen)
	start := 0
	if c := p.Get("next_cursor"); c != "" {
		start = sort.SearchStrings(tags, c)
		if start < len(tags) && tags[start] == c {
			start++
		}
	}
	if max == 0 {
		max = 10
	}
	end := start + max
	if end > len(tags) {
		end = len(tags)
	}
	resp := map[string]any{"tags": append([]string{}, tags[start:end]...)}
	if end < len(tags) && end > start {
		resp["next_cursor"] = tags[end-1]
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// handleUsage serves /usage (account usage and the media limits a client
// should respect) and /ping.
func (s *Server) handleUsage(w http.ResponseWriter, r *http.Request, which string) error {
	if which == "ping" {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return nil
	}
	all, err := s.store.all(s.ctx)
	if err != nil {
		return err
	}
	var bytes int64
	for _, a := range all {
		bytes += a.Bytes
	}
	st := s.Stats()
	var requests int64
	for _, n := range st.Requests {
		requests += n
	}
	limit := s.limits.AdminCallsPerHour
	writeJSON(w, http.StatusOK, map[string]any{
		"plan":              "Sandbox",
		"last_updated":      time.Now().UTC().Format("2006-01-02"),
		"resources":         len(all),
		"derived_resources": 0,
		"objects":           map[string]any{"usage": len(all)},
		"storage":           map[string]any{"usage": bytes},
		"bandwidth":         map[string]any{"usage": 0},
		"requests":          requests,
		"rate_limit_allowed": func() int {
			if limit <= 0 {
				return 0
			}
			return limit
		}(),
		"media_limits": map[string]any{
			"image_max_size_bytes": s.limits.MaxImageBytes,
			"video_max_size_bytes": s.limits.MaxVideoBytes,
			"raw_max_size_bytes":   s.limits.MaxRawBytes,
			"max_request_bytes":    s.limits.MaxRequestBytes,
			"min_chunk_bytes":      s.limits.MinChunkBytes,
		},
	})
	return nil
}

var presetNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

// presetMeta are preset fields that are not upload settings.
var presetMeta = map[string]bool{"name": true, "unsigned": true}

// handlePresets serves /upload_presets[/NAME].
func (s *Server) handlePresets(w http.ResponseWriter, r *http.Request, rest []string) error {
	p, err := adminParams(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if len(rest) == 0 {
		switch r.Method {
		case http.MethodGet:
			list, err := s.store.presets(ctx)
			if err != nil {
				return err
			}
			out := make([]map[string]any, 0, len(list))
			for _, pr := range list {
				out = append(out, presetJSON(pr))
			}
			writeJSON(w, http.StatusOK, map[string]any{"presets": out})
			return nil
		case http.MethodPost:
			name := p.Get("name")
			if name == "" {
				name = randomID(8)
			}
			if !presetNameRE.MatchString(name) {
				return badRequest("Invalid preset name %q: use letters, digits, '-' and '_'", truncate(name, 40))
			}
			pr := &preset{Name: name, Settings: presetSettings(p)}
			if pr.Unsigned, err = boolParam(p, "unsigned", false); err != nil {
				return err
			}
			if err := checkPresetSettings(pr.Settings); err != nil {
				return err
			}
			err := s.store.savePreset(ctx, pr, true)
			if errors.Is(err, errExists) {
				return errorf(http.StatusConflict, "Upload preset %s already exists", name)
			}
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, map[string]string{"message": "created", "name": name})
			return nil
		}
		return errorf(http.StatusMethodNotAllowed, "%s needs GET or POST", r.URL.Path)
	}
	name := strings.Join(rest, "/")
	pr, err := s.store.preset(ctx, name)
	if errors.Is(err, errNoPreset) {
		return notFound("Upload preset %s not found", name)
	}
	if err != nil {
		return err
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, presetJSON(pr))
		return nil
	case http.MethodPut, http.MethodPost:
		for k, v := range presetSettings(p) {
			pr.Settings[k] = v
		}
		if _, ok := p["unsigned"]; ok {
			if pr.Unsigned, err = boolParam(p, "unsigned", false); err != nil {
				return err
			}
		}
		if err := checkPresetSettings(pr.Settings); err != nil {
			return err
		}
		if err := s.store.savePreset(ctx, pr, false); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]string{"message": "updated"})
		return nil
	case http.MethodDelete:
		if err := s.store.deletePreset(ctx, name); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]string{"message": "deleted"})
		return nil
	}
	return errorf(http.StatusMethodNotAllowed, "%s needs GET, PUT or DELETE", r.URL.Path)
}

// presetSettings keeps a preset's upload parameters as strings, with lists
// (tags[] from JSON arrays) joined by commas.
func presetSettings(p url.Values) map[string]string {
	out := map[string]string{}
	for k := range p {
		b := baseName(k)
		if presetMeta[b] {
			continue
		}
		out[b] = strings.Join(listParam(p, b), ",")
		if b == "context" || b == "eager" || b == "transformation" {
			out[b] = p.Get(k)
		}
	}
	return out
}

func checkPresetSettings(settings map[string]string) error {
	if f, ok := settings["folder"]; ok {
		if err := checkFolder("folder", strings.Trim(f, "/")); err != nil {
			return err
		}
	}
	if f, ok := settings["asset_folder"]; ok {
		if err := checkFolder("asset_folder", strings.Trim(f, "/")); err != nil {
			return err
		}
	}
	if c, ok := settings["context"]; ok {
		if _, err := parseContext(c); err != nil {
			return err
		}
	}
	return nil
}

// presetJSON shows settings with their natural types: lists as arrays,
// booleans as booleans.
func presetJSON(pr *preset) map[string]any {
	settings := map[string]any{}
	for k, v := range pr.Settings {
		switch {
		case k == "tags" || k == "allowed_formats":
			settings[k] = listParam(url.Values{k: {v}}, k)
		case v == "true" || v == "false":
			settings[k] = v == "true"
		default:
			settings[k] = v
		}
	}
	return map[string]any{"name": pr.Name, "unsigned": pr.Unsigned, "settings": settings}
}

// describe is for log lines about an asset.
func describe(a *asset) string {
	return fmt.Sprintf("%s/%s/%s v%d", a.ResourceType, a.Type, a.PublicID, a.Version)
}
