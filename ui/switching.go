package ui

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/effects"
	corelibrary "github.com/cloudup/cloudup/core/library"
	"github.com/cloudup/cloudup/core/teamsign"
	uilibrary "github.com/cloudup/cloudup/ui/library"
	"github.com/cloudup/cloudup/ui/preview"
	"github.com/cloudup/cloudup/ui/queue"
	"github.com/cloudup/cloudup/ui/style"
)

// envChoice is the switcher entry for CLOUDINARY_URL.
const envChoice = "CLOUDINARY_URL (environment)"

// Reload re-reads the profiles into the switcher. The profile in use stays
// (its session and queue with it) while it exists; at start, or when it
// was removed, the window picks one the way the CLI does: CLOUDINARY_URL
// when set, else the default profile.
// The store is read off the UI goroutine: a save in progress holds its
// lock through an fsync.
func (m *MainWindow) Reload() {
	profiles := m.deps.Profiles
	m.tasks.Go(func(context.Context) func() {
		list, err := profiles.List()
		def, defErr := profiles.Default()
		return func() { m.showProfiles(list, err, def, defErr) }
	})
}

// showProfiles fills the switcher and keeps or picks the current choice.
func (m *MainWindow) showProfiles(list []account.Profile, err error, def account.Profile, defErr error) {
	if err != nil {
		m.showProblem("Cannot read profiles: " + err.Error())
		return
	}
	var names []string
	env := strings.TrimSpace(m.deps.Getenv(account.EnvVar)) != ""
	if env {
		names = append(names, envChoice)
	}
	for _, p := range list {
		names = append(names, p.Name)
	}
	m.switcher.SetOptions(names)
	for name, s := range m.parked {
		if !contains(names, name) { // removed meanwhile
			delete(m.parked, name)
			m.discard(s)
		}
	}
	if m.current != "" && contains(names, m.current) {
		// Shown without OnChanged: the session in use stays open.
		m.switcher.Selected = m.current
		m.switcher.Refresh()
		return
	}
	choice := ""
	if env {
		choice = envChoice
	} else if defErr == nil {
		choice = def.Name
	}
	m.current = ""
	m.persist = false
	m.switcher.SetSelected(choice) // calls switchTo
	m.persist = true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// switchTo makes choice current: a stored profile also becomes the default,
// so the CLI and the next start agree with what the window shows.
func (m *MainWindow) switchTo(choice string) {
	if choice == "" || choice == m.current {
		return
	}
	m.open(choice, m.persist)
}

// reopen opens the current profile again, after Settings changed it. Its
// session is closed first, so the uploads it had not finished are in the
// journal for the new one to offer.
func (m *MainWindow) reopen() {
	if m.current == "" {
		return
	}
	if m.session != nil && unfinished(m.session) > 0 {
		m.replacing = m.session
		delete(m.resumeOffered, m.session.Profile().Name)
	}
	m.open(m.current, false)
}

// open resolves choice and opens its session off the UI goroutine, then
// hands it to the views. A session the profile left running in the
// background (unfinished uploads) is taken back instead of opening a
// second one, as long as the profile has not changed since.
func (m *MainWindow) open(choice string, persist bool) {
	m.current = choice
	name := choice
	if choice == envChoice {
		name = ""
	}
	persist = persist && name != ""
	m.summary.SetText("Opening " + choice + "…")
	m.upload.SetOpening(choice)
	m.library.SetOpening(choice)
	if choice == account.SandboxName {
		// Starting and seeding the sandbox takes a moment the first time.
		m.bannerText.Importance = widget.WarningImportance
		m.bannerBack.FillColor = withAlpha(theme.Color(theme.ColorNameWarning), style.BannerAlpha)
		m.bannerText.SetText("Sandbox: starting the local Cloudinary-compatible server… Uploads stay on this computer.")
		m.bannerAction.Hide()
		m.banner.Show()
		m.banner.Refresh()
	}
	parked, replacing := m.parked[choice], m.replacing
	m.replacing = nil
	resolver := &account.Resolver{Store: m.deps.Profiles, Keychain: m.deps.Keychain, Getenv: m.deps.Getenv}
	profiles := m.deps.Profiles
	m.tasks.Go(func(ctx context.Context) func() {
		if persist {
			if err := profiles.SetDefault(name); err != nil {
				return func() { m.showProblem("Cannot switch profiles: " + err.Error()) }
			}
		}
		if replacing != nil {
			m.sessions.close(replacing)
		}
		creds, err := resolver.Resolve(ctx, name)
		sess, why := m.openSession(ctx, &creds, err, parked)
		if sess != nil && creds.Profile.IsTeam() {
			// What the service said it signs for: shown, and kept, so a
			// later start works while the service is down.
			learnt := creds.Profile.Cloud == ""
			creds.Profile = sess.Profile()
			if learnt && name != "" {
				profiles.Put(creds.Profile)
			}
		}
		// The library signs share links with the secret (it keeps it in a
		// self-redacting account.Secret); the window itself only says
		// where the secret is.
		full := creds
		creds.Secret = ""
		return func() {
			if m.current != choice {
				if sess != parked {
					m.discard(sess) // the user moved on meanwhile
				}
				return
			}
			if parked != nil && m.parked[choice] == parked {
				delete(m.parked, choice)
				if sess != parked {
					// The profile changed while it worked in the background:
					// its unfinished uploads wait in the journal.
					m.discard(parked)
					delete(m.resumeOffered, choice)
				}
			}
			m.resolved = creds
			m.summary.SetText(summarize(creds, err))
			m.overview.show(creds, err)
			m.showBanner(creds, why)
			m.setSession(sess, full, why)
		}
	})
}

// openSession runs off the UI goroutine: it fetches the sandbox's
// credentials for the Sandbox profile and opens a session when the
// credentials allow one, or takes back parked when it serves the same
// profile. Without a session, why says what is missing.
func (m *MainWindow) openSession(ctx context.Context, creds *account.Credentials, resolveErr error, parked Session) (Session, error) {
	if resolveErr != nil {
		return nil, resolveErr
	}
	if creds.Profile.Sandbox {
		if m.deps.Sandbox == nil {
			return nil, errors.New("the embedded sandbox is not available in this build")
		}
		c, err := m.deps.Sandbox.Credentials(ctx, creds.Profile)
		if err != nil {
			return nil, err
		}
		noticeSandbox(m.deps.Sandbox)
		*creds = c
	}
	if err := creds.RequireSecret(); err != nil {
		return nil, err
	}
	if parked != nil && reflect.DeepEqual(parked.Profile(), creds.Profile.Normalized()) {
		return parked, nil
	}
	if m.deps.Open == nil {
		return nil, errors.New("uploads are not available in this build")
	}
	// A watched folder of this profile may have its session open already:
	// it is shared, so its uploads show in the queue (background.go).
	return m.sessions.acquire(creds.Profile.Normalized(), func() (Session, error) { return m.deps.Open(ctx, *creds) })
}

// discard closes a session the window will not use, off the UI goroutine.
func (m *MainWindow) discard(s Session) {
	if s == nil {
		return
	}
	m.tasks.Go(func(context.Context) func() {
		m.sessions.close(s)
		return nil
	})
}

// setSession hands s (or the reason there is none) to every view. The
// session it replaces is parked when its profile still has uploads to do
// (they go on, and come back into view when the user switches back),
// closed otherwise. Command-line inputs go to the first session;
// unfinished work from a previous run is offered once per profile.
func (m *MainWindow) setSession(s Session, creds account.Credentials, why error) {
	old, oldChoice := m.session, m.sessionChoice
	m.session, m.sessionChoice = s, m.current
	m.bindUpload(s, why)
	m.bindLibrary(s, creds)
	if h, ok := s.(historian); ok {
		// One journal holds every profile's history.
		m.history.SetSource(h.Journal())
	} else {
		m.history.SetSource(nil)
	}
	m.askTeam(s)
	m.libraryDone = uploadsDone(s)
	if old != nil && old != s {
		if unfinished(old) > 0 && oldChoice != m.current {
			m.parked[oldChoice] = old
		} else {
			m.discard(old)
		}
	}
	for name, p := range m.parked {
		if unfinished(p) == 0 { // its uploads ended in the background
			delete(m.parked, name)
			m.discard(p)
		}
	}
	m.sayParked()
	if s == nil {
		return
	}
	if len(m.inputs) > 0 {
		inputs := m.inputs
		m.inputs = nil
		m.Tabs.Select(m.uploadItem)
		m.upload.AddInputs(inputs)
	}
	m.offerResume(s)
}

// unfinished counts the rows of s a switch must not throw away: waiting,
// uploading or failed (Batch reads counters in memory).
func unfinished(s Session) int {
	if s == nil || s.Engine() == nil {
		return 0
	}
	b := s.Engine().Batch()
	return b.Queued + b.Active + b.Failed
}

// sayParked tells, above the queue, which other profiles still have
// uploads in the background.
func (m *MainWindow) sayParked() {
	var parts []string
	for name, s := range m.parked {
		parts = append(parts, fmt.Sprintf("%s (%d)", name, unfinished(s)))
	}
	if len(parts) == 0 {
		return
	}
	sort.Strings(parts)
	m.upload.ShowInfo("Unfinished uploads wait in " + strings.Join(parts, ", ") + ": those still queued go on in the background. Switch back to see them.")
}

// uploadsDone counts the session's finished uploads (Batch reads counters
// in memory: it never waits on the network or the disk).
func uploadsDone(s Session) int {
	if s == nil || s.Engine() == nil {
		return 0
	}
	return s.Engine().Batch().Done
}

// refreshLibraryIfStale reloads the Library when uploads finished since it
// last loaded, and says whether it did.
func (m *MainWindow) refreshLibraryIfStale() bool {
	if m.session == nil {
		return false
	}
	done := uploadsDone(m.session)
	if done == m.libraryDone {
		return false
	}
	m.libraryDone = done
	m.library.Refresh()
	return true
}

func (m *MainWindow) offerResume(s Session) {
	lister, ok := s.(unfinishedLister)
	name := s.Profile().Name
	if !ok || m.resumeOffered[name] {
		return
	}
	m.resumeOffered[name] = true
	m.tasks.Go(func(ctx context.Context) func() {
		names, err := lister.UnfinishedNames(ctx)
		if err != nil || len(names) == 0 {
			return nil
		}
		return func() {
			if m.session == s {
				m.upload.OfferResume(names)
			}
		}
	})
}

// bindUpload hands the Upload tab the session's engine, or says why there
// is none.
func (m *MainWindow) bindUpload(s Session, why error) {
	if s == nil {
		m.upload.SetUnavailable(why)
		return
	}
	// nil options: the engine's defaults, which the session took from the
	// profile (folder, tags, preset, public_id template). The client lists
	// folders and tags for the Details panel.
	m.upload.SetAccount(queue.WithCatalog(queue.AccountFrom(s.Engine(), nil), s.Client()))
}

// bindLibrary hands the Library tab (and its preview) the session's
// client, the thumbnail cache, the delivery host and the profile's link
// format; the secret only signs share links.
func (m *MainWindow) bindLibrary(s Session, creds account.Credentials) {
	if s == nil {
		m.library.SetAccount(nil)
		return
	}
	p := s.Profile()
	delivery, err := effects.DeliveryFor(p.Cloud, p.APIBase)
	if err != nil {
		m.library.SetAccount(nil)
		return
	}
	if m.thumbs == nil {
		// No shared cache was handed in: keep thumbnails in memory.
		if m.thumbs, err = corelibrary.NewThumbs(corelibrary.ThumbsConfig{}); err != nil {
			m.library.SetAccount(nil)
			return
		}
	}
	format, err := effects.ParseLinkFormat(string(p.LinkFormat))
	if err != nil {
		format = effects.LinkURL
	}
	var links preview.LinkSigner
	switch ls, ok := s.(linkSigner); {
	case ok:
		links = ls.SignedURL
	case !p.IsTeam() && !creds.Secret.IsZero():
		secret := creds.Secret
		links = func(_ context.Context, ref effects.Ref, tr string) (string, error) {
			return delivery.URL(ref, tr, secret.Reveal(), true)
		}
	}
	acct := uilibrary.AccountFrom(s.Client(), m.thumbs, delivery, links, format)
	m.library.StudioProfile = studioProfile(m.deps.Profiles, p)
	m.library.SetAccount(uilibrary.WithGrant(acct, func() *teamsign.Grant { return m.grant }))
}

// askTeam asks a team profile's service, off the UI goroutine, who the
// token belongs to and what the editor may do, for the Account tab and the
// views; a profile that holds its secret has nothing to ask.
func (m *MainWindow) askTeam(s Session) {
	m.grant = nil
	ts, ok := s.(teamSession)
	if !ok || ts.Team() == nil {
		m.overview.team(nil, nil)
		return
	}
	team := ts.Team()
	m.overview.team(nil, errAsking)
	m.tasks.Go(func(ctx context.Context) func() {
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		who, err := team.WhoAmI(ctx)
		return func() {
			if m.session != s {
				return
			}
			if err == nil {
				m.grant = &who.Grant
			}
			m.overview.team(who, err)
		}
	})
}
