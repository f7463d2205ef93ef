package transfer

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unique"

	"github.com/cloudup/cloudup/core/cloud"
)

// run takes one item from checking to done or skipped, or returns why not.
func (e *Engine) run(ctx context.Context, it *item) error {
	e.mu.Lock()
	ent := it.entry
	e.mu.Unlock()
	if ent.URL != "" {
		return e.runRemote(ctx, it, ent)
	}
	return e.runFile(ctx, it, ent)
}

// openForUpload opens a file and says in words why it cannot be uploaded.
// It looks before it opens: opening a FIFO (or some devices) waits for a
// writer, and a worker stuck there would ignore Ctrl-C.
func openForUpload(p, name string) (*os.File, fs.FileInfo, error) {
	fi, err := os.Stat(p)
	if err == nil {
		err = notUploadable(p, name, fi)
	}
	if err != nil {
		return nil, nil, openError(p, name, err)
	}
	f, err := os.OpenFile(p, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		return nil, nil, openError(p, name, err)
	}
	if fi, err = f.Stat(); err == nil {
		err = notUploadable(p, name, fi) // swapped since the first look
	}
	if err != nil {
		f.Close()
		return nil, nil, openError(p, name, err)
	}
	// A file we may open but not read (some FUSE mounts, a directory-like
	// special file) fails here rather than mid-upload.
	var probe [1]byte
	if _, err := f.ReadAt(probe[:], 0); err != nil && err != io.EOF {
		f.Close()
		return nil, nil, &RejectedError{Kind: ErrUnreadable, Reason: fmt.Sprintf("cannot read %s: %v", p, err)}
	}
	return f, fi, nil
}

// notUploadable says why fi is not a file to upload, or nil.
func notUploadable(p, name string, fi fs.FileInfo) error {
	switch {
	case fi.IsDir():
		return &RejectedError{Kind: ErrNotAFile, Reason: fmt.Sprintf("%s is a folder; add it as a folder to upload what is inside", p)}
	case !fi.Mode().IsRegular():
		return &RejectedError{Kind: ErrNotAFile, Reason: fmt.Sprintf("%s is not a regular file (%s); name a photo or video file", p, fileKind(fi.Mode()))}
	case fi.Size() == 0:
		return &RejectedError{Kind: ErrEmpty, Reason: fmt.Sprintf("%s is empty (0 bytes); there is nothing to upload", name)}
	}
	return nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeIrregular != 0:
		return "a special file"
	}
	return m.Type().String()
}

func openError(p, name string, err error) error {
	var re *RejectedError
	switch {
	case errors.As(err, &re):
		return err
	case errors.Is(err, fs.ErrNotExist):
		return &RejectedError{Kind: ErrNotFound, Reason: fmt.Sprintf("%s: file not found (%s); it was moved or deleted", name, p)}
	case errors.Is(err, fs.ErrPermission):
		return &RejectedError{Kind: ErrUnreadable, Reason: fmt.Sprintf("cannot read %s: permission denied; check the file's permissions", p)}
	}
	if u := errors.Unwrap(err); u != nil {
		err = u
	}
	return &RejectedError{Kind: ErrUnreadable, Reason: fmt.Sprintf("cannot read %s: %v", p, err)}
}

// maxResends is how many times a file that changed while it was sent is
// sent again before it fails.
const maxResends = 3

// errChanged is a file whose size, time or bytes moved while it was sent:
// what the server holds is not the file.
var errChanged = errors.New("the file changed while it was uploading")

// runFile uploads a file, and sends it again when it changed on the way
// (a recording still being written, an editor saving): done never means
// "its first bytes".
func (e *Engine) runFile(ctx context.Context, it *item, ent Entry) error {
	for resend := 0; ; resend++ {
		err := e.sendFile(ctx, it, ent, resend > 0)
		if !errors.Is(err, errChanged) {
			return err
		}
		if resend == maxResends {
			return &RejectedError{Kind: ErrMismatch, Reason: fmt.Sprintf("%s kept changing while it was uploading; try again when it is finished", ent.Name)}
		}
		e.setState(it, Checking, "it changed while uploading; sending it again", nil)
		e.mu.Lock()
		ent = it.entry // the planned public_id stays: the asset sent is replaced
		e.mu.Unlock()
	}
}

