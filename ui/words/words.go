// Package words is what the window says when something goes wrong: for each
// kind of failure core reports (by its typed errors, through errors.Is and
// errors.As, never by reading error strings), one plain sentence an editor
// can act on, the one action that can help, and the technical details for
// whoever asks. No CLI command, resolver output or byte count reaches the
// sentence; the details keep them.
//
// It holds no state and touches no widget: views call it and show the
// Message as they see fit.
package words

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/cloudup/cloudup/core/account"
	corecam "github.com/cloudup/cloudup/core/camera"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/effects"
	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/library"
	"github.com/cloudup/cloudup/core/session"
	"github.com/cloudup/cloudup/core/transfer"
)

// Action is the one thing that can help, as a button offers it.
type Action int

const (
	// NoAction: nothing in the window can help (or nothing is needed).
	NoAction Action = iota
	// Retry: sending it again can work (after the sentence's advice).
	Retry
	// Remove: this item cannot go as it is; take it out of the queue.
	Remove
	// OpenSettings: the profile must change (secret, limits, preset).
	OpenSettings
)

// Label is the action's button text.
func (a Action) Label() string {
	switch a {
	case Retry:
		return "Retry"
	case Remove:
		return "Remove"
	case OpenSettings:
		return "Open Settings"
	}
	return ""
}

// Message is what the window says about one failure.
type Message struct {
	// Text is one plain sentence: what happened, and what to do when the
	// action alone does not say it.
	Text string
	// Action is the one thing that can help.
	Action Action
	// Details is the technical account, shown on demand.
	Details string
}

// cantReach is the sentence for every network failure.
const cantReach = "Can't reach Cloudinary — check your connection."

// Failure words a failed upload (a queue row): st gives the file's kind and
// size for the limits.
func Failure(st transfer.ItemStatus) Message {
	err := st.Err
	if err == nil {
		return Message{Text: "The upload failed.", Action: Retry}
	}
	m := Error(err)
	var rej *transfer.RejectedError
	var tl *cloud.TooLargeError
	switch {
	case errors.As(err, &tl):
		size := tl.Size
		if size == 0 {
			size = st.BytesTotal
		}
		if size > 0 {
			m.Text = fmt.Sprintf("%s is over this account's %s limit for %s.", transfer.HumanBytes(size), accountMB(tl.Limit), kindPlural(st.ResourceType))
		} else {
			m.Text = fmt.Sprintf("The file is over this account's %s limit for %s.", accountMB(tl.Limit), kindPlural(st.ResourceType))
		}
	case errors.As(err, &rej) && errors.Is(err, transfer.ErrTooLarge) && rej.Limit > 0:
		m.Text = fmt.Sprintf("%s is over this profile's %s limit for %s — raise it in Settings, or remove the file.", profileMB(rej.Size), profileMB(rej.Limit), kindPlural(st.ResourceType))
	case errors.Is(err, transfer.ErrFormatNotAllowed) && st.Format != "":
		m.Text = fmt.Sprintf("This profile does not take %s files — allow them in Settings, or remove the file.", strings.ToUpper(st.Format))
	}
	return m
}

// Retrying words a row that waits before trying again.
func Retrying(st transfer.ItemStatus, now time.Time) string {
	wait := ""
	if !st.RetryAt.IsZero() {
		if d := st.RetryAt.Sub(now); d > 0 {
			wait = " in " + roundWait(d)
		}
	}
	var rl *cloud.RateLimitedError
	switch {
	case st.Err == nil, errors.As(st.Err, &rl):
		return "Cloudinary asked to slow down — trying again" + wait + "."
	case network(st.Err):
		return "Connection trouble — trying again" + wait + "."
	}
	return "Cloudinary had a problem — trying again" + wait + "."
}

func roundWait(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d s", int(math.Ceil(d.Seconds())))
	}
	return fmt.Sprintf("%d min", int(math.Ceil(d.Minutes())))
}

