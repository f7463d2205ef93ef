package watch

import (
	"strings"
	"testing"

	"github.com/cloudup/cloudup/core/transfer"
)

func TestFolderValidateSaysWhatToFix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f    Folder
		want string
	}{
		{Folder{Profile: "p"}, "choose the folder"},
		{Folder{Dir: "rel/dir", Profile: "p"}, "not a full path"},
		{Folder{Dir: "/x"}, "choose the profile"},
		{Folder{Dir: "/x", Profile: "p", PublicIDTemplate: "{nope}"}, "public ID template"},
		{Folder{Dir: "/x", Profile: "p", Exclude: []string{"[a"}}, "[a"},
		{Folder{Dir: "/x", Profile: "p", PublicIDTemplate: "{name}"}, ""},
	} {
		err := tc.f.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc.f, err, tc.want)
		}
	}
}

func TestFolderOptionsOverrideTheProfilesDefaultsOnlyWhereSet(t *testing.T) {
	t.Parallel()
	def := transfer.Options{Folder: "blog", Tags: []string{"a"}, PublicIDTemplate: "{name}", Preset: "p1"}
	got := Folder{Tags: []string{"shots"}}.Normalized().Options(def)
	if got.Folder != "blog" || strings.Join(got.Tags, ",") != "shots" || got.PublicIDTemplate != "{name}" || got.Preset != "p1" {
		t.Errorf("%+v", got)
	}
	got = Folder{Folder: "/screens/", PublicIDTemplate: "{name}-{md5:8}"}.Normalized().Options(def)
	if got.Folder != "screens" || strings.Join(got.Tags, ",") != "a" || got.PublicIDTemplate != "{name}-{md5:8}" {
		t.Errorf("%+v", got)
	}
	got.Tags[0] = "changed"
	if def.Tags[0] != "a" {
		t.Error("the profile's tags were shared, not copied")
	}
}
