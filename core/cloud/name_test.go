package cloud

import "testing"

func TestNameIsWhatAPersonGaveIt(t *testing.T) {
	cases := []struct {
		a    Asset
		want string
	}{
		{Asset{PublicID: "x/3ksfxicpopd6rcntganv", DisplayName: "Summer campaign", OriginalFilename: "summer-campaign-team", Format: "jpg"}, "Summer campaign"},
		{Asset{PublicID: "x/3ksfxicpopd6rcntganv", OriginalFilename: "summer-campaign-team", Format: "jpg"}, "summer-campaign-team.jpg"},
		{Asset{PublicID: "x/3ksfxicpopd6rcntganv", DisplayName: "  ", Format: "jpg"}, "3ksfxicpopd6rcntganv"},
		{Asset{PublicID: "x/3ksfxicpopd6rcntganv", DisplayName: "3ksfxicpopd6rcntganv", OriginalFilename: "summer-campaign-team", Format: "jpg"}, "summer-campaign-team.jpg"},
		{Asset{PublicID: "x/summer", DisplayName: "summer"}, "summer"},
		{Asset{PublicID: "notes.txt", OriginalFilename: "notes.txt", ResourceType: "raw"}, "notes.txt"},
	}
	for _, c := range cases {
		if got := c.a.Name(); got != c.want {
			t.Errorf("%+v: Name() = %q, want %q", c.a, got, c.want)
		}
	}
}

func TestFolderPathPrefersAssetFolder(t *testing.T) {
	for a, want := range map[*Asset]string{
		{PublicID: "a/b/c", AssetFolder: "shows"}: "shows",
		{PublicID: "a/b/c"}:                       "a/b",
		{PublicID: "c"}:                           "",
	} {
		if got := a.FolderPath(); got != want {
			t.Errorf("%+v: FolderPath() = %q, want %q", a, got, want)
		}
	}
}
