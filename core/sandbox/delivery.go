package sandbox

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/cloudup/cloudup/core/imageguard"
	"github.com/cloudup/cloudup/core/sandbox/transform"
	"github.com/cloudup/cloudup/core/signing"
)

// Delivery URLs:
//
//	/CLOUD/{image|video|raw}/{upload|private|authenticated}/[s--SIG--/][TRANSFORMATION/…][vN/]PUBLIC_ID[.EXT]
//
// The sandbox answers like Cloudinary's CDN: the original or a derived
// image, 404 for unknown ids, 400 with x-cld-error for a bad
// transformation, 401 for a bad or missing signature, 423 while a
// background removal "processes". Derived images are cached on disk by the
// asset version, the canonical transformation, the format and (for f_auto)
// whether the Accept header takes WebP: two variants, not one per header.

// deliveryError is an answer of the CDN: status, x-cld-error and a short
// text body (Cloudinary's CDN sends no JSON).
type deliveryError struct {
	status     int
	msg        string
	retryAfter time.Duration
}

func (e *deliveryError) Error() string { return e.msg }

func cdnError(status int, format string, args ...any) *deliveryError {
	return &deliveryError{status: status, msg: fmt.Sprintf(format, args...)}
}

func writeDeliveryError(w http.ResponseWriter, e *deliveryError) {
	msg := strings.ReplaceAll(e.msg, "\n", " ")
	w.Header().Set("x-cld-error", msg)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retrySeconds(e.retryAfter)))
	}
	w.WriteHeader(e.status)
	fmt.Fprintln(w, msg)
}

var (
	signatureSegRE = regexp.MustCompile(`^s--([A-Za-z0-9_-]{8}|[A-Za-z0-9_-]{32})--$`)
	versionSegRE   = regexp.MustCompile(`^v\d+$`)
	// transformSegRE is what a transformation component looks like; a
	// public_id folder can look the same ("my_photos"), so candidates are
	// confirmed by finding the asset.
	transformSegRE = regexp.MustCompile(`^(\$|[a-z]{1,4}_)`)
)

// deliveryRequest is a parsed delivery path.
type deliveryRequest struct {
	rt, typ        string
	signature      string // "s--…--" or ""
	transformation string // slash-joined components, as in the URL
	publicPath     string // public_id with the extension, as in the URL
	version        bool
}

// parseDeliveryPath splits a delivery path (without the cloud) into the
// ways it can be read: with a version the split is certain; without one,
// any leading run of transformation-like segments might be part of the
// public_id, so every split is offered, the longest transformation first.
func parseDeliveryPath(segs []string) ([]deliveryRequest, error) {
	if len(segs) < 3 {
		return nil, cdnError(http.StatusNotFound, "Resource not found - the URL has no public_id")
	}
	base := deliveryRequest{rt: segs[0], typ: segs[1]}
	rest := segs[2:]
	if len(rest) > 0 && signatureSegRE.MatchString(rest[0]) {
		base.signature = rest[0]
		rest = rest[1:]
	}
	for _, s := range rest {
		if s == "" {
			return nil, cdnError(http.StatusBadRequest, "Invalid URL - empty path segment (remove the doubled or trailing /)")
		}
	}
	if len(rest) == 0 {
		return nil, cdnError(http.StatusNotFound, "Resource not found - the URL has no public_id")
	}
	for i, s := range rest {
		if versionSegRE.MatchString(s) && i+1 < len(rest) {
			d := base
			d.transformation = strings.Join(rest[:i], "/")
			d.publicPath = strings.Join(rest[i+1:], "/")
			d.version = true
			return []deliveryRequest{d}, nil
		}
	}
	// A chain has at most transform.MaxComponents components: a URL of
	// thousands of transformation-like segments costs as many lookups as
	// a real one, not one per segment.
	n := 0
	for n < len(rest)-1 && n < transform.MaxComponents && transformSegRE.MatchString(rest[n]) {
		n++
	}
	var out []deliveryRequest
	for k := n; k >= 0; k-- {
		d := base
		d.transformation = strings.Join(rest[:k], "/")
		d.publicPath = strings.Join(rest[k:], "/")
		out = append(out, d)
	}
	return out, nil
}

