package words

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/account"
	corecam "github.com/cloudup/cloudup/core/camera"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/library"
	"github.com/cloudup/cloudup/core/transfer"
)

// noEngineerTalk fails when a sentence for an editor carries what belongs in
// the details: commands, resolver output, raw byte counts, retry counters.
func noEngineerTalk(t *testing.T, what, text string) {
	t.Helper()
	for _, bad := range []string{"cloudup-cli", "--", "dial tcp", "lookup ", "attempts", "Got ", "Maximum is", "HTTP ", "(4", "(5", "it will be retried", "gave up"} {
		if strings.Contains(text, bad) {
			t.Errorf("%s: %q says %q", what, text, bad)
		}
	}
	if strings.Count(strings.TrimSuffix(text, "."), ". ") > 0 {
		t.Errorf("%s: %q is more than one sentence", what, text)
	}
}

func dnsFailure() error {
	return &cloud.NetworkError{Op: "upload", Err: &net.OpError{Op: "dial", Net: "tcp",
		Err: &net.DNSError{Err: "no such host", Name: "api.cloudinary.com", Server: "10.255.255.53:53"}}}
}

func TestNetworkFailureSaysCantReachCloudinaryAndOffersRetry(t *testing.T) {
	err := &transfer.GaveUpError{Attempts: 8, For: 99 * time.Second, Last: dnsFailure()}
	m := Failure(transfer.ItemStatus{State: transfer.Failed, Err: err})
	if m.Text != "Can't reach Cloudinary — check your connection." || m.Action != Retry {
		t.Errorf("message = %+v", m)
	}
	noEngineerTalk(t, "network", m.Text)
	// The details keep what an engineer needs, and no command.
	for _, want := range []string{"Tried 8 times over 1m39s", "network problem during upload", "lookup api.cloudinary.com"} {
		if !strings.Contains(strings.ToLower(m.Details), strings.ToLower(want)) {
			t.Errorf("details %q lack %q", m.Details, want)
		}
	}
	if strings.Contains(m.Details, "cloudup-cli") || strings.Contains(m.Details, "will be retried") {
		t.Errorf("details %q contradict themselves or name a command", m.Details)
	}
}

func TestRemoteURLNotFoundSaysSoAndNotTheCloudName(t *testing.T) {
	err := &cloud.SourceError{URL: "https://example.com/gone.jpg", NotFound: true, Err: &cloud.RequestError{Status: 404, Message: "Resource not found - https://example.com/gone.jpg"}}
	m := Failure(transfer.ItemStatus{State: transfer.Failed, URL: "https://example.com/gone.jpg", Err: err})
	if m.Text != "Nothing was found at this web address — check the link." || m.Action != Remove {
		t.Errorf("message = %+v", m)
	}
	if strings.Contains(m.Text, "cloud name") {
		t.Error("a missing source URL is blamed on the cloud name")
	}
	noEngineerTalk(t, "404 URL", m.Text)
}

func TestAccountLimitSaysTheFileSizeAsItsRowDoesAndDoesNotOfferRetry(t *testing.T) {
	err := &cloud.TooLargeError{RequestError: cloud.RequestError{Status: 400, Message: "File size too large. Got 151968510. Maximum is 104857600.", Kind: cloud.ErrTooLarge}, Size: 151968510, Limit: 104857600}
	m := Failure(transfer.ItemStatus{State: transfer.Failed, ResourceType: transfer.Video, BytesTotal: 151968510, Err: err})
	if m.Text != "152.0 MB is over this account's 100 MB limit for videos." {
		t.Errorf("text = %q", m.Text)
	}
	if m.Action == Retry {
		t.Error("Retry is offered for a file over the plan's limit")
	}
	noEngineerTalk(t, "limit", m.Text)
	if !strings.Contains(m.Details, "151968510") {
		t.Errorf("the details lost the server's words: %q", m.Details)
	}
}

func TestProfileLimitPointsToSettings(t *testing.T) {
	err := &transfer.RejectedError{Kind: transfer.ErrTooLarge, Size: 48_000_000, Limit: 20_000_000, Reason: "poster.tif is 48.0 MB, over this profile's 20.0 MB limit for images; shrink it or raise the limit in the profile"}
	m := Failure(transfer.ItemStatus{State: transfer.Failed, ResourceType: transfer.Image, Err: err})
	if m.Text != "48 MB is over this profile's 20 MB limit for images — raise it in Settings, or remove the file." || m.Action != OpenSettings {
		t.Errorf("message = %+v", m)
	}
	noEngineerTalk(t, "profile limit", m.Text)
}

func TestRetryingRowSaysWhenWithoutTheError(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	st := transfer.ItemStatus{State: transfer.Retrying, RetryAt: now.Add(3200 * time.Millisecond), Err: dnsFailure()}
	if got := Retrying(st, now); got != "Connection trouble — trying again in 4 s." {
		t.Errorf("retrying = %q", got)
	}
	st.Err = &cloud.ServerError{Status: 502, Message: "Bad Gateway"}
	st.RetryAt = now.Add(90 * time.Second)
	if got := Retrying(st, now); got != "Cloudinary had a problem — trying again in 2 min." {
		t.Errorf("retrying = %q", got)
	}
}

