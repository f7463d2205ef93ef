// Package source turns what a person points at into upload items for
// core/transfer: files, folders (recursive, with include/exclude patterns,
// hidden files skipped by default, symlink loops detected), URLs that
// Cloudinary fetches itself, text pasted from a clipboard (URLs and paths,
// one per line, file:// URIs), and in-memory images (clipboard or camera
// bytes), which are written to a spool file in the data dir so they survive
// a restart and resume like any file.
//
// Expansion streams: items arrive in batches while folders are still being
// read, on a goroutine the caller owns through an *Expansion, so a window's
// drop handler can start it and return at once. It only lists directories,
// stats entries and writes spool files: it never reads file contents (the
// engine hashes), uploads, or talks to Cloudinary.
package source

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Kind says what an input is.
type Kind int

const (
	LocalPath Kind = iota // a file or folder on this machine
	RemoteURL             // fetched by Cloudinary: http(s), ftp, s3, gs, data URIs
)

// Input is one thing a person pointed at, classified.
type Input struct {
	Kind Kind
	Path string // LocalPath: absolute, cleaned
	URL  string // RemoteURL
	Raw  string // as given
}

// ErrBadInput is what every ParseInput error unwraps to.
var ErrBadInput = errors.New("not a file, folder or URL")

// ErrCloudinaryURL marks an input that is an account's CLOUDINARY_URL
// (cloudinary://key:secret@cloud), pasted where a file or link belongs. Its
// error quotes nothing of the input, since the input holds the API secret.
// It also unwraps to ErrBadInput.
var ErrCloudinaryURL = errors.New("CLOUDINARY_URL given as a file or link")

type cloudinaryURLError struct{}

func (cloudinaryURLError) Error() string {
	return "that is a CLOUDINARY_URL, not a file or link: import it with Settings or `cloudup-cli login --from-env`"
}

func (cloudinaryURLError) Is(target error) bool {
	return target == ErrBadInput || target == ErrCloudinaryURL
}

// Redact removes the user:password part of every URL in s, so that s can be
// quoted in an error, a log or a notice without leaking a password or an API
// secret ("https://ann:pw@host/a.jpg" becomes "https://host/a.jpg"). It
// scans for "://" itself rather than using net/url, because the text to
// quote is often not a valid URL at all.
func Redact(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i+3])
		s = s[i+3:]
		end := strings.IndexAny(s, "/?#\\ \t\r\n\"'")
		if end < 0 {
			end = len(s)
		}
		if at := strings.LastIndexByte(s[:end], '@'); at >= 0 {
			s = s[at+1:]
		}
	}
}

// quotableInput is what a Problem keeps of an input ParseInput refused:
// never a CLOUDINARY_URL's secret nor a URL's password.
func quotableInput(s string, err error) string {
	if errors.Is(err, ErrCloudinaryURL) {
		return "CLOUDINARY_URL"
	}
	return Redact(s)
}

// remoteSchemes are the URL schemes Cloudinary fetches itself.
var remoteSchemes = map[string]bool{"http": true, "https": true, "ftp": true, "s3": true, "gs": true}

// ParseInput classifies one argument, dropped item or pasted line:
// "https://…" and the other schemes Cloudinary fetches are URLs; "file://"
// URIs, "~/…" and everything else are local paths. Surrounding quotes (as
// some file managers paste) are removed.
func ParseInput(s string) (Input, error) {
	raw := s
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	if s == "" {
		return Input{}, fmt.Errorf("%w: the line is empty", ErrBadInput)
	}
	if strings.ContainsRune(s, 0) {
		return Input{}, fmt.Errorf("%w: %q contains a NUL character", ErrBadInput, Redact(s))
	}
	if scheme, rest, ok := strings.Cut(s, ":"); ok && looksLikeScheme(scheme) {
		scheme = strings.ToLower(scheme)
		switch {
		case scheme == "cloudinary":
			return Input{}, cloudinaryURLError{}
		case scheme == "file":
			p, err := fileURIPath(s)
			if err != nil {
				return Input{}, err
			}
			return Input{Kind: LocalPath, Path: p, Raw: raw}, nil
		case scheme == "data":
			if !strings.Contains(rest, ",") {
				return Input{}, fmt.Errorf("%w: %.40q is a data URI without data", ErrBadInput, Redact(s))
			}
			return Input{Kind: RemoteURL, URL: s, Raw: raw}, nil
		case remoteSchemes[scheme]:
			u, err := url.Parse(s)
			if err != nil || u.Host == "" {
				return Input{}, fmt.Errorf("%w: %q is not a complete URL (it needs a host)", ErrBadInput, Redact(s))
			}
			return Input{Kind: RemoteURL, URL: s, Raw: raw}, nil
		case strings.HasPrefix(rest, "//") || notFileSchemes[scheme]:
			return Input{}, fmt.Errorf("%w: %q uses %s:, which Cloudinary cannot fetch; use an http(s) URL or a file", ErrBadInput, Redact(s), scheme)
		}
		// Otherwise it is a file name with a colon in it ("note: a.jpg").
	}
	p, err := localPath(s)
	if err != nil {
		return Input{}, err
	}
	return Input{Kind: LocalPath, Path: p, Raw: raw}, nil
}

