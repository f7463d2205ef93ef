package account

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestStoreSavesProfilesAndMakesTheFirstTheDefault(t *testing.T) {
	s := NewStore(filepath.Join(t.TempDir(), "cfg"))
	if p, err := s.Default(); err != nil || !p.Sandbox {
		t.Fatalf("empty store default = %+v, %v; want the Sandbox profile", p, err)
	}
	if err := s.Put(Profile{Name: "work", Cloud: "demo", APIKey: "111"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(Profile{Name: "blog", Cloud: "blogcloud", Mode: Unsigned, Preset: "open"}); err != nil {
		t.Fatal(err)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range list {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, ","); got != "blog,work,Sandbox" {
		t.Errorf("List = %s, want blog,work,Sandbox", got)
	}
	if d, _ := s.DefaultName(); d != "work" {
		t.Errorf("default = %q, want the first profile saved", d)
	}
	if err := s.SetDefault("blog"); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.DefaultName(); d != "blog" {
		t.Errorf("default after SetDefault = %q", d)
	}
	got, err := s.Get("work")
	if err != nil || got.Cloud != "demo" || got.APIBase != DefaultAPIBase {
		t.Errorf("Get(work) = %+v, %v", got, err)
	}
}

func TestStoreWritesAPrivateFileAndLeavesNoTemporaries(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "cfg")
	s := NewStore(dir)
	for i := range 3 {
		if err := s.Put(Profile{Name: fmt.Sprintf("p%d", i), Cloud: "c", APIKey: "k"}); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != FileName {
		t.Errorf("config dir holds %v, want only %s", entries, FileName)
	}
	if runtime.GOOS != "windows" {
		fi, _ := os.Stat(s.Path())
		di, _ := os.Stat(dir)
		if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
			t.Errorf("modes: file %v dir %v, want 0600 and 0700", fi.Mode().Perm(), di.Mode().Perm())
		}
	}
	var f file
	data, _ := os.ReadFile(s.Path())
	if err := json.Unmarshal(data, &f); err != nil || f.Version != fileVersion || len(f.Profiles) != 3 {
		t.Errorf("file content: %s (%v)", data, err)
	}
}

func TestStoreRefusesToOverwriteADamagedFile(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir)
	damaged := []byte(`{"version":1,"profiles":[{"name":"work","cloud":"demo"`)
	if err := os.WriteFile(s.Path(), damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	err := s.Put(Profile{Name: "new", Cloud: "c", APIKey: "k"})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), s.Path()) {
		t.Fatalf("Put over a damaged file = %v, want ErrCorrupt naming the file", err)
	}
	if _, err := s.List(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("List = %v", err)
	}
	after, _ := os.ReadFile(s.Path())
	if string(after) != string(damaged) {
		t.Error("the damaged file was changed")
	}
}

func TestStoreSandboxProfileAlwaysExistsAndCannotBeDeleted(t *testing.T) {
	s := NewStore(t.TempDir())
	if err := s.Delete("Sandbox"); !errors.Is(err, ErrReserved) {
		t.Errorf("Delete(Sandbox) = %v", err)
	}
	if err := s.Put(Profile{Name: "sandbox", Cloud: "c", APIKey: "k"}); !errors.Is(err, ErrInvalidProfile) {
		t.Errorf("a profile named sandbox was accepted: %v", err)
	}
	// Its defaults can be changed and are remembered.
	sb := SandboxProfile()
	sb.Folder = "tryout"
	if err := s.Put(sb); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get("sandbox")
	if err != nil || !got.Sandbox || got.Folder != "tryout" {
		t.Errorf("Get(sandbox) = %+v, %v", got, err)
	}
	list, _ := s.List()
	if len(list) != 1 || !list[0].Sandbox {
		t.Errorf("List = %+v, want just the Sandbox", list)
	}
	if d, _ := s.Default(); !d.Sandbox {
		t.Error("saving the sandbox's defaults made something else the default")
	}
}

