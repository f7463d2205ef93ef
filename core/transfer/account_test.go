package transfer

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/sandbox"
)

// A batch of files already uploaded is confirmed on the account in a few
// Admin API calls (100 ids each), not one per file; the ones deleted there
// since are uploaded again instead of reported with a dead link.
func TestAlreadyUploadedIsConfirmedOnTheAccountInFewCalls(t *testing.T) {
	r := newRig(t, rigOptions{})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 230, 300, ".bin")
	e := r.engine(func(c *Config) { c.Concurrency = 8 })
	e.Add(itemsFor(paths)...)
	first := finish(t, e, 2*time.Minute)
	if n := len(byState(first)[Done]); n != 230 {
		t.Fatalf("first batch: %d done of 230 (%+v)", n, first.Batch)
	}
	gone := map[string]bool{}
	for _, it := range first.Items[:5] {
		if err := r.client.Destroy(context.Background(), cloud.Ref{PublicID: it.Asset.PublicID, ResourceType: it.Asset.ResourceType}, false); err != nil {
			t.Fatal(err)
		}
		gone[it.Path] = true
	}
	e.Close()

	before := r.sb.Stats().AdminCalls
	e2 := r.engine(func(c *Config) { c.Concurrency = 8 })
	e2.Add(itemsFor(paths)...)
	again := finish(t, e2, 2*time.Minute)
	for _, it := range again.Items {
		switch {
		case gone[it.Path] && it.State != Done:
			t.Errorf("%s was deleted on the account but is %s (%s)", it.Name, it.State, it.Words)
		case !gone[it.Path] && (it.State != Skipped || !strings.Contains(it.Words, "still on Cloudinary: http")):
			t.Errorf("%s is on the account but is %s (%s)", it.Name, it.State, it.Words)
		}
	}
	calls := r.sb.Stats().AdminCalls - before
	if calls != 3 || e2.AdminLookups() != 3 {
		t.Fatalf("confirming 230 files took %d Admin API calls (engine counted %d); want 3 (100 ids per call)", calls, e2.AdminLookups())
	}
	if st := r.sb.Stats(); st.Assets != 230 {
		t.Fatalf("the account holds %d assets, want 230", st.Assets)
	}
}