// changedSince says whether the file at p is no longer the one described
// by fi (other size or time, or another file put in its place).
func changedSince(p string, fi fs.FileInfo) bool {
	now, err := os.Stat(p)
	return err != nil || now.Size() != fi.Size() || !now.ModTime().Equal(fi.ModTime()) || !os.SameFile(now, fi)
}

// sendFile is one upload of a file. resend: it changed during the last one,
// whose asset (under the same public_id) is replaced.
func (e *Engine) sendFile(ctx context.Context, it *item, ent Entry, resend bool) error {
	f, fi, err := openForUpload(ent.Path, ent.Name)
	if err != nil {
		return err
	}
	defer f.Close()
	size := fi.Size()

	rt, format := Detect(ent.Name, io.NewSectionReader(f, 0, 512))
	if it.opts.ResourceType != "" && it.opts.ResourceType != "auto" {
		rt = it.opts.ResourceType
	}
	if err := checkLimits(e.cfg.Limits, ent.Name, rt, format, size); err != nil {
		return err
	}
	if err := e.overKnownLimit(rt, size); err != nil {
		return err
	}

	// Keep the plan from the journal when the file is the one it was made
	// for; otherwise everything (and any acknowledged chunk) starts over.
	same := !resend && ent.MD5 != "" && ent.Size == size && ent.ModTime.Equal(fi.ModTime())
	var pre *prepared
	if !resend {
		pre = e.preparedFor(it, size, fi.ModTime())
	}
	if !same {
		sum, err := "", error(nil)
		if pre != nil {
			sum = pre.md5 // signed ahead, from this very file
		} else if sum, err = hashFile(ctx, f, size); err != nil {
			return err
		}
		if !resend {
			ent.PublicID = ""
		}
		ent.MD5, ent.UploadID, ent.ChunkSize, ent.Acked = sum, "", 0, 0
		if err := e.journal.resetChunks(ctx, ent.ID); err != nil {
			return fmt.Errorf("writing the upload journal: %w", err)
		}
	}
	ent.Size, ent.ModTime, ent.ResourceType, ent.Format = size, fi.ModTime(), rt, format
	e.mu.Lock()
	it.entry.Size, it.entry.MD5 = size, ent.MD5
	e.mu.Unlock()

	if !it.opts.Force && !resend {
		if skipped, err := e.skipIfDuplicate(ctx, it, &ent); skipped || err != nil {
			return err
		}
		if landed, err := e.landedBeforeResume(ctx, it, &ent, same, rt); landed || err != nil {
			return err
		}
	}

	if ent.PublicID == "" && pre != nil && pre.md5 == ent.MD5 && pre.rt == rt {
		ent.PublicID = pre.publicID // the one the signature ahead covers
	}
	if ent.PublicID == "" {
		if ent.PublicID, err = e.planPublicID(it.id, it.opts, ent, ent.MD5); err != nil {
			return err
		}
	}
	chunked := size > e.cfg.ChunkSize
	switch {
	case !chunked:
		ent.UploadID, ent.ChunkSize, ent.Acked = "", 0, 0
	case ent.UploadID == "" || ent.ChunkSize != e.cfg.ChunkSize:
		ent.UploadID, ent.ChunkSize, ent.Acked = cloud.NewUploadID(), e.cfg.ChunkSize, 0
		if err := e.journal.resetChunks(ctx, ent.ID); err != nil {
			return fmt.Errorf("writing the upload journal: %w", err)
		}
	default:
		if ent.Acked, err = e.journal.acked(ctx, ent.ID, ent.UploadID); err != nil {
			return fmt.Errorf("reading the upload journal: %w", err)
		}
	}
	ent.State = Uploading
	if err := e.saveEntry(ctx, it, &ent); err != nil {
		return err
	}
	it.sent.Store(ent.Acked)
	words := "uploading"
	if ent.Acked > 0 {
		words = fmt.Sprintf("uploading (resumed at %s)", HumanBytes(ent.Acked))
	}
	e.setState(it, Uploading, words, nil)

	file := cloud.File{Name: ent.Name, Data: f, Size: size}
	params := e.params(it.opts, ent.PublicID, ent.Name)
	if resend {
		replace := true
		params.Overwrite = &replace
	}
	var asset *cloud.Asset
	if chunked {
		asset, err = e.uploadChunked(ctx, it, &ent, file, params)
	} else {
		asset, err = e.uploadWhole(ctx, it, &ent, file, params)
	}
	if err != nil {
		e.learnLimit(it, rt, err)
		return err
	}
	if changedSince(ent.Path, fi) {
		return errChanged
	}
	if err := verify(asset, ent); err != nil {
		if errors.Is(err, ErrMismatch) {
			return errChanged // same size and time, other bytes
		}
		return err
	}
	return e.complete(ctx, it, &ent, asset)
}

