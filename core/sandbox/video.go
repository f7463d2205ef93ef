package sandbox

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cloudup/cloudup/core/childenv"
	"github.com/cloudup/cloudup/core/sandbox/transform"
)

// Video delivery: the sandbox transcodes the transformations Cloudinary
// offers on video that editors use to share — trim (so_, eo_, du_),
// resize and crop (c_scale, c_limit, c_fill with w_, h_, ar_, g_), the
// colour effects (e_blur, e_brightness, e_contrast, e_saturation, e_gamma,
// e_vignette, e_grayscale), f_auto / f_mp4 / f_webm and q_ — with ffmpeg,
// one at a time, single-threaded, under a time limit and an output cap.

const (
	videoTimeout  = 3 * time.Minute
	maxVideoOut   = 200 << 20 // bytes one transcoded video may take
	videoDefaultQ = 28        // x264/VP8 CRF for q_auto
)

// videoChain is a video transformation the sandbox can render.
type videoChain struct {
	start, end float64 // seconds; 0 = from the start / to the end
	filters    []string
	crf        int
	format     string // mp4 or webm ("" = from the extension or the original)
	// still is the chain without trims, for a poster frame through the
	// image pipeline.
	still []string
}

// parseVideoChain reads a video transformation for an original of w×h.
func parseVideoChain(text string, w, h int) (videoChain, error) {
	vc := videoChain{crf: videoDefaultQ}
	if text == "" {
		return vc, nil
	}
	for _, comp := range strings.Split(text, "/") {
		kv := map[string]string{}
		var order []string
		for _, p := range strings.Split(comp, ",") {
			k, v, ok := strings.Cut(p, "_")
			if !ok || v == "" {
				return vc, fmt.Errorf("Invalid transformation component %q", p)
			}
			kv[k] = v
			order = append(order, k)
		}
		trimOnly := true
		for _, k := range order {
			if k != "so" && k != "eo" && k != "du" {
				trimOnly = false
			}
		}
		if !trimOnly {
			vc.still = append(vc.still, comp)
		}
		if err := vc.apply(kv, order, comp, w, h); err != nil {
			return vc, err
		}
		if fw, fh, ok := scaledSize(kv, w, h); ok {
			w, h = fw, fh
		}
	}
	if vc.end > 0 && vc.end <= vc.start {
		return vc, errors.New("Invalid trim - eo_ must come after so_")
	}
	return vc, nil
}

func (vc *videoChain) apply(kv map[string]string, order []string, comp string, w, h int) error {
	secs := func(k string) (float64, error) {
		f, err := strconv.ParseFloat(strings.TrimSuffix(kv[k], "s"), 64)
		if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			return 0, fmt.Errorf("Invalid %s_ value %q: give seconds, e.g. %s_2.5", k, kv[k], k)
		}
		return f, nil
	}
	for _, k := range order {
		var err error
		switch k {
		case "so":
			vc.start, err = secs(k)
		case "eo":
			vc.end, err = secs(k)
		case "du":
			var d float64
			if d, err = secs(k); err == nil {
				vc.end = vc.start + d
			}
		case "f":
			switch kv[k] {
			case "auto", "mp4":
				vc.format = "mp4"
			case "webm":
				vc.format = "webm"
			default:
				return fmt.Errorf("The sandbox transcodes video to mp4 or webm, not f_%s", kv[k])
			}
		case "q":
			if kv[k] == "auto" || strings.HasPrefix(kv[k], "auto:") {
				vc.crf = videoDefaultQ
				continue
			}
			q, qerr := strconv.Atoi(kv[k])
			if qerr != nil || q < 1 || q > 100 {
				return fmt.Errorf("Invalid quality q_%s: use 1 to 100 or auto", kv[k])
			}
			vc.crf = min(max(int(math.Round(51-float64(q)*0.4)), 10), 45)
		case "e":
			f, eerr := videoEffect(kv[k])
			if eerr != nil {
				return eerr
			}
			vc.filters = append(vc.filters, f)
		case "c", "w", "h", "ar", "g":
			// Read together below.
		default:
			return fmt.Errorf("The sandbox does not render %s_ on video (it renders so_, eo_, du_, c_, w_, h_, ar_, g_, e_, f_, q_)", k)
		}
		if err != nil {
			return err
		}
	}
	if _, ok := kv["c"]; ok || kv["w"] != "" || kv["h"] != "" {
		f, err := videoResize(kv, w, h)
		if err != nil {
			return err
		}
		vc.filters = append(vc.filters, f...)
	}
	return nil
}