// Error words any failure: an upload, a library search, a thumbnail, a
// delete, a keychain or camera call.
func Error(err error) Message {
	if err == nil {
		return Message{}
	}
	m := Message{Details: Details(err)}
	var (
		auth   *cloud.AuthError
		policy *cloud.PolicyError
		inval  *cloud.InvalidRequestError
		rl     *cloud.RateLimitedError
		stale  *cloud.StaleError
		src    *cloud.SourceError
		req    *cloud.RequestError
		fetch  *library.FetchError
		kerr   *keychain.Error
	)
	switch {
	case errors.Is(err, context.Canceled):
		m.Text, m.Action = "Stopped before it finished.", Retry

	// The file itself, before anything was sent.
	case errors.Is(err, transfer.ErrNotFound):
		m.Text, m.Action = "The file was moved or deleted — put it back and retry, or remove it.", Remove
	case errors.Is(err, transfer.ErrUnreadable):
		m.Text, m.Action = "Cloudup can't read this file — check that you may open it, then retry.", Retry
	case errors.Is(err, transfer.ErrNotAFile):
		m.Text, m.Action = "This is a folder or a special file, not a photo or video — add a folder with Add folder.", Remove
	case errors.Is(err, transfer.ErrEmpty):
		m.Text, m.Action = "The file is empty: there is nothing to upload.", Remove
	case errors.Is(err, transfer.ErrTooLarge):
		m.Text, m.Action = "The file is over this profile's size limit — raise it in Settings, or remove the file.", OpenSettings
	case errors.Is(err, transfer.ErrFormatNotAllowed):
		m.Text, m.Action = "This profile does not take this kind of file — allow it in Settings, or remove the file.", OpenSettings
	case errors.Is(err, transfer.ErrTooManyFiles):
		m.Text, m.Action = "More files than this profile takes in one batch — upload the rest afterwards, or raise the limit in Settings.", Retry
	case errors.Is(err, transfer.ErrConflict):
		m.Text, m.Action = "Another file on Cloudinary already has this name (public ID) — choose a public ID pattern in Settings that tells them apart.", OpenSettings
	case errors.Is(err, transfer.ErrMismatch), errors.Is(err, cloud.ErrFileChanged):
		m.Text, m.Action = "The file changed while it was uploading — retry once it is saved.", Retry
	case errors.Is(err, transfer.ErrBadTemplate):
		m.Text, m.Action = "The profile's public ID pattern is not valid — fix it in Settings.", OpenSettings

	// What the team signing service said: its refusals are written for
	// the editor already.
	case errors.As(err, &policy):
		m.Text, m.Action = sentence(policy.Message), Remove
	case errors.Is(err, cloud.ErrTokenRejected):
		m.Text, m.Action = "The team signing service no longer accepts your token — ask the account owner for a new one and enter it in Settings.", OpenSettings
	case errors.As(err, &inval):
		m.Text, m.Action = sentence(inval.Message), NoAction

	// What the account said.
	case errors.As(err, &auth) && auth.Signature, errors.Is(err, cloud.ErrInvalidSignature):
		m.Text, m.Action = "Cloudinary did not accept the signature — check the API secret and the signature algorithm in Settings.", OpenSettings
	case errors.As(err, &auth), errors.Is(err, cloud.ErrUnauthorized):
		m.Text, m.Action = "Cloudinary did not accept this cloud name and API key — check them in Settings.", OpenSettings
	case errors.Is(err, cloud.ErrNeedsSecret), errors.Is(err, effects.ErrSecretNeeded):
		m.Text, m.Action = "This needs the account's API secret, and the profile has none — add it in Settings.", OpenSettings
	case errors.As(err, &stale), errors.Is(err, cloud.ErrStale):
		m.Text, m.Action = "This computer's clock is wrong, so Cloudinary refused the request — set the clock right, then retry.", Retry
	case errors.As(err, &rl):
		m.Text, m.Action = "Cloudinary is limiting this account's requests for now — try again later.", Retry
		if !rl.RetryAt.IsZero() {
			m.Text = "Cloudinary is limiting this account's requests — try again after " + rl.RetryAt.Local().Format("15:04") + "."
		}
	case errors.As(err, &src):
		if src.NotFound {
			m.Text, m.Action = "Nothing was found at this web address — check the link.", Remove
		} else {
			m.Text, m.Action = "Cloudinary couldn't download this web address — check that it opens in a browser.", Remove
		}
	case errors.Is(err, cloud.ErrTooLarge):
		m.Text, m.Action = "The file is over this account's size limit for its type — make it smaller, or remove it.", Remove
	case errors.Is(err, cloud.ErrPresetNotFound):
		m.Text, m.Action = "Cloudinary has no upload preset of that name — check the preset in Settings.", OpenSettings
	case errors.Is(err, cloud.ErrUnsignedNotAllowed):
		m.Text, m.Action = "This upload preset is not set to Unsigned in the Cloudinary console — change it there, or sign with the API secret.", OpenSettings
	case errors.Is(err, cloud.ErrUnsupportedFile):
		m.Text, m.Action = "Cloudinary can't read this file as a photo or video.", Remove
	case errors.Is(err, transfer.ErrHalted):
		m.Text, m.Action = "The batch stopped because Cloudinary refused the account — check Settings, then retry.", OpenSettings

	// The way there.
	case network(err):
		m.Text, m.Action = cantReach, Retry
	case errors.Is(err, transfer.ErrGaveUp), server(err):
		m.Text, m.Action = "Cloudinary had a problem on its side — try again in a few minutes.", Retry
	case errors.As(err, &fetch):
		m.Text, m.Action = "Cloudinary couldn't deliver this image.", Retry
	case errors.As(err, &req) && req.Status == 404:
		m.Text, m.Action = "Cloudinary doesn't know this cloud name — check it and the API base URL in Settings.", OpenSettings
	case errors.As(err, &req) && req.Status == 403:
		m.Text, m.Action = "This Cloudinary account does not allow that.", NoAction
	case errors.As(err, &req):
		m.Text, m.Action = "Cloudinary refused this request.", Remove

	// This computer.
	case errors.As(err, &kerr) || errors.Is(err, keychain.ErrUnavailable):
		m.Text, m.Action = keychainWords(err), Retry
	case errors.Is(err, corecam.ErrNoCamera):
		m.Text, m.Action = "No camera found — connect one, then open the camera again.", NoAction
	case errors.Is(err, corecam.ErrBusy):
		m.Text, m.Action = "Another app is using the camera — close it, then try again.", Retry
	case errors.Is(err, corecam.ErrPermissionDenied):
		m.Text, m.Action = "Cloudup may not use the camera — allow it in the system's privacy settings.", NoAction
	default:
		m.Text, m.Action = unknown, Retry
	}
	return m
}

