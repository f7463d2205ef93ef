package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"
)

// EndpointAdminFolders is the Admin API's folders endpoints (list, create,
// rename, delete).
const EndpointAdminFolders = "admin.folders"

// Folders of a dynamic-folder account: the ones created through the Admin
// API, kept in their own table, and every folder an asset sits in (and the
// folders above it), which exist as long as the asset does.
const folderSchema = `CREATE TABLE IF NOT EXISTS folders (
	path TEXT PRIMARY KEY,
	external_id TEXT NOT NULL,
	created_at INTEGER NOT NULL
)`

// maxFolderListing is the most folders one listing returns, as Cloudinary's.
const maxFolderListing = 2000

type folderInfo struct {
	Path       string
	ExternalID string
	CreatedAt  time.Time
}

func (st *store) folderTable(ctx context.Context) error {
	_, err := st.db.ExecContext(ctx, folderSchema)
	return err
}

// folders returns every folder by path: created ones and those implied by
// assets.
func (st *store) folders(ctx context.Context) (map[string]folderInfo, error) {
	if err := st.folderTable(ctx); err != nil {
		return nil, err
	}
	out := map[string]folderInfo{}
	rows, err := st.db.QueryContext(ctx, `SELECT path, external_id, created_at FROM folders`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var f folderInfo
		var at int64
		if err := rows.Scan(&f.Path, &f.ExternalID, &at); err != nil {
			return nil, err
		}
		f.CreatedAt = time.Unix(at, 0).UTC()
		out[f.Path] = f
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	all, err := st.all(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range all {
		for p := a.AssetFolder; p != "" && p != "."; p = path.Dir(p) {
			if _, ok := out[p]; ok {
				break // its parents are in too
			}
			out[p] = folderInfo{Path: p, ExternalID: impliedFolderID(p), CreatedAt: a.CreatedAt}
		}
	}
	// A created folder's parents exist too.
	for p := range out {
		for q := path.Dir(p); q != "." && q != ""; q = path.Dir(q) {
			if _, ok := out[q]; !ok {
				out[q] = folderInfo{Path: q, ExternalID: impliedFolderID(q), CreatedAt: out[p].CreatedAt}
			}
		}
	}
	return out, nil
}

func impliedFolderID(p string) string {
	sum := sha256.Sum256([]byte("folder\x00" + p))
	return hex.EncodeToString(sum[:])[:30]
}

func folderJSON(f folderInfo) map[string]any {
	return map[string]any{
		"name":        path.Base(f.Path),
		"path":        f.Path,
		"external_id": f.ExternalID,
	}
}

// checkFolderPath applies the OpenAPI's folder_path rule: not empty, no
// leading or trailing '/', no '//'; and the public_id rules.
func checkFolderPath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.Contains(p, "//") {
		return badRequest("Invalid folder path %q: give a path like product/test, without leading, trailing or double slashes", truncate(p, 80))
	}
	return checkFolder("folder", p)
}

// handleFolders serves GET /folders (root folders), GET /folders/<path>
// (its sub-folders), POST /folders/<path> (create), PUT /folders/<path>
// {to_folder} (rename or move, assets and all) and DELETE /folders/<path>
// (an empty folder and its empty sub-folders).
func (s *Server) handleFolders(w http.ResponseWriter, r *http.Request, rest []string) error {
	ctx := r.Context()
	p, err := adminParams(r)
	if err != nil {
		return err
	}
	folder := strings.Join(rest, "/")
	if len(rest) == 0 {
		if r.Method != http.MethodGet {
			return errorf(http.StatusMethodNotAllowed, "%s needs GET", r.URL.Path)
		}
		return s.listFolders(w, r, "")
	}
	if err := checkFolderPath(folder); err != nil {
		return err
	}
	switch r.Method {
	case http.MethodGet:
		return s.listFolders(w, r, folder)
	case http.MethodPost:
		all, err := s.store.folders(ctx)
		if err != nil {
			return err
		}
		if f, ok := all[folder]; ok {
			out := folderJSON(f)
			out["success"] = true
			writeJSON(w, http.StatusOK, out)
			return nil
		}
		f := folderInfo{Path: folder, ExternalID: impliedFolderID(folder + "\x00" + s.now().String()), CreatedAt: s.now().UTC()}
		if _, err := s.store.db.ExecContext(ctx, `INSERT OR IGNORE INTO folders (path, external_id, created_at) VALUES (?, ?, ?)`, f.Path, f.ExternalID, f.CreatedAt.Unix()); err != nil {
			return err
		}
		s.store.changed()
		out := folderJSON(f)
		out["success"] = true
		writeJSON(w, http.StatusOK, out)
		return nil
	case http.MethodPut:
		to := strings.Trim(p.Get("to_folder"), " ")
		if to == "" {
			return badRequest("Missing required parameter - to_folder")
		}
		if err := checkFolderPath(to); err != nil {
			return err
		}
		return s.moveFolder(w, ctx, folder, to)
	case http.MethodDelete:
		return s.deleteFolder(w, ctx, folder)
	}
	return errorf(http.StatusMethodNotAllowed, "%s needs GET, POST, PUT or DELETE", r.URL.Path)
}

func (s *Server) listFolders(w http.ResponseWriter, r *http.Request, parent string) error {
	all, err := s.store.folders(r.Context())
	if err != nil {
		return err
	}
	if _, ok := all[parent]; parent != "" && !ok {
		return notFound("Can't find folder with path %s", parent)
	}
	var subs []folderInfo
	for p, f := range all {
		dir := path.Dir(p)
		if dir == "." {
			dir = ""
		}
		if dir == parent {
			subs = append(subs, f)
		}
	}
	sort.Slice(subs, func(i, j int) bool { return subs[i].Path < subs[j].Path })
	total := len(subs)
	if len(subs) > maxFolderListing {
		subs = subs[:maxFolderListing]
	}
	list := make([]map[string]any, len(subs))
	for i, f := range subs {
		list[i] = folderJSON(f)
	}
	writeJSON(w, http.StatusOK, map[string]any{"folders": list, "next_cursor": nil, "total_count": total})
	return nil
}

func under(p, folder string) bool { return p == folder || strings.HasPrefix(p, folder+"/") }

func (s *Server) moveFolder(w http.ResponseWriter, ctx context.Context, from, to string) error {
	all, err := s.store.folders(ctx)
	if err != nil {
		return err
	}
	if _, ok := all[from]; !ok {
		return notFound("Can't find folder with path %s", from)
	}
	if under(to, from) {
		return badRequest("Cannot move folder %s into itself (%s)", from, to)
	}
	if _, ok := all[to]; ok {
		return errorf(http.StatusConflict, "Folder %s already exists", to)
	}
	assets, err := s.store.all(ctx)
	if err != nil {
		return err
	}
	type key struct{ rt, typ string }
	ids := map[key][]string{}
	for _, a := range assets {
		if under(a.AssetFolder, from) {
			k := key{a.ResourceType, a.Type}
			ids[k] = append(ids[k], a.PublicID)
		}
	}
	for k, list := range ids {
		if _, err := s.store.modify(ctx, k.rt, k.typ, list, func(a *asset) bool {
			if !under(a.AssetFolder, from) {
				return false
			}
			a.AssetFolder = to + strings.TrimPrefix(a.AssetFolder, from)
			return true
		}); err != nil {
			return err
		}
	}
	tx, err := s.store.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for p, f := range all {
		if !under(p, from) {
			continue
		}
		np := to + strings.TrimPrefix(p, from)
		if _, err := tx.ExecContext(ctx, `DELETE FROM folders WHERE path = ?`, p); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO folders (path, external_id, created_at) VALUES (?, ?, ?)`, np, f.ExternalID, f.CreatedAt.Unix()); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.store.changed()
	writeJSON(w, http.StatusOK, map[string]any{
		"from": map[string]string{"name": path.Base(from), "path": from},
		"to":   map[string]string{"name": path.Base(to), "path": to},
	})
	return nil
}

func (s *Server) deleteFolder(w http.ResponseWriter, ctx context.Context, folder string) error {
	all, err := s.store.folders(ctx)
	if err != nil {
		return err
	}
	if _, ok := all[folder]; !ok {
		return notFound("Can't find folder with path %s", folder)
	}
	assets, err := s.store.all(ctx)
	if err != nil {
		return err
	}
	for _, a := range assets {
		if under(a.AssetFolder, folder) {
			return badRequest("Folder is not empty: %s holds assets; move or delete them first", folder)
		}
	}
	var deleted []string
	for p := range all {
		if under(p, folder) {
			deleted = append(deleted, p)
		}
	}
	sort.Strings(deleted)
	if _, err := s.store.db.ExecContext(ctx, `DELETE FROM folders WHERE path = ? OR path LIKE ? ESCAPE '\'`, folder, likeEscape(folder)+"/%"); err != nil {
		return err
	}
	s.store.changed()
	writeJSON(w, http.StatusOK, map[string]any{"deleted": deleted})
	return nil
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