// verify checks the stored asset is this file: the etag Cloudinary returns
// is the MD5 of the bytes it holds.
func verify(a *cloud.Asset, ent Entry) error {
	if a.ETag == "" || ent.MD5 == "" || strings.EqualFold(a.ETag, ent.MD5) {
		return nil
	}
	if a.Existing {
		return &RejectedError{Kind: ErrConflict, Reason: fmt.Sprintf("public_id %q already belongs to a different file on Cloudinary; allow overwrite, or use a public ID template that tells them apart (e.g. {name}-{md5:8})", a.PublicID)}
	}
	return &RejectedError{Kind: ErrMismatch, Reason: fmt.Sprintf("Cloudinary stored different bytes than %s (etag %s, local MD5 %s): the file may have changed during the upload; retry it", ent.Name, a.ETag, ent.MD5)}
}

// complete records success in the history and drops the journal row.
func (e *Engine) complete(ctx context.Context, it *item, ent *Entry, asset *cloud.Asset) error {
	e.mu.Lock()
	it.entry = *ent
	it.entry.State = Done
	it.asset = slimAsset(asset, it.opts, &it.entry)
	h := e.historyFor(it, Done)
	e.mu.Unlock()
	if err := e.journal.finish(context.WithoutCancel(ctx), e.owner, ent, h); err != nil {
		return err
	}
	words := "done"
	if asset.Existing {
		words = "done (it was already on Cloudinary)"
	}
	e.setState(it, Done, words, nil)
	return nil
}

// slimAsset is what a finished item keeps of Cloudinary's answer: what
// its row, its link and the CLI's record say. The rest (versions,
// signature, names, dates) is in the history and on Cloudinary, and kept
// for every item of a large batch it would add up. Strings equal to what
// the item already holds (tags and context from the options, the planned
// public id, the local MD5, its name) share that copy; the few words every
// asset repeats ("image", "upload", "png") are kept once.
func slimAsset(a *cloud.Asset, o *Options, ent *Entry) *cloud.Asset {
	if a == nil {
		return nil
	}
	tags, custom := a.Tags, a.Context
	if slices.Equal(tags, o.Tags) {
		tags = o.Tags
	}
	if maps.Equal(custom, o.Context) {
		custom = o.Context
	}
	slim := &cloud.Asset{Tags: tags, Context: custom, DisplayName: same(a.DisplayName, ent.Name), OriginalFilename: a.OriginalFilename,
		PublicID: same(a.PublicID, ent.PublicID), Version: a.Version, Format: common(a.Format), ResourceType: common(a.ResourceType),
		Type: common(a.Type), Bytes: a.Bytes, Width: a.Width, Height: a.Height, Duration: a.Duration, ETag: same(a.ETag, ent.MD5),
		SecureURL: a.SecureURL, AssetFolder: same(same(a.AssetFolder, o.AssetFolder), o.Folder), Existing: a.Existing, Overwritten: a.Overwritten,
	}
	if base := strings.TrimSuffix(ent.Name, path.Ext(ent.Name)); a.OriginalFilename == base {
		slim.OriginalFilename = base
	}
	if slim.SecureURL == "" {
		slim.URL = a.URL // the only link there is (Link prefers secure_url)
	}
	return slim
}

// same returns have when it equals want, else want: the copy kept is the
// one already held elsewhere.
func same(got, have string) string {
	if got == have {
		return have
	}
	return got
}

// common keeps one copy of a short word many assets repeat.
func common(s string) string {
	if len(s) > 16 {
		return s
	}
	return unique.Make(s).Value()
}

