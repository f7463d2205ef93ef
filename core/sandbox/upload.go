package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cloudup/cloudup/core/signing"
	"golang.org/x/sync/semaphore"
)

// handleUpload serves POST /v1_1/CLOUD[/RT]/upload without chunk headers.
//
// The request is authenticated before its file is stored: multipart and
// JSON bodies carry their parameters before the file, so a file without a
// valid signature or unsigned preset is refused before a byte of it is
// read. Url-encoded bodies come sorted by key (cloudinary-go sends data
// URIs that way), so "file" precedes "signature"; such a file is held in
// a spool counted against the server's allowance for unauthenticated
// bytes (preauthBudget) and deleted the moment the request is refused.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request, rtPath string) error {
	ctx := r.Context()
	var sp *spool
	defer func() { sp.discard() }()
	var held *heldWriter
	defer func() { held.release() }()
	var acc access
	authorized := -1 // values authenticated early, -1: none
	f, err := parseForm(r, formOptions{
		openFile: func(params url.Values, _ string, complete bool) (io.Writer, error) {
			if complete {
				// Reject before reading the file, as Cloudinary does.
				a, err := s.authorizeUpload(ctx, r, params, true)
				if err != nil {
					return nil, fileFirstHint(r, params, err)
				}
				acc, authorized = a, countValues(params)
			}
			var err error
			if sp, err = s.newSpool(); err != nil {
				return nil, err
			}
			if authorized < 0 {
				held = &heldWriter{w: sp, budget: s.preauth}
				return held, nil
			}
			return sp, nil
		},
		maxFile:    s.limits.MaxRequestBytes,
		tooLarge:   func(int64) error { return s.requestTooLarge() },
		maxDataURI: s.limits.MaxDataURIBytes,
		jsonSlots:  s.jsonSlots,
	})
	if err != nil {
		return err
	}
	// Parameters after the file part (or a file held before any) are
	// covered by the signature too: check everything as received.
	if authorized != countValues(f.params) {
		if acc, err = s.authorizeUpload(ctx, r, f.params, true); err != nil {
			return err
		}
	}
	held.release()
	filename := f.filename
	switch {
	case f.fileURL != "":
		if sp, filename, err = s.fetchRemote(ctx, f.fileURL); err != nil {
			return err
		}
	case !f.gotFile:
		return badRequest("Missing required parameter - file")
	}
	if err := sp.finish(); err != nil {
		return err
	}
	// The bytes are in: finish storing even if the client hangs up now.
	cctx, cancel := s.commitContext()
	defer cancel()
	res, err := s.commitUpload(cctx, uploadInput{
		params:   f.params,
		access:   acc,
		rtPath:   rtPath,
		path:     sp.path,
		size:     sp.size,
		etag:     sp.etag(),
		filename: filename,
		onStored: func() { sp.kept = true },
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.uploadResponse(res.asset, res.existing, res.overwritten))
	return nil
}

func countValues(p url.Values) int {
	n := 0
	for _, v := range p {
		n += len(v)
	}
	return n
}

// fileFirstHint adds to a refusal of a multipart file part that arrived
// before any signature or preset that the sandbox reads the parameters
// first: a client that put them after the file learns what to change.
func fileFirstHint(r *http.Request, params url.Values, err error) error {
	var ae *apiError
	if canAuthorize(params) || !errors.As(err, &ae) || !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		return err
	}
	e := *ae
	e.msg += " (the sandbox authenticates a request before storing its file: send api_key, timestamp and signature, or upload_preset, before the file part, as the SDKs do)"
	return &e
}

// preauthBudget is how many bytes of files the sandbox holds, across all
// requests at once, before they are authenticated (url-encoded bodies sort
// "file" before "signature").
const preauthBudget = 128 << 20

// heldWriter counts a file's bytes stored before its request is
// authenticated against the server's allowance.
type heldWriter struct {
	w      io.Writer
	budget *semaphore.Weighted
	held   int64
}

