package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/cloudup/cloudup/core/transfer"
)

// Options steer an expansion.
type Options struct {
	// Include keeps only files matching one of these patterns (when any are
	// given); Exclude drops files and whole folders matching one. A pattern
	// without "/" matches a name anywhere ("*.jpg", ".DS_Store"); one with
	// "/" matches the path below the folder given ("raw/**", "**/thumbs/*").
	// "**" crosses folders. Matching ignores case, since "*.jpg" is meant to
	// find "IMG.JPG" too. Files named explicitly are always kept.
	Include []string
	Exclude []string
	// Hidden includes names starting with "." (skipped by default).
	// Temporary files (partial downloads, editors' lock and swap files, see
	// IsTemporary) found in folders are always skipped.
	Hidden bool
	// NoFollow skips symlinked folders instead of following them (loops are
	// detected either way).
	NoFollow bool
	// ItemOptions is attached to every item (nil: the engine's defaults).
	ItemOptions *transfer.Options
	// BatchSize caps a batch (default 256); BatchDelay is the longest a found
	// item waits for its batch to fill (default 50 ms).
	BatchSize  int
	BatchDelay time.Duration
	// OnBatch, when set, receives batches on the expansion's goroutine
	// instead of the channel (which is then closed without values).
	OnBatch func(Batch)
}

// Batch is a group of items found, and what was skipped on the way.
type Batch struct {
	Items    []transfer.Item
	Problems []Problem
}

// Summary counts what an expansion found.
type Summary struct {
	Items    int
	Folders  int
	Hidden   int // hidden entries and temporary files skipped
	Excluded int // entries skipped by a pattern
	Problems int
}

// Expansion is a running expansion. Batches arrive on C, which is closed at
// the end. The caller owns it: read C (or set OnBatch) and call Wait.
type Expansion struct {
	C <-chan Batch

	c      chan Batch
	cancel context.CancelFunc
	wg     sync.WaitGroup
	sum    Summary
	err    error
}

// Expand starts expanding inputs and returns at once; only the patterns are
// checked before it returns.
func Expand(ctx context.Context, inputs []Input, opts Options) (*Expansion, error) {
	return expand(ctx, inputs, opts, nil)
}