// skipIfDuplicate skips a file whose content was already uploaded under this
// profile and folder, reporting the existing link. An identical file running
// in this batch right now is waited for first.
func (e *Engine) skipIfDuplicate(ctx context.Context, it *item, ent *Entry) (bool, error) {
	key := effectiveFolder(it.opts) + "\x00" + ent.MD5
	for {
		e.mu.Lock()
		twin := e.content[key]
		if twin == nil || twin == it || twin.state.Final() || twin.itemLive == nil || twin.run == nil {
			e.content[key] = it
			e.mu.Unlock()
			break
		}
		e.setStateLocked(it, Checking, "waiting for "+twin.entry.Name+" (same content)", nil)
		done := twin.run.finished
		e.mu.Unlock()
		select {
		case <-ctx.Done():
			return false, context.Cause(ctx)
		case <-done:
		}
	}
	account := e.client.Load().Account()
	h, err := e.journal.FindDuplicate(ctx, account, e.cfg.Profile, effectiveFolder(it.opts), ent.MD5)
	if err != nil {
		return false, fmt.Errorf("reading the upload history: %w", err)
	}
	if h == nil {
		return false, nil
	}
	// The history only says it was uploaded once; the account says whether
	// it is still there. Gone, or the account cannot be asked: upload it.
	e.setState(it, Checking, "checking Cloudinary still has it", nil)
	found, err := e.confirm(ctx, h)
	if err != nil && ctx.Err() != nil {
		return false, context.Cause(ctx)
	}
	if found == nil {
		return false, nil
	}
	// A row of before history knew its account is this account's now. If
	// that write fails the row is only confirmed again next time.
	_ = e.journal.AdoptForAccount(context.WithoutCancel(ctx), h, account)
	asset := &cloud.Asset{PublicID: h.PublicID, SecureURL: h.SecureURL, ETag: h.ETag, ResourceType: h.ResourceType, Bytes: h.Size}
	if found.SecureURL != "" {
		asset.SecureURL = found.SecureURL
	}
	e.mu.Lock()
	it.entry.PublicID = h.PublicID
	it.entry.State = Skipped
	it.asset = asset
	hist := e.historyFor(it, Skipped)
	e.mu.Unlock()
	if err := e.journal.finish(context.WithoutCancel(ctx), e.owner, ent, hist); err != nil {
		return false, err
	}
	e.setState(it, Skipped, "already uploaded, still on Cloudinary: "+asset.Link(), nil)
	return true, nil
}

// landedBeforeResume finishes a resumed file that Cloudinary stored before
// the app was closed, its answer lost with the process. The journal kept
// the public_id it was sent under; the account is asked whether it holds
// those bytes there (existence.go batches such questions) before they are
// sent again. When the account cannot be asked, the file is sent.
func (e *Engine) landedBeforeResume(ctx context.Context, it *item, ent *Entry, same bool, rt string) (bool, error) {
	if !it.resumed || !same || ent.PublicID == "" {
		return false, nil // not sent before this run, or no longer the same file
	}
	e.setState(it, Checking, "checking whether it reached Cloudinary before Cloudup closed", nil)
	found, err := e.confirm(ctx, &HistoryEntry{ResourceType: rt, PublicID: ent.PublicID, MD5: ent.MD5, Size: ent.Size})
	if err != nil && ctx.Err() != nil {
		return false, context.Cause(ctx)
	}
	if found == nil {
		return false, nil
	}
	landed := *found
	landed.Existing = true // nothing was sent this time
	return true, e.complete(ctx, it, ent, &landed)
}

// planPublicID renders the item's public_id; it is planned once and kept in
// the journal, so every retry and resume sends the same one.
func (e *Engine) planPublicID(id ItemID, opts *Options, ent Entry, sum string) (string, error) {
	tpl := e.tpl
	if opts.PublicIDTemplate != e.cfg.Options.PublicIDTemplate {
		var err error
		if tpl, err = ParseTemplate(opts.PublicIDTemplate); err != nil {
			return "", err
		}
	}
	in := TemplateInput{Profile: e.cfg.Profile, Folder: effectiveFolder(opts), Path: ent.Path, Name: ent.Name, MD5: sum, Planned: e.clock.Now()}
	if ent.URL != "" {
		in.Path = ent.URL
	}
	if opts.Force {
		in.Nonce = string(id) // a forced re-upload is a new asset
	}
	publicID, err := tpl.Render(in)
	if err != nil {
		return "", err
	}
	// Raw files keep their extension in the public_id on Cloudinary (it is
	// how they are delivered), as Cloudinary's own generated ids do.
	if ent.ResourceType == Raw && ent.Format != "" && !tpl.Has("ext") && !strings.HasSuffix(publicID, "."+ent.Format) {
		publicID += "." + ent.Format
	}
	return publicID, nil
}