func (h *heldWriter) Write(p []byte) (int, error) {
	if !h.budget.TryAcquire(int64(len(p))) {
		e := errorf(http.StatusTooManyRequests, "Too many unauthenticated uploads are arriving at once: try again in a moment")
		e.retryAfter = time.Second
		return 0, e
	}
	h.held += int64(len(p))
	return h.w.Write(p)
}

// release gives the bytes back (the request is authenticated or over).
func (h *heldWriter) release() {
	if h != nil && h.held > 0 {
		h.budget.Release(h.held)
		h.held = 0
	}
}

// canAuthorize says the parameters hold what authentication needs.
func canAuthorize(p url.Values) bool {
	return p.Get("signature") != "" || p.Get("upload_preset") != ""
}

// requestTooLarge is the answer to a single request whose file passes the
// per-request limit. The body is not read to the end, so the exact size is
// unknown.
func (s *Server) requestTooLarge() error {
	max := s.limits.MaxRequestBytes
	return badRequest("File size too large. Got more than %d. Maximum is %d. Files over %d bytes must be uploaded in chunks (upload_large, or chunk_size in the SDK)", max, max, max)
}

// uploadInput is a received file and the request's parameters.
type uploadInput struct {
	params   url.Values
	access   access
	rtPath   string // image, video, raw or auto, from the URL
	path     string // the received bytes
	size     int64
	etag     string // hex MD5 of the bytes
	filename string // client's file name ("" unknown)
	onStored func() // the file at path now belongs to the blob store
}

// uploadParams are the request's parameters with the preset's applied:
// the preset supplies defaults; what the request says wins.
func uploadParams(in uploadInput) url.Values {
	p := url.Values{}
	if in.access.preset != nil {
		for k, v := range in.access.preset.Settings {
			p.Set(k, v)
		}
	}
	for k, v := range in.params {
		b := baseName(k)
		if b != k {
			// An array sent as tags[] or tags[0] replaces a preset's tags.
			p.Del(b)
		}
		p[k] = v
	}
	return p
}

// commitUpload decides what a received file is and stores it with
// Cloudinary's overwrite semantics.
func (s *Server) commitUpload(ctx context.Context, in uploadInput) (putResult, error) {
	m, err := sniffMedia(ctx, in.path)
	if err != nil {
		return putResult{}, err
	}
	plan, err := planUpload(in, m, s.limits)
	if err != nil {
		return putResult{}, err
	}
	now := s.now().UTC()
	a := plan.asset(now, in)
	if a.Blob, err = s.placeBlob(in.path, a.VersionID); err != nil {
		return putResult{}, err
	}
	if in.onStored != nil {
		in.onStored()
	}
	res, err := s.store.put(ctx, a, plan.overwrite)
	if err != nil || res.existing {
		// Nothing refers to the new file.
		s.removeBlob(a)
		if err != nil {
			return putResult{}, fmt.Errorf("cannot record the upload: %w", err)
		}
		return res, nil
	}
	if res.replaced != nil {
		s.removeBlob(res.replaced)
	}
	s.renderEager(ctx, res.asset)
	return res, nil
}

// uploadPlan is what an upload's parameters decide about the stored asset,
// before anything is stored.
type uploadPlan struct {
	m                                  media
	rt, typ, publicID                  string
	assetFolder, displayName, original string
	tags                               []string
	custom                             map[string]string
	eager                              []string
	overwrite                          bool
}

// asset is the record the plan describes, created at now.
func (pl uploadPlan) asset(now time.Time, in uploadInput) *asset {
	return &asset{
		AssetID:          randomHex(16),
		ResourceType:     pl.rt,
		Type:             pl.typ,
		PublicID:         pl.publicID,
		Version:          now.Unix(),
		VersionID:        randomHex(16),
		Format:           pl.m.format,
		Bytes:            in.size,
		Width:            pl.m.width,
		Height:           pl.m.height,
		Pages:            pl.m.pages,
		Duration:         pl.m.duration,
		Etag:             in.etag,
		CreatedAt:        now,
		UploadedAt:       now,
		AssetFolder:      pl.assetFolder,
		DisplayName:      pl.displayName,
		OriginalFilename: pl.original,
		Tags:             pl.tags,
		Context:          pl.custom,
		Eager:            pl.eager,
		Media:            pl.m.details,
	}
}