// even rounds a size to the even number H.264 in yuv420p needs.
func even(n float64) int { return max(2, int(math.Round(n/2))*2) }

// scaledSize is the size a resize component leaves, for the next one.
func scaledSize(kv map[string]string, w, h int) (int, int, bool) {
	if kv["c"] == "" && kv["w"] == "" && kv["h"] == "" {
		return 0, 0, false
	}
	tw, th, _ := videoTarget(kv, w, h)
	return tw, th, true
}

// videoTarget is the output size of a resize component on w×h.
func videoTarget(kv map[string]string, w, h int) (int, int, error) {
	num := func(k string) (float64, error) {
		if kv[k] == "" {
			return 0, nil
		}
		f, err := strconv.ParseFloat(kv[k], 64)
		if err != nil || f <= 0 || f > 8192 {
			return 0, fmt.Errorf("Invalid %s_%s: give pixels", k, kv[k])
		}
		if f <= 1 && strings.Contains(kv[k], ".") {
			f *= map[string]float64{"w": float64(w), "h": float64(h)}[k]
		}
		return f, nil
	}
	tw, err := num("w")
	if err != nil {
		return 0, 0, err
	}
	th, err := num("h")
	if err != nil {
		return 0, 0, err
	}
	if ar := kv["ar"]; ar != "" {
		r := 0.0
		if a, b, ok := strings.Cut(ar, ":"); ok {
			x, e1 := strconv.ParseFloat(a, 64)
			y, e2 := strconv.ParseFloat(b, 64)
			if e1 == nil && e2 == nil && x > 0 && y > 0 {
				r = x / y
			}
		} else if x, err := strconv.ParseFloat(ar, 64); err == nil && x > 0 {
			r = x
		}
		if r == 0 {
			return 0, 0, fmt.Errorf("Invalid aspect ratio ar_%s", ar)
		}
		switch {
		case tw > 0 && th == 0:
			th = tw / r
		case th > 0 && tw == 0:
			tw = th * r
		case tw == 0 && th == 0:
			tw, th = float64(w), float64(w)/r
			if th > float64(h) {
				tw, th = float64(h)*r, float64(h)
			}
		}
	}
	switch {
	case tw == 0 && th == 0:
		return w, h, nil
	case th == 0:
		th = tw * float64(h) / float64(w)
	case tw == 0:
		tw = th * float64(w) / float64(h)
	}
	if kv["c"] == "limit" && (tw > float64(w) || th > float64(h)) {
		s := math.Min(float64(w)/tw, float64(h)/th)
		tw, th = tw*s, th*s
	}
	return even(tw), even(th), nil
}

// videoResize is the ffmpeg filters of a resize component.
func videoResize(kv map[string]string, w, h int) ([]string, error) {
	tw, th, err := videoTarget(kv, w, h)
	if err != nil {
		return nil, err
	}
	switch kv["c"] {
	case "", "scale", "limit":
		return []string{fmt.Sprintf("scale=%d:%d", tw, th)}, nil
	case "fill", "lfill":
		// Cover the target, then keep its middle (g_auto, faces and
		// center all keep the middle here; Cloudinary tracks the subject).
		switch kv["g"] {
		case "", "auto", "center", "faces", "face":
		default:
			return nil, fmt.Errorf("The sandbox crops video around g_auto, g_center or g_faces, not g_%s", kv["g"])
		}
		return []string{fmt.Sprintf("scale=%d:%d:force_original_aspect_ratio=increase", tw, th), fmt.Sprintf("crop=%d:%d", tw, th)}, nil
	}
	return nil, fmt.Errorf("The sandbox renders c_scale, c_limit and c_fill on video, not c_%s", kv["c"])
}

