package queue

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/cloudup/cloudup/core/clipboard"
)

func TestPasteOfASentenceIsIgnoredWithANoticeNotQueuedAsAMissingFile(t *testing.T) {
	h := newHarness(t, true)
	h.v.readClipboardImage = func(context.Context) (clipboard.Image, error) { return clipboard.Image{}, clipboard.ErrNoImage }
	fyne.CurrentApp().Clipboard().SetContent("Can you upload the photos from yesterday?")
	h.v.Paste()
	h.settle()
	if n := h.v.Len(); n != 0 {
		t.Fatalf("%d rows: a sentence was queued", n)
	}
	if n := h.v.Notice(); !strings.Contains(n, "is neither a file path nor a link") || strings.Count(n, "\n") > 0 {
		t.Errorf("notice = %q", n)
	}
}