func expand(ctx context.Context, inputs []Input, opts Options, early []Problem) (*Expansion, error) {
	filter, err := NewFilter(opts.Include, opts.Exclude, opts.Hidden)
	if err != nil {
		return nil, err
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 256
	}
	if opts.BatchDelay <= 0 {
		opts.BatchDelay = 50 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(ctx)
	c := make(chan Batch)
	x := &Expansion{C: c, c: c, cancel: cancel}
	w := &walker{ctx: ctx, opts: opts, filter: filter, out: x}
	x.wg.Add(1)
	go func() {
		defer x.wg.Done()
		defer close(c)
		defer cancel()
		for _, p := range early {
			w.problem(p)
		}
		for _, in := range inputs {
			if ctx.Err() != nil {
				break
			}
			w.input(in)
		}
		w.flush()
		x.sum = w.sum
		x.err = ctx.Err()
	}()
	return x, nil
}

// ExpandStrings parses and expands arguments as a command line gives them.
// Arguments that are no path or URL are reported as problems in the first
// batch.
func ExpandStrings(ctx context.Context, args []string, opts Options) (*Expansion, error) {
	var inputs []Input
	var problems []Problem
	for _, a := range args {
		in, err := ParseInput(a)
		if err != nil {
			problems = append(problems, Problem{Input: quotableInput(a, err), Err: err})
			continue
		}
		inputs = append(inputs, in)
	}
	return expand(ctx, inputs, opts, problems)
}

// Cancel stops the expansion early; Wait still has to be called.
func (x *Expansion) Cancel() { x.cancel() }

// Wait waits for the expansion's goroutine and returns what it found, and
// the context's error if it was cancelled. Read C (or use OnBatch) first, or
// from another goroutine: the expansion waits for its batches to be taken.
func (x *Expansion) Wait() (Summary, error) {
	x.wg.Wait()
	return x.sum, x.err
}

// Collect reads every batch and waits: for callers that want it all at once.
func (x *Expansion) Collect() ([]transfer.Item, []Problem, Summary, error) {
	var items []transfer.Item
	var problems []Problem
	for b := range x.C {
		items = append(items, b.Items...)
		problems = append(problems, b.Problems...)
	}
	sum, err := x.Wait()
	return items, problems, sum, err
}

type walker struct {
	ctx     context.Context
	opts    Options
	filter  *Filter
	out     *Expansion
	pending Batch
	since   time.Time
	sum     Summary
}

func (w *walker) add(it transfer.Item) {
	if w.opts.ItemOptions != nil {
		o := *w.opts.ItemOptions
		it.Options = &o
	}
	if len(w.pending.Items) == 0 && len(w.pending.Problems) == 0 {
		w.since = time.Now()
	}
	w.pending.Items = append(w.pending.Items, it)
	w.sum.Items++
	if len(w.pending.Items) >= w.opts.BatchSize || time.Since(w.since) >= w.opts.BatchDelay {
		w.flush()
	}
}

func (w *walker) problem(p Problem) {
	if len(w.pending.Items) == 0 && len(w.pending.Problems) == 0 {
		w.since = time.Now()
	}
	w.pending.Problems = append(w.pending.Problems, p)
	w.sum.Problems++
}

func (w *walker) flush() {
	if len(w.pending.Items) == 0 && len(w.pending.Problems) == 0 {
		return
	}
	b := w.pending
	w.pending = Batch{}
	if w.opts.OnBatch != nil {
		w.opts.OnBatch(b)
		return
	}
	select {
	case w.out.c <- b:
	case <-w.ctx.Done():
	}
}

func (w *walker) input(in Input) {
	switch in.Kind {
	case RemoteURL:
		w.add(transfer.Item{URL: in.URL})
		return
	}
	fi, err := os.Stat(in.Path)
	if err != nil || !fi.IsDir() {
		// A file named explicitly is always queued, even when it is missing
		// or unreadable: the engine says why it fails, next to the others.
		it := transfer.Item{Path: in.Path}
		if err == nil && fi.Mode().IsRegular() {
			it.Size = fi.Size()
		}
		w.add(it)
		return
	}
	w.sum.Folders++
	id, _ := dirKey(in.Path, fi)
	w.walk(in, in.Path, "", []string{id}, map[string]bool{id: true})
	w.flush()
}

// walk lists one folder (sorted by name) and descends. ancestors are the
// folders on the way down, to tell a loop from a second path to the same
// folder; seen is every folder walked from this input.
func (w *walker) walk(in Input, dir, rel string, ancestors []string, seen map[string]bool) {
	if w.ctx.Err() != nil {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		w.problem(Problem{Input: in.Raw, Path: dir, Err: fmt.Errorf("cannot read the folder: %w", unwrapPath(err))})
		if len(entries) == 0 {
			return
		}
	}
	for _, de := range entries {
		if w.ctx.Err() != nil {
			return
		}
		name := de.Name()
		full := filepath.Join(dir, name)
		relPath := path.Join(rel, name)
		if !w.opts.Hidden && IsHidden(name) {
			w.sum.Hidden++ // before the symlink's stat below: dot-names are skipped either way
			continue
		}
		typ := de.Type()
		isDir := typ.IsDir()
		var fi fs.FileInfo
		if typ&fs.ModeSymlink != 0 {
			fi, err = os.Stat(full)
			if err != nil {
				w.problem(Problem{Input: in.Raw, Path: full, Err: fmt.Errorf("broken symlink: %w", unwrapPath(err))})
				continue
			}
			isDir = fi.IsDir()
			if isDir && w.opts.NoFollow {
				continue
			}
		}
		switch w.filter.Skip(relPath, name, isDir) {
		case "":
		case SkippedHidden, SkippedTemporary:
			w.sum.Hidden++
			continue
		default:
			w.sum.Excluded++
			continue
		}
		switch {
		case isDir:
			if fi == nil {
				if fi, err = de.Info(); err != nil {
					w.problem(Problem{Input: in.Raw, Path: full, Err: unwrapPath(err)})
					continue
				}
			}
			id, err := dirKey(full, fi)
			if err != nil {
				w.problem(Problem{Input: in.Raw, Path: full, Err: err})
				continue
			}
			if contains(ancestors, id) {
				target, _ := os.Readlink(full)
				w.problem(Problem{Input: in.Raw, Path: full, Err: fmt.Errorf("%w: %s points back to %s, which contains it; skipped", ErrSymlinkLoop, full, target)})
				continue
			}
			if seen[id] {
				continue // the same folder again through another link: its files are queued once
			}
			seen[id] = true
			w.sum.Folders++
			w.walk(in, full, relPath, append(ancestors, id), seen)
		case typ.IsRegular() || (fi != nil && fi.Mode().IsRegular()):
			it := transfer.Item{Path: full}
			if fi == nil {
				fi, _ = de.Info() // its size shows while it waits; unknown is fine
			}
			if fi != nil {
				it.Size = fi.Size()
			}
			w.add(it)
		default:
			// Sockets, devices and pipes are not media.
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// matcher applies include and exclude patterns.
type matcher struct {
	include, exclude []pattern
}

type pattern struct {
	glob    string
	relPath bool // matches the relative path, not the name
}

func newMatcher(include, exclude []string) (*matcher, error) {
	m := &matcher{}
	parse := func(list []string, what string) ([]pattern, error) {
		var out []pattern
		for _, p := range list {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			g := strings.ToLower(filepath.ToSlash(p))
			g = strings.TrimPrefix(g, "./")
			if !doublestar.ValidatePattern(g) {
				return nil, fmt.Errorf("%s pattern %q is not a valid glob: check its brackets and braces", what, p)
			}
			out = append(out, pattern{glob: g, relPath: strings.Contains(g, "/")})
		}
		return out, nil
	}
	var err error
	if m.include, err = parse(include, "include"); err != nil {
		return nil, err
	}
	if m.exclude, err = parse(exclude, "exclude"); err != nil {
		return nil, err
	}
	return m, nil
}

func (p pattern) match(rel, name string) bool {
	subject := strings.ToLower(name)
	if p.relPath {
		subject = strings.ToLower(rel)
	}
	ok, _ := doublestar.Match(p.glob, subject)
	return ok
}

func (m *matcher) excluded(rel, name string) bool {
	for _, p := range m.exclude {
		if p.match(rel, name) {
			return true
		}
	}
	return false
}

func (m *matcher) included(rel, name string) bool {
	if len(m.include) == 0 {
		return true
	}
	for _, p := range m.include {
		if p.match(rel, name) {
			return true
		}
	}
	return false
}

// realPathKey is a folder's path with symlinks resolved, where no inode is at hand.
func realPathKey(p string) (string, error) {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fmt.Errorf("cannot resolve the folder: %w", unwrapPath(err))
	}
	return "path:" + real, nil
}