// videoEffect maps a video effect to an ffmpeg filter, on the same scale
// the sandbox's image effects use, so a poster frame matches its video.
func videoEffect(v string) (string, error) {
	name, arg, hasArg := strings.Cut(v, ":")
	levels := map[string][3]int{ // min, max, default
		"blur": {1, 2000, 100}, "brightness": {-99, 100, 80}, "contrast": {-100, 100, 0},
		"saturation": {-100, 100, 80}, "gamma": {-50, 150, 0}, "vignette": {0, 100, 20},
	}
	if name == "grayscale" && !hasArg {
		return "hue=s=0", nil
	}
	spec, ok := levels[name]
	if !ok {
		return "", fmt.Errorf("The sandbox does not render e_%s on video (it renders blur, brightness, contrast, saturation, gamma, vignette and grayscale)", name)
	}
	lvl := spec[2]
	if hasArg {
		n, err := strconv.Atoi(arg)
		if err != nil || n < spec[0] || n > spec[1] {
			return "", fmt.Errorf("Invalid effect - %s (the level of e_%s must be %d to %d)", v, name, spec[0], spec[1])
		}
		lvl = n
	}
	f := float64(lvl) / 100
	switch name {
	case "blur":
		return fmt.Sprintf("gblur=sigma=%.2f", float64(lvl)/20), nil
	case "brightness":
		return fmt.Sprintf("colorchannelmixer=rr=%.3f:gg=%.3f:bb=%.3f", 1+f, 1+f, 1+f), nil
	case "contrast":
		return fmt.Sprintf("eq=contrast=%.3f", 1+f), nil
	case "saturation":
		return fmt.Sprintf("eq=saturation=%.3f", 1+f), nil
	case "gamma":
		return fmt.Sprintf("eq=gamma=%.3f", 1+f), nil
	}
	// vignette: a wider darkening angle for higher levels.
	return fmt.Sprintf("vignette=angle=%.3f", math.Pi/5+f*math.Pi/4), nil
}

var videoTypes = map[string]string{"mp4": "video/mp4", "webm": "video/webm"}