// saveEntry writes the row and mirrors it in memory.
func (e *Engine) saveEntry(ctx context.Context, it *item, ent *Entry) error {
	if err := e.journal.save(context.WithoutCancel(ctx), e.owner, ent); err != nil {
		return err
	}
	e.mu.Lock()
	it.entry = *ent
	e.mu.Unlock()
	return nil
}

// params are the upload fields for an item.
func (e *Engine) params(o *Options, publicID, name string) cloud.UploadParams {
	overwrite := o.Overwrite || o.Force
	p := cloud.UploadParams{
		PublicID: publicID, Folder: o.Folder, AssetFolder: o.AssetFolder, Tags: o.Tags, Context: o.Context,
		UploadPreset: o.Preset, Overwrite: &overwrite,
	}
	if o.DynamicFolders {
		if p.AssetFolder == "" {
			p.AssetFolder = o.Folder
		}
		p.DisplayName = strings.TrimSuffix(name, path.Ext(name))
	}
	if o.DisplayName != "" {
		p.DisplayName = o.DisplayName
	}
	return p
}

func endpointType(o *Options) string {
	if o.ResourceType == "" {
		return "auto"
	}
	return o.ResourceType
}

func (e *Engine) uploadWhole(ctx context.Context, it *item, ent *Entry, file cloud.File, params cloud.UploadParams) (*cloud.Asset, error) {
	var asset *cloud.Asset
	req := cloud.UploadRequest{
		File: file, Params: params, ResourceType: endpointType(it.opts),
		Meter: &cloud.Meter{},
	}
	e.metered(it, req.Meter, 0)
	defer e.metered(it, nil, 0)
	err := e.withRetries(ctx, it, func(ctx context.Context) error {
		it.sent.Store(0)
		a, err := e.client.Load().Upload(ctx, req)
		asset = a
		return err
	})
	return asset, err
}

// uploadChunked sends the chunks from the first one the journal does not
// have acknowledged. Cloudinary takes the chunks between the first and the
// last in any order: the first must arrive before any other, the last only
// after every other one was answered (its guidelines for chunked uploads).
// So while the middle chunks go, a second one is kept in flight when the
// concurrency limit has room, and the link does not stand idle for a round
// trip at every chunk. Each chunk is retried alone; a chunk is recorded
// once it and every chunk before it are acknowledged, so a resume starts
// after the last gapless one. The last chunk is never recorded: its answer
// is the asset, and a resume after losing it sends it again.
func (e *Engine) uploadChunked(ctx context.Context, it *item, ent *Entry, file cloud.File, params cloud.UploadParams) (*cloud.Asset, error) {
	defer e.meteredChunks(it, 0, nil)
	lastStart := (file.Size - 1) / ent.ChunkSize * ent.ChunkSize
	chunk := func(start int64) cloud.ChunkRequest {
		return cloud.ChunkRequest{
			UploadRequest: cloud.UploadRequest{File: file, Params: params, ResourceType: endpointType(it.opts),
				Meter: &cloud.Meter{}},
			UploadID: ent.UploadID, Offset: start, Length: min(ent.ChunkSize, file.Size-start),
		}
	}
	restarted := false
	for {
		if ent.Acked < lastStart {
			asset, err := e.sendMiddleChunks(ctx, it, ent, lastStart, chunk)
			if err != nil || asset != nil {
				return asset, err // an asset: the upload was complete already
			}
		}
		req := chunk(lastStart)
		e.meteredChunks(it, lastStart, []*cloud.Meter{req.Meter})
		var res *cloud.ChunkResult
		err := e.withRetries(ctx, it, func(ctx context.Context) error {
			it.sent.Store(lastStart)
			r, err := e.client.Load().UploadChunk(ctx, req)
			res = r
			return err
		})
		if errors.Is(err, cloud.ErrIncomplete) && !restarted {
			// The server lost (or expired) the earlier chunks: send the whole
			// file again under a new upload id. The public_id is unchanged, so
			// this cannot make a second asset.
			restarted = true
			ent.UploadID, ent.Acked = cloud.NewUploadID(), 0
			if err := e.journal.resetChunks(context.WithoutCancel(ctx), ent.ID); err != nil {
				return nil, err
			}
			if err := e.saveEntry(ctx, it, ent); err != nil {
				return nil, err
			}
			e.setState(it, Uploading, "uploading again (the server lost earlier chunks)", nil)
			continue
		}
		if err != nil {
			return nil, err
		}
		if !res.Done {
			return nil, fmt.Errorf("%w (the last chunk's answer was not the asset)", cloud.ErrIncomplete)
		}
		return res.Asset, nil
	}
}