// The same profile name pointed at another cloud finds nothing of the first
// cloud's history: its files are uploaded there, not reported as skipped.
func TestDuplicatesAreKeyedOnTheAccountNotTheProfileName(t *testing.T) {
	r := newRig(t, rigOptions{})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 3, 500, ".bin")
	e := r.engine(nil)
	e.Add(itemsFor(paths)...)
	if n := len(byState(finish(t, e, time.Minute))[Done]); n != 3 {
		t.Fatalf("%d done", n)
	}

	other, err := sandbox.Start(context.Background(), sandbox.Config{Dir: filepath.Join(r.dir, "other"), Cloud: "another-cloud"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	c2, err := cloud.New(cloud.Config{Cloud: other.Cloud(), APIKey: other.APIKey(), Secret: cloud.Secret(other.APISecret()), APIBase: other.URL()})
	if err != nil {
		t.Fatal(err)
	}
	e2 := r.engine(func(c *Config) { c.Client = c2 }) // same profile name "test"
	e2.Add(itemsFor(paths)...)
	snap := finish(t, e2, time.Minute)
	if n := len(byState(snap)[Done]); n != 3 {
		t.Fatalf("on another cloud: %+v", snap.Batch)
	}
	if st := other.Stats(); st.Assets != 3 {
		t.Fatalf("the other cloud holds %d assets, want 3", st.Assets)
	}
}

// When the account cannot be asked (here: its Admin API budget is spent),
// a file is uploaded again rather than reported present on a guess.
func TestUnconfirmedDuplicateIsUploadedRatherThanSkipped(t *testing.T) {
	r := newRig(t, rigOptions{sandbox: sandbox.Config{Limits: sandbox.Limits{AdminCallsPerHour: 1}}})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 1, 500, ".bin")
	e := r.engine(nil)
	e.Add(itemsFor(paths)...)
	finish(t, e, time.Minute)
	// Spend the budget.
	if _, err := r.client.ResourcesByIDs(context.Background(), "raw", []string{"x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.client.ResourcesByIDs(context.Background(), "raw", []string{"x"}); err == nil {
		t.Fatal("the sandbox should refuse a second Admin call this hour")
	}
	e.Close()
	e2 := r.engine(nil)
	id := e2.Add(itemsFor(paths)...)[0]
	finish(t, e2, time.Minute)
	it, _ := e2.Item(id)
	if it.State != Done {
		t.Fatalf("unconfirmed duplicate: %s (%s)", it.State, it.Words)
	}
}

// A journal written before the account column opens and keeps its history;
// its rows (no account) are candidates for their own profile only; a journal
// from a newer Cloudup is refused in words.
func TestJournalFromSchemaOneOpensAndNewerIsRefused(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "journal.db")
	db, err := sql.Open("sqlite", "file:"+p)
	if err != nil {
		t.Fatal(err)
	}
	v1 := `CREATE TABLE history (id INTEGER PRIMARY KEY AUTOINCREMENT, item_id TEXT NOT NULL, profile TEXT NOT NULL,
		folder TEXT NOT NULL DEFAULT '', path TEXT NOT NULL DEFAULT '', url TEXT NOT NULL DEFAULT '', name TEXT NOT NULL DEFAULT '',
		size INTEGER NOT NULL DEFAULT 0, md5 TEXT NOT NULL DEFAULT '', public_id TEXT NOT NULL DEFAULT '',
		resource_type TEXT NOT NULL DEFAULT '', secure_url TEXT NOT NULL DEFAULT '', etag TEXT NOT NULL DEFAULT '',
		at_ns INTEGER NOT NULL, outcome TEXT NOT NULL, error TEXT NOT NULL DEFAULT '');
		CREATE INDEX history_duplicates ON history(profile, folder, md5, outcome);
		INSERT INTO history (item_id, profile, path, name, size, md5, public_id, secure_url, at_ns, outcome)
			VALUES ('old1', 'test', '/x/a.jpg', 'a.jpg', 10, 'abc', 'a', 'https://res.example/a.jpg', 1, 'done');
		PRAGMA user_version = 1;`
	if _, err := db.Exec(v1); err != nil {
		t.Fatal(err)
	}
	db.Close()

	j, err := OpenJournal(p)
	if err != nil {
		t.Fatalf("a schema 1 journal must open: %v", err)
	}
	hist, err := j.History(context.Background(), HistoryQuery{})
	if err != nil || len(hist) != 1 || hist[0].PublicID != "a" || hist[0].Account != "" {
		t.Fatalf("old history: %+v %v", hist, err)
	}
	// An old row has no account: it is a candidate for its own profile only
	// (the engine confirms it on the account before skipping anything).
	acct := "cloud\x00key\x00https://api.cloudinary.com"
	if h, err := j.FindDuplicate(context.Background(), acct, "test", "", "abc"); err != nil || h == nil || h.PublicID != "a" {
		t.Fatalf("an old row of this profile: %+v %v", h, err)
	}
	if h, err := j.FindDuplicate(context.Background(), acct, "other", "", "abc"); h != nil || err != nil {
		t.Fatalf("an old row of another profile must not be a candidate: %+v %v", h, err)
	}
	j.Close()

	db, _ = sql.Open("sqlite", "file:"+p)
	if _, err := db.Exec(`PRAGMA user_version = 9`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := OpenJournal(p); err == nil || !strings.Contains(err.Error(), "newer Cloudup") {
		t.Fatalf("a newer journal: %v", err)
	}
}

// A skipped file can be uploaded again on request: a new asset, the
// existing one untouched.
func TestSkippedFileUploadsAgainOnRequest(t *testing.T) {
	r := newRig(t, rigOptions{})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 1, 500, ".bin")
	e := r.engine(nil)
	e.Add(itemsFor(paths)...)
	first := finish(t, e, time.Minute).Items[0]
	id := e.Add(itemsFor(paths)...)[0]
	finish(t, e, time.Minute)
	if err := e.UploadAgain(first.ID); err == nil {
		t.Fatal("a done item cannot be uploaded again")
	}
	if it, _ := e.Item(id); it.State != Skipped {
		t.Fatalf("second add: %s (%s)", it.State, it.Words)
	}
	if err := e.UploadAgain(id); err != nil {
		t.Fatal(err)
	}
	finish(t, e, time.Minute)
	it, _ := e.Item(id)
	if it.State != Done || it.Asset == nil || it.Asset.PublicID == first.Asset.PublicID {
		t.Fatalf("uploaded again: %s (%s) %+v", it.State, it.Words, it.Asset)
	}
	if st := r.sb.Stats(); st.Assets != 2 {
		t.Fatalf("the account holds %d assets, want 2", st.Assets)
	}
}