// deliverVideo answers a video URL with a transformation or another
// format: a poster frame (image extension) or a transcoded video.
func (s *Server) deliverVideo(w http.ResponseWriter, r *http.Request, a *asset, d deliveryRequest, ext string) error {
	vc, err := parseVideoChain(d.transformation, a.Width, a.Height)
	if err != nil {
		return cdnError(http.StatusBadRequest, "%s", err.Error())
	}
	if imageExts[ext] {
		chain, err := transform.Parse(strings.Join(vc.still, "/"))
		if err != nil {
			var te *transform.Error
			if errors.As(err, &te) {
				return cdnError(http.StatusBadRequest, "%s", te.Message)
			}
			return err
		}
		if vc.start == 0 {
			return s.serveDerived(w, r, a, d, chain, ext)
		}
		return s.servePosterAt(w, r, a, d, chain, ext, vc.start)
	}
	format := vc.format
	switch {
	case ext == "webm" || ext == "mp4":
		format = ext
	case ext == "" && format == "":
		format = "mp4"
		if a.Format == "webm" {
			format = "webm"
		}
	case ext != "" && format == "":
		return cdnError(http.StatusBadRequest, "The sandbox transcodes video to .mp4 or .webm, not .%s", ext)
	}
	key := "video|" + d.transformation + "|" + format
	body, _ := s.cachePaths(a, key)
	if _, err := os.Stat(body); err != nil {
		if cacheFull(filepath.Dir(body)) {
			// Anyone may ask for a new variant: past the cache's bound it
			// is made for this request only.
			tmp, err := os.MkdirTemp(filepath.Join(s.dir, "cache"), "video-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			body = filepath.Join(tmp, "out")
		}
		if err := s.transcode(r.Context(), a, vc, format, body); err != nil {
			return err
		}
	}
	f, err := os.Open(body)
	if err != nil {
		return err
	}
	defer f.Close()
	w.Header().Set("Content-Type", videoTypes[format])
	w.Header().Set("Cache-Control", cacheControl(d))
	http.ServeContent(w, r, "", a.UploadedAt, f)
	return nil
}

// servePosterAt renders the frame at second at through chain (uncached:
// trims are rare on posters).
func (s *Server) servePosterAt(w http.ResponseWriter, r *http.Request, a *asset, d deliveryRequest, chain transform.Chain, ext string, at float64) error {
	if err := s.slots.Acquire(r.Context(), 1); err != nil {
		return err
	}
	defer s.slots.Release(1)
	img, err := transform.PosterFrameAt(r.Context(), s.blobPath(a), at)
	if err != nil {
		return cdnError(http.StatusBadRequest, "No frame at %gs of %s: %v", at, a.PublicID, err)
	}
	body, ct, err := transform.Render(r.Context(), img, "jpg", chain, ext, r.Header.Get("Accept"))
	if err != nil {
		var te *transform.Error
		if errors.As(err, &te) {
			return cdnError(http.StatusBadRequest, "%s", te.Message)
		}
		return err
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", cacheControl(d))
	_, err = w.Write(body)
	return err
}

// transcode renders vc with ffmpeg into path, one video at a time.
func (s *Server) transcode(ctx context.Context, a *asset, vc videoChain, format, path string) error {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		return cdnError(http.StatusNotImplemented, "The sandbox needs ffmpeg to transform video: install it (apt install ffmpeg)")
	}
	s.videoMu.Lock()
	defer s.videoMu.Unlock()
	if _, err := os.Stat(path); err == nil {
		return nil // made while this request waited
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, videoTimeout)
	defer cancel()
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "1", "-filter_threads", "1"}
	if vc.start > 0 {
		args = append(args, "-ss", strconv.FormatFloat(vc.start, 'f', 3, 64))
	}
	if vc.end > 0 {
		args = append(args, "-to", strconv.FormatFloat(vc.end, 'f', 3, 64))
	}
	abs, _ := filepath.Abs(s.blobPath(a))
	args = append(args, "-i", "file:"+abs, "-map", "0:v:0", "-map", "0:a:0?")
	filters := append([]string{}, vc.filters...)
	filters = append(filters, "scale=trunc(iw/2)*2:trunc(ih/2)*2", "format=yuv420p")
	args = append(args, "-vf", strings.Join(filters, ","), "-fs", strconv.Itoa(maxVideoOut))
	crf := strconv.Itoa(vc.crf)
	if format == "webm" {
		args = append(args, "-c:v", "libvpx", "-b:v", "1M", "-crf", crf, "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus", "-f", "webm")
	} else {
		args = append(args, "-c:v", "libx264", "-preset", "veryfast", "-crf", crf, "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", "-f", "mp4")
	}
	tmp := path + ".part"
	args = append(args, "-y", "file:"+tmp)
	cmd := exec.CommandContext(ctx, ffmpeg, args...)
	cmd.Env = childenv.For(childenv.Tool)
	cmd.WaitDelay = time.Second
	var stderr strings.Builder
	cmd.Stderr = &limitWriter{w: &stderr, n: 4096}
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		if ctx.Err() != nil {
			return cdnError(http.StatusRequestTimeout, "Transcoding %s took longer than %s; ask for a shorter trim or a smaller size", a.PublicID, videoTimeout)
		}
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		return cdnError(http.StatusBadRequest, "Cannot transcode %s: %s", a.PublicID, msg)
	}
	return os.Rename(tmp, path)
}

// limitWriter keeps the first n bytes written to it.
type limitWriter struct {
	w interface{ WriteString(string) (int, error) }
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(l.n, len(p))
		l.w.WriteString(string(p[:k]))
		l.n -= k
	}
	return len(p), nil
}