// imageExts are extensions that ask for an image (a video's poster frame
// when put on a video).
var imageExts = map[string]bool{"jpg": true, "jpeg": true, "jpe": true, "png": true, "webp": true, "gif": true, "bmp": true, "tif": true, "tiff": true, "avif": true}

func (s *Server) handleDelivery(w http.ResponseWriter, r *http.Request) error {
	err := s.deliver(w, r)
	var de *deliveryError
	if errors.As(err, &de) {
		writeDeliveryError(w, de)
		return nil
	}
	return err
}

func (s *Server) deliver(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return cdnError(http.StatusMethodNotAllowed, "Delivery URLs answer GET and HEAD only")
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")[1:]
	if !resourceTypes[segs[0]] {
		return cdnError(http.StatusNotFound, "Resource not found - unknown resource type %q (image, video or raw)", segs[0])
	}
	switch segs[1] {
	case "upload", "private", "authenticated":
	default:
		return cdnError(http.StatusNotFound, "Resource not found - the sandbox delivers upload, private and authenticated assets, not %q", segs[1])
	}
	candidates, err := parseDeliveryPath(segs)
	if err != nil {
		return err
	}
	var d deliveryRequest
	var a *asset
	var ext string
	for _, c := range candidates {
		if a, ext, err = s.findDelivered(r.Context(), c); err == nil {
			d = c
			break
		}
		if !errors.Is(err, errNoAsset) {
			return err
		}
	}
	if a == nil {
		c := candidates[len(candidates)-1]
		return cdnError(http.StatusNotFound, "Resource not found - %s", c.publicPath)
	}
	if err := s.checkDeliverySignature(d); err != nil {
		return err
	}
	if d.transformation, err = s.expandNamed(d.transformation); err != nil {
		return err
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if a.ResourceType == "video" && (d.transformation != "" || (ext != "" && ext != a.Format)) {
		// Trims, video formats and qualities are not image parameters.
		return s.deliverVideo(w, r, a, d, ext)
	}
	chain, err := transform.Parse(d.transformation)
	if err != nil {
		var te *transform.Error
		if errors.As(err, &te) {
			return cdnError(http.StatusBadRequest, "%s", te.Message)
		}
		return err
	}
	if chain.HasFlag("attachment") {
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(d.publicPath)}))
	}
	switch a.ResourceType {
	case "raw":
		if len(chain) > 0 {
			return cdnError(http.StatusBadRequest, "Transformations are not available for raw files - %s", d.transformation)
		}
		return s.serveOriginal(w, r, a, d)
	case "video":
		if imageExts[ext] {
			return s.serveDerived(w, r, a, d, chain, ext)
		}
		if d.transformation != "" || (ext != "" && ext != a.Format) {
			return s.deliverVideo(w, r, a, d, ext)
		}
		return s.serveOriginal(w, r, a, d)
	}
	if len(chain) == 0 && (ext == "" || sameFormat(ext, a.Format)) {
		return s.serveOriginal(w, r, a, d)
	}
	return s.serveDerived(w, r, a, d, chain, ext)
}

func sameFormat(ext, format string) bool {
	norm := func(f string) string {
		switch f {
		case "jpeg", "jpe":
			return "jpg"
		case "tif":
			return "tiff"
		}
		return f
	}
	return norm(ext) == norm(format)
}

// findDelivered looks up the asset a delivery path names. Image and video
// URLs end in an extension that is not part of the public_id (unless it
// is: "photo.v2"); raw public_ids include theirs.
func (s *Server) findDelivered(ctx context.Context, d deliveryRequest) (*asset, string, error) {
	p := d.publicPath
	base, ext := p, ""
	if i := strings.LastIndexByte(p, '.'); i > strings.LastIndexByte(p, '/') && i > 0 {
		base, ext = p[:i], strings.ToLower(p[i+1:])
	}
	var tries []struct{ id, ext string }
	if ext != "" {
		tries = append(tries, struct{ id, ext string }{base, ext})
	}
	tries = append(tries, struct{ id, ext string }{p, ""})
	if d.rt == "raw" && len(tries) == 2 {
		tries[0], tries[1] = tries[1], tries[0]
	}
	for _, t := range tries {
		a, err := s.store.get(ctx, d.rt, d.typ, t.id)
		if err == nil {
			return a, t.ext, nil
		}
		if !errors.Is(err, errNoAsset) {
			return nil, "", err
		}
	}
	return nil, "", errNoAsset
}

