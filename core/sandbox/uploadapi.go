package sandbox

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The Upload API's other calls (destroy, rename, tags, context, explicit)
// are signed like uploads but carry no file. cloudinary-go sends them
// url-encoded without a Content-Type; Node sends multipart.

// signedCall parses and authenticates such a call.
func (s *Server) signedCall(r *http.Request) (url.Values, error) {
	f, err := parseForm(r, formOptions{
		openFile: func(url.Values, string, bool) (io.Writer, error) {
			return nil, badRequest("This call takes no file")
		},
		maxFile:    0,
		tooLarge:   func(int64) error { return badRequest("This call takes no file") },
		maxDataURI: 0,
	})
	if err != nil {
		return nil, err
	}
	if f.fileURL != "" {
		return nil, badRequest("This call takes no file")
	}
	if _, err := s.authorizeUpload(r.Context(), r, f.params, false); err != nil {
		return nil, err
	}
	return f.params, nil
}

func deliveryType(p url.Values, key string) (string, error) {
	t := p.Get(key)
	switch t {
	case "":
		return "upload", nil
	case "upload", "private", "authenticated":
		return t, nil
	}
	return "", badRequest("Invalid %s parameter value %q: use upload, private or authenticated", key, t)
}

func (s *Server) handleDestroy(w http.ResponseWriter, r *http.Request, rt string) error {
	p, err := s.signedCall(r)
	if err != nil {
		return err
	}
	id := p.Get("public_id")
	if id == "" {
		return badRequest("Missing required parameter - public_id")
	}
	typ, err := deliveryType(p, "type")
	if err != nil {
		return err
	}
	gone, err := s.store.remove(s.ctx, rt, typ, []string{id})
	if err != nil {
		return err
	}
	result := "not found"
	for _, a := range gone {
		s.removeBlob(a)
		result = "ok"
	}
	writeJSON(w, http.StatusOK, map[string]string{"result": result})
	return nil
}

func (s *Server) handleRename(w http.ResponseWriter, r *http.Request, rt string) error {
	p, err := s.signedCall(r)
	if err != nil {
		return err
	}
	from, to := p.Get("from_public_id"), strings.TrimSpace(p.Get("to_public_id"))
	if from == "" {
		return badRequest("Missing required parameter - from_public_id")
	}
	if to == "" {
		return badRequest("Missing required parameter - to_public_id")
	}
	if err := checkPublicID(to); err != nil {
		return err
	}
	typ, err := deliveryType(p, "type")
	if err != nil {
		return err
	}
	toType := typ
	if p.Get("to_type") != "" {
		if toType, err = deliveryType(p, "to_type"); err != nil {
			return err
		}
	}
	overwrite, err := boolParam(p, "overwrite", false)
	if err != nil {
		return err
	}
	moved, replaced, err := s.store.rename(s.ctx, rt, typ, from, toType, to, overwrite)
	switch {
	case errors.Is(err, errNoAsset):
		return notFound("Resource not found - %s", from)
	case errors.Is(err, errExists):
		return badRequest("Resource already exists - %s (pass overwrite=true to replace it)", to)
	case err != nil:
		return err
	}
	s.removeBlob(replaced)
	writeJSON(w, http.StatusOK, s.resourceJSON(moved, resourceOptions{tags: true, context: true}))
	return nil
}

// publicIDsParam reads public_ids in every shape the SDKs send.
func publicIDsParam(p url.Values, max int) ([]string, error) {
	ids := listParam(p, "public_ids")
	if len(ids) == 0 {
		return nil, badRequest("Missing required parameter - public_ids")
	}
	if len(ids) > max {
		return nil, badRequest("Too many public_ids: %d given, at most %d per call", len(ids), max)
	}
	return ids, nil
}

// bulkCall is what the bulk tags and context calls share: which assets,
// of which delivery type, and the command.
type bulkCall struct {
	p       url.Values
	ids     []string
	typ     string
	command string
}

// parseBulkCall reads a signed tags/context call's common parameters.
func (s *Server) parseBulkCall(r *http.Request) (bulkCall, error) {
	p, err := s.signedCall(r)
	if err != nil {
		return bulkCall{}, err
	}
	ids, err := publicIDsParam(p, 1000)
	if err != nil {
		return bulkCall{}, err
	}
	typ, err := deliveryType(p, "type")
	if err != nil {
		return bulkCall{}, err
	}
	return bulkCall{p: p, ids: ids, typ: typ, command: p.Get("command")}, nil
}

