//go:build !cgo

package camera

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func TestWithoutCgoNativeSaysItIsNotCompiledIn(t *testing.T) {
	const want = "native camera support not compiled in (built without cgo); using ffmpeg"
	if _, err := NewNative(); !errors.Is(err, ErrNativeUnavailable) || err.Error() != want {
		t.Fatalf("NewNative: %v, want %q", err, want)
	}
	a := NewAuto()
	if _, err := a.Devices(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(a.Notes(), want) {
		t.Fatalf("Auto notes %q lack %q", a.Notes(), want)
	}
}