// notFileSchemes are URIs people paste that are surely not files.
var notFileSchemes = map[string]bool{"mailto": true, "javascript": true, "tel": true, "about": true, "blob": true, "urn": true, "chrome": true, "sftp": true, "smb": true}

// looksLikeScheme tells "https:" from a Windows drive "C:" or a file name
// with a colon: schemes are two or more letters, digits, '+', '-' or '.'.
func looksLikeScheme(s string) bool {
	if len(s) < 2 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}

// fileURIPath reads a file:// URI (RFC 8089): percent-decoded, host empty
// or localhost, "/C:/…" as a Windows drive.
func fileURIPath(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%w: %q is not a valid file URI", ErrBadInput, Redact(s))
	}
	if u.Host != "" && !strings.EqualFold(u.Host, "localhost") {
		return "", fmt.Errorf("%w: %q names another machine (%s); copy the file here first", ErrBadInput, Redact(s), u.Host)
	}
	p := u.Path
	if p == "" {
		p = u.Opaque
	}
	if p == "" {
		return "", fmt.Errorf("%w: %q has no path", ErrBadInput, Redact(s))
	}
	if runtime.GOOS == "windows" && len(p) >= 3 && p[0] == '/' && p[2] == ':' {
		p = p[1:]
	}
	return localPath(filepath.FromSlash(p))
}

// localPath expands "~" and makes the path absolute.
func localPath(p string) (string, error) {
	if p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("%w: cannot expand ~ in %q: %v", ErrBadInput, p, err)
		}
		p = filepath.Join(home, p[1:])
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrBadInput, p, err)
	}
	return abs, nil
}

// ParseText reads pasted text: one URL or full path per line, blank lines
// and "#" comments (text/uri-list's convention) ignored. Lines that are
// neither (a sentence, a relative name) come back as problems, marked
// ErrNotAPathOrLink; the rest is still usable.
func ParseText(text string) ([]Input, []Problem) {
	var inputs []Input
	var problems []Problem
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	for line := range strings.SplitSeq(text, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		in, err := ParseInput(t)
		if err == nil && in.Kind == LocalPath && !pastedPath(t) {
			err = notAPathOrLinkError{line: Redact(t)}
		}
		if err != nil {
			problems = append(problems, Problem{Input: quotableInput(t, err), Err: err})
			continue
		}
		inputs = append(inputs, in)
	}
	return inputs, problems
}

// ErrNotAPathOrLink marks a pasted line that is neither a link nor a full
// path: a sentence copied by mistake. It also unwraps to ErrBadInput.
var ErrNotAPathOrLink = errors.New("neither a file path nor a link")

type notAPathOrLinkError struct{ line string }

func (e notAPathOrLinkError) Error() string {
	line := e.line
	if r := []rune(line); len(r) > 40 {
		line = string(r[:39]) + "…"
	}
	return fmt.Sprintf("%q is neither a file path nor a link; ignored", line)
}

func (notAPathOrLinkError) Is(target error) bool {
	return target == ErrBadInput || target == ErrNotAPathOrLink
}

// pastedPath tells a path copied from a file manager or a terminal from
// text: pasted into a window, a path only means something when it is full
// ("/…", "~/…", "C:\…", "\\server\…", "file://…"). A relative name would
// be resolved against the app's working folder, which the person pasting
// never chose, and a sentence would become a "file not found" row. Decided
// from the text alone: the paste handler must not wait on the disk.
func pastedPath(line string) bool {
	s := strings.TrimSpace(line)
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	switch {
	case strings.HasPrefix(s, "/"), s == "~", strings.HasPrefix(s, "~/"), strings.HasPrefix(s, `~\`), strings.HasPrefix(s, `\\`):
		return true
	case len(s) >= 3 && s[1] == ':' && (s[2] == '\\' || s[2] == '/') && (s[0]|0x20 >= 'a' && s[0]|0x20 <= 'z'):
		return true // a Windows drive
	case len(s) >= 5 && strings.EqualFold(s[:5], "file:"):
		return true
	}
	return false
}

// Problem is something skipped while expanding, with the reason: a symlink
// loop, an unreadable folder, a line of pasted text that is no path or URL.
// Problems do not stop an expansion.
type Problem struct {
	Input string // the input it came from
	Path  string // the file or folder concerned, if any
	Err   error
}

func (p Problem) Error() string {
	if p.Path != "" && !strings.Contains(p.Err.Error(), p.Path) {
		return p.Path + ": " + p.Err.Error()
	}
	return p.Err.Error()
}

// ErrSymlinkLoop marks a symlinked folder that points back to one of its
// own parents.
var ErrSymlinkLoop = errors.New("symlink loop")