func (s *Server) handleTags(w http.ResponseWriter, r *http.Request, rt string) error {
	bc, err := s.parseBulkCall(r)
	if err != nil {
		return err
	}
	ids, typ, command := bc.ids, bc.typ, bc.command
	tags, err := tagsParam(bc.p, "tag")
	if err != nil {
		return err
	}
	switch command {
	case "add", "remove", "replace", "set_exclusive":
		if len(tags) == 0 {
			return badRequest("Missing required parameter - tag")
		}
	case "remove_all":
	case "":
		return badRequest("Missing required parameter - command")
	default:
		return badRequest("Invalid command %q: use add, remove, replace or remove_all", command)
	}
	if command == "set_exclusive" {
		// The tag moves to these assets alone.
		all, err := s.store.all(s.ctx)
		if err != nil {
			return err
		}
		var holders []string
		for _, a := range all {
			if a.ResourceType == rt && a.Type == typ && contains(a.Tags, tags[0]) {
				holders = append(holders, a.PublicID)
			}
		}
		if _, err := s.store.modify(s.ctx, rt, typ, holders, func(a *asset) bool {
			a.Tags = without(a.Tags, tags)
			return true
		}); err != nil {
			return err
		}
		command = "add"
	}
	changed, err := s.store.modify(s.ctx, rt, typ, ids, func(a *asset) bool {
		switch command {
		case "add":
			for _, t := range tags {
				if !contains(a.Tags, t) {
					a.Tags = append(a.Tags, t)
				}
			}
		case "remove":
			a.Tags = without(a.Tags, tags)
		case "replace":
			a.Tags = append([]string{}, tags...)
		case "remove_all":
			a.Tags = []string{}
		}
		return true
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]string{"public_ids": publicIDsOf(changed)})
	return nil
}

func (s *Server) handleContext(w http.ResponseWriter, r *http.Request, rt string) error {
	bc, err := s.parseBulkCall(r)
	if err != nil {
		return err
	}
	ids, typ, command := bc.ids, bc.typ, bc.command
	var add map[string]string
	switch command {
	case "add":
		if add, err = parseContext(bc.p.Get("context")); err != nil {
			return err
		}
		if len(add) == 0 {
			return badRequest("Missing required parameter - context")
		}
	case "remove_all":
	case "":
		return badRequest("Missing required parameter - command")
	default:
		return badRequest("Invalid command %q: use add or remove_all", command)
	}
	changed, err := s.store.modify(s.ctx, rt, typ, ids, func(a *asset) bool {
		if command == "remove_all" {
			a.Context = map[string]string{}
			return true
		}
		if a.Context == nil {
			a.Context = map[string]string{}
		}
		for k, v := range add {
			if v == "" {
				delete(a.Context, k)
			} else {
				a.Context[k] = v
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]string{"public_ids": publicIDsOf(changed)})
	return nil
}

// handleExplicit updates an existing asset's tags, context, eager list and
// names, and answers like an upload.
func (s *Server) handleExplicit(w http.ResponseWriter, r *http.Request, rt string) error {
	p, err := s.signedCall(r)
	if err != nil {
		return err
	}
	id := p.Get("public_id")
	if id == "" {
		return badRequest("Missing required parameter - public_id")
	}
	typ, err := deliveryType(p, "type")
	if err != nil {
		return err
	}
	var tags []string
	if len(listKeys(p, "tags")) > 0 {
		if tags, err = tagsParam(p, "tags"); err != nil {
			return err
		}
	}
	var custom map[string]string
	if _, ok := p["context"]; ok {
		if custom, err = parseContext(p.Get("context")); err != nil {
			return err
		}
	}
	var eager []string
	for _, e := range strings.Split(p.Get("eager"), "|") {
		if e = strings.TrimSpace(e); e != "" {
			eager = append(eager, e)
		}
	}
	if err := checkEager(eager, rt); err != nil {
		return err
	}
	if af := p.Get("asset_folder"); af != "" {
		if err := checkFolder("asset_folder", strings.Trim(af, "/")); err != nil {
			return err
		}
	}
	changed, err := s.store.modify(s.ctx, rt, typ, []string{id}, func(a *asset) bool {
		if tags != nil {
			a.Tags = tags
		}
		if custom != nil {
			for k, v := range custom {
				if v == "" {
					delete(custom, k)
				}
			}
			a.Context = custom
		}
		for _, e := range eager {
			if !contains(a.Eager, e) {
				a.Eager = append(a.Eager, e)
			}
		}
		if v := p.Get("display_name"); v != "" {
			a.DisplayName = v
		}
		if v := p.Get("asset_folder"); v != "" {
			a.AssetFolder = strings.Trim(v, "/")
		}
		return true
	})
	if err != nil {
		return err
	}
	if len(changed) == 0 {
		return notFound("Resource not found - %s", id)
	}
	writeJSON(w, http.StatusOK, s.uploadResponse(changed[0], false, false))
	return nil
}

func listKeys(p url.Values, key string) []string {
	var out []string
	for k := range p {
		if k == key || baseName(k) == key {
			out = append(out, k)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func without(list, drop []string) []string {
	out := []string{}
	for _, v := range list {
		if !contains(drop, v) {
			out = append(out, v)
		}
	}
	return out
}

func publicIDsOf(as []*asset) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.PublicID)
	}
	return out
}

// commitContext is how long a commit may take once a request's bytes are in.
func (s *Server) commitContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.ctx, 10*time.Minute)
}
