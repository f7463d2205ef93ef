package sandbox

import (
	"context"
	"strings"
	"testing"

	"github.com/cloudinary/cloudinary-go/v2/api/admin"
	"github.com/cloudinary/cloudinary-go/v2/api/uploader"
)

// The official SDK saves a named transformation; t_NAME delivers exactly
// what the chain it names delivers, and survives a restart.
func TestNamedTransformationsThroughTheSDK(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := startSandbox(t, Config{Dir: dir})
	cld := sdk(t, s)
	if _, err := cld.Upload.Upload(ctx, writeFile(t, "p.jpg", jpegBytes(t, 900, 600)), uploader.UploadParams{PublicID: "p"}); err != nil {
		t.Fatal(err)
	}
	res, err := cld.Admin.CreateTransformation(ctx, admin.CreateTransformationParams{Name: "warm_card", Transformation: "c_fill,g_auto,w_600,h_315/e_sepia:40"})
	if err != nil || res.Error.Message != "" || res.Message != "created" {
		t.Fatalf("create: %v %+v", err, res)
	}
	again, _ := cld.Admin.CreateTransformation(ctx, admin.CreateTransformationParams{Name: "warm_card", Transformation: "e_sepia"})
	if !strings.Contains(again.Error.Message, "already exists") {
		t.Errorf("a second warm_card: %+v", again)
	}
	bad, _ := cld.Admin.CreateTransformation(ctx, admin.CreateTransformationParams{Name: "bad", Transformation: "e_nonsense"})
	if !strings.Contains(bad.Error.Message, "Invalid") {
		t.Errorf("an invalid chain was saved: %+v", bad)
	}
	list, err := cld.Admin.ListTransformations(ctx, admin.ListTransformationsParams{})
	if err != nil || len(list.Transformations) != 1 || list.Transformations[0].Name != "t_warm_card" || !list.Transformations[0].Named {
		t.Fatalf("list: %v %+v", err, list)
	}
	base := s.URL() + "/" + s.Cloud() + "/image/upload/"
	code, _, named := get(t, base+"t_warm_card/p.jpg")
	code2, _, direct := get(t, base+"c_fill,g_auto,w_600,h_315/e_sepia:40/p.jpg")
	if code != 200 || code2 != 200 || string(named) != string(direct) {
		t.Fatalf("t_warm_card: %d, direct %d, same bytes %v", code, code2, string(named) == string(direct))
	}
	if img, _ := decodeImage(t, named); img.Bounds().Dx() != 600 || img.Bounds().Dy() != 315 {
		t.Errorf("t_warm_card is %v", img.Bounds())
	}
	code, hdr, _ := get(t, base+"t_nope/p.jpg")
	if code != 400 || !strings.Contains(hdr.Get("x-cld-error"), "t_nope") {
		t.Errorf("unknown t_: %d %q", code, hdr.Get("x-cld-error"))
	}

	s.Close()
	s = startSandbox(t, Config{Dir: dir})
	cld = sdk(t, s)
	got, err := cld.Admin.GetTransformation(ctx, admin.GetTransformationParams{Transformation: "t_warm_card"})
	if err != nil || got.Name != "t_warm_card" {
		t.Fatalf("after a restart: %v %+v", err, got)
	}
	del, err := cld.Admin.DeleteTransformation(ctx, admin.DeleteTransformationParams{Transformation: "t_warm_card"})
	if err != nil || del.Message != "deleted" {
		t.Fatalf("delete: %v %+v", err, del)
	}
}