// planUpload applies an upload's parameters (with its preset's) to the
// sniffed file m as Cloudinary does, rejecting what Cloudinary rejects. It
// performs no I/O.
func planUpload(in uploadInput, m media, limits Limits) (uploadPlan, error) {
	p := uploadParams(in)
	rt, m, err := uploadResourceType(in.rtPath, p.Get("resource_type"), m)
	if err != nil {
		return uploadPlan{}, err
	}
	pl := uploadPlan{rt: rt}
	if max := limits.maxFor(rt); max >= 0 && in.size > max {
		return pl, badRequest("File size too large. Got %d. Maximum is %d.", in.size, max)
	}
	if px := int64(m.width) * int64(m.height); rt == "image" && limits.MaxImagePixels >= 0 && px > limits.MaxImagePixels {
		// Cloudinary's answer; the dimensions come from the header only.
		return pl, badRequest("Resolution too large. Got %d. Maximum is %d.", px, limits.MaxImagePixels)
	}
	pl.m = m
	pl.typ = p.Get("type")
	switch pl.typ {
	case "":
		pl.typ = "upload"
	case "upload", "private", "authenticated":
	default:
		return pl, badRequest("Invalid type parameter value %q: use upload, private or authenticated", pl.typ)
	}

	base, ext := splitName(in.filename)
	if in.filename == "" {
		base = "file"
	}
	if s := p.Get("filename_override"); s != "" {
		base, ext = splitName(s)
	}
	if err := checkAllowedFormat(p, rt, m.format, ext); err != nil {
		return pl, err
	}
	if pl.publicID, err = choosePublicID(p, base, ext, rt); err != nil {
		return pl, err
	}
	pl.assetFolder = strings.Trim(p.Get("asset_folder"), "/")
	if err := checkFolder("asset_folder", pl.assetFolder); err != nil {
		return pl, err
	}
	if pl.tags, err = tagsParam(p, "tags"); err != nil {
		return pl, err
	}
	if pl.custom, err = parseContext(p.Get("context")); err != nil {
		return pl, err
	}
	for k, v := range pl.custom {
		if v == "" {
			delete(pl.custom, k)
		}
	}
	pl.displayName = p.Get("display_name")
	if pl.displayName == "" {
		if useName, _ := boolParam(p, "use_filename_as_display_name", false); useName && in.filename != "" {
			pl.displayName = base
		} else {
			pl.displayName = pl.publicID[strings.LastIndex(pl.publicID, "/")+1:]
		}
	}
	for _, e := range strings.Split(p.Get("eager"), "|") {
		if e = strings.TrimSpace(e); e != "" {
			pl.eager = append(pl.eager, e)
		}
	}
	if err := checkEager(pl.eager, rt); err != nil {
		return pl, err
	}
	// Signed uploads overwrite by default; unsigned ones only when their
	// preset says so (the request itself may not ask, see checkUnsigned).
	if pl.overwrite, err = boolParam(p, "overwrite", in.access.signed); err != nil {
		return pl, err
	}
	if pr := in.access.preset; pr != nil && pr.Settings["disallow_public_id"] == "true" && in.params.Get("public_id") != "" {
		return pl, badRequest("public_id parameter is not allowed: upload preset %s sets disallow_public_id", pr.Name)
	}
	pl.original = base
	if discard, _ := boolParam(p, "discard_original_filename", false); discard {
		pl.original = ""
	}
	return pl, nil
}

