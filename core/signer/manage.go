package signer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// The Admin API calls the app's library management makes, on an editor's
// behalf and only inside the editor's folders: folder listings (cut to the
// folders the editor may see), folder creation, and asset updates (names,
// tags, context, asset folder; edit rights needed). Each is audited.

// ancestorOfGrant reports whether p is a folder above one of the grant's.
func ancestorOfGrant(g Policy, p string) bool {
	for _, f := range g.Folders {
		if strings.HasPrefix(f, p+"/") {
			return true
		}
	}
	return false
}

func escapedPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

func (s *Service) refused(r *request, entry AuditEntry, err error) error {
	var ref *Refusal
	if errors.As(err, &ref) {
		entry.Outcome, entry.Rule = OutcomeRefused, ref.Rule
		s.record(r.Context(), entry)
	}
	return err
}

// listFolders answers GET folders[/<path>]: the root or a folder inside, or
// above, the editor's folders, listing only what the editor may see.
func (s *Service) listFolders(w http.ResponseWriter, r *request, parent string) error {
	now := s.cfg.Now()
	g := r.editor.Grant
	entry := AuditEntry{At: now, Editor: r.editor.Name, Action: "folders", Remote: r.remote, Detail: fmt.Sprintf("folder=%q", parent)}
	if parent != "" && !insideAny(g, parent) && !ancestorOfGrant(g, parent) {
		return s.refused(r, entry, checkInside(g, "open", "folder", parent))
	}
	if err := s.spend(w, r.editor.Name, now); err != nil {
		entry.Outcome, entry.Rule = OutcomeRefused, "rate"
		s.record(r.Context(), entry)
		return err
	}
	path := "folders"
	if parent != "" {
		path += "/" + escapedPath(parent)
	}
	status, hdr, b, err := s.upstream(r.Context(), http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		entry.Outcome = OutcomeFailed
		s.record(r.Context(), entry)
		return passOn(w, status, hdr, b)
	}
	var page struct {
		Folders []map[string]any `json:"folders"`
	}
	if err := json.Unmarshal(b, &page); err != nil {
		return fmt.Errorf("Cloudinary's folder list could not be read: %w", err)
	}
	kept := []map[string]any{}
	for _, f := range page.Folders {
		p, _ := f["path"].(string)
		if insideAny(g, p) || ancestorOfGrant(g, p) {
			kept = append(kept, f)
		}
	}
	entry.Outcome = OutcomeAnswered
	s.record(r.Context(), entry)
	out, _ := json.Marshal(map[string]any{"folders": kept, "next_cursor": nil, "total_count": len(kept)})
	return passOn(w, http.StatusOK, hdr, out)
}

// createFolder answers POST folders/<path> inside the editor's folders.
func (s *Service) createFolder(w http.ResponseWriter, r *request, folder string) error {
	now := s.cfg.Now()
	entry := AuditEntry{At: now, Editor: r.editor.Name, Action: "create-folder", Remote: r.remote, Detail: fmt.Sprintf("folder=%q", folder)}
	if err := checkInside(r.editor.Grant, "create folders in", "folder", folder); err != nil {
		return s.refused(r, entry, err)
	}
	if err := s.spend(w, r.editor.Name, now); err != nil {
		entry.Outcome, entry.Rule = OutcomeRefused, "rate"
		s.record(r.Context(), entry)
		return err
	}
	return s.passOnAudited(w, r, entry, http.MethodPost, "folders/"+escapedPath(folder), nil)
}

// updateFields are the Admin API update fields passed on; anything else
// is refused rather than forwarded blind.
var updateFields = map[string]bool{"display_name": true, "tags": true, "context": true, "asset_folder": true}

// updateResource answers POST resources/<type>/<delivery>/<public_id> for
// an editor with edit rights, inside the folders (the new asset folder too).
func (s *Service) updateResource(w http.ResponseWriter, r *request, rt, typ, publicID string) error {
	now := s.cfg.Now()
	g := r.editor.Grant
	entry := AuditEntry{At: now, Editor: r.editor.Name, Action: "update", Remote: r.remote, Detail: fmt.Sprintf("public_id=%q", publicID)}
	if !g.CanEdit {
		return s.refused(r, entry, refuse("edit", "Your access does not include changing tags or details; ask the account owner."))
	}
	if err := checkInside(g, "change assets in", "public id", publicID); err != nil {
		return s.refused(r, entry, err)
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		return badRequest("The update is not a form the team service reads: %v.", err)
	}
	body := map[string]string{}
	for k := range form {
		if !updateFields[k] {
			return s.refused(r, entry, refuse("field", "The team service does not pass on %q in an update; ask the account owner.", safeForLog(k)))
		}
		body[k] = form.Get(k)
	}
	if af, ok := body["asset_folder"]; ok && af != "" {
		if err := checkInside(g, "move assets to", "folder", strings.Trim(af, "/")); err != nil {
			return s.refused(r, entry, err)
		}
	}
	if err := s.spend(w, r.editor.Name, now); err != nil {
		entry.Outcome, entry.Rule = OutcomeRefused, "rate"
		s.record(r.Context(), entry)
		return err
	}
	out, _ := json.Marshal(body)
	return s.passOnAudited(w, r, entry, http.MethodPost, "resources/"+url.PathEscape(rt)+"/"+url.PathEscape(typ)+"/"+escapedPath(publicID), out)
}
