package sandbox

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Chunked uploads: every chunk is a complete multipart request with the
// same X-Unique-Upload-Id and a Content-Range ("bytes a-b/TOTAL", or
// "bytes a-b/-1" from Node before the last one). Chunks are written
// straight into one file at their offset, so they may arrive in any order,
// be retried, or run in parallel, and no chunk is held in memory. Whichever
// chunk completes the file gets the full upload response; the others get
// {"done":false,"bytes":…}. A chunk that carries the end of the file while
// bytes before it are missing (and not being sent right now) gets an error
// naming them — cloudinary-go ignores intermediate answers, so a failed
// chunk must make the final answer fail. Once done, any chunk of the same
// upload id gets the final answer again (the client lost it).

type span struct{ Start, End int64 } // inclusive, as in Content-Range

func (s span) size() int64 { return s.End - s.Start + 1 }

type contentRange struct {
	span
	total int64 // -1 while unknown
}

var contentRangeRE = regexp.MustCompile(`^bytes (\d{1,19})-(\d{1,19})/(\d{1,19}|-1|\*)$`)

// parseContentRange reads "bytes a-b/TOTAL", "bytes a-b/-1" or "bytes a-b/*".
func parseContentRange(h string) (contentRange, error) {
	m := contentRangeRE.FindStringSubmatch(strings.TrimSpace(h))
	if m == nil {
		return contentRange{}, badRequest("Invalid Content-Range header %q: chunks need \"bytes FIRST-LAST/TOTAL\" (TOTAL may be -1 until the last chunk)", truncate(h, 80))
	}
	a, err1 := strconv.ParseInt(m[1], 10, 64)
	b, err2 := strconv.ParseInt(m[2], 10, 64)
	total := int64(-1)
	var err3 error
	if m[3] != "-1" && m[3] != "*" {
		total, err3 = strconv.ParseInt(m[3], 10, 64)
	}
	switch {
	case err1 != nil || err2 != nil || err3 != nil || b == math.MaxInt64:
		return contentRange{}, badRequest("Invalid Content-Range header %q: a number is too large", truncate(h, 80))
	case a > b:
		return contentRange{}, badRequest("Invalid Content-Range header %q: the first byte comes after the last", truncate(h, 80))
	case total == 0 || (total > 0 && b >= total):
		return contentRange{}, badRequest("Invalid Content-Range header %q: the range goes past the total size", truncate(h, 80))
	}
	return contentRange{span: span{a, b}, total: total}, nil
}

// isFinalChunk reports whether a Content-Range header names the last bytes.
func isFinalChunk(h string) bool {
	cr, err := parseContentRange(h)
	return err == nil && cr.total > 0 && cr.End == cr.total-1
}

var uploadIDRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)

// chunkSessions are the chunked uploads in progress, by upload id.
type chunkSessions struct {
	dir  string
	mu   sync.Mutex
	open map[string]*chunkSession
}

func newChunkSessions(dir string) *chunkSessions {
	return &chunkSessions{dir: dir, open: map[string]*chunkSession{}}
}

// expire removes sessions nobody has touched for longer than age.
func (cs *chunkSessions) expire(age time.Duration) {
	entries, _ := os.ReadDir(cs.dir)
	for _, e := range entries {
		info, err := os.Stat(filepath.Join(cs.dir, e.Name(), "meta.json"))
		if err != nil || time.Since(info.ModTime()) > age {
			os.RemoveAll(filepath.Join(cs.dir, e.Name()))
		}
	}
}

// chunkMeta is a session's persistent state (meta.json), so an upload can
// continue after the sandbox restarts.
type chunkMeta struct {
	UploadID  string         `json:"upload_id"`
	Total     int64          `json:"total"`
	Have      []span         `json:"have"`
	Failures  []chunkFailure `json:"failures,omitempty"`
	Hashed    int64          `json:"hashed"`
	HashState []byte         `json:"hash_state,omitempty"`
	Result    *chunkResult   `json:"result,omitempty"`
}

type chunkFailure struct {
	span
	Message string `json:"message"`
}

type chunkResult struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

type chunkSession struct {
	dir string
	mu  sync.Mutex
	m   chunkMeta
	// inflight counts requests writing each span right now.
	inflight   map[span]int
	hashing    bool
	finalizing bool
	changed    chan struct{} // closed and replaced whenever state changes
}

