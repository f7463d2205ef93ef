package sandbox

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"syscall"
)

// Originals live at blobs/XX/VERSION_ID, named by a random id, so no
// public_id, however crafted, can name a path: public_ids only exist in the
// database.

// spool is a file being received: it counts and hashes as it is written.
type spool struct {
	f    *os.File
	path string
	size int64
	md5  hash.Hash
	kept bool
}

func (s *Server) newSpool() (*spool, error) {
	f, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "upload-*")
	if err != nil {
		return nil, fmt.Errorf("cannot create a file for the upload: %w", err)
	}
	return &spool{f: f, path: f.Name(), md5: md5.New()}, nil
}

func (sp *spool) Write(p []byte) (int, error) {
	n, err := sp.f.Write(p)
	sp.size += int64(n)
	sp.md5.Write(p[:n])
	if err != nil {
		return n, &storeError{err}
	}
	return n, nil
}

// storeError is the sandbox failing to write what it received (a full
// disk), as opposed to the client's body breaking off.
type storeError struct{ err error }

func (e *storeError) Error() string { return "storing the upload: " + e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// diskFull says err is a full disk: ENOSPC from a write, or SQLite's
// "database or disk is full".
func diskFull(err error) bool {
	var coded interface{ Code() int }
	return errors.Is(err, syscall.ENOSPC) || (errors.As(err, &coded) && coded.Code()&0xff == 13 /* SQLITE_FULL */)
}

// finish closes the file; its bytes are complete.
func (sp *spool) finish() error { return sp.f.Close() }

func (sp *spool) etag() string { return hex.EncodeToString(sp.md5.Sum(nil)) }

// discard removes the file unless it was moved into the blob store.
func (sp *spool) discard() {
	if sp == nil || sp.kept {
		return
	}
	sp.f.Close()
	os.Remove(sp.path)
}

// placeBlob moves a received file into the blob store under versionID and
// returns its path relative to the data dir.
func (s *Server) placeBlob(src, versionID string) (string, error) {
	rel := filepath.Join("blobs", versionID[:2], versionID)
	dst := filepath.Join(s.dir, rel)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", err
	}
	if err := os.Rename(src, dst); err != nil {
		return "", fmt.Errorf("cannot store the upload: %w", err)
	}
	return rel, nil
}

func (s *Server) blobPath(a *asset) string { return filepath.Join(s.dir, a.Blob) }

// removeBlob deletes an original and everything rendered from it.
func (s *Server) removeBlob(a *asset) {
	if a == nil {
		return
	}
	os.Remove(filepath.Join(s.dir, a.Blob))
	os.RemoveAll(filepath.Join(s.dir, "cache", a.VersionID))
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("sandbox: the system's random source failed: %v", err))
	}
	return hex.EncodeToString(b)
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// randomID returns n characters of [a-z0-9], like Cloudinary's generated
// public_ids.
func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("sandbox: the system's random source failed: %v", err))
	}
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}