// chunksInFlight is how many middle chunks of one file may be on the wire
// at once: two keep the link busy across each chunk's round trip; more
// would only split the same link further.
const chunksInFlight = 2

// roomForChunk says whether an upload with own chunks running (counted of
// them by the limiter for sure) may send one more: nothing queued waits for
// a worker, and the requests on the wire stay below the concurrency limit
// (so the account sees no more at once than from that many single uploads,
// and a limit pinned to one keeps chunks strictly one after another).
func (e *Engine) roomForChunk(own, counted int64) bool {
	e.mu.Lock()
	waiting := len(e.queue) > 0
	e.mu.Unlock()
	return !waiting && e.lim.spare(own, counted)
}

// sendMiddleChunks sends the chunks from ent.Acked up to lastStart and
// records them in file order as they are acknowledged. The first chunk of
// an upload goes alone; after it, up to chunksInFlight are on the wire when
// roomForChunk allows. A non-nil asset: the server says the upload is
// complete already (a run before lost the last answer).
func (e *Engine) sendMiddleChunks(ctx context.Context, it *item, ent *Entry, lastStart int64, chunk func(int64) cloud.ChunkRequest) (*cloud.Asset, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	type outcome struct {
		start int64
		res   *cloud.ChunkResult
		err   error
	}
	results := make(chan outcome, chunksInFlight)
	type flight struct {
		meter    *cloud.Meter
		answered bool // waiting for the chunks before it to be recorded
	}
	// This upload's requests the limiter counts for sure (a subset of those
	// it counts), so a chunk launched but not yet counted is not missed.
	var onWire atomic.Int64
	flights := map[int64]*flight{}
	var starts []int64 // of flights, in file order
	showMeters := func() {
		ms := make([]*cloud.Meter, len(starts))
		for i, s := range starts {
			ms[i] = flights[s].meter
		}
		e.meteredChunks(it, ent.Acked, ms)
	}
	launch := func(start int64) {
		req := chunk(start)
		flights[start] = &flight{meter: req.Meter}
		starts = append(starts, start)
		showMeters()
		go func() {
			var res *cloud.ChunkResult
			err := e.withRetriesCarrying(ctx, it, req.Length, func(ctx context.Context) error {
				onWire.Add(1)
				defer onWire.Add(-1)
				r, err := e.client.Load().UploadChunk(ctx, req)
				res = r
				return err
			})
			results <- outcome{start: start, res: res, err: err}
		}()
	}
	running := int64(0)
	var firstErr error
	var done *cloud.Asset
	next := ent.Acked
	for {
		for firstErr == nil && done == nil && next < lastStart && running < chunksInFlight {
			if running > 0 && (ent.Acked == 0 || !e.roomForChunk(running, onWire.Load())) {
				break
			}
			launch(next)
			next = min(next+ent.ChunkSize, lastStart)
			running++
		}
		if running == 0 {
			return done, firstErr
		}
		r := <-results
		running--
		switch {
		case firstErr != nil || done != nil:
			continue // winding down: the other chunk's outcome no longer matters
		case r.err != nil:
			firstErr = r.err
			cancel(r.err) // the other chunk is sent again on the next try
			continue
		case r.res.Done:
			done = r.res.Asset
			cancel(errors.New("the upload is complete"))
			continue
		}
		flights[r.start].answered = true
		// Record the gapless run of answered chunks from the acknowledged
		// offset on.
		for len(starts) > 0 && flights[starts[0]].answered && starts[0] == ent.Acked {
			end := min(starts[0]+ent.ChunkSize, lastStart)
			if err := e.journal.ackChunk(context.WithoutCancel(ctx), ent.ID, ent.UploadID, starts[0], end); err != nil {
				firstErr = err
				cancel(err)
				break
			}
			delete(flights, starts[0])
			starts = starts[1:]
			ent.Acked = end
			e.mu.Lock()
			it.entry.Acked = end
			e.mu.Unlock()
		}
		showMeters()
	}
}