func TestEveryKindOfFailureHasOneSentenceAndOneAction(t *testing.T) {
	for _, tc := range []struct {
		err    error
		want   string
		action Action
	}{
		{&transfer.RejectedError{Kind: transfer.ErrNotFound, Reason: "a.jpg: file not found (/x/a.jpg); it was moved or deleted"}, "moved or deleted", Remove},
		{&transfer.RejectedError{Kind: transfer.ErrUnreadable, Reason: "cannot read /x: permission denied"}, "can't read this file", Retry},
		{&transfer.RejectedError{Kind: transfer.ErrEmpty, Reason: "empty"}, "is empty", Remove},
		{&transfer.RejectedError{Kind: transfer.ErrNotAFile, Reason: "folder"}, "not a photo or video", Remove},
		{&transfer.RejectedError{Kind: transfer.ErrFormatNotAllowed, Reason: "psd"}, "allow it in Settings", OpenSettings},
		{&transfer.RejectedError{Kind: transfer.ErrConflict, Reason: "x"}, "already has this name", OpenSettings},
		{&cloud.AuthError{Status: 401, Signature: true, Message: "Invalid Signature"}, "check the API secret and the signature algorithm", OpenSettings},
		{&cloud.AuthError{Status: 401, Message: "Unknown API key"}, "cloud name and API key", OpenSettings},
		{fmt.Errorf("%w: %w", transfer.ErrHalted, &cloud.AuthError{Status: 401, Signature: true}), "signature", OpenSettings},
		{&cloud.StaleError{Message: "Stale request"}, "clock is wrong", Retry},
		{&cloud.RateLimitedError{Status: 420, Message: "Rate Limit Exceeded"}, "try again later", Retry},
		{&transfer.GaveUpError{Attempts: 5, For: time.Minute, Last: &cloud.ServerError{Status: 500, Message: "General Error"}}, "problem on its side", Retry},
		{&cloud.RequestError{Status: 400, Message: "Upload preset not found", Kind: cloud.ErrPresetNotFound}, "no upload preset of that name", OpenSettings},
		{&cloud.RequestError{Status: 400, Message: "Invalid image file", Kind: cloud.ErrUnsupportedFile}, "can't read this file as a photo or video", Remove},
		{&cloud.RequestError{Status: 404, Message: "Not Found"}, "cloud name", OpenSettings},
		{cloud.ErrFileChanged, "changed while it was uploading", Retry},
		{cloud.ErrNeedsSecret, "API secret", OpenSettings},
		{fmt.Errorf("could not download the image: %w", &net.OpError{Op: "dial", Err: errors.New("connection refused")}), "Can't reach Cloudinary", Retry},
		{&library.FetchError{Status: 404, Reason: "Resource not found"}, "couldn't deliver this image", Retry},
		{&keychain.Error{Backend: "system keychain", Op: "read", Kind: keychain.ErrLocked, Reason: "locked"}, "keychain is locked", Retry},
		{&corecam.Error{Kind: corecam.ErrNoCamera, Device: "/dev/video0"}, "No camera found — connect one", NoAction},
		{&corecam.Error{Kind: corecam.ErrBusy}, "Another app is using the camera", Retry},
		{context.Canceled, "Stopped", Retry},
		{&cloud.PolicyError{Message: "you may upload to blog/ and news/ only"}, "You may upload to blog/ and news/ only.", Remove},
		{&cloud.TokenError{}, "no longer accepts your token", OpenSettings},
		{fmt.Errorf("%w: %w", transfer.ErrHalted, &cloud.TokenError{Message: "token revoked"}), "no longer accepts your token", OpenSettings},
		{errors.New("something nobody planned for"), "Something went wrong.", Retry},
	} {
		m := Error(tc.err)
		if !strings.Contains(m.Text, tc.want) || m.Action != tc.action {
			t.Errorf("Error(%T %v)\n = %q (%s), want %q (%s)", tc.err, tc.err, m.Text, m.Action.Label(), tc.want, tc.action.Label())
		}
		noEngineerTalk(t, fmt.Sprintf("%T", tc.err), m.Text)
		if m.Details == "" {
			t.Errorf("Error(%T) keeps no details", tc.err)
		}
	}
}

func TestUnavailableSaysWhatIsMissingWithoutACommand(t *testing.T) {
	m := Unavailable(&account.NoSecretError{Profile: "Work"})
	if m.Text != "No API secret is stored for Work — enter it in Settings." || m.Action != OpenSettings {
		t.Errorf("message = %+v", m)
	}
	noEngineerTalk(t, "no secret", m.Text)
	if !strings.Contains(m.Details, "cloudup-cli login") {
		t.Errorf("the details lost the CLI way: %q", m.Details)
	}
	if m := Unavailable(&account.NoSecretError{Profile: "Blog", Team: true}); !strings.Contains(m.Text, "No team token is stored for Blog") || m.Action != OpenSettings {
		t.Errorf("team = %+v", m)
	}
	m = Unavailable(&keychain.Error{Backend: "system keychain", Op: "read", Kind: keychain.ErrNoProvider, Reason: "no provider"})
	if !strings.Contains(m.Text, "no keychain Cloudup can use") {
		t.Errorf("keychain = %+v", m)
	}
}

func TestSizesAreRoundedTheWayPeopleReadThem(t *testing.T) {
	for n, want := range map[int64]string{104857600: "100 MB", 151968510: "145 MB", 5 << 20: "5 MB", 1572864: "1.5 MB", 2000: "less than 0.1 MB"} {
		if got := accountMB(n); got != want {
			t.Errorf("accountMB(%d) = %q, want %q", n, got, want)
		}
	}
	if got := profileMB(20_000_000); got != "20 MB" {
		t.Errorf("profileMB = %q", got)
	}
}
