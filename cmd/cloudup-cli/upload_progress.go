package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/cloudup/cloudup/core/source"
	"github.com/cloudup/cloudup/core/transfer"
)

// How `upload` shows what happens: the engine's events rendered as live
// progress bars on a terminal, as one plain line per finished item when
// piped, or as one JSON object per finished item with --json. Notes and
// warnings go to stderr (above the bars on a terminal, where stderr and
// stdout share the screen and a stray write would tear the bars).

// uploadRecord is one line of `upload --json`.
type uploadRecord struct {
	Path      string `json:"path,omitempty"`
	URL       string `json:"url,omitempty"`
	Status    string `json:"status"`
	PublicID  string `json:"public_id,omitempty"`
	SecureURL string `json:"secure_url,omitempty"`
	Bytes     int64  `json:"bytes"`
	ETag      string `json:"etag,omitempty"`
	Error     string `json:"error,omitempty"`
	// Concurrency is how many uploads ran at once when the item finished
	// (chosen by the engine unless --concurrency or the profile pinned it).
	Concurrency int `json:"concurrency,omitempty"`
}

type uploadOutput struct {
	stdout, stderr io.Writer
	json           bool

	mu       sync.Mutex
	printed  map[transfer.ItemID]transfer.State // last final state printed per item
	failedIn int                                // inputs that could not be expanded
	tally    uploadSummary                      // every final state printed (watch clears finished items)
	// skippedHint follows "already uploaded, still on Cloudinary: LINK" (how
	// to upload it anyway).
	skippedHint string

	// live mode only
	progress *mpb.Progress
	total    *mpb.Bar
	bars     map[transfer.ItemID]*mpb.Bar
	batch    transfer.BatchStatus
}

func newUploadOutput(e *env, jsonLines, terminal bool) *uploadOutput {
	o := &uploadOutput{stdout: e.stdout, stderr: e.stderr, json: jsonLines, printed: map[transfer.ItemID]transfer.State{}, skippedHint: " (--force uploads it again)"}
	if terminal && !jsonLines {
		o.progress = mpb.New(mpb.WithOutput(e.stdout), mpb.WithRefreshRate(150*time.Millisecond), mpb.WithAutoRefresh())
		o.bars = map[transfer.ItemID]*mpb.Bar{}
		o.total = o.progress.New(0, mpb.BarStyle(), mpb.BarWidth(40),
			mpb.BarPriority(math.MaxInt), // always the bottom line
			mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return o.totalLeft() }, decor.WC{W: 28, C: decor.DindentRight})),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return o.totalRight() })),
		)
	}
	return o
}

// fractionScale is the total bar's resolution.
const fractionScale = 1000

// consume renders events until the engine closes the channel.
func (o *uploadOutput) consume(events <-chan transfer.Event) {
	for ev := range events {
		o.mu.Lock()
		o.batch = ev.Batch
		if o.total != nil {
			// The batch's own fraction: the bytes Cloudinary has taken, and
			// never full while a file is unfinished or failed.
			o.total.SetTotal(fractionScale, false)
			o.total.SetCurrent(int64(ev.Batch.Fraction * fractionScale))
		}
		switch ev.Kind {
		case transfer.ItemChanged:
			if len(ev.Items) > 0 {
				o.changed(ev.Items[0])
			}
		case transfer.ItemProgress:
			if len(ev.Items) > 0 {
				o.moved(ev.Items[0])
			}
		case transfer.Warning:
			o.noteLocked("warning: %s", ev.Message)
		case transfer.ItemsRemoved:
			for _, id := range ev.Removed {
				delete(o.printed, id)
			}
		}
		o.mu.Unlock()
	}
}

func (o *uploadOutput) changed(st transfer.ItemStatus) {
	switch {
	case st.State.Final():
		if bar := o.bars[st.ID]; bar != nil {
			bar.Abort(true)
			delete(o.bars, st.ID)
		}
		if o.printed[st.ID] == st.State {
			return
		}
		o.printed[st.ID] = st.State
		o.finished(st)
	case st.State == transfer.Uploading:
		o.moved(st)
	case st.State == transfer.Retrying && !o.json:
		o.noteLocked("%s: %s", itemName(st), transfer.ItemWords(st))
	}
}

