package manage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cloudup/cloudup/core/cloud"
)

// ByteProgress is told how many bytes of how many have arrived; total grows
// as answers announce their sizes (it starts at the sizes the library knows).
type ByteProgress func(done, total int64)

// Download saves every asset's original into dir under its name (made
// unique: "photo (2).jpg"), Parallel at a time. A file is written under a
// temporary name and renamed when complete, so a failed download leaves
// nothing half-written. The outcome's Changed are the assets saved.
func Download(ctx context.Context, client *http.Client, assets []cloud.Asset, dir string, progress ByteProgress) (Outcome, []string) {
	if client == nil {
		client = http.DefaultClient
	}
	var total, done atomic.Int64
	for _, a := range assets {
		total.Add(a.Bytes)
	}
	report := func() {
		if progress != nil {
			progress(done.Load(), total.Load())
		}
	}
	var mu sync.Mutex
	taken := map[string]bool{}
	claim := func(name string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		ext := filepath.Ext(name)
		stem := strings.TrimSuffix(name, ext)
		for i := 1; ; i++ {
			candidate := name
			if i > 1 {
				candidate = fmt.Sprintf("%s (%d)%s", stem, i, ext)
			}
			p := filepath.Join(dir, candidate)
			if taken[p] {
				continue
			}
			if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
				taken[p] = true
				return p, nil
			} else if err != nil {
				return "", err
			}
		}
	}
	saved := make([]string, len(assets))
	index := map[string]int{}
	for i, a := range assets {
		index[a.AssetID+"\x00"+a.PublicID] = i
	}
	out := each(ctx, assets, nil, func(ctx context.Context, a cloud.Asset) (*cloud.Asset, error) {
		link := a.Link()
		if link == "" {
			return nil, errors.New("it has no link to download from")
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("the download broke off: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("the account answered %s to the download", resp.Status)
		}
		if resp.ContentLength > 0 && resp.ContentLength != a.Bytes {
			total.Add(resp.ContentLength - a.Bytes)
			report()
		}
		dest, err := claim(safeFileName(a))
		if err != nil {
			return nil, err
		}
		tmp, err := os.CreateTemp(dir, ".cloudup-download-*")
		if err != nil {
			return nil, fmt.Errorf("cannot write into %s: %w", dir, err)
		}
		defer os.Remove(tmp.Name())
		_, err = io.Copy(tmp, &countingReader{r: resp.Body, n: &done, report: report})
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("the download broke off: %w", err)
		}
		if err := os.Rename(tmp.Name(), dest); err != nil {
			return nil, err
		}
		saved[index[a.AssetID+"\x00"+a.PublicID]] = dest
		return nil, nil
	})
	var files []string
	for _, p := range saved {
		if p != "" {
			files = append(files, p)
		}
	}
	return out, files
}

// safeFileName is the asset's name with its format as extension, without
// path separators or characters file systems refuse.
func safeFileName(a cloud.Asset) string {
	name := a.Name()
	if a.Format != "" && !strings.EqualFold(strings.TrimPrefix(filepath.Ext(name), "."), a.Format) {
		name += "." + a.Format
	}
	name = strings.Map(func(r rune) rune {
		if r < 32 || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, name)
	name = strings.TrimLeft(name, ".")
	if name == "" {
		name = "asset"
	}
	return name
}

type countingReader struct {
	r      io.Reader
	n      *atomic.Int64
	report func()
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.n.Add(int64(n))
		c.report()
	}
	return n, err
}