func TestStoreDeleteAndUnknownNames(t *testing.T) {
	s := NewStore(t.TempDir())
	if err := s.Put(Profile{Name: "work", Cloud: "c", APIKey: "k"}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Get("wrok")
	var nf *ProfileNotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, ErrProfileNotFound) || !strings.Contains(err.Error(), "work") {
		t.Fatalf("Get(wrok) = %v, want a not-found error listing work", err)
	}
	if err := s.SetDefault("nope"); !errors.Is(err, ErrProfileNotFound) {
		t.Errorf("SetDefault(nope) = %v", err)
	}
	if err := s.Delete("work"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("work"); !errors.Is(err, ErrProfileNotFound) {
		t.Errorf("second Delete = %v", err)
	}
	if d, _ := s.Default(); !d.Sandbox {
		t.Errorf("default after deleting the only profile = %q", d.Name)
	}
}

func TestStoreConcurrentPutsAllLand(t *testing.T) {
	s := NewStore(t.TempDir())
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Put(Profile{Name: fmt.Sprintf("p%02d", i), Cloud: "c", APIKey: "k"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	list, err := s.List()
	if err != nil || len(list) != 21 {
		t.Fatalf("List has %d profiles (%v), want 20 + Sandbox", len(list), err)
	}
}

func TestStoreRejectsFilesFromANewerVersionAndDuplicates(t *testing.T) {
	for name, content := range map[string]string{
		"newer":     `{"version":3,"profiles":[]}`,
		"duplicate": `{"version":1,"profiles":[{"name":"a","cloud":"c","api_key":"k"},{"name":"A","cloud":"c","api_key":"k"}]}`,
		"invalid":   `{"version":1,"profiles":[{"name":"a","cloud":"bad cloud","api_key":"k"}]}`,
		"trailing":  `{"version":1,"profiles":[]} {}`,
	} {
		if _, err := decodeFile([]byte(content)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: decodeFile = %v, want ErrCorrupt", name, err)
		}
	}
}

func TestStoreTurnsVersionOnesDefaultConcurrencyIntoAutomatic(t *testing.T) {
	old := `{"version":1,"profiles":[{"name":"a","cloud":"c","api_key":"k","concurrency":4},{"name":"b","cloud":"c","api_key":"k","concurrency":8}]}`
	f, err := decodeFile([]byte(old))
	if err != nil {
		t.Fatal(err)
	}
	if got := []int{f.Profiles[0].Concurrency, f.Profiles[1].Concurrency}; got[0] != AutoConcurrency || got[1] != 8 {
		t.Errorf("concurrency after reading a version 1 file = %v, want [automatic 8]", got)
	}
	// Once written as version 2, a 4 is the user's choice and stays.
	f.Profiles[0].Concurrency = 4
	data, err := encodeFile(f)
	if err != nil {
		t.Fatal(err)
	}
	again, err := decodeFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if again.Version != fileVersion || again.Profiles[0].Concurrency != 4 {
		t.Errorf("re-read version %d concurrency %d, want version %d and 4 kept", again.Version, again.Profiles[0].Concurrency, fileVersion)
	}
}

// FuzzDecodeFile: a hand-edited profiles.json never panics the reader, and
// whatever it accepts survives a write and a re-read unchanged.
func FuzzDecodeFile(f *testing.F) {
	f.Add([]byte(`{"version":1,"default":"work","profiles":[{"name":"work","cloud":"demo","api_key":"1","mode":"signed","tags":["a"]}]}`))
	f.Add([]byte(`{"version":1,"profiles":[{"name":"Sandbox","sandbox":true,"folder":"x"}]}`))
	f.Add([]byte(`{"profiles":[{"name":"u","cloud":"c","mode":"unsigned","preset":"p","limits":{"max_files":3,"allowed_formats":["JPG"]}}]}`))
	f.Add([]byte(`{"version":1,"profiles":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		first, err := decodeFile(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		encoded, err := encodeFile(first)
		if err != nil {
			t.Fatal(err)
		}
		second, err := decodeFile(encoded)
		if err != nil {
			t.Fatalf("re-reading what was written: %v\n%s", err, encoded)
		}
		again, _ := encodeFile(second)
		if string(again) != string(encoded) {
			t.Fatalf("not stable:\n%s\n%s", encoded, again)
		}
	})
}