// moved updates an item's bar, making it when the item starts moving bytes.
func (o *uploadOutput) moved(st transfer.ItemStatus) {
	if o.progress == nil || st.State.Final() {
		return
	}
	bar := o.bars[st.ID]
	if bar == nil {
		name := itemName(st)
		// Made with total 0 and sized with SetTotal(n, false), a bar does
		// not complete by itself at 100 %: it stays while Cloudinary
		// processes the file and goes when the item's final state arrives.
		bar = o.progress.AddBar(0, mpb.BarWidth(40),
			mpb.PrependDecorators(decor.Name(shorten(name, 26), decor.WC{W: 28, C: decor.DindentRight})),
			mpb.AppendDecorators(
				decor.Counters(decor.SizeB1000(0), "% .1f / % .1f", decor.WC{W: 22}),
				decor.Percentage(decor.WC{W: 7}),
			),
		)
		o.bars[st.ID] = bar
	}
	if st.BytesTotal > 0 {
		bar.SetTotal(st.BytesTotal, false)
	}
	bar.SetCurrent(st.BytesDone)
}

// finished prints an item's outcome: a JSON object or a line.
func (o *uploadOutput) finished(st transfer.ItemStatus) {
	rec := uploadRecord{Path: st.Path, URL: st.URL, Status: string(st.State), PublicID: st.PublicID, Bytes: st.BytesTotal, Concurrency: o.batch.Concurrency}
	if st.Asset != nil {
		rec.PublicID, rec.SecureURL, rec.ETag = st.Asset.PublicID, st.Asset.SecureURL, st.Asset.ETag
		if st.Asset.Bytes > 0 {
			rec.Bytes = st.Asset.Bytes
		}
	}
	if st.Err != nil && (st.State == transfer.Failed || st.State == transfer.Canceled) {
		rec.Error = st.Err.Error()
	}
	switch st.State {
	case transfer.Done:
		o.tally.done++
		o.tally.bytes += rec.Bytes
	case transfer.Skipped:
		o.tally.skipped++
	case transfer.Failed:
		o.tally.failed++
	case transfer.Canceled:
		o.tally.canceled++
	}
	if o.json {
		printJSON(o.stdout, rec)
		return
	}
	var line string
	switch st.State {
	case transfer.Done:
		line = fmt.Sprintf("done     %s  %s  (%s)", itemName(st), rec.SecureURL, transfer.HumanBytes(rec.Bytes))
	case transfer.Skipped:
		line = fmt.Sprintf("skipped  %s  already uploaded, still on Cloudinary: %s%s", itemName(st), rec.SecureURL, o.skippedHint)
	case transfer.Failed:
		line = fmt.Sprintf("failed   %s: %s", itemName(st), oneLine(rec.Error))
	default:
		line = fmt.Sprintf("%-8s %s", st.State, itemName(st))
	}
	o.lineLocked(o.stdout, line)
}

// problem reports an input that could not be expanded. A symlink loop is
// only noted (the files were reached another way); anything else counts as
// a failed item.
func (o *uploadOutput) problem(p source.Problem) {
	o.mu.Lock()
	defer o.mu.Unlock()
	path := p.Path
	if path == "" {
		path = p.Input
	}
	if errors.Is(p.Err, source.ErrSymlinkLoop) {
		o.noteLocked("note: %s", p.Error())
		return
	}
	o.failedIn++
	if o.json {
		printJSON(o.stdout, uploadRecord{Path: path, Status: string(transfer.Failed), Error: p.Err.Error()})
		return
	}
	o.lineLocked(o.stdout, fmt.Sprintf("failed   %s: %s", path, oneLine(p.Err.Error())))
}

func (o *uploadOutput) problemsFailed() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.failedIn
}

func (o *uploadOutput) note(format string, args ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.noteLocked(format, args...)
}

func (o *uploadOutput) noteLocked(format string, args ...any) {
	o.lineLocked(o.stderr, oneLine(fmt.Sprintf(format, args...)))
}

// lineLocked writes a line, above the bars when they are drawn.
func (o *uploadOutput) lineLocked(w io.Writer, line string) {
	if o.progress != nil {
		if _, err := o.progress.Write([]byte(line + "\n")); err == nil {
			return
		}
	}
	fmt.Fprintln(w, line)
}