// unknown is the sentence for a failure no case above recognises.
const unknown = "Something went wrong."

// Say is Error's sentence for the failures it knows, and otherwise err's
// own words: for packages that already word their errors for people (file
// walks, cameras, the clipboard), saying "something went wrong" would
// only hide what they said.
func Say(err error) string {
	if m := Error(err); m.Text != unknown {
		return m.Text
	}
	return Details(err)
}

// Unavailable words why a profile cannot upload: the banner and the Upload
// tab say it.
func Unavailable(err error) Message {
	var ns *account.NoSecretError
	switch {
	case errors.As(err, &ns) && ns.Team:
		return Message{Text: "No team token is stored for " + ns.Profile + " — paste the one the account owner gave you in Settings.", Action: OpenSettings, Details: Details(err)}
	case errors.As(err, &ns) && ns.Sandbox:
		return Message{Text: "The built-in sandbox is not running here — choose another profile.", Details: Details(err)}
	case errors.As(err, &ns):
		return Message{Text: "No API secret is stored for " + ns.Profile + " — enter it in Settings.", Action: OpenSettings, Details: Details(err)}
	case errors.Is(err, session.ErrSandboxClosed):
		return Message{Text: "The built-in sandbox has stopped — restart Cloudup to use it again.", Details: Details(err)}
	case errors.Is(err, account.ErrProfileNotFound):
		return Message{Text: "This profile no longer exists — choose another one.", Details: Details(err)}
	case errors.Is(err, account.ErrMalformedURL):
		return Message{Text: "CLOUDINARY_URL is set but not valid — fix it, or choose a profile.", Details: Details(err)}
	}
	m := Error(err)
	if m.Text == unknown {
		m.Text = "This profile can't be opened."
	}
	return m
}

