package cloud_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
)

func TestCreateNamedTransformation(t *testing.T) {
	sb := sandboxtest.Start(t, sandbox.Config{})
	c := sandboxtest.Client(t, sb)
	ctx := context.Background()
	if err := c.CreateNamedTransformation(ctx, "warm", "e_sepia:30/f_auto,q_auto"); err != nil {
		t.Fatal(err)
	}
	err := c.CreateNamedTransformation(ctx, "warm", "e_sepia:40")
	var taken *cloud.NameTakenError
	if !errors.As(err, &taken) || !strings.Contains(err.Error(), "already has a transformation called t_warm") {
		t.Fatalf("a taken name: %v", err)
	}
	if err := c.CreateNamedTransformation(ctx, "no spaces", "e_sepia"); err == nil {
		t.Fatal("a name with a space was sent")
	}
	// The named chain delivers.
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 40, 30)))
	a, err := c.Upload(ctx, cloud.UploadRequest{ResourceType: "image", File: cloud.File{Name: "g.png", Data: bytes.NewReader(buf.Bytes()), Size: int64(buf.Len())}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(sb.URL() + "/" + sb.Cloud() + "/image/upload/t_warm/" + a.PublicID)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("t_warm: %s %s", resp.Status, resp.Header.Get("X-Cld-Error"))
	}
}
