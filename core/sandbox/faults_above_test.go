package sandbox

import (
	"errors"
	"testing"
)

// above=N applies a rule only while more than N requests of its scope are in
// the server: an account's limit on concurrent uploads.
func TestFaultRuleAboveCountsRequestsInTheServer(t *testing.T) {
	fi, err := parseFaults("on=upload,above=2,rate=1,kinds=420", 1)
	if err != nil {
		t.Fatal(err)
	}
	leave1, leave2 := fi.enter(scopeUpload), fi.enter(scopeUpload)
	if a := fi.decide(scopeUpload); a != nil {
		t.Errorf("2 uploads in the server got %v; the limit is above 2", a)
	}
	search := fi.enter(scopeSearch)
	if a := fi.decide(scopeSearch); a != nil {
		t.Errorf("a search got %v from an upload rule", a)
	}
	search()
	leave3 := fi.enter(scopeUpload)
	if a := fi.decide(scopeUpload); a == nil || a.kind != "420" {
		t.Errorf("a third upload in the server got %v, want 420", a)
	}
	leave3()
	leave2()
	if a := fi.decide(scopeUpload); a != nil {
		t.Errorf("after two left, an upload got %v", a)
	}
	leave1()

	for _, bad := range []string{"above=-1,rate=1", "above=x,rate=1", "above=1+2,rate=1"} {
		if _, err := parseFaults(bad, 1); !errors.Is(err, ErrFaultSpec) {
			t.Errorf("%q: %v, want a fault spec error", bad, err)
		}
	}
}