// uploadResourceType settles the resource type from the URL's path segment,
// the resource_type parameter and what the file is.
func uploadResourceType(rtPath, param string, m media) (string, media, error) {
	rt := rtPath
	if rt == "auto" || rt == "" {
		rt = param
	}
	var interrupted *probeInterrupted
	if rt != "raw" && errors.As(m.probeErr, &interrupted) {
		// Not an *apiError: a chunked upload does not remember it as its
		// answer, so sending the last chunk again (after a restart too)
		// finishes the upload.
		return rt, m, interrupted
	}
	switch rt {
	case "", "auto":
		rt = m.kind
		if rt == "video" && m.probeErr != nil {
			// A weak signature (MPEG audio, transport stream) on bytes
			// ffprobe cannot read: just a file.
			rt, m = "raw", media{kind: "raw"}
		}
	case "image":
		if m.kind != "image" {
			return rt, m, badRequest("Invalid image file")
		}
	case "video":
		if m.kind != "video" || m.probeErr != nil {
			return rt, m, badRequest("Unsupported video format or file")
		}
	case "raw":
		m = media{kind: "raw"}
	default:
		return rt, m, badRequest("Invalid resource_type %q: use image, video, raw or auto", rt)
	}
	return rt, m, nil
}

// checkAllowedFormat applies allowed_formats: raw files are judged by their
// name's extension, media by what they are.
func checkAllowedFormat(p url.Values, rt, format, ext string) error {
	allowed := listParam(p, "allowed_formats")
	if len(allowed) == 0 {
		return nil
	}
	if rt == "raw" {
		format = ext
	}
	for _, a := range allowed {
		if strings.EqualFold(a, format) || (format == "jpg" && strings.EqualFold(a, "jpeg")) {
			return nil
		}
	}
	what := map[string]string{"image": "Image", "video": "Video", "raw": "Raw"}[rt]
	return badRequest("%s file format %s not allowed", what, format)
}

// choosePublicID applies public_id, folder, public_id_prefix,
// use_filename and unique_filename as Cloudinary does. Generated ids of raw
// files keep the file's extension, because raw public_ids include it.
func choosePublicID(p url.Values, base, ext, rt string) (string, error) {
	folder := strings.Trim(p.Get("folder"), "/")
	if err := checkFolder("folder", folder); err != nil {
		return "", err
	}
	if useAF, _ := boolParam(p, "use_asset_folder_as_public_id_prefix", false); useAF && folder == "" {
		folder = strings.Trim(p.Get("asset_folder"), "/")
	}
	id := strings.TrimSpace(p.Get("public_id"))
	if id == "" {
		useName, err := boolParam(p, "use_filename", false)
		if err != nil {
			return "", err
		}
		unique, err := boolParam(p, "unique_filename", true)
		if err != nil {
			return "", err
		}
		if useName && base != "" {
			id = sanitizeName(base)
			if unique {
				id += "_" + randomID(6)
			}
		} else {
			id = randomID(20)
		}
		if prefix := p.Get("public_id_prefix"); prefix != "" {
			id = strings.Trim(prefix, "/") + "/" + id
		}
		if rt == "raw" && ext != "" {
			id += "." + ext
		}
	}
	if folder != "" {
		id = folder + "/" + id
	}
	if err := checkPublicID(id); err != nil {
		return "", err
	}
	return id, nil
}

// uploadResponse is the answer to a successful upload (Cloudinary's
// upload_response): types matter, cloudinary-go decodes strictly.
type uploadResponse struct {
	AssetID          string         `json:"asset_id"`
	PublicID         string         `json:"public_id"`
	Version          int64          `json:"version"`
	VersionID        string         `json:"version_id"`
	Signature        string         `json:"signature"`
	Width            *int           `json:"width,omitempty"`
	Height           *int           `json:"height,omitempty"`
	Format           string         `json:"format,omitempty"`
	ResourceType     string         `json:"resource_type"`
	CreatedAt        string         `json:"created_at"`
	Tags             []string       `json:"tags"`
	Pages            int            `json:"pages,omitempty"`
	Bytes            int64          `json:"bytes"`
	Type             string         `json:"type"`
	Etag             string         `json:"etag"`
	Placeholder      bool           `json:"placeholder"`
	URL              string         `json:"url"`
	SecureURL        string         `json:"secure_url"`
	AssetFolder      string         `json:"asset_folder"`
	DisplayName      string         `json:"display_name"`
	AccessMode       string         `json:"access_mode"`
	Context          *fullContext   `json:"context,omitempty"`
	Eager            []eagerResult  `json:"eager,omitempty"`
	Overwritten      bool           `json:"overwritten,omitempty"`
	Existing         bool           `json:"existing,omitempty"`
	OriginalFilename string         `json:"original_filename"`
	APIKey           string         `json:"api_key"`
	Duration         float64        `json:"duration,omitempty"`
	IsAudio          *bool          `json:"is_audio,omitempty"`
	BitRate          any            `json:"bit_rate,omitempty"`
	FrameRate        any            `json:"frame_rate,omitempty"`
	Video            map[string]any `json:"video,omitempty"`
	Audio            map[string]any `json:"audio,omitempty"`
}