// metered makes m (nil: none) the item's running request, whose file bytes
// start at base; the ticker reads the item's progress from it.
func (e *Engine) metered(it *item, m *cloud.Meter, base int64) {
	e.mu.Lock()
	it.run.meter, it.run.meterBase = m, base
	e.mu.Unlock()
}

// meteredChunks makes ms (file order, the first starting at base) the
// item's chunks in flight or answered but not yet recorded.
func (e *Engine) meteredChunks(it *item, base int64, ms []*cloud.Meter) {
	e.mu.Lock()
	it.run.meterBase, it.run.meter, it.run.meterMore = base, nil, nil
	if len(ms) > 0 {
		it.run.meter, it.run.meterMore = ms[0], ms[1:]
	}
	e.mu.Unlock()
}

func (e *Engine) runRemote(ctx context.Context, it *item, ent Entry) error {
	rt, format := DetectURL(ent.URL)
	if it.opts.ResourceType != "" && it.opts.ResourceType != "auto" {
		rt = it.opts.ResourceType
	}
	// The size is unknown until Cloudinary fetches it: only the format can be
	// checked here, and only when the URL names one.
	if format != "" {
		if err := checkLimits(Limits{AllowedFormats: e.cfg.Limits.AllowedFormats}, ent.Name, rt, format, 0); err != nil {
			return err
		}
	}
	ent.ResourceType, ent.Format = rt, format
	if ent.PublicID == "" {
		sum := md5.Sum([]byte(ent.URL))
		var err error
		if ent.PublicID, err = e.planPublicID(it.id, it.opts, ent, hex.EncodeToString(sum[:])); err != nil {
			return err
		}
	}
	ent.State = Uploading
	if err := e.saveEntry(ctx, it, &ent); err != nil {
		return err
	}
	e.setState(it, Uploading, "Cloudinary is fetching it", nil)
	params := e.params(it.opts, ent.PublicID, ent.Name)
	var asset *cloud.Asset
	err := e.withRetries(ctx, it, func(ctx context.Context) error {
		a, err := e.client.Load().UploadRemote(ctx, ent.URL, endpointType(it.opts), params)
		asset = a
		return err
	})
	if err != nil {
		return err
	}
	ent.Size = asset.Bytes
	return e.complete(ctx, it, &ent, asset)
}

// hashFile is the file's MD5 (Cloudinary's etag), read in a stream.
//
// No byte of a file can be sent before it is hashed (the default public_id
// and the duplicate check depend on the MD5), so on a large file the hash
// is time the link stands idle. Reading the next blocks on a second
// goroutine while this one hashes makes that time MD5's own, without the
// reads added to it (6-15 % less on a 300 MB file here).
func hashFile(ctx context.Context, f *os.File, size int64) (string, error) {
	h := md5.New()
	unreadable := func(err error) error {
		return &RejectedError{Kind: ErrUnreadable, Reason: fmt.Sprintf("cannot read %s: %v", f.Name(), err)}
	}
	if err := ctxErr(ctx); err != nil {
		return "", err
	}
	if size <= hashBlock {
		// One read; a file that shrank since its size was taken hashes
		// as far as it goes, as the stream below does.
		buf := make([]byte, size)
		n, err := io.ReadFull(io.NewSectionReader(f, 0, size), buf)
		h.Write(buf[:n])
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return "", unreadable(err)
		}
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	type block struct {
		b   []byte
		err error // after b: io.EOF at the end
	}
	// Every buffer is either free or full, so neither channel ever blocks
	// a sender.
	free := make(chan []byte, hashAhead)
	full := make(chan block, hashAhead)
	for range hashAhead {
		free <- make([]byte, hashBlock)
	}
	stop := make(chan struct{})
	var reader sync.WaitGroup
	defer func() { close(stop); reader.Wait() }()
	reader.Go(func() {
		r := io.NewSectionReader(f, 0, size)
		for {
			var b []byte
			select {
			case b = <-free:
			case <-stop:
				return
			}
			n, err := r.Read(b)
			full <- block{b: b[:n], err: err}
			if err != nil {
				return
			}
		}
	})
	for {
		if err := ctxErr(ctx); err != nil {
			return "", err
		}
		blk := <-full
		h.Write(blk.b)
		if blk.err == io.EOF {
			return hex.EncodeToString(h.Sum(nil)), nil
		}
		if blk.err != nil {
			return "", unreadable(blk.err)
		}
		free <- blk.b[:cap(blk.b)]
	}
}

