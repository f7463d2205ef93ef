package transfer

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// hashFile reads large files ahead on a second goroutine; whatever the size
// (one block, a block boundary, many blocks and a tail) the sum is the
// file's MD5, and nothing is left running afterwards.
func TestHashFileIsTheFilesMD5(t *testing.T) {
	dir := t.TempDir()
	rnd := rand.New(rand.NewPCG(7, 8))
	before := runtime.NumGoroutine()
	for _, size := range []int64{1, 1000, hashBlock - 1, hashBlock, hashBlock + 1, 2 * hashBlock, 7*hashBlock + 12345, 9 << 20} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rnd.Uint32())
		}
		p := filepath.Join(dir, "f.bin")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := hashFile(context.Background(), f, size)
		f.Close()
		want := md5.Sum(data)
		if err != nil || got != hex.EncodeToString(want[:]) {
			t.Errorf("size %d: hashFile = %q, %v; want %x", size, got, err, want)
		}
	}
	settled(t, before)
}

// A file that shrank since its size was taken hashes what is there (the
// upload then finds it changed); an unreadable one fails in words; a
// cancelled context stops the hash.
func TestHashFileShortUnreadableCancelled(t *testing.T) {
	dir := t.TempDir()
	before := runtime.NumGoroutine()
	data := make([]byte, 3*hashBlock+5)
	for i := range data {
		data[i] = byte(i * 7)
	}
	p := filepath.Join(dir, "f.bin")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, claimed := range []int64{int64(len(data)) + 10, int64(len(data)) + 5*hashBlock} {
		got, err := hashFile(context.Background(), f, claimed)
		want := md5.Sum(data)
		if err != nil || got != hex.EncodeToString(want[:]) {
			t.Errorf("claimed %d of %d bytes: %q, %v; want the MD5 of the bytes there, %x", claimed, len(data), got, err, want)
		}
	}

	ctx, cancel := context.WithCancelCause(context.Background())
	stopped := errors.New("stopped by the test")
	cancel(stopped)
	for _, size := range []int64{100, int64(len(data))} {
		if _, err := hashFile(ctx, f, size); !errors.Is(err, stopped) {
			t.Errorf("size %d, cancelled: err = %v, want the cancel cause", size, err)
		}
	}

	d, err := os.Open(dir) // a directory: reads fail
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, size := range []int64{100, 4 * hashBlock} {
		_, err := hashFile(context.Background(), d, size)
		var re *RejectedError
		if !errors.As(err, &re) || re.Kind != ErrUnreadable {
			t.Errorf("size %d, a directory: err = %v, want an unreadable rejection", size, err)
		}
	}
	settled(t, before)
}

// settled waits for the goroutine count to come back to n: a reader left
// behind would keep it above.
func settled(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines still running, %d before", runtime.NumGoroutine(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