// fullContext is the Upload and Admin APIs' context shape.
type fullContext struct {
	Custom map[string]string `json:"custom"`
}

type eagerResult struct {
	Transformation string `json:"transformation"`
	Width          int    `json:"width"`
	Height         int    `json:"height"`
	Bytes          int64  `json:"bytes"`
	Format         string `json:"format"`
	URL            string `json:"url"`
	SecureURL      string `json:"secure_url"`
}

func rfc3339(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func (s *Server) uploadResponse(a *asset, existing, overwritten bool) uploadResponse {
	u := s.deliveryURL(a, "")
	r := uploadResponse{
		AssetID:          a.AssetID,
		PublicID:         a.PublicID,
		Version:          a.Version,
		VersionID:        a.VersionID,
		Signature:        signing.ResponseSignature(a.PublicID, a.Version, s.secret, signing.SHA1),
		Format:           a.Format,
		ResourceType:     a.ResourceType,
		CreatedAt:        rfc3339(a.CreatedAt),
		Tags:             append([]string{}, a.Tags...),
		Pages:            a.Pages,
		Bytes:            a.Bytes,
		Type:             a.Type,
		Etag:             a.Etag,
		URL:              u,
		SecureURL:        u,
		AssetFolder:      a.AssetFolder,
		DisplayName:      a.DisplayName,
		AccessMode:       a.AccessMode,
		Existing:         existing,
		Overwritten:      overwritten,
		OriginalFilename: a.OriginalFilename,
		APIKey:           s.key,
		Duration:         a.Duration,
	}
	if a.ResourceType != "raw" {
		w, h := a.Width, a.Height
		r.Width, r.Height = &w, &h
	}
	if len(a.Context) > 0 {
		r.Context = &fullContext{Custom: a.Context}
	}
	if a.ResourceType == "video" {
		if v, ok := a.Media["is_audio"].(bool); ok {
			r.IsAudio = &v
		}
		r.BitRate = a.Media["bit_rate"]
		r.FrameRate = a.Media["frame_rate"]
		r.Video, _ = a.Media["video"].(map[string]any)
		r.Audio, _ = a.Media["audio"].(map[string]any)
	}
	for _, e := range a.Eager {
		r.Eager = append(r.Eager, s.eagerResult(a, e))
	}
	return r
}

// deliveryURL is where the sandbox serves an asset (the url and
// secure_url of responses: the sandbox has only one scheme).
func (s *Server) deliveryURL(a *asset, transformation string) string {
	var b strings.Builder
	b.WriteString(s.base)
	b.WriteString("/" + s.cloud + "/" + a.ResourceType + "/" + a.Type + "/")
	if transformation != "" {
		b.WriteString(transformation + "/")
	}
	fmt.Fprintf(&b, "v%d/", a.Version)
	segs := strings.Split(a.PublicID, "/")
	for i, seg := range segs {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(url.PathEscape(seg))
	}
	if a.Format != "" && a.ResourceType != "raw" {
		b.WriteString("." + a.Format)
	}
	return b.String()
}

// maxAnyType is the largest file any resource type may be (<0: none).
func (s *Server) maxAnyType() int64 {
	max := int64(0)
	for _, v := range []int64{s.limits.MaxImageBytes, s.limits.MaxVideoBytes, s.limits.MaxRawBytes} {
		if v < 0 {
			return -1
		}
		if v > max {
			max = v
		}
	}
	return max
}