// Unreachable reports a failure to reach Cloudinary at all (the network,
// or its servers): the Account tab's last contact counts these.
func Unreachable(err error) bool { return network(err) || server(err) }

// Refused reports that the account refused the credentials (or the
// request's signature or clock).
func Refused(err error) bool {
	var auth *cloud.AuthError
	return errors.As(err, &auth) || errors.Is(err, cloud.ErrStale) || errors.Is(err, cloud.ErrNeedsSecret) || errors.Is(err, cloud.ErrTokenRejected)
}

// network reports failures to reach the server at all.
func network(err error) bool {
	var (
		ne  *cloud.NetworkError
		ue  *url.Error
		ner net.Error
	)
	var gu *transfer.GaveUpError
	if errors.As(err, &gu) {
		return network(gu.Last)
	}
	return errors.As(err, &ne) || errors.Is(err, cloud.ErrStalled) || errors.As(err, &ue) || errors.As(err, &ner)
}

// server reports failures on Cloudinary's side.
func server(err error) bool {
	var se *cloud.ServerError
	return errors.As(err, &se)
}

func keychainWords(err error) string {
	switch {
	case errors.Is(err, keychain.ErrLocked):
		return "The system keychain is locked — unlock it (log in again, or open your keyring app), then retry."
	case errors.Is(err, keychain.ErrTimeout):
		return "The system keychain did not answer — answer its unlock prompt, then retry."
	case errors.Is(err, keychain.ErrNoSessionBus), errors.Is(err, keychain.ErrNoProvider), errors.Is(err, keychain.ErrNoKeyring):
		return "This computer has no keychain Cloudup can use — start your desktop's keyring (GNOME Keyring, KWallet or KeePassXC)."
	}
	return "The system keychain could not be used — retry, or restart your session."
}

// Details is the technical account of err, built from its typed parts so
// that it reads in order: what was tried, and what the far side said. It is
// shown only when asked for.
func Details(err error) string {
	if err == nil {
		return ""
	}
	var (
		gu *transfer.GaveUpError
		ne *cloud.NetworkError
	)
	switch {
	case errors.As(err, &gu):
		return fmt.Sprintf("Tried %s over %s. The last attempt: %s", plural(gu.Attempts, "time", "times"), gu.For.Round(time.Second), Details(gu.Last))
	case errors.As(err, &ne):
		return fmt.Sprintf("Network problem during %s: %v", ne.Op, ne.Err)
	}
	return capitalize(err.Error())
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// sentence makes a message a sentence: a capital first, a stop last.
func sentence(s string) string {
	s = capitalize(strings.TrimSpace(s))
	if s != "" && !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// kindPlural names the kind of file for a limit: "videos".
func kindPlural(resourceType string) string {
	switch resourceType {
	case transfer.Image:
		return "images"
	case transfer.Video:
		return "videos"
	case transfer.Raw:
		return "other files"
	}
	return "this kind of file"
}

// accountMB writes a limit the way Cloudinary states its plans' limits
// (104,857,600 bytes is its "100 MB"). The file's own size is written as
// its row writes it (1 MB is 1,000,000 bytes): a row saying 23.5 MB and its
// message saying 22 MB read as two different files.
func accountMB(n int64) string { return mb(float64(n) / (1 << 20)) }

// profileMB writes a size the way Settings takes limits (1 MB is
// 1,000,000 bytes).
func profileMB(n int64) string { return mb(float64(n) / 1e6) }

func mb(v float64) string {
	switch {
	case v >= 10:
		return fmt.Sprintf("%.0f MB", math.Round(v))
	case v >= 0.1:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0") + " MB"
	}
	return "less than 0.1 MB"
}