// close takes the bars off the screen; later output is plain.
func (o *uploadOutput) close() {
	o.mu.Lock()
	p := o.progress
	if p != nil {
		for id, bar := range o.bars {
			bar.Abort(true)
			delete(o.bars, id)
		}
		o.total.Abort(false)
	}
	o.mu.Unlock()
	if p != nil {
		p.Wait()
		o.mu.Lock()
		o.progress = nil
		o.mu.Unlock()
	}
}

func (o *uploadOutput) totalLeft() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.batch
	return fmt.Sprintf("total %d/%d", b.Done+b.Skipped+b.Failed+b.Canceled, b.Total)
}

func (o *uploadOutput) totalRight() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.batch
	s := fmt.Sprintf("%s / %s", transfer.HumanBytes(b.BytesDone), transfer.HumanBytes(b.BytesTotal))
	if b.Speed > 0 {
		s += fmt.Sprintf("  %s/s", transfer.HumanBytes(int64(b.Speed)))
	}
	if b.ETA > 0 {
		s += fmt.Sprintf("  ETA %s", b.ETA.Round(time.Second))
	}
	if b.Failed > 0 {
		s += fmt.Sprintf("  %d failed", b.Failed)
	}
	return s
}

// uploadSummary is the run's last line.
type uploadSummary struct {
	total, done, skipped, failed, canceled, unfinished int
	bytes                                              int64
	elapsed                                            time.Duration
	concurrency                                        int // uploads at once at the end; 0 unknown
	concurrencyAuto                                    bool
}

func summarize(snap transfer.Snapshot, failedInputs int, elapsed time.Duration) uploadSummary {
	s := uploadSummary{total: len(snap.Items) + failedInputs, failed: failedInputs, elapsed: elapsed,
		concurrency: snap.Batch.Concurrency, concurrencyAuto: snap.Batch.ConcurrencyAuto}
	for _, it := range snap.Items {
		switch it.State {
		case transfer.Done:
			s.done++
			s.bytes += it.BytesTotal
		case transfer.Skipped:
			s.skipped++
		case transfer.Failed:
			s.failed++
		case transfer.Canceled:
			s.canceled++
		default:
			s.unfinished++
		}
	}
	return s
}

// printedSummary is every final state printed so far as a summary: what watch
// reports, since it clears finished items from the engine as it goes.
func (o *uploadOutput) printedSummary(elapsed time.Duration) uploadSummary {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.tally
	s.total, s.elapsed = s.done+s.skipped+s.failed+s.canceled, elapsed
	return s
}

// summary prints the totals: on stderr with --json (stdout stays JSON
// lines), else on stdout.
func (o *uploadOutput) summary(s uploadSummary) {
	w := o.stdout
	if o.json {
		w = o.stderr
	}
	line := fmt.Sprintf("%d done, %d skipped, %d failed", s.done, s.skipped, s.failed)
	if s.canceled > 0 {
		line += fmt.Sprintf(", %d canceled", s.canceled)
	}
	if s.unfinished > 0 {
		line += fmt.Sprintf(", %d unfinished", s.unfinished)
	}
	secs := s.elapsed.Seconds()
	line += fmt.Sprintf(" · %s in %s", transfer.HumanBytes(s.bytes), s.elapsed.Round(100*time.Millisecond))
	if secs > 0 && s.bytes > 0 {
		line += fmt.Sprintf(" (%s/s)", transfer.HumanBytes(int64(float64(s.bytes)/secs)))
	}
	switch {
	case s.concurrency > 0 && s.concurrencyAuto:
		line += fmt.Sprintf(" · %d at once (chosen automatically)", s.concurrency)
	case s.concurrency > 0:
		line += fmt.Sprintf(" · %d at once", s.concurrency)
	}
	fmt.Fprintln(w, line)
}

func itemName(st transfer.ItemStatus) string {
	switch {
	case st.Path != "":
		return st.Path
	case st.URL != "":
		return st.URL
	}
	return st.Name
}

// shorten keeps the end of a long name (the file name is what tells files
// apart).
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return "…" + string(r[len(r)-n+1:])
}
