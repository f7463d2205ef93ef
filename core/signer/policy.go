package signer

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cloudup/cloudup/core/teamsign"
)

// Policy is one editor's grant. Every request is checked against it here,
// on the service: nothing the app sends is trusted.
type Policy = teamsign.Grant

// Refusal is a request the editor's grant does not allow. Rule names the
// rule for the audit ("folder", "preset", "param", …); Message is the
// sentence for the editor.
type Refusal struct {
	Rule    string
	Message string
}

func (r *Refusal) Error() string { return r.Message }

func refuse(rule, format string, args ...any) *Refusal {
	return &Refusal{Rule: rule, Message: fmt.Sprintf(format, args...)}
}

// MaxPathLength bounds folder prefixes and public ids (Cloudinary's own
// limit on public ids is 255 characters).
const MaxPathLength = 255

// checkPath says why p cannot be a public id or folder path the service
// reasons about: absolute, empty or dot segments, backslashes, control
// characters, percent-escapes and wildcards are all ways to make a path mean
// something other than what its text says.
func checkPath(what, p string) error {
	switch {
	case p == "":
		return fmt.Errorf("%s is empty", what)
	case len(p) > MaxPathLength:
		return fmt.Errorf("%s is %d characters long; the limit is %d", what, len(p), MaxPathLength)
	case !utf8.ValidString(p):
		return fmt.Errorf("%s is not valid text", what)
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("%s %q starts with '/'", what, p)
	}
	for _, r := range p {
		switch {
		case r == '\\' || r == '%' || r == '*' || r == '?' || r == '#':
			return fmt.Errorf("%s %q contains %q, which the team service does not accept", what, p, r)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return fmt.Errorf("%s %q contains a control character", what, p)
		}
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.TrimSpace(seg) != seg {
			return fmt.Errorf("%s %q has an empty, '.', '..' or space-padded part", what, p)
		}
	}
	return nil
}

// NormalizeFolder checks a folder prefix for a grant and drops a trailing
// slash.
func NormalizeFolder(f string) (string, error) {
	f = strings.TrimSuffix(f, "/")
	if err := checkPath("folder", f); err != nil {
		return "", err
	}
	return f, nil
}

