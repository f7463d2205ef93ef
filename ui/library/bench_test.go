package library

import (
	"context"
	"fmt"
	"path"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/ui/bridge"
)

// folderFake adds a folder tree to Fake: roots r000… each holding sub-folders.
type folderFake struct {
	*Fake
	tree map[string][]cloud.Folder
}

func (f *folderFake) Folders(_ context.Context, parent string) ([]cloud.Folder, error) {
	return f.tree[parent], nil
}

func newFolderFake(assets, roots, perRoot int) *folderFake {
	f := &folderFake{Fake: NewFake(assets), tree: map[string][]cloud.Folder{}}
	for r := range roots {
		root := fmt.Sprintf("r%03d", r)
		f.tree[""] = append(f.tree[""], cloud.Folder{Name: root, Path: root})
		for s := range perRoot {
			p := fmt.Sprintf("%s/s%02d", root, s)
			f.tree[root] = append(f.tree[root], cloud.Folder{Name: path.Base(p), Path: p})
		}
	}
	return f
}

// interact is what an editor does on opening the Library: the first page
// and the root folder list, a folder and back, a few Ctrl-clicks and a
// range. It returns how long the view took, tasks included.
func interact(b *testing.B, acct Account) time.Duration {
	test.NewTempApp(b)
	tasks := bridge.NewQueuedTasks()
	defer tasks.Close()
	win := test.NewTempWindow(b, nil)
	v := New(win, tasks)
	v.Debounce = time.Millisecond
	win.SetContent(v.Content())
	win.Resize(fyne.NewSize(1200, 800))
	start := time.Now()
	v.SetAccount(acct)
	tasks.Wait()
	v.OpenFolder(v.SubFolders()[len(v.SubFolders())/2].Path)
	tasks.Wait()
	v.OpenFolder("")
	tasks.Wait()
	for i := range 10 {
		v.Toggle(i)
	}
	v.SelectRange(60)
	tasks.Wait()
	return time.Since(start)
}

// BenchmarkLibraryScale compares a library of 10,000 assets in 2,000
// folders (200 roots × 9 sub-folders, plus the roots) with one of 100
// assets in 20 folders: the same interactions, timed, as a ratio (the
// target is near 1: the view costs by what is on screen, not by the
// account's size). selectall-10k-ms is Select all over 10,000 loaded assets.
func BenchmarkLibraryScale(b *testing.B) {
	for b.Loop() {
		small := interact(b, newFolderFake(100, 2, 9))
		large := interact(b, newFolderFake(10000, 200, 9))
		b.ReportMetric(float64(small.Microseconds())/1000, "small-ms")
		b.ReportMetric(float64(large.Microseconds())/1000, "large-ms")
		b.ReportMetric(large.Seconds()/small.Seconds(), "large/small-x")

		test.NewTempApp(b)
		tasks := bridge.NewQueuedTasks()
		win := test.NewTempWindow(b, nil)
		v := New(win, tasks)
		win.SetContent(v.Content())
		v.PageSize = 500
		v.SetAccount(newFolderFake(10000, 200, 9))
		tasks.Wait()
		for !v.State().Done {
			v.loadMore()
			tasks.Wait()
		}
		t0 := time.Now()
		v.SelectAll()
		took := time.Since(t0)
		if n := len(v.selected); n != 10000 {
			b.Fatalf("%d selected", n)
		}
		tasks.Close()
		b.ReportMetric(float64(took.Microseconds())/1000, "selectall-10k-ms")
	}
}
