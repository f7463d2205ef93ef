package sandbox

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// planUpload is pure: each row is an upload's parameters and file, and what
// Cloudinary would store or answer.
func TestPlanUpload(t *testing.T) {
	jpeg := media{kind: "image", format: "jpg", width: 800, height: 600}
	mp4 := media{kind: "video", format: "mp4", width: 640, height: 360, duration: 2}
	limits := Limits{}.withDefaults()
	unsignedPreset := &preset{Name: "ed", Unsigned: true, Settings: map[string]string{"folder": "blog", "tags": "a,b", "disallow_public_id": "true"}}
	rows := []struct {
		name     string
		rtPath   string
		params   string
		filename string
		size     int64
		m        media
		preset   *preset
		signed   bool
		check    func(t *testing.T, pl uploadPlan)
		wantErr  string
	}{
		{name: "defaults", rtPath: "auto", filename: "Beach Day.jpg", size: 1000, m: jpeg, signed: true,
			check: func(t *testing.T, pl uploadPlan) {
				if pl.rt != "image" || pl.typ != "upload" || !pl.overwrite || pl.original != "Beach Day" {
					t.Errorf("plan = %+v", pl)
				}
				if pl.publicID == "" || pl.displayName != pl.publicID {
					t.Errorf("public id %q display %q", pl.publicID, pl.displayName)
				}
			}},
		{name: "explicit id in folder with tags and context", rtPath: "image", params: "public_id=sea&folder=trips/&tags=x,y&context=alt=Sea|caption=&display_name=The sea",
			filename: "a.jpg", size: 10, m: jpeg, signed: true,
			check: func(t *testing.T, pl uploadPlan) {
				if pl.publicID != "trips/sea" || !reflect.DeepEqual(pl.tags, []string{"x", "y"}) || !reflect.DeepEqual(pl.custom, map[string]string{"alt": "Sea"}) || pl.displayName != "The sea" {
					t.Errorf("plan = %+v", pl)
				}
			}},
		{name: "unsigned preset supplies folder and tags, no overwrite", rtPath: "auto", filename: "a.jpg", size: 10, m: jpeg, preset: unsignedPreset,
			check: func(t *testing.T, pl uploadPlan) {
				if !strings.HasPrefix(pl.publicID, "blog/") || pl.overwrite || !reflect.DeepEqual(pl.tags, []string{"a", "b"}) {
					t.Errorf("plan = %+v", pl)
				}
			}},
		{name: "preset forbids public_id", rtPath: "auto", params: "public_id=x", filename: "a.jpg", size: 10, m: jpeg, preset: unsignedPreset, wantErr: "disallow_public_id"},
		{name: "image too large", rtPath: "auto", filename: "a.jpg", size: 11 << 20, m: jpeg, signed: true, wantErr: "File size too large. Got 11534336. Maximum is 10485760."},
		{name: "too many pixels", rtPath: "auto", filename: "a.jpg", size: 10, m: media{kind: "image", format: "jpg", width: 10000, height: 10000}, signed: true, wantErr: "Resolution too large"},
		{name: "video as image", rtPath: "image", filename: "a.mp4", size: 10, m: mp4, signed: true, wantErr: "Invalid image file"},
		{name: "video eager not parsed as image", rtPath: "video", params: "eager=w_100", filename: "a.mp4", size: 10, m: mp4, signed: true,
			check: func(t *testing.T, pl uploadPlan) {
				if pl.rt != "video" || !reflect.DeepEqual(pl.eager, []string{"w_100"}) {
					t.Errorf("plan = %+v", pl)
				}
			}},
		{name: "bad eager", rtPath: "image", params: "eager=w_abc", filename: "a.jpg", size: 10, m: jpeg, signed: true, wantErr: "Invalid eager transformation"},
		{name: "raw keeps extension", rtPath: "raw", params: "allowed_formats=pdf", filename: "notes.pdf", size: 10, m: jpeg, signed: true,
			check: func(t *testing.T, pl uploadPlan) {
				if pl.rt != "raw" || !strings.HasSuffix(pl.publicID, ".pdf") || pl.m.width != 0 {
					t.Errorf("plan = %+v", pl)
				}
			}},
		{name: "format not allowed", rtPath: "auto", params: "allowed_formats=png", filename: "a.jpg", size: 10, m: jpeg, signed: true, wantErr: "Image file format jpg not allowed"},
		{name: "jpeg spelling allowed", rtPath: "auto", params: "allowed_formats=jpeg", filename: "a.jpg", size: 10, m: jpeg, signed: true},
		{name: "bad type", rtPath: "auto", params: "type=public", filename: "a.jpg", size: 10, m: jpeg, signed: true, wantErr: "Invalid type parameter"},
		{name: "bad resource type", rtPath: "auto", params: "resource_type=audio", filename: "a.jpg", size: 10, m: jpeg, signed: true, wantErr: "Invalid resource_type"},
		{name: "bad overwrite", rtPath: "auto", params: "overwrite=maybe", filename: "a.jpg", size: 10, m: jpeg, signed: true, wantErr: "overwrite"},
		{name: "discard original name", rtPath: "auto", params: "discard_original_filename=true&use_filename_as_display_name=true", filename: "pic.jpg", size: 10, m: jpeg, signed: true,
			check: func(t *testing.T, pl uploadPlan) {
				if pl.original != "" || pl.displayName != "pic" {
					t.Errorf("plan = %+v", pl)
				}
			}},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			params, err := url.ParseQuery(row.params)
			if err != nil {
				t.Fatal(err)
			}
			in := uploadInput{params: params, access: access{signed: row.signed, preset: row.preset}, rtPath: row.rtPath, size: row.size, filename: row.filename}
			pl, err := planUpload(in, row.m, limits)
			if row.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), row.wantErr) {
					t.Fatalf("err = %v, want %q", err, row.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if row.check != nil {
				row.check(t, pl)
			}
		})
	}
}
