package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cloudup/cloudup/core/session"
	"github.com/cloudup/cloudup/core/transfer"
	"github.com/cloudup/cloudup/core/watch"
)

// watchFlags are watch's command line, parsed.
type watchFlags struct {
	profile, folder, tags, publicID    string
	json, subfolders, hidden, existing bool
	settle                             time.Duration
	include, exclude                   listFlag
}

func runWatch(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "watch")
	var f watchFlags
	fs.StringVar(&f.profile, "profile", "", "profile `NAME` (default: CLOUDINARY_URL when set, else the default profile)")
	fs.StringVar(&f.folder, "folder", "", "upload into `FOLDER` (default: the profile's)")
	fs.StringVar(&f.tags, "tags", "", "comma-separated `TAGS` (default: the profile's)")
	fs.StringVar(&f.publicID, "public-id", "", "public_id `TEMPLATE`, e.g. '{name}' (default: the profile's, else a stable id)")
	fs.BoolVar(&f.json, "json", false, "print one JSON object per uploaded file instead of progress")
	fs.BoolVar(&f.subfolders, "subfolders", false, "watch the folders inside DIR too")
	fs.BoolVar(&f.hidden, "hidden", false, "take hidden files and folders too (names starting with '.')")
	fs.BoolVar(&f.existing, "existing", false, "the first time DIR is watched, upload the files already in it too")
	fs.DurationVar(&f.settle, "settle", watch.DefaultSettle, "a file must stay unchanged for `DURATION` before it is uploaded (raise it for slow network shares)")
	fs.Var(&f.include, "include", "upload only files matching `PATTERN` (e.g. '*.jpg'; repeatable)")
	fs.Var(&f.exclude, "exclude", "skip files and folders matching `PATTERN` (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: cloudup-cli watch [--profile NAME] [--folder F] [--tags a,b] [--json]
                        [--subfolders] [--existing] DIR...
Uploads every file that lands in DIR, once it is complete, until Ctrl-C.
Files arriving while it is not running are uploaded at its next start;
the first time, the files already there are left alone (--existing
uploads them too). Temporary files (*.part, *.crdownload, ~$…, *.tmp) and
hidden ones are never taken. Output as for upload: progress bars on a
terminal, one line per file otherwise, --json one object per file; notes
on stderr. Exit status 0 after Ctrl-C, 1 when some file failed, 2 on bad
usage.
  cloudup-cli watch --folder screenshots ~/Pictures/Screenshots
  cloudup-cli watch --subfolders --include '*.jpg' --json ~/Exports > uploads.jsonl`)
		fs.PrintDefaults()
	}
	dirs, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := f.check(dirs); err != nil {
		return err
	}
	for i, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return usagef("cannot watch %q: %v", d, err)
		}
		fi, err := os.Stat(abs)
		switch {
		case err != nil:
			return usagef("cannot watch %s: %v", abs, errors.Unwrap(err))
		case !fi.IsDir():
			return usagef("%s is not a folder: watch the folder it is in", abs)
		}
		dirs[i] = abs
	}

	creds, err := e.credentials(ctx, f.profile)
	if err != nil {
		return err
	}
	overrideDefaults(&creds.Profile, f.folder, f.tags, "", f.publicID)
	dataDir, err := e.dataDir()
	if err != nil {
		return err
	}
	// Opened with its own context: Ctrl-C ends the watch, after which the
	// engine still closes cleanly (what runs stays resumable).
	sess, err := openSession(context.WithoutCancel(ctx), creds, session.Options{DataDir: dataDir})
	if err != nil {
		return err
	}
	defer sess.Close()
	state, err := watch.OpenState(filepath.Join(dataDir, watch.StateFile))
	if err != nil {
		return err
	}
	defer state.Close()

	eng := sess.Engine()
	out := newUploadOutput(e, f.json, isTerminalOutput(e.stdout))
	out.skippedHint = " (same content, same folder)"
	sub := eng.Subscribe()
	rendered := make(chan struct{})
	go func() {
		defer close(rendered)
		out.consume(sub.C)
	}()
	start := time.Now()

	feeds, err := startFeeds(ctx, dirs, f, sess, state, out)
	stopFeeds := func() {
		for _, fd := range feeds {
			fd.Close()
		}
	}
	if err != nil {
		stopFeeds()
		sess.Close()
		<-rendered
		sub.Close()
		out.close()
		return err
	}

	halted := waitWhileWatching(ctx, eng)
	stopFeeds()
	unfinished := eng.Batch()
	sess.Close() // in-flight uploads stay in the journal; the next watch resumes them
	<-rendered
	sub.Close()
	out.close()

	sum := out.printedSummary(time.Since(start))
	sum.unfinished = unfinished.Queued + unfinished.Active
	out.summary(sum)
	if sum.unfinished > 0 {
		out.note("%d upload(s) did not finish: the next `cloudup-cli watch` of these folders continues them", sum.unfinished)
	}
	if halted != nil && sum.done+sum.skipped == 0 {
		return &usageError{msg: halted.Error(), err: halted}
	}
	if sum.failed > 0 {
		return &partialError{msg: fmt.Sprintf("%d file(s) failed (see above)", sum.failed)}
	}
	return nil
}

func (f *watchFlags) check(dirs []string) error {
	switch {
	case len(dirs) == 0:
		return usagef("nothing to watch: give one or more folders")
	case f.settle < 100*time.Millisecond || f.settle > time.Hour:
		return usagef("--settle must be between 100ms and 1h, not %s", f.settle)
	}
	if f.publicID != "" {
		if _, err := transfer.ParseTemplate(f.publicID); err != nil {
			return &usageError{msg: "--public-id: " + err.Error(), err: err}
		}
	}
	return nil
}

// startFeeds watches every folder into the one engine and says on stderr
// what each is doing whenever that changes.
func startFeeds(ctx context.Context, dirs []string, f watchFlags, sess *session.Session, state *watch.State, out *uploadOutput) ([]*watch.Feed, error) {
	opts := session.UploadOptions(sess.Profile())
	var feeds []*watch.Feed
	for _, dir := range dirs {
		var mu sync.Mutex
		var last watch.Status
		fd, err := watch.StartFeed(ctx, watch.FeedConfig{
			Watch: watch.Config{
				Dir: dir, Subfolders: f.subfolders, Include: f.include, Exclude: f.exclude, Hidden: f.hidden, Settle: f.settle,
				OnStatus: func(s watch.Status) {
					mu.Lock()
					defer mu.Unlock()
					if line := statusNote(last, s, f.existing); line != "" {
						out.note("%s", line)
					}
					last = s
				},
			},
			Engine: sess.Engine(), State: state, Profile: sess.Profile().Name, Options: opts, Existing: f.existing,
			OnProblem: func(err error) { out.note("warning: %v", err) },
		})
		if err != nil {
			return feeds, &usageError{msg: err.Error(), err: err}
		}
		feeds = append(feeds, fd)
	}
	return feeds, nil
}

// statusNote is the stderr line for a change of a folder's status, or "".
func statusNote(prev, s watch.Status, existing bool) string {
	switch {
	case s.Phase == watch.Watching && prev.Phase != watch.Watching:
		line := "watching " + s.Dir
		if s.Polling {
			line += " (too many subfolders for change events: checking every few seconds)"
		}
		if s.LeftAlone > 0 && !existing {
			line += fmt.Sprintf("; %d file(s) already there left alone (--existing uploads them the first time)", s.LeftAlone)
		}
		return line
	case s.Phase == watch.Missing && (prev.Phase != watch.Missing || prev.Err == nil || prev.Err.Error() != s.Err.Error()):
		return s.Words()
	case s.Rescans > prev.Rescans:
		return "many changes at once in " + s.Dir + ": looked through the whole folder again"
	}
	return ""
}

// waitWhileWatching returns when ctx ends (Ctrl-C), or with the reason when
// the engine stops the batch (a wrong secret refuses every upload alike).
// Meanwhile finished uploads leave the engine's list, so a watch that runs
// for weeks does not grow: they were printed, and the history keeps them.
func waitWhileWatching(ctx context.Context, eng *transfer.Engine) error {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			b := eng.Batch()
			if b.Halted != nil {
				return b.Halted
			}
			if b.Done+b.Skipped+b.Canceled > 500 || (time.Since(last) > time.Minute && b.Done+b.Skipped+b.Canceled > 0) {
				eng.ClearFinished()
				last = time.Now()
			}
		}
	}
}