// Items added together share one copy of their options (thirty thousand
// copies add up), taken when they are added: the caller changing its
// options afterwards, or one of them being uploaded again with Force, leaves
// the others as they were.
func TestItemsShareOptionsWithoutSharingChanges(t *testing.T) {
	r := newRig(t, rigOptions{})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 2, 500, ".bin")
	e := r.engine(nil)
	opts := &Options{Folder: "trips"}
	items := itemsFor(paths)
	for i := range items {
		items[i].Options = opts
	}
	ids := e.Add(items...)
	opts.Folder = "elsewhere"
	e.mu.Lock()
	shared := e.items[ids[0]].opts == e.items[ids[1]].opts
	e.mu.Unlock()
	if !shared {
		t.Error("two items added together keep two copies of the same options")
	}
	for _, st := range finish(t, e, time.Minute).Items {
		if st.State != Done || !strings.HasPrefix(st.Asset.PublicID, "trips/") {
			t.Fatalf("%s: %s (%s) %+v", st.Name, st.State, st.Words, st.Asset)
		}
	}
	opts.Folder = "trips"
	again := e.Add(items...)
	finish(t, e, time.Minute)
	if err := e.UploadAgain(again[0]); err != nil {
		t.Fatal(err)
	}
	finish(t, e, time.Minute)
	e.mu.Lock()
	forced, other := e.items[again[0]].options().Force, e.items[again[1]].options().Force
	e.mu.Unlock()
	if !forced || other {
		t.Fatalf("after uploading one again: forced %v, the other forced %v", forced, other)
	}
	if st, _ := e.Item(again[1]); st.State != Skipped {
		t.Fatalf("the other: %s (%s)", st.State, st.Words)
	}
}

// After an upgrade the history has no account on its rows: files uploaded
// before are confirmed on the account (same public id, same bytes) and
// skipped, not sent a second time, in one Admin call for the batch; the rows
// are then this account's. One deleted on the account since is uploaded;
// rows of another profile are not taken.
func TestHistoryFromBeforeAccountsIsConfirmedNotSentAgain(t *testing.T) {
	r := newRig(t, rigOptions{})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 6, 400, ".bin")
	e := r.engine(nil)
	e.Add(itemsFor(paths)...)
	first := finish(t, e, time.Minute)
	e.Close()
	if err := r.client.Destroy(context.Background(), cloud.Ref{PublicID: first.Items[0].Asset.PublicID, ResourceType: first.Items[0].Asset.ResourceType}, false); err != nil {
		t.Fatal(err)
	}
	// As a schema 1 journal left them: no account; two rows under another profile.
	if _, err := r.journal.db.Exec(`UPDATE history SET account = ''`); err != nil {
		t.Fatal(err)
	}
	if _, err := r.journal.db.Exec(`UPDATE history SET profile = 'elsewhere' WHERE path IN (?, ?)`, first.Items[4].Path, first.Items[5].Path); err != nil {
		t.Fatal(err)
	}

	before, assets := r.sb.Stats().AdminCalls, r.sb.Stats().Assets
	e2 := r.engine(nil)
	e2.Add(itemsFor(paths)...)
	again := finish(t, e2, time.Minute)
	states := map[string]State{}
	for _, it := range again.Items {
		states[it.Path] = it.State
	}
	for i, it := range first.Items {
		want := Skipped
		if i == 0 || i >= 4 {
			want = Done // deleted on the account; another profile's rows
		}
		if states[it.Path] != want {
			t.Errorf("%s: %s, want %s", it.Name, states[it.Path], want)
		}
	}
	if calls := r.sb.Stats().AdminCalls - before; calls != 1 {
		t.Errorf("confirming the batch took %d Admin calls, want 1", calls)
	}
	if added := r.sb.Stats().Assets - assets; added != 1 {
		t.Errorf("the account gained %d assets, want 1 (the deleted one; the others' ids exist)", added)
	}
	var adopted int
	if err := r.journal.db.QueryRow(`SELECT count(*) FROM history WHERE account = ? AND outcome = 'done' AND item_id IN (?, ?, ?)`,
		r.client.Account(), first.Items[1].ID, first.Items[2].ID, first.Items[3].ID).Scan(&adopted); err != nil || adopted != 3 {
		t.Errorf("%d confirmed old rows now name the account (%v), want 3", adopted, err)
	}
}