// checkDeliverySignature verifies s--SIG-- when present, and requires it
// for strict accounts and for private and authenticated assets. The
// signature covers "<transformation>/<public_id.ext>", not the version.
func (s *Server) checkDeliverySignature(d deliveryRequest) error {
	if d.signature == "" {
		if s.cfg.StrictDeliverySigning || d.typ != "upload" {
			return cdnError(http.StatusUnauthorized, "Signature required - this account delivers %s URLs signed only (sign_url=true)", d.typ)
		}
		return nil
	}
	toSign := d.publicPath
	if d.transformation != "" {
		toSign = d.transformation + "/" + d.publicPath
	}
	long := len(d.signature) > len("s--12345678--")
	if signing.DeliverySignature(toSign, s.secret, long) != d.signature {
		return cdnError(http.StatusUnauthorized, "Invalid signature %s for %q: sign the transformation and public_id (with its extension) with the account's secret", d.signature, toSign)
	}
	return nil
}

func contentTypeOf(a *asset, name string) string {
	if ct, ok := contentTypes[a.Format]; ok && a.ResourceType != "raw" {
		return ct
	}
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// serveOriginal sends the stored file with Range and conditional request
// support (videos are played from the middle).
func (s *Server) serveOriginal(w http.ResponseWriter, r *http.Request, a *asset, d deliveryRequest) error {
	f, err := os.Open(s.blobPath(a))
	if err != nil {
		return fmt.Errorf("the original of %s is missing from the data directory: %w", describe(a), err)
	}
	defer f.Close()
	w.Header().Set("Content-Type", contentTypeOf(a, d.publicPath))
	w.Header().Set("ETag", `"`+a.Etag+`"`)
	w.Header().Set("Cache-Control", cacheControl(d))
	http.ServeContent(w, r, "", a.UploadedAt, f)
	return nil
}

func cacheControl(d deliveryRequest) string {
	if d.version {
		return "public, max-age=2592000"
	}
	// Without a version the URL is reused across overwrites.
	return "no-cache"
}

// derived is a rendered result as cached on disk.
type derived struct {
	ContentType string `json:"content_type"`
	Etag        string `json:"etag"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Bytes       int64  `json:"bytes"`
	Format      string `json:"format"`
	body        []byte
}

func (s *Server) cachePaths(a *asset, key string) (body, meta string) {
	sum := sha256.Sum256([]byte(key))
	name := hex.EncodeToString(sum[:16])
	dir := filepath.Join(s.dir, "cache", a.VersionID)
	return filepath.Join(dir, name), filepath.Join(dir, name+".json")
}

// negotiatedAccept reduces an Accept header to what f_auto reads from it
// (transform.AcceptsWebP): keyed on the raw header, every browser version
// and every client library would render and cache its own copy of the same
// two variants.
func negotiatedAccept(chain transform.Chain, accept string) string {
	if chain.NegotiatesFormat() && transform.AcceptsWebP(accept) {
		return "image/webp"
	}
	return ""
}

// renderKey names one rendering: the canonical chain, the extension, and
// for f_auto whether the client takes WebP (accept is negotiatedAccept's).
func renderKey(chain transform.Chain, ext, accept string) string {
	key := chain.String() + "|" + strings.ToLower(ext)
	if chain.NegotiatesFormat() {
		key += "|webp=" + strconv.FormatBool(accept != "")
	}
	return key
}

// serveDerived sends a transformed image, from the cache when it can.
func (s *Server) serveDerived(w http.ResponseWriter, r *http.Request, a *asset, d deliveryRequest, chain transform.Chain, ext string) error {
	accept := negotiatedAccept(chain, r.Header.Get("Accept"))
	key := renderKey(chain, ext, accept)
	res, cached, err := s.loadDerived(a, key)
	if err != nil {
		return err
	}
	if !cached {
		if chain.NeedsBackgroundRemoval() && s.cfg.BackgroundRemovalDelay > 0 {
			if wait := s.backgroundRemovalWait(a, key); wait > 0 {
				e := cdnError(http.StatusLocked, "Background removal in progress for %s - try again in a moment", a.PublicID)
				e.retryAfter = wait
				return e
			}
		}
		// Identical requests share one rendering; it stops when the last
		// request waiting for it is gone.
		if res, err = s.sharedRender(r.Context(), a, key, chain, ext, accept); err != nil {
			return err
		}
	}
	if chain.NegotiatesFormat() {
		w.Header().Set("Vary", "Accept")
	}
	w.Header().Set("Content-Type", res.ContentType)
	w.Header().Set("ETag", `"`+res.Etag+`"`)
	w.Header().Set("Cache-Control", cacheControl(d))
	http.ServeContent(w, r, "", a.UploadedAt, bytes.NewReader(res.body))
	return nil
}

// backgroundRemovalWait says how long until this derivation "finishes
// processing", starting the clock on the first request.
func (s *Server) backgroundRemovalWait(a *asset, key string) time.Duration {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	k := a.VersionID + "|" + key
	first, ok := s.bgFirst[k]
	if !ok {
		first = time.Now()
		s.bgFirst[k] = first
	}
	return time.Until(first.Add(s.cfg.BackgroundRemovalDelay))
}

func (s *Server) loadDerived(a *asset, key string) (*derived, bool, error) {
	bodyPath, metaPath := s.cachePaths(a, key)
	mb, err := os.ReadFile(metaPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var res derived
	if err := json.Unmarshal(mb, &res); err != nil {
		return nil, false, nil // a torn cache entry is just a miss
	}
	if res.body, err = os.ReadFile(bodyPath); err != nil {
		return nil, false, nil
	}
	return &res, true, nil
}

// renderJob is one rendering shared by every request for the same
// derived image.
type renderJob struct {
	done    chan struct{}
	res     *derived
	err     error
	waiters int
	cancel  context.CancelFunc
}

// sharedRender renders a derived image or joins the rendering already
// under way for it. The rendering runs on its own goroutine with its own
// context, cancelled when the last request waiting for it goes away: a
// client that hangs up stops the work it started unless another still
// wants the result.
func (s *Server) sharedRender(ctx context.Context, a *asset, key string, chain transform.Chain, ext, accept string) (*derived, error) {
	id := a.VersionID + "|" + key
	s.jobsMu.Lock()
	job := s.jobs[id]
	if job == nil {
		if !s.enter() {
			s.jobsMu.Unlock()
			return nil, cdnError(http.StatusServiceUnavailable, "The sandbox is shutting down")
		}
		jctx, cancel := context.WithCancel(s.ctx)
		job = &renderJob{done: make(chan struct{}), cancel: cancel}
		s.jobs[id] = job
		go func() {
			defer s.handlers.Done()
			defer cancel()
			res, err := s.render(jctx, a, key, chain, ext, accept)
			s.jobsMu.Lock()
			job.res, job.err = res, err
			if s.jobs[id] == job {
				delete(s.jobs, id)
			}
			s.jobsMu.Unlock()
			close(job.done)
		}()
	}
	job.waiters++
	s.jobsMu.Unlock()
	select {
	case <-job.done:
		return job.res, job.err
	case <-ctx.Done():
		s.jobsMu.Lock()
		job.waiters--
		if job.waiters == 0 {
			job.cancel()
			if s.jobs[id] == job {
				delete(s.jobs, id) // the next request starts afresh
			}
		}
		s.jobsMu.Unlock()
		return nil, ctx.Err()
	}
}

// renderBudget is the memory the sandbox lets renderings hold at once
// (decoded originals and the pictures made from them, by estimate).
const renderBudget = 192 << 20

// render makes a derived image and caches it (body first, then the meta
// file that makes it visible).
func (s *Server) render(ctx context.Context, a *asset, key string, chain transform.Chain, ext, accept string) (*derived, error) {
	// Decoding and pixel work are memory- and CPU-heavy: a gallery asking
	// for a hundred thumbnails at once renders them a few at a time, and
	// a large picture waits until it fits in the memory budget.
	if err := s.slots.Acquire(ctx, 1); err != nil {
		return nil, err
	}
	defer s.slots.Release(1)
	src, err := s.openSource(ctx, a)
	if err != nil {
		return nil, err
	}
	weight := min(src.decodedBytes()+4*src.pixels()+8*chain.PixelBound(src.width, src.height), renderBudget)
	if err := s.renderMem.Acquire(ctx, weight); err != nil {
		return nil, err
	}
	defer func() {
		if weight >= renderBudget/4 {
			// The garbage of a large render goes before the next one is let
			// in; left to the collector's pace, the heap would grow to twice
			// the budget first.
			runtime.GC()
		}
		s.renderMem.Release(weight)
	}()
	img, srcFormat, err := src.decode(ctx)
	if err != nil {
		return nil, err
	}
	body, ct, err := transform.Render(ctx, img, srcFormat, chain, ext, accept)
	if err != nil {
		var te *transform.Error
		if errors.As(err, &te) {
			return nil, cdnError(http.StatusBadRequest, "%s", te.Message)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("rendering %s: %w", describe(a), err)
	}
	sum := md5.Sum(body)
	res := &derived{ContentType: ct, Etag: hex.EncodeToString(sum[:]), Bytes: int64(len(body)), body: body}
	if cfg, format, err := image.DecodeConfig(bytes.NewReader(body)); err == nil {
		res.Width, res.Height = cfg.Width, cfg.Height
		res.Format = imageFormats[format]
	}
	bodyPath, metaPath := s.cachePaths(a, key)
	if err := os.MkdirAll(filepath.Dir(bodyPath), 0o700); err == nil && !cacheFull(filepath.Dir(bodyPath)) {
		if writeAtomic(bodyPath, body) == nil {
			meta, _ := json.Marshal(res)
			writeAtomic(metaPath, meta)
		}
	}
	return res, nil
}

// maxDerivedPerAsset bounds the renderings kept on disk for one asset
// version: anyone can ask for a new transformation, and a cache that took
// every one would fill the disk. Past it, renderings are served uncached.
const maxDerivedPerAsset = 256

func cacheFull(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	names, _ := f.Readdirnames(2*maxDerivedPerAsset + 1) // a body and a meta file each
	return len(names) >= 2*maxDerivedPerAsset
}

// source is an original about to be decoded (or a video's poster frame
// about to be made), with what its header says.
type source struct {
	s             *Server
	a             *asset
	width, height int
	bpp           int
}

func (src source) pixels() int64       { return int64(src.width) * int64(src.height) }
func (src source) decodedBytes() int64 { return src.pixels() * int64(src.bpp) }

// decodePixels is the largest original the sandbox decodes: the account's
// resolution limit, or imageguard's default when it has none.
func (s *Server) decodePixels() int64 {
	if s.limits.MaxImagePixels > 0 {
		return s.limits.MaxImagePixels
	}
	return imageguard.Default.MaxPixels
}

// openSource reads an original's header, refusing what is over the
// resolution limit (an original stored before the limit, or while limits
// were off) before a single pixel is decoded.
func (s *Server) openSource(ctx context.Context, a *asset) (source, error) {
	max := s.decodePixels()
	if a.ResourceType == "video" {
		// ffmpeg scales the poster frame down to transform.MaxPixels.
		w, h := a.Width, a.Height
		if int64(w)*int64(h) > transform.MaxPixels || w == 0 || h == 0 {
			w, h = 5000, 5000
		}
		return source{s: s, a: a, width: w, height: h, bpp: 4}, nil
	}
	f, err := os.Open(s.blobPath(a))
	if err != nil {
		return source{}, fmt.Errorf("the original of %s is missing from the data directory: %w", describe(a), err)
	}
	defer f.Close()
	info, err := imageguard.Check(f, imageguard.Limits{MaxPixels: max, MaxBytes: -1})
	if err != nil {
		return source{}, s.decodeRefusal(a, info, err)
	}
	return source{s: s, a: a, width: info.Width, height: info.Height, bpp: info.BytesPerPixel}, nil
}

// decodeRefusal words a refused original as the CDN would.
func (s *Server) decodeRefusal(a *asset, info imageguard.Info, err error) error {
	var tl *imageguard.TooLargeError
	if errors.As(err, &tl) {
		return cdnError(http.StatusBadRequest, "Resolution too large. Got %d. Maximum is %d.", info.Pixels(), tl.MaxPixels)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return cdnError(http.StatusBadRequest, "Error in loading %s - the stored image cannot be decoded: %v", a.PublicID, err)
}

// decode decodes the original, or makes a video's poster frame (a
// placeholder card when ffmpeg is missing or the video has no frame).
func (src source) decode(ctx context.Context) (image.Image, string, error) {
	s, a := src.s, src.a
	if a.ResourceType == "video" {
		img, err := transform.PosterFrame(ctx, s.blobPath(a))
		switch {
		case err == nil:
			return img, "jpg", nil
		case errors.Is(err, transform.ErrNoFFmpeg), errors.Is(err, transform.ErrNoFrame):
			w, h := a.Width, a.Height
			if w == 0 || h == 0 {
				w, h = 640, 360
			}
			label := "Video preview unavailable: install ffmpeg"
			if !errors.Is(err, transform.ErrNoFFmpeg) {
				label = "This video has no picture"
			}
			return transform.Placeholder(w, h, label), "png", nil
		case ctx.Err() != nil:
			return nil, "", ctx.Err()
		default:
			return nil, "", fmt.Errorf("poster frame of %s: %w", describe(a), err)
		}
	}
	f, err := os.Open(s.blobPath(a))
	if err != nil {
		return nil, "", fmt.Errorf("the original of %s is missing from the data directory: %w", describe(a), err)
	}
	defer f.Close()
	img, info, err := imageguard.Decode(ctx, f, imageguard.Limits{MaxPixels: s.decodePixels(), MaxBytes: -1})
	if err != nil {
		return nil, "", s.decodeRefusal(a, info, err)
	}
	return img, a.Format, nil
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// checkEager validates eager transformations before anything is stored.
// Images must parse; videos and raw files keep theirs as given (the
// sandbox does not transcode).
func checkEager(eager []string, rt string) error {
	if rt != "image" {
		return nil
	}
	for _, e := range eager {
		if _, err := transform.Parse(e); err != nil {
			var te *transform.Error
			if errors.As(err, &te) {
				return badRequest("Invalid eager transformation %q: %s", truncate(e, 100), te.Message)
			}
			return err
		}
	}
	return nil
}

// renderEager makes an image's eager derivations now, as Cloudinary does
// for a synchronous eager upload, so their sizes can be reported.
func (s *Server) renderEager(ctx context.Context, a *asset) {
	if a.ResourceType != "image" {
		return
	}
	for _, e := range a.Eager {
		chain, err := transform.Parse(e)
		if err != nil {
			continue
		}
		key := renderKey(chain, "", "")
		if _, cached, _ := s.loadDerived(a, key); cached {
			continue
		}
		if _, err := s.render(ctx, a, key, chain, "", ""); err != nil {
			s.logf("sandbox: eager %s for %s: %v", e, describe(a), err)
		}
	}
}

// eagerResult reports an eager derivation (sizes from the cache).
func (s *Server) eagerResult(a *asset, e string) eagerResult {
	r := eagerResult{Transformation: e, Format: a.Format}
	if chain, err := transform.Parse(e); err == nil && a.ResourceType == "image" {
		if res, ok, _ := s.loadDerived(a, renderKey(chain, "", "")); ok {
			r.Width, r.Height, r.Bytes = res.Width, res.Height, res.Bytes
			if res.Format != "" {
				r.Format = res.Format
			}
		}
	}
	u := s.deliveryURL(a, e)
	r.URL, r.SecureURL = u, u
	return r
}
