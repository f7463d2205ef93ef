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
)

// handleUpload serves POST /v1_1/CLOUD[/RT]/upload without chunk headers.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request, rtPath string) error {
	ctx := r.Context()
	var sp *spool
	defer func() { sp.discard() }()
	var acc access
	authorized := false
	f, err := parseForm(r, formOptions{
		openFile: func(params url.Values, _ string, complete bool) (io.Writer, error) {
			if complete && canAuthorize(params) {
				// Reject before reading the file, as Cloudinary does.
				a, err := s.authorizeUpload(ctx, r, params, true)
				if err != nil {
					return nil, err
				}
				acc, authorized = a, true
			}
			var err error
			sp, err = s.newSpool()
			return sp, err
		},
		maxFile:    s.limits.MaxRequestBytes,
		tooLarge:   func(int64) error { return s.requestTooLarge() },
		maxDataURI: s.limits.MaxDataURIBytes,
	})
	if err != nil {
		return err
	}
	if !authorized {
		if acc, err = s.authorizeUpload(ctx, r, f.params, true); err != nil {
			return err
		}
	}
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
	p := uploadParams(in)
	m, err := sniffMedia(ctx, in.path)
	if err != nil {
		return putResult{}, err
	}
	rt := in.rtPath
	if rt == "auto" || rt == "" {
		rt = p.Get("resource_type")
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
			return putResult{}, badRequest("Invalid image file")
		}
	case "video":
		if m.kind != "video" || m.probeErr != nil {
			return putResult{}, badRequest("Unsupported video format or file")
		}
	case "raw":
		m = media{kind: "raw"}
	default:
		return putResult{}, badRequest("Invalid resource_type %q: use image, video, raw or auto", rt)
	}
	if max := s.limits.maxFor(rt); max >= 0 && in.size > max {
		return putResult{}, badRequest("File size too large. Got %d. Maximum is %d.", in.size, max)
	}
	typ := p.Get("type")
	switch typ {
	case "":
		typ = "upload"
	case "upload", "private", "authenticated":
	default:
		return putResult{}, badRequest("Invalid type parameter value %q: use upload, private or authenticated", typ)
	}

	base, ext := splitName(in.filename)
	if in.filename == "" {
		base = "file"
	}
	if s := p.Get("filename_override"); s != "" {
		base, ext = splitName(s)
	}
	if allowed := listParam(p, "allowed_formats"); len(allowed) > 0 {
		format := m.format
		if rt == "raw" {
			format = ext
		}
		ok := false
		for _, a := range allowed {
			if strings.EqualFold(a, format) || (format == "jpg" && strings.EqualFold(a, "jpeg")) {
				ok = true
			}
		}
		if !ok {
			what := map[string]string{"image": "Image", "video": "Video", "raw": "Raw"}[rt]
			return putResult{}, badRequest("%s file format %s not allowed", what, format)
		}
	}

	publicID, err := choosePublicID(p, base, ext, rt)
	if err != nil {
		return putResult{}, err
	}
	assetFolder := strings.Trim(p.Get("asset_folder"), "/")
	if err := checkFolder("asset_folder", assetFolder); err != nil {
		return putResult{}, err
	}
	tags, err := tagsParam(p, "tags")
	if err != nil {
		return putResult{}, err
	}
	custom, err := parseContext(p.Get("context"))
	if err != nil {
		return putResult{}, err
	}
	for k, v := range custom {
		if v == "" {
			delete(custom, k)
		}
	}
	displayName := p.Get("display_name")
	if displayName == "" {
		if useName, _ := boolParam(p, "use_filename_as_display_name", false); useName && in.filename != "" {
			displayName = base
		} else {
			displayName = publicID[strings.LastIndex(publicID, "/")+1:]
		}
	}
	var eager []string
	for _, e := range strings.Split(p.Get("eager"), "|") {
		if e = strings.TrimSpace(e); e != "" {
			eager = append(eager, e)
		}
	}
	if err := s.checkEager(eager, rt); err != nil {
		return putResult{}, err
	}
	// Signed uploads overwrite by default; unsigned ones only when their
	// preset says so (the request itself may not ask, see checkUnsigned).
	overwrite, err := boolParam(p, "overwrite", in.access.signed)
	if err != nil {
		return putResult{}, err
	}
	if pr := in.access.preset; pr != nil && pr.Settings["disallow_public_id"] == "true" && in.params.Get("public_id") != "" {
		return putResult{}, badRequest("public_id parameter is not allowed: upload preset %s sets disallow_public_id", pr.Name)
	}
	original := base
	if discard, _ := boolParam(p, "discard_original_filename", false); discard {
		original = ""
	}

	now := s.now().UTC()
	a := &asset{
		AssetID:          randomHex(16),
		ResourceType:     rt,
		Type:             typ,
		PublicID:         publicID,
		Version:          now.Unix(),
		VersionID:        randomHex(16),
		Format:           m.format,
		Bytes:            in.size,
		Width:            m.width,
		Height:           m.height,
		Pages:            m.pages,
		Duration:         m.duration,
		Etag:             in.etag,
		CreatedAt:        now,
		UploadedAt:       now,
		AssetFolder:      assetFolder,
		DisplayName:      displayName,
		OriginalFilename: original,
		Tags:             tags,
		Context:          custom,
		Eager:            eager,
		Media:            m.details,
	}
	if a.Blob, err = s.placeBlob(in.path, a.VersionID); err != nil {
		return putResult{}, err
	}
	if in.onStored != nil {
		in.onStored()
	}
	res, err := s.store.put(ctx, a, overwrite)
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

// fetchRemote downloads a remote file into a spool. Cloudinary fetches
// http(s) URLs itself; so does the sandbox (the file comes from wherever
// the URL points, a local test server included).
func (s *Server) fetchRemote(ctx context.Context, raw string) (*spool, string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", badRequest("Unsupported source URL: %s (the sandbox fetches http and https URLs)", truncate(raw, 200))
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", badRequest("Error in loading %s - %v", truncate(raw, 200), err)
	}
	req.Header.Set("User-Agent", "cloudup-sandbox")
	resp, err := remoteClient.Do(req)
	if err != nil {
		return nil, "", badRequest("Error in loading %s - %v", truncate(raw, 200), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, "", notFound("Resource not found - %s", truncate(raw, 200))
	}
	if resp.StatusCode/100 != 2 {
		return nil, "", badRequest("Error in loading %s - %s", truncate(raw, 200), resp.Status)
	}
	sp, err := s.newSpool()
	if err != nil {
		return nil, "", err
	}
	max := s.maxAnyType()
	if _, err := copyLimited(sp, resp.Body, max); err != nil {
		sp.discard()
		if errors.Is(err, errTooBig) {
			return nil, "", badRequest("File size too large. Got more than %d. Maximum is %d.", max, max)
		}
		return nil, "", badRequest("Error in loading %s - %v", truncate(raw, 200), err)
	}
	name := u.Path[strings.LastIndex(u.Path, "/")+1:]
	if n, err := url.PathUnescape(name); err == nil {
		name = n
	}
	return sp, name, nil
}

var remoteClient = &http.Client{Timeout: 2 * time.Minute}

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
