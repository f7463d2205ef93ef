package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
)

// seededSandbox runs an in-process sandbox holding n 16×16 colour images
// (public ids shots/s000…, every other one tagged "odd" or "even") and
// returns it with the CLOUDINARY_URL entry that points the binary at it.
func seededSandbox(t *testing.T, n int) (*sandbox.Server, string) {
	t.Helper()
	sb := sandboxtest.Start(t, sandbox.Config{})
	c := sandboxtest.Client(t, sb)
	img := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	for i := range 256 {
		img.Set(i%16, i/16, color.NRGBA{200, uint8(i), 40, 255})
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	for i := range n {
		tag := "even"
		if i%2 == 1 {
			tag = "odd"
		}
		if _, err := c.Upload(context.Background(), cloud.UploadRequest{
			File:   cloud.File{Name: "shot.png", Data: bytes.NewReader(buf.Bytes()), Size: int64(buf.Len())},
			Params: cloud.UploadParams{PublicID: fmt.Sprintf("s%03d", i), Folder: "shots", Tags: []string{tag}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	sb.ResetStats()
	return sb, "CLOUDINARY_URL=" + sb.CloudinaryURL()
}

func TestSearchPagesWithNextCursorUntilMax(t *testing.T) {
	sb, cu := seededSandbox(t, 30)
	h := newHarness(t)
	r := h.run("", []string{"search", "--json", "--max", "25", "--page-size", "10"}, cu)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 25 {
		t.Fatalf("%d lines, want 25:\n%s", len(lines), r.stdout)
	}
	if calls := sb.Requests(sandbox.EndpointAdminSearch); calls != 3 {
		t.Fatalf("25 assets in pages of 10 took %d Search API calls, want 3", calls)
	}
	seen := map[string]bool{}
	var prev cloud.Asset
	for i, line := range lines {
		var a cloud.Asset
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("line %d is not one JSON object: %v\n%s", i, err, line)
		}
		if seen[a.PublicID] || !strings.HasPrefix(a.PublicID, "shots/s") || len(a.Tags) != 1 || a.Width != 16 {
			t.Fatalf("line %d: %+v", i, a)
		}
		seen[a.PublicID] = true
		if i > 0 && a.CreatedAt.After(prev.CreatedAt) {
			t.Fatalf("%s is newer than %s before it", a.PublicID, prev.PublicID)
		}
		prev = a
	}
}

func TestSearchPrintsATableAndFiltersByExpression(t *testing.T) {
	_, cu := seededSandbox(t, 6)
	h := newHarness(t)
	r := h.run("", []string{"search", "--expression", "tags=odd"}, cu)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "PUBLIC ID") {
		t.Fatalf("want a header and 3 rows:\n%s", r.stdout)
	}
	for _, id := range []string{"shots/s001", "shots/s003", "shots/s005"} {
		if !strings.Contains(r.stdout, id) {
			t.Errorf("%s missing:\n%s", id, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "s000") || !strings.Contains(r.stdout, "16×16") {
		t.Errorf("table:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "3 of 3 matching assets, 1 Search API call") {
		t.Errorf("summary: %s", r.stderr)
	}
}

func TestSearchRejectsBadInputWithExitCode2(t *testing.T) {
	_, cu := seededSandbox(t, 1)
	h := newHarness(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"search", "--expression", "tags=(("}, "expression"},
		{[]string{"search", "--max", "-1"}, "--max"},
		{[]string{"search", "--page-size", "501"}, "500"},
		{[]string{"search", "cats"}, "--expression"},
	} {
		r := h.run("", tc.args, cu)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q (want 2 and one line about %s)", tc.args, r.code, r.stderr, tc.want)
		}
	}
	// No CLOUDINARY_URL and no profile: the built-in Sandbox profile is not
	// running in this process, and the error says what to do.
	r := h.run("", []string{"search"})
	if r.code != 2 || !strings.Contains(r.stderr, "cloudup-cli sandbox") {
		t.Errorf("no account: exit %d, %q", r.code, r.stderr)
	}
}

func TestURLBuildsADeliveryURLTheSandboxServesInGrayscale(t *testing.T) {
	_, cu := seededSandbox(t, 1)
	h := newHarness(t)
	r := h.run("", []string{"url", "--effect", "grayscale", "--transform", "w_8", "shots/s000"}, cu)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	link := strings.TrimSpace(r.stdout)
	if !strings.Contains(link, "/image/upload/e_grayscale/w_8/") || !strings.HasSuffix(link, "/shots/s000") {
		t.Fatalf("url %s", link)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %s", link, resp.Status)
	}
	img, _, err := image.Decode(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 8 {
		t.Fatalf("width %d, want 8", img.Bounds().Dx())
	}
	for y := range 8 {
		for x := range 8 {
			r, g, b, _ := img.At(x, y).RGBA()
			if r>>8 != g>>8 || g>>8 != b>>8 {
				t.Fatalf("pixel %d,%d is %d,%d,%d: not gray", x, y, r>>8, g>>8, b>>8)
			}
		}
	}
}

func TestURLFormatsSignsAndRejectsUnknownEffects(t *testing.T) {
	_, cu := seededSandbox(t, 0)
	h := newHarness(t)
	md := h.run("", []string{"url", "--format", "markdown", "--effect", "social", "blog/cover"}, cu)
	if md.code != 0 || !strings.HasPrefix(md.stdout, "![cover](http://127.0.0.1:") || !strings.Contains(md.stdout, "c_fill,g_auto,w_1200,h_630") {
		t.Fatalf("markdown: %d %q %q", md.code, md.stdout, md.stderr)
	}
	html := h.run("", []string{"url", "--format", "html", "--resource-type", "video", "clip"}, cu)
	if html.code != 0 || !strings.HasPrefix(html.stdout, `<video src="http://127.0.0.1:`) {
		t.Fatalf("html: %d %q %q", html.code, html.stdout, html.stderr)
	}
	signed := h.run("", []string{"url", "--signed", "--effect", "sepia", "blog/cover"}, cu)
	if signed.code != 0 || !strings.Contains(signed.stdout, "/image/upload/s--") {
		t.Fatalf("signed: %d %q %q", signed.code, signed.stdout, signed.stderr)
	}
	bad := h.run("", []string{"url", "--effect", "sparkle", "x"}, cu)
	if bad.code != 2 || !strings.Contains(bad.stderr, "grayscale") || !strings.Contains(bad.stderr, "background-removal") {
		t.Fatalf("unknown effect: exit %d, %q", bad.code, bad.stderr)
	}
	for _, args := range [][]string{{"url"}, {"url", "a", "b"}, {"url", "--format", "pdf", "x"}, {"url", "--resource-type", "doc", "x"}} {
		if r := h.run("", args, cu); r.code != 2 {
			t.Errorf("%v: exit %d, want 2", args, r.code)
		}
	}
}
