package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/paths"
	"github.com/cloudup/cloudup/core/session"
	"github.com/cloudup/cloudup/core/source"
	"github.com/cloudup/cloudup/core/transfer"
)

// uploadFlags are upload's command line, parsed.
type uploadFlags struct {
	profile, folder, tags, preset, publicID string
	displayName                             string
	context                                 listFlag
	concurrency                             int
	chunkSize                               int64
	json, resume, force, hidden             bool
	camera, list                            bool
	device                                  string
	include, exclude                        listFlag
}

// listFlag collects a flag given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runUpload(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "upload")
	var f uploadFlags
	fs.StringVar(&f.profile, "profile", "", "profile `NAME` (default: CLOUDINARY_URL when set, else the default profile)")
	fs.StringVar(&f.folder, "folder", "", "upload into `FOLDER` (default: the profile's)")
	fs.StringVar(&f.tags, "tags", "", "comma-separated `TAGS` (default: the profile's)")
	fs.StringVar(&f.preset, "preset", "", "upload `PRESET` (default: the profile's)")
	fs.StringVar(&f.publicID, "public-id", "", "public_id `TEMPLATE`, e.g. '{name}' or '{name}-{md5:8}' (default: the profile's, else a stable id)")
	fs.Var(&f.context, "context", "metadata `KEY=VALUE|KEY=VALUE`, e.g. 'alt=Team on the beach|caption=Summer 2026' (repeatable; escape | and = with \\)")
	fs.StringVar(&f.displayName, "display-name", "", "the `NAME` the assets show under in the Media Library (default: the file's name)")
	fs.IntVar(&f.concurrency, "concurrency", 0, "upload `N` files at once, 1 to 32 (default: the profile's, else chosen automatically)")
	fs.Int64Var(&f.chunkSize, "chunk-size", 0, "send files larger than `BYTES` in chunks of that size, at least 5 MB (default 20 MB)")
	fs.BoolVar(&f.json, "json", false, "print one JSON object per item instead of progress")
	fs.BoolVar(&f.resume, "resume", false, "continue the uploads an interrupted run left unfinished")
	fs.BoolVar(&f.force, "force", false, "upload files even when the same content is already in the folder")
	fs.BoolVar(&f.hidden, "hidden", false, "include hidden files and folders (names starting with '.')")
	fs.Var(&f.include, "include", "in folders, upload only files matching `PATTERN` (e.g. '*.jpg'; repeatable)")
	fs.Var(&f.exclude, "exclude", "in folders, skip files and folders matching `PATTERN` (repeatable)")
	fs.BoolVar(&f.camera, "camera", false, "take a photo with a camera and upload it")
	fs.StringVar(&f.device, "device", "", "camera `ID` for --camera ('synthetic' is a test card; see --camera --list)")
	fs.BoolVar(&f.list, "list", false, "with --camera: list the cameras and exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: cloudup-cli upload [--profile NAME] [--folder F] [--tags a,b] [--preset P]
                         [--public-id TEMPLATE] [--concurrency N] [--json] [--resume]
                         [--force] [--camera [--device ID]]
                         [--context alt=TEXT|caption=TEXT] [--display-name NAME] PATH|URL...
Uploads files, folders (recursively) and URLs (Cloudinary fetches those).
Progress bars on a terminal, one line per file otherwise. Ctrl-C stops and
keeps the journal: --resume continues where it stopped. Exit status 0 when
everything is uploaded, 1 when something failed, 2 on bad usage.
  cloudup-cli upload --folder trips/2026 --tags summer ~/Pictures/trip
  cloudup-cli upload --json https://example.com/photo.jpg > result.jsonl
  cloudup-cli upload --context 'alt=Team on the beach' --display-name 'Summer team' team.jpg
  cloudup-cli upload --camera --device synthetic`)
		fs.PrintDefaults()
	}
	inputs, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := f.check(inputs); err != nil {
		return err
	}
	if f.camera && f.list {
		return listCameras(ctx, e, f.json)
	}

	creds, err := e.credentials(ctx, f.profile)
	if err != nil {
		return err
	}
	overrideDefaults(&creds.Profile, f.folder, f.tags, f.preset, f.publicID)
	dataDir, err := e.dataDir()
	if err != nil {
		return err
	}
	sess, err := openSession(ctx, creds, session.Options{
		DataDir: dataDir, Concurrency: f.concurrency, ChunkSize: f.chunkSize,
	})
	if err != nil {
		return err
	}
	defer sess.Close()

	opts := session.UploadOptions(sess.Profile())
	opts.Force = f.force
	opts.DisplayName = strings.TrimSpace(f.displayName)
	if meta, _ := f.metadata(); len(meta) > 0 {
		merged := map[string]string{}
		for k, v := range opts.Context {
			merged[k] = v
		}
		for k, v := range meta {
			merged[k] = v
		}
		opts.Context = merged
	}

	out := newUploadOutput(e, f.json, isTerminalOutput(e.stdout))
	sub := sess.Engine().Subscribe()
	rendered := make(chan struct{})
	go func() {
		defer close(rendered)
		out.consume(sub.C)
	}()
	// However the run ends, the engine closes (ending the subscription's
	// channel) before the renderer is waited for.
	finish := func() {
		sess.Close()
		<-rendered
		sub.Close()
		out.close()
	}
	start := time.Now()

	if f.resume {
		ids, err := sess.Engine().ResumeUnfinished(ctx)
		if err != nil {
			finish()
			return fmt.Errorf("cannot resume the unfinished uploads: %w", err)
		}
		if len(ids) == 0 && len(inputs) == 0 && !f.camera {
			out.note("nothing to resume: every earlier upload of profile %q finished", sess.Profile().Name)
		}
	}
	if f.camera {
		spool := filepath.Join(dataDir, "spool")
		path, err := captureCameraPhoto(ctx, f.device, spool)
		if err != nil {
			finish()
			return err
		}
		sess.Engine().Add(transfer.Item{Path: path, Spool: true, Options: &opts})
	}
	if len(inputs) > 0 {
		if err := expandInto(ctx, sess.Engine(), inputs, f, &opts, out); err != nil {
			finish()
			return err
		}
	}

	waitErr := sess.Engine().Wait(ctx)
	snap := sess.Engine().Snapshot()
	finish()

	sum := summarize(snap, out.problemsFailed(), time.Since(start))
	out.summary(sum)
	if waitErr != nil {
		left := sum.unfinished
		return &partialError{msg: fmt.Sprintf("stopped with %d upload(s) unfinished: run `cloudup-cli upload --resume%s` to continue", left, profileArg(f.profile))}
	}
	if snap.Batch.Halted != nil && sum.done+sum.skipped == 0 {
		return &usageError{msg: snap.Batch.Halted.Error(), err: snap.Batch.Halted}
	}
	if sum.failed > 0 || sum.canceled > 0 {
		return &partialError{msg: fmt.Sprintf("%d of %d item(s) failed (see above)", sum.failed+sum.canceled, sum.total)}
	}
	return nil
}

// overrideDefaults puts --folder, --tags, --preset and --public-id (when
// given) over the profile's upload defaults for this run.
func overrideDefaults(p *account.Profile, folder, tags, preset, publicID string) {
	if folder != "" {
		p.Folder = strings.Trim(folder, "/")
	}
	if tags != "" {
		p.Tags = account.ParseTags(tags)
	}
	if preset != "" {
		p.Preset = preset
	}
	if publicID != "" {
		p.PublicIDTemplate = publicID
	}
}

// openSession opens the account's session; a bad --public-id template is a
// usage error, a bad setup a configuration error.
func openSession(ctx context.Context, creds account.Credentials, opts session.Options) (*session.Session, error) {
	sess, err := session.Open(ctx, creds, opts)
	if err != nil {
		if errors.Is(err, transfer.ErrBadTemplate) {
			return nil, &usageError{msg: "--public-id: " + err.Error(), err: err}
		}
		return nil, asConfigError(err)
	}
	return sess, nil
}

// metadata is --context merged, later flags winning.
func (f *uploadFlags) metadata() (map[string]string, error) {
	out := map[string]string{}
	for _, c := range f.context {
		for _, part := range splitUnescaped(c, '|') {
			if strings.TrimSpace(part) == "" {
				continue
			}
			if k, _, ok := strings.Cut(part, "="); !ok || strings.TrimSpace(k) == "" {
				return nil, usagef("--context %q: give KEY=VALUE parts joined by |, like alt=TEXT|caption=TEXT", c)
			}
		}
		for k, v := range cloud.ParseContext(c) {
			out[strings.TrimSpace(k)] = v
		}
	}
	return out, nil
}

// splitUnescaped splits s at sep where no backslash escapes it.
func splitUnescaped(s string, sep byte) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// check refuses flag combinations that cannot work, before anything runs.
func (f *uploadFlags) check(inputs []string) error {
	if _, err := f.metadata(); err != nil {
		return err
	}
	switch {
	case f.list && !f.camera:
		return usagef("--list lists cameras: use it with --camera")
	case f.device != "" && !f.camera:
		return usagef("--device picks a camera: use it with --camera")
	case f.camera && f.list && (len(inputs) > 0 || f.resume):
		return usagef("--camera --list only lists the cameras: give no files and no --resume")
	case len(inputs) == 0 && !f.camera && !f.resume:
		return usagef("nothing to upload: give files, folders or URLs (or --camera, or --resume to continue an interrupted run)")
	case f.concurrency < 0 || f.concurrency > account.MaxConcurrency:
		return usagef("--concurrency must be 1 to %d, not %d", account.MaxConcurrency, f.concurrency)
	case f.chunkSize != 0 && (f.chunkSize < cloud.MinChunkSize || f.chunkSize > cloud.MaxSingleRequest):
		return usagef("--chunk-size must be %d (5 MB) to %d bytes, not %d", cloud.MinChunkSize, cloud.MaxSingleRequest, f.chunkSize)
	}
	if f.publicID != "" {
		if _, err := transfer.ParseTemplate(f.publicID); err != nil {
			return &usageError{msg: "--public-id: " + err.Error(), err: err}
		}
	}
	return nil
}

// expandInto streams the expansion of inputs into the engine batch by batch,
// so the first files upload while a big folder is still being walked.
func expandInto(ctx context.Context, eng *transfer.Engine, inputs []string, f uploadFlags, opts *transfer.Options, out *uploadOutput) error {
	x, err := source.ExpandStrings(ctx, inputs, source.Options{
		Include: f.include, Exclude: f.exclude, Hidden: f.hidden, ItemOptions: opts,
	})
	if err != nil {
		return &usageError{msg: err.Error(), err: err}
	}
	for b := range x.C {
		if len(b.Items) > 0 {
			eng.Add(b.Items...)
		}
		for _, p := range b.Problems {
			out.problem(p)
		}
	}
	if _, err := x.Wait(); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// dataDir is CLOUDUP_DATA_DIR from the command's environment, else the
// user's data dir.
func (e *env) dataDir() (string, error) {
	if dir := e.getenv("CLOUDUP_DATA_DIR"); dir != "" {
		return dir, nil
	}
	return paths.DataDir()
}

// isTerminalOutput reports whether w is a terminal (progress bars) rather
// than a pipe or file (plain lines).
func isTerminalOutput(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func profileArg(name string) string {
	if name == "" {
		return ""
	}
	return " --profile " + name
}