func (cs *chunkSessions) get(uploadID string) (*chunkSession, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if s, ok := cs.open[uploadID]; ok {
		return s, nil
	}
	sum := sha256.Sum256([]byte(uploadID))
	dir := filepath.Join(cs.dir, hex.EncodeToString(sum[:16]))
	s := &chunkSession{dir: dir, inflight: map[span]int{}, changed: make(chan struct{})}
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &s.m); err != nil || s.m.UploadID != uploadID {
			return nil, fmt.Errorf("chunked upload %s: its saved state is unreadable; start the upload again with a new id", uploadID)
		}
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		s.m = chunkMeta{UploadID: uploadID, Total: -1}
	default:
		return nil, err
	}
	cs.open[uploadID] = s
	return s, nil
}

// forget drops a finished session from memory; its result stays on disk.
func (cs *chunkSessions) forget(uploadID string) {
	cs.mu.Lock()
	delete(cs.open, uploadID)
	cs.mu.Unlock()
}

func (s *chunkSession) dataPath() string { return filepath.Join(s.dir, "data") }

// save writes meta.json atomically. Called with s.mu held.
func (s *chunkSession) save() error {
	b, err := json.Marshal(&s.m)
	if err != nil {
		return err
	}
	tmp := filepath.Join(s.dir, "meta.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(s.dir, "meta.json"))
}

// notify wakes everyone waiting for a change. Called with s.mu held.
func (s *chunkSession) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// wait blocks until the session changes or ctx ends.
func (s *chunkSession) wait(ctx context.Context) error {
	s.mu.Lock()
	ch := s.changed
	s.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// received is the number of bytes stored so far. Called with s.mu held.
func (s *chunkSession) received() int64 {
	var n int64
	for _, h := range s.m.Have {
		n += h.size()
	}
	return n
}

// gaps returns the missing spans of [0, total). Called with s.mu held.
func (s *chunkSession) gaps() []span {
	var out []span
	next := int64(0)
	for _, h := range s.m.Have {
		if h.Start > next {
			out = append(out, span{next, h.Start - 1})
		}
		if h.End+1 > next {
			next = h.End + 1
		}
	}
	if s.m.Total > next {
		out = append(out, span{next, s.m.Total - 1})
	}
	return out
}

// gapsInFlight reports whether every gap overlaps a chunk being written.
func (s *chunkSession) gapsInFlight(gaps []span) bool {
	for _, g := range gaps {
		covered := false
		for sp, n := range s.inflight {
			if n > 0 && sp.Start <= g.End && sp.End >= g.Start {
				covered = true
			}
		}
		if !covered {
			return false
		}
	}
	return true
}

func (s *chunkSession) addHave(sp span) {
	s.m.Have = append(s.m.Have, sp)
	sort.Slice(s.m.Have, func(i, j int) bool { return s.m.Have[i].Start < s.m.Have[j].Start })
	merged := s.m.Have[:1]
	for _, h := range s.m.Have[1:] {
		last := &merged[len(merged)-1]
		if h.Start <= last.End+1 {
			if h.End > last.End {
				last.End = h.End
			}
			continue
		}
		merged = append(merged, h)
	}
	s.m.Have = merged
	kept := s.m.Failures[:0]
	for _, f := range s.m.Failures {
		if !s.covers(f.span) {
			kept = append(kept, f)
		}
	}
	s.m.Failures = kept
}

func (s *chunkSession) covers(sp span) bool {
	for _, h := range s.m.Have {
		if h.Start <= sp.Start && h.End >= sp.End {
			return true
		}
	}
	return false
}

func (s *chunkSession) fail(sp span, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m.Result != nil || s.covers(sp) {
		return
	}
	s.m.Failures = append(s.m.Failures, chunkFailure{span: sp, Message: msg})
	s.save()
	s.notify()
}

// begin registers a chunk being written and, when it continues the bytes
// hashed so far, returns the running MD5 to feed (so a file sent in order
// needs no second read to compute its etag).
func (s *chunkSession) begin(sp span) hash.Hash {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight[sp]++
	if s.hashing || sp.Start != s.m.Hashed {
		return nil
	}
	h := md5.New()
	if len(s.m.HashState) > 0 {
		if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(s.m.HashState); err != nil {
			return nil
		}
	}
	s.hashing = true
	return h
}

// end unregisters a chunk; ok says its bytes all arrived.
func (s *chunkSession) end(sp span, h hash.Hash, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight[sp]--
	if s.inflight[sp] <= 0 {
		delete(s.inflight, sp)
	}
	if h != nil {
		s.hashing = false
		if ok && s.m.Hashed == sp.Start {
			if state, err := h.(encoding.BinaryMarshaler).MarshalBinary(); err == nil {
				s.m.HashState, s.m.Hashed = state, sp.End+1
			}
		}
	}
	s.notify()
}

// catchUp hashes from the data file the bytes that arrived out of order
// (chunks sent side by side) and now continue the hashed ones, so the last
// chunk's answer does not wait for a hash of most of the file.
func (s *chunkSession) catchUp() {
	s.mu.Lock()
	from, state := s.m.Hashed, s.m.HashState
	to := from
	for _, h := range s.m.Have {
		if h.Start <= from && h.End+1 > to {
			to = h.End + 1
		}
	}
	for sp, n := range s.inflight {
		if n > 0 && sp.Start < to && sp.End >= from {
			to = min(to, sp.Start) // being written again now
		}
	}
	if s.hashing || s.m.Result != nil || to <= from || (from > 0 && len(state) == 0) {
		s.mu.Unlock()
		return
	}
	s.hashing = true
	s.mu.Unlock()

	h := md5.New()
	ok := from == 0 || h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state) == nil
	if ok {
		f, err := os.Open(s.dataPath())
		if ok = err == nil; ok {
			_, err = io.Copy(h, io.NewSectionReader(f, from, to-from))
			ok = err == nil
			f.Close()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hashing = false
	if ok && s.m.Hashed == from {
		if st, err := h.(encoding.BinaryMarshaler).MarshalBinary(); err == nil {
			s.m.HashState, s.m.Hashed = st, to
		}
	}
	s.notify()
}

// etag returns the hex MD5 of the whole file, hashing what the chunks did
// not. Called by the finalizer only.
func (s *chunkSession) etag(total int64) (string, error) {
	s.mu.Lock()
	hashed, state := s.m.Hashed, s.m.HashState
	s.mu.Unlock()
	h := md5.New()
	if hashed > 0 && len(state) > 0 {
		if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
			hashed = 0
			h = md5.New()
		}
	} else {
		hashed = 0
	}
	if hashed < total {
		f, err := os.Open(s.dataPath())
		if err != nil {
			return "", err
		}
		defer f.Close()
		if _, err := io.Copy(h, io.NewSectionReader(f, hashed, total-hashed)); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// chunkWriter writes one chunk's bytes at their offset.
type chunkWriter struct {
	f    *os.File
	off  int64
	end  int64 // exclusive
	hash hash.Hash
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	if w.off+int64(len(p)) > w.end {
		return 0, badRequest("The chunk carries more bytes than its Content-Range announces")
	}
	n, err := w.f.WriteAt(p, w.off)
	w.off += int64(n)
	if w.hash != nil {
		w.hash.Write(p[:n])
	}
	return n, err
}

// chunkHeaderInfo is what a chunk's headers announce.
type chunkHeaderInfo struct {
	uploadID string
	cr       contentRange
	size     int64
	final    bool // the chunk ends the file
}

// checkChunkHeaders validates a chunk's headers against the plan's limits
// before anything is read or stored.
func checkChunkHeaders(h http.Header, limits Limits) (chunkHeaderInfo, error) {
	uploadID := h.Get("X-Unique-Upload-Id")
	if !uploadIDRE.MatchString(uploadID) {
		return chunkHeaderInfo{}, badRequest("Invalid X-Unique-Upload-Id %q: use 1-128 letters, digits, '.', '-' or '_'", truncate(uploadID, 40))
	}
	cr, err := parseContentRange(h.Get("Content-Range"))
	if err != nil {
		return chunkHeaderInfo{}, err
	}
	size := cr.size()
	final := cr.total > 0 && cr.End == cr.total-1
	if max := limits.MaxRequestBytes; max >= 0 && size > max {
		return chunkHeaderInfo{}, badRequest("Chunk of %d bytes is larger than the %d bytes one request may carry; use smaller chunks", size, max)
	}
	if !final && size < limits.MinChunkBytes {
		return chunkHeaderInfo{}, badRequest("Chunk bytes %d-%d is %d bytes; every chunk but the last must be at least %d bytes (5 MB)", cr.Start, cr.End, size, limits.MinChunkBytes)
	}
	return chunkHeaderInfo{uploadID: uploadID, cr: cr, size: size, final: final}, nil
}

// chunkReceiver follows one chunk while its form is read. Nothing about the
// upload is looked up or created, and no byte written, until the chunk has
// proved it may: a flood of unsigned chunks with made-up upload ids leaves
// no trace.
type chunkReceiver struct {
	s      *Server
	r      *http.Request
	rtPath string
	req    chunkHeaderInfo

	acc        access
	authorized int
	sess       *chunkSession
	replay     *chunkResult
	file       *os.File
	h          hash.Hash
	began      bool
	ended      bool
}

func (c *chunkReceiver) end(ok bool) {
	if c.began && !c.ended {
		c.ended = true
		c.sess.end(c.req.cr.span, c.h, ok)
		if ok {
			c.sess.catchUp()
		}
	}
}

// openFile authorizes the chunk from the parameters before its file part,
// then opens the upload's data file at the chunk's offset.
func (c *chunkReceiver) openFile(params url.Values, _ string, complete bool) (io.Writer, error) {
	// Chunks are written in place, so they are checked first.
	if !complete || !canAuthorize(params) {
		return nil, badRequest("Chunked uploads must be multipart with the parameters (signature or upload_preset) before the file part")
	}
	a, err := c.s.authorizeUpload(c.r.Context(), c.r, params, true)
	if err != nil {
		return nil, err
	}
	c.acc, c.authorized = a, countValues(params)
	if c.sess, err = c.s.chunks.get(c.req.uploadID); err != nil {
		return nil, err
	}
	total, replay, err := c.settleTotal()
	if err != nil {
		return nil, err
	}
	if replay {
		return io.Discard, nil
	}
	if total > 0 {
		max := c.s.maxAnyType()
		if c.rtPath != "auto" {
			max = c.s.limits.maxFor(c.rtPath)
		}
		if max >= 0 && total > max {
			return nil, badRequest("File size too large. Got %d. Maximum is %d.", total, max)
		}
	}
	c.h, c.began = c.sess.begin(c.req.cr.span), true
	if c.file, err = os.OpenFile(c.sess.dataPath(), os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		return nil, err
	}
	cr := c.req.cr
	return &chunkWriter{f: c.file, off: cr.Start, end: cr.End + 1, hash: c.h}, nil
}

// settleTotal records the file's total size, which every chunk must agree
// on; replay says the upload is done already (a retry whose answer was lost).
func (c *chunkReceiver) settleTotal() (total int64, replay bool, err error) {
	sess, cr := c.sess, c.req.cr
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if res := sess.m.Result; res != nil {
		c.replay = res
		return 0, true, nil
	}
	if cr.total > 0 {
		if sess.m.Total > 0 && sess.m.Total != cr.total {
			return 0, false, badRequest("Content-Range total %d differs from the %d announced earlier for upload %s", cr.total, sess.m.Total, c.req.uploadID)
		}
		sess.m.Total = cr.total
	}
	return sess.m.Total, false, nil
}

// handleChunk serves one request of a chunked upload.
func (s *Server) handleChunk(w http.ResponseWriter, r *http.Request, rtPath string) error {
	req, err := checkChunkHeaders(r.Header, s.limits)
	if err != nil {
		return err
	}
	c := &chunkReceiver{s: s, r: r, rtPath: rtPath, req: req}
	defer c.end(false)
	f, err := parseForm(r, formOptions{
		openFile: c.openFile,
		maxFile:  req.size,
		tooLarge: func(int64) error {
			return badRequest("The chunk carries more bytes than its Content-Range bytes %d-%d announces", req.cr.Start, req.cr.End)
		},
		jsonSlots: s.jsonSlots,
	})
	if c.file != nil {
		if cerr := c.file.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}
	if err = c.assemble(f, err); err != nil {
		return err
	}
	if c.replay != nil {
		writeChunkResult(w, c.replay)
		return nil
	}
	return s.chunkOutcome(w, r, c.sess, req.final, rtPath, f, c.acc)
}

// assemble checks the received chunk against what it announced and records
// it in its upload; readErr is what reading the form reported.
func (c *chunkReceiver) assemble(f *form, readErr error) error {
	err := readErr
	if err == nil && c.authorized != countValues(f.params) {
		// A parameter after the file part: the signature must cover it.
		_, err = c.s.authorizeUpload(c.r.Context(), c.r, f.params, true)
	}
	if err == nil && c.replay != nil {
		return nil
	}
	cr := c.req.cr
	if err == nil && !f.gotFile {
		err = badRequest("Missing required parameter - file")
	}
	if err == nil && f.size != c.req.size {
		err = badRequest("The chunk carries %d bytes but its Content-Range bytes %d-%d announces %d", f.size, cr.Start, cr.End, c.req.size)
	}
	if err != nil {
		if c.began {
			c.end(false)
			c.sess.fail(cr.span, err.Error())
		}
		return err
	}
	sess := c.sess
	sess.mu.Lock()
	sess.addHave(cr.span)
	saveErr := sess.save()
	sess.mu.Unlock()
	c.end(true)
	if saveErr != nil {
		return fmt.Errorf("cannot record chunk %d-%d: %w", cr.Start, cr.End, saveErr)
	}
	return nil
}

// chunkProgress answers a chunk that did not complete the file
// (Cloudinary's non_final_chunk_upload_response).
type chunkProgress struct {
	Done         bool   `json:"done"`
	Bytes        int64  `json:"bytes"`
	PublicID     string `json:"public_id,omitempty"`
	ResourceType string `json:"resource_type,omitempty"`
	Kind         string `json:"kind,omitempty"`
}

// chunkOutcome decides the answer after a chunk is stored: the upload
// response if the file is complete, progress if not, an error if this
// chunk ends the file and bytes before it are missing.
func (s *Server) chunkOutcome(w http.ResponseWriter, r *http.Request, sess *chunkSession, final bool, rtPath string, f *form, acc access) error {
	for {
		sess.mu.Lock()
		if res := sess.m.Result; res != nil {
			sess.mu.Unlock()
			writeChunkResult(w, res)
			return nil
		}
		total := sess.m.Total
		gaps := sess.gaps()
		if total > 0 && len(gaps) == 0 {
			if !sess.finalizing {
				sess.finalizing = true
				sess.mu.Unlock()
				return s.finalizeChunked(w, sess, total, rtPath, f, acc)
			}
			// Another chunk is finishing the upload; its answer is ours.
			sess.mu.Unlock()
			if err := sess.wait(r.Context()); err != nil {
				return err
			}
			continue
		}
		if !final {
			p := chunkProgress{Bytes: sess.received(), PublicID: f.params.Get("public_id"), Kind: "upload"}
			sess.mu.Unlock()
			if rtPath != "auto" {
				p.ResourceType = rtPath
			}
			if t := f.params.Get("type"); t != "" {
				p.Kind = t
			}
			writeJSON(w, http.StatusOK, p)
			return nil
		}
		if sess.gapsInFlight(gaps) {
			// Chunks sent in parallel are still arriving.
			sess.mu.Unlock()
			if err := sess.wait(r.Context()); err != nil {
				return err
			}
			continue
		}
		var why []string
		for _, fl := range sess.m.Failures {
			why = append(why, fmt.Sprintf("bytes %d-%d failed: %s", fl.Start, fl.End, fl.Message))
		}
		sess.mu.Unlock()
		var missing []string
		for _, g := range gaps {
			missing = append(missing, fmt.Sprintf("%d-%d", g.Start, g.End))
		}
		msg := fmt.Sprintf("Upload incomplete: bytes %s of %d never arrived", strings.Join(missing, ", "), total)
		if len(why) > 0 {
			msg += " (" + strings.Join(why, "; ") + ")"
		}
		return badRequest("%s. Send the missing chunks again, then the last one.", msg)
	}
}

// finalizeChunked stores the assembled file and remembers the answer for
// every later request of the same upload.
func (s *Server) finalizeChunked(w http.ResponseWriter, sess *chunkSession, total int64, rtPath string, f *form, acc access) error {
	// The bytes are all here: finish even if this client hangs up now.
	ctx, cancel := s.commitContext()
	defer cancel()
	etag, err := sess.etag(total)
	var res putResult
	if err == nil {
		res, err = s.commitUpload(ctx, uploadInput{
			params: f.params, access: acc, rtPath: rtPath, path: sess.dataPath(),
			size: total, etag: etag, filename: f.filename,
		})
	}
	var ae *apiError
	if err != nil && !errors.As(err, &ae) {
		// The sandbox's own trouble (disk, database): let a retry try again.
		sess.mu.Lock()
		sess.finalizing = false
		sess.notify()
		sess.mu.Unlock()
		return err
	}
	result := &chunkResult{Status: http.StatusOK}
	if err != nil {
		var b errorBody
		b.Error.Message = ae.msg
		result.Status = ae.status
		result.Body, _ = json.Marshal(b)
		os.Remove(sess.dataPath())
	} else {
		result.Body, _ = json.Marshal(s.uploadResponse(res.asset, res.existing, res.overwritten))
	}
	sess.mu.Lock()
	sess.m.Result = result
	sess.finalizing = false
	saveErr := sess.save()
	sess.notify()
	uploadID := sess.m.UploadID
	sess.mu.Unlock()
	if saveErr != nil {
		s.logf("sandbox: chunked upload %s: cannot save its result: %v", uploadID, saveErr)
	}
	s.chunks.forget(uploadID)
	writeChunkResult(w, result)
	return nil
}

func writeChunkResult(w http.ResponseWriter, res *chunkResult) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(res.Body)))
	w.WriteHeader(res.Status)
	w.Write(res.Body)
}