// hashBlock and hashAhead size the reads of hashFile: blocks read at once,
// and how many may be read ahead of the hash.
const (
	hashBlock = 256 << 10
	hashAhead = 3
)

func ctxErr(ctx context.Context) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

// withRetries sends one request until it succeeds, cannot succeed, or the
// policy gives up. Waits honour Retry-After and "Try again on …", and a rate
// limit holds back every worker, not just this one. A stale answer has
// already corrected the client's clock; the request is signed again at once.
func (e *Engine) withRetries(ctx context.Context, it *item, send func(context.Context) error) error {
	return e.withRetriesCarrying(ctx, it, -1, send)
}

// withRetriesCarrying is withRetries for a request of n file bytes; n < 0:
// what the item's sent count moved by (one request of the item at a time).
func (e *Engine) withRetriesCarrying(ctx context.Context, it *item, n int64, send func(context.Context) error) error {
	pol := e.cfg.Retry
	start := e.clock.Now()
	failures, staleRetries := 0, 0
	for {
		if err := e.waitForHold(ctx, it); err != nil {
			return err
		}
		e.mu.Lock()
		it.attempt = failures + 1
		if it.state == Retrying {
			e.setStateLocked(it, Uploading, "uploading", nil)
		}
		e.mu.Unlock()

		tok, sentBefore := e.lim.begin(), it.sent.Load()
		err := send(ctx)
		carried := n
		if carried < 0 {
			carried = it.sent.Load() - sentBefore
		}
		e.lim.end(tok, carried, err)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		var ae *cloud.AuthError
		if errors.As(err, &ae) || errors.Is(err, cloud.ErrTokenRejected) {
			// Every other request would get the same answer.
			e.halt(err)
			return err
		}
		var stale *cloud.StaleError
		if errors.As(err, &stale) && stale.Correctable() && staleRetries < 3 {
			staleRetries++
			e.warnClock(stale)
			continue
		}
		if !cloud.Retryable(err) {
			return err
		}
		failures++
		elapsed := e.clock.Now().Sub(start)
		if failures >= pol.MaxAttempts || elapsed >= pol.GiveUpAfter {
			return &GaveUpError{Attempts: failures, For: elapsed, Last: err}
		}
		delay := pol.backoff(failures)
		if at := retryAfter(err); !at.IsZero() {
			if wait := at.Sub(e.clock.Now()); wait > delay {
				delay = wait
			}
			e.hold(e.clock.Now().Add(delay))
		}
		if elapsed+delay > pol.GiveUpAfter {
			return &GaveUpError{Attempts: failures, For: elapsed, Last: fmt.Errorf("%w; the next try would be after the %s limit", err, pol.GiveUpAfter)}
		}
		at := e.clock.Now().Add(delay)
		e.mu.Lock()
		it.run.retryAt = at
		// Cloudinary keeps nothing of a failed request but the chunks it
		// acknowledged: the row must not show the rest as sent meanwhile.
		it.run.meter = nil
		it.sent.Store(it.entry.Acked)
		e.setStateLocked(it, Retrying, fmt.Sprintf("retrying in %s: %v", delay.Round(time.Second), err), err)
		e.mu.Unlock()
		if err := e.clock.Sleep(ctx, delay); err != nil {
			return err
		}
	}
}

// hold makes every worker wait until t before its next request.
func (e *Engine) hold(t time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t.After(e.holdUntil) {
		e.holdUntil = t
	}
}

func (e *Engine) waitForHold(ctx context.Context, it *item) error {
	e.mu.Lock()
	wait := e.holdUntil.Sub(e.clock.Now())
	if wait > 0 {
		it.run.retryAt = e.holdUntil
		e.setStateLocked(it, Retrying, fmt.Sprintf("waiting %s: Cloudinary is rate limiting this account", wait.Round(time.Second)), nil)
	}
	e.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	return e.clock.Sleep(ctx, wait)
}

// warnClock tells the user, once per engine, that their clock is off.
func (e *Engine) warnClock(st *cloud.StaleError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.clockWarned {
		return
	}
	e.clockWarned = true
	e.warnLocked(st.Error())
}
