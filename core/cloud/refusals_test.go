package cloud_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
)

// Refusals people can act on come back typed, read from what a real
// (sandbox) server answers.

func TestOverThePlansLimitIsATooLargeErrorWithBothSizes(t *testing.T) {
	sb := sandboxtest.Start(t, sandbox.Config{Limits: sandbox.Limits{MaxImageBytes: 1000, MaxVideoBytes: -1, MaxRawBytes: -1, MaxRequestBytes: -1, MaxDataURIBytes: -1}})
	c := sandboxtest.Client(t, sb)
	data := noisyJPEG(t)
	_, err := c.Upload(context.Background(), cloud.UploadRequest{ResourceType: "image", File: cloud.File{Name: "big.jpg", Data: bytes.NewReader(data), Size: int64(len(data))}})
	var tl *cloud.TooLargeError
	if !errors.As(err, &tl) || !errors.Is(err, cloud.ErrTooLarge) {
		t.Fatalf("got %T %v, want a *TooLargeError", err, err)
	}
	if tl.Size != int64(len(data)) || tl.Limit != 1000 || cloud.Retryable(err) {
		t.Errorf("size %d, limit %d, retryable %v; want %d over 1000, not retryable", tl.Size, tl.Limit, cloud.Retryable(err), len(data))
	}
	var re *cloud.RequestError
	if !errors.As(err, &re) || re.Status != 400 {
		t.Errorf("a TooLargeError is not a 400 *RequestError too: %v", err)
	}
}

// noisyJPEG is a real JPEG of a few kilobytes.
func noisyJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7919 % 251)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestARemoteURLThatAnswers404IsASourceErrorNotTheAccounts(t *testing.T) {
	missing := httptest.NewServer(http.NotFoundHandler())
	defer missing.Close()
	c := sandboxtest.Client(t, sandboxtest.Start(t, sandbox.Config{}))
	_, err := c.UploadRemote(context.Background(), missing.URL+"/gone.jpg?token=abc123", "auto", cloud.UploadParams{})
	var se *cloud.SourceError
	if !errors.As(err, &se) || !se.NotFound || !errors.Is(err, cloud.ErrSourceNotFound) {
		t.Fatalf("got %T %v, want a SourceError saying not found", err, err)
	}
	if bytes.Contains([]byte(err.Error()), []byte("abc123")) {
		t.Errorf("the error quotes the URL's query: %v", err)
	}
}

func TestAnUnknownPresetIsErrPresetNotFound(t *testing.T) {
	sb := sandboxtest.Start(t, sandbox.Config{})
	c := sandboxtest.Client(t, sb)
	data := []byte("GIF89a")
	_, err := c.Upload(context.Background(), cloud.UploadRequest{File: cloud.File{Name: "a.gif", Data: bytes.NewReader(data), Size: int64(len(data))},
		Params: cloud.UploadParams{UploadPreset: "no-such-preset"}})
	if !errors.Is(err, cloud.ErrPresetNotFound) {
		t.Fatalf("got %T %v, want ErrPresetNotFound", err, err)
	}
}