// inside reports whether path is the folder prefix itself or below it;
// "blog-evil/x" is not inside "blog".
func inside(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// insideAny reports whether path is inside one of the grant's folders.
func insideAny(g Policy, path string) bool {
	for _, f := range g.Folders {
		if inside(path, f) {
			return true
		}
	}
	return false
}

// folderList is the grant's folders for a sentence: "blog/ and news/".
func folderList(g Policy) string {
	parts := make([]string, len(g.Folders))
	for i, f := range g.Folders {
		parts[i] = f + "/"
	}
	return humanList(parts)
}

func humanList(parts []string) string {
	switch len(parts) {
	case 0:
		return "nothing"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// parentOf is the folder part of a public id, for "ask for access to X/".
func parentOf(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[:i] + "/"
	}
	return "the top level"
}

// checkInside refuses a public id (or folder) outside the grant's folders.
func checkInside(g Policy, verb, what, p string) error {
	if err := checkPath(what, p); err != nil {
		return refuse("path", "%s; ask the account owner if you need it.", upperFirst(err.Error()))
	}
	if insideAny(g, p) {
		return nil
	}
	if what == "folder" {
		return refuse("folder", "You may %s %s only; ask the account owner for access to %s/.", verb, folderList(g), p)
	}
	return refuse("folder", "You may %s %s only; ask the account owner for access to %s.", verb, folderList(g), parentOf(p))
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// Upload parameters an editor may send without the owner allowing more.
// Anything else (eval, on_success, notification_url, proxy, moderation and
// the other paid add-ons, backup, access control, …) is refused unless the
// grant lists it in AllowParams: it runs code, sends data elsewhere, costs
// money or changes account settings.
var uploadParams = map[string]bool{
	"public_id": true, "folder": true, "asset_folder": true, "display_name": true,
	"tags": true, "context": true, "metadata": true, "upload_preset": true,
	"overwrite": true, "unique_filename": true, "use_filename": true,
	"use_filename_as_display_name": true, "filename_override": true,
	"type": true, "allowed_formats": true, "format": true, "transformation": true,
	"invalidate": true, "face_coordinates": true, "custom_coordinates": true,
	"regions": true, "unsigned": true, "source": true, "callback": true,
	"timestamp": true,
}

// Parameters of the other Upload API calls.
var callParams = map[string]map[string]bool{
	"destroy":  {"public_id": true, "type": true, "invalidate": true, "timestamp": true},
	"rename":   {"from_public_id": true, "to_public_id": true, "type": true, "to_type": true, "overwrite": true, "invalidate": true, "timestamp": true},
	"tags":     {"command": true, "tag": true, "public_ids": true, "type": true, "timestamp": true},
	"context":  {"command": true, "context": true, "public_ids": true, "type": true, "timestamp": true},
	"explicit": {"public_id": true, "type": true, "tags": true, "context": true, "metadata": true, "face_coordinates": true, "custom_coordinates": true, "invalidate": true, "timestamp": true},
}

// deliveryTypes are the delivery types an editor may use.
var deliveryTypes = map[string]bool{"upload": true, "private": true, "authenticated": true}

var indexed = regexp.MustCompile(`^(.*)\[\d*\]$`)

// baseKey is a parameter's name without an array index: public_ids[3] →
// public_ids.
func baseKey(k string) string {
	if m := indexed.FindStringSubmatch(k); m != nil {
		return m[1]
	}
	return k
}

// typeFormats are the formats Cloudinary files under each resource type, to
// put allowed_formats into a signature when the grant limits types but not
// formats. (Audio is a video resource on Cloudinary.)
var typeFormats = map[string][]string{
	"image": {"jpg", "jpeg", "jpe", "png", "gif", "webp", "avif", "heic", "heif", "tif", "tiff", "bmp", "ico", "svg", "psd", "jp2", "jxl", "pdf", "eps", "ai", "arw", "cr2", "cr3", "nef", "dng", "orf", "raf", "rw2"},
	"video": {"mp4", "mov", "webm", "m4v", "mkv", "avi", "flv", "wmv", "ogv", "3gp", "mpeg", "mpg", "ts", "m3u8", "mp3", "wav", "aac", "m4a", "ogg", "oga", "flac", "opus"},
}

var allTypes = []string{"image", "video", "raw"}

// typesOf is the grant's resource types, all three when it names none.
func typesOf(g Policy) []string {
	if len(g.Types) == 0 {
		return allTypes
	}
	return g.Types
}

// allowedFormats is what the signature must carry as allowed_formats so
// that Cloudinary itself refuses other files; nil when the grant allows any
// file (raw is allowed and no formats are named).
func allowedFormats(g Policy) []string {
	if len(g.Formats) > 0 {
		return g.Formats
	}
	types := typesOf(g)
	if slices.Contains(types, "raw") {
		return nil
	}
	var out []string
	for _, t := range types {
		out = append(out, typeFormats[t]...)
	}
	return out
}

// CheckCall applies the grant to one Upload API call and returns the params
// to sign: the caller's params, minus what the service sets itself
// (signature, api_key), plus allowed_formats where the grant limits
// formats. The caller's params are not changed.
func CheckCall(g Policy, call teamsign.SignCall) (url.Values, error) {
	params := url.Values{}
	for k, v := range call.Params {
		switch k {
		case "signature", "api_key", "file", "cloud_name", "resource_type":
			continue
		}
		params[k] = append([]string(nil), v...)
	}
	rt := call.ResourceType
	if rt == "" {
		rt = "auto"
	}
	switch rt {
	case "auto", "image", "video", "raw":
	default:
		return nil, refuse("type", "%q is not a resource type; use image, video, raw or auto.", rt)
	}
	if rt != "auto" && !slices.Contains(typesOf(g), rt) {
		return nil, refuse("type", "You may work with %s files only; ask the account owner to allow %s.", humanList(typesOf(g)), rt)
	}
	if t := params.Get("type"); t != "" && !deliveryTypes[t] {
		return nil, refuse("param", "Delivery type %q is not allowed; use upload, private or authenticated.", t)
	}
	for k, v := range params {
		if len(v) > 1 && !strings.HasSuffix(k, "]") {
			return nil, refuse("param", "The parameter %q is given %d times; give it once.", k, len(v))
		}
	}
	switch call.Action {
	case "upload":
		return params, checkUpload(g, params)
	case "destroy":
		if !g.CanDelete {
			return nil, refuse("delete", "Your access does not include deleting; ask the account owner.")
		}
		return params, checkOnly(g, call.Action, params, "delete assets in", "public_id")
	case "rename":
		if !g.CanEdit {
			return nil, refuse("edit", "Your access does not include renaming or moving; ask the account owner.")
		}
		if t := params.Get("to_type"); t != "" && !deliveryTypes[t] {
			return nil, refuse("param", "Delivery type %q is not allowed; use upload, private or authenticated.", t)
		}
		return params, checkOnly(g, call.Action, params, "rename assets in", "from_public_id", "to_public_id")
	case "tags", "context", "explicit":
		if !g.CanEdit {
			return nil, refuse("edit", "Your access does not include changing tags or details; ask the account owner.")
		}
		if call.Action == "explicit" {
			return params, checkOnly(g, call.Action, params, "change assets in", "public_id")
		}
		return params, checkIDs(g, call.Action, params)
	}
	return nil, refuse("action", "%q is not something the team service signs.", call.Action)
}

// checkUpload applies the grant to an upload's parameters.
func checkUpload(g Policy, params url.Values) error {
	for k := range params {
		if !uploadParams[baseKey(k)] && !slices.Contains(g.AllowParams, baseKey(k)) {
			return refuse("param", "Your access does not allow the upload option %q; ask the account owner.", baseKey(k))
		}
	}
	folder := strings.TrimSuffix(params.Get("folder"), "/")
	assetFolder := strings.TrimSuffix(params.Get("asset_folder"), "/")
	publicID := params.Get("public_id")
	if publicID == "" && folder == "" {
		return refuse("folder", "Choose a folder: you may upload to %s only.", folderList(g))
	}
	if publicID != "" {
		if err := checkPath("public id", publicID); err != nil {
			return refuse("path", "%s; ask the account owner if you need it.", upperFirst(err.Error()))
		}
	}
	if params.Get("use_asset_folder_as_public_id_prefix") == "true" {
		// Only reachable through AllowParams: the public id then starts
		// with asset_folder.
		publicID = joinPath(assetFolder, publicID)
	}
	if folder != "" {
		if err := checkInside(g, "upload to", "folder", folder); err != nil {
			return err
		}
	}
	// Cloudinary puts folder in front of public_id; with no public_id it
	// makes a random one inside folder. Either way the result must be
	// inside the editor's folders.
	if err := checkInside(g, "upload to", "public id", joinPath(folder, publicID)); err != nil {
		return err
	}
	if assetFolder != "" {
		if err := checkInside(g, "upload to", "folder", assetFolder); err != nil {
			return err
		}
	}
	if p := params.Get("upload_preset"); p != "" && !slices.Contains(g.Presets, p) {
		if len(g.Presets) == 0 {
			return refuse("preset", "Your access does not allow upload presets; remove %q from the profile or ask the account owner.", p)
		}
		return refuse("preset", "You may use the upload presets %s only; ask the account owner for %q.", humanList(g.Presets), p)
	}
	if f := strings.ToLower(params.Get("format")); f != "" && len(g.Formats) > 0 && !slices.Contains(g.Formats, f) {
		return refuse("format", "You may upload %s files only; ask the account owner to allow %s.", humanList(g.Formats), f)
	}
	if allowed := allowedFormats(g); allowed != nil {
		asked := splitList(params.Get("allowed_formats"))
		keep := allowed
		if len(asked) > 0 {
			keep = nil
			for _, f := range asked {
				if slices.Contains(allowed, strings.ToLower(f)) {
					keep = append(keep, strings.ToLower(f))
				}
			}
			if len(keep) == 0 {
				return refuse("format", "You may upload %s files only.", humanList(allowed))
			}
		}
		params.Set("allowed_formats", strings.Join(keep, ","))
	}
	return nil
}

// checkOnly checks a call whose named params are public ids, and refuses
// parameters the call does not take.
func checkOnly(g Policy, action string, params url.Values, verb string, idKeys ...string) error {
	for k := range params {
		if !callParams[action][baseKey(k)] {
			return refuse("param", "Your access does not allow the option %q here; ask the account owner.", baseKey(k))
		}
	}
	for _, k := range idKeys {
		id := params.Get(k)
		if id == "" {
			return refuse("param", "The %s is missing.", strings.ReplaceAll(k, "_", " "))
		}
		if err := checkInside(g, verb, "public id", id); err != nil {
			return err
		}
	}
	return nil
}

// checkIDs checks the public_ids[] of a tags or context call.
func checkIDs(g Policy, action string, params url.Values) error {
	var ids []string
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !callParams[action][baseKey(k)] {
			return refuse("param", "Your access does not allow the option %q here; ask the account owner.", baseKey(k))
		}
		if baseKey(k) == "public_ids" {
			ids = append(ids, params[k]...)
		}
	}
	if len(ids) == 0 {
		return refuse("param", "No assets were named.")
	}
	for _, id := range ids {
		for _, one := range splitIDs(id) {
			if err := checkInside(g, "change assets in", "public id", one); err != nil {
				return err
			}
		}
	}
	return nil
}

// joinPath joins two path parts, either of which may be empty.
func joinPath(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "/" + b
}

// splitIDs reads a public_ids value: one id, or several joined by commas as
// the Go SDK's array fields are.
func splitIDs(v string) []string {
	if !strings.Contains(v, ",") {
		return []string{v}
	}
	return strings.Split(v, ",")
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// CheckRead refuses reading (resource lookups, signed delivery URLs) an
// asset outside the grant's folders.
func CheckRead(g Policy, publicID string) error {
	return checkInside(g, "open assets in", "public id", publicID)
}

// NormalizeGrant checks a grant an owner gives: at least one folder, known
// types, lower-case formats, valid preset names.
func NormalizeGrant(g Policy) (Policy, error) {
	if len(g.Folders) == 0 {
		return g, fmt.Errorf("a grant needs at least one folder (--folder blog)")
	}
	var folders []string
	for _, f := range g.Folders {
		n, err := NormalizeFolder(f)
		if err != nil {
			return g, err
		}
		if !slices.Contains(folders, n) {
			folders = append(folders, n)
		}
	}
	g.Folders = folders
	for i, t := range g.Types {
		t = strings.ToLower(strings.TrimSpace(t))
		if !slices.Contains(allTypes, t) {
			return g, fmt.Errorf("unknown resource type %q: use image, video or raw", t)
		}
		g.Types[i] = t
	}
	for i, f := range g.Formats {
		f = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(f), "."))
		if f == "" || strings.ContainsAny(f, ",/ ") {
			return g, fmt.Errorf("format %q is not a file extension like jpg", g.Formats[i])
		}
		g.Formats[i] = f
	}
	for _, p := range g.Presets {
		if !presetName.MatchString(p) {
			return g, fmt.Errorf("upload preset %q is not a preset name (letters, digits, '-' and '_')", p)
		}
	}
	for _, p := range g.AllowParams {
		if !paramName.MatchString(p) {
			return g, fmt.Errorf("%q is not an upload parameter name", p)
		}
	}
	return g, nil
}

var (
	presetName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	paramName  = regexp.MustCompile(`^[a-z_]{1,64}$`)
)
