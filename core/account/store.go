package account

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/cloudup/cloudup/core/paths"
)

// FileName is the profiles file inside the config dir.
const FileName = "profiles.json"

// fileVersion 2: concurrency 0 means "chosen automatically". Version 1
// wrote its fixed default, 4, into every profile.
const fileVersion = 2

// file is what profiles.json holds.
type file struct {
	Version  int       `json:"version"`
	Default  string    `json:"default,omitempty"`
	Profiles []Profile `json:"profiles"`
}

// ErrProfileNotFound is matched by lookups of a name that does not exist.
var ErrProfileNotFound = errors.New("profile not found")

// ProfileNotFoundError names the missing profile and the ones that exist.
type ProfileNotFoundError struct {
	Name      string
	Available []string
}

func (e *ProfileNotFoundError) Error() string {
	return fmt.Sprintf("no profile named %q (profiles: %s)", e.Name, strings.Join(e.Available, ", "))
}

func (e *ProfileNotFoundError) Is(target error) bool { return target == ErrProfileNotFound }

// ErrReserved is returned when deleting the built-in Sandbox profile.
var ErrReserved = errors.New("the Sandbox profile is built in and cannot be deleted")

// ErrCorrupt is matched when profiles.json cannot be read as profiles. The
// file is then left alone: nothing is written over it.
var ErrCorrupt = errors.New("profiles file is damaged")

// Store keeps profiles in one JSON file, written atomically (temporary file,
// fsync, rename) with mode 0600 in a 0700 directory. Every call re-reads the
// file, so changes made by another process (the CLI next to the GUI) are
// seen; calls from several goroutines are serialised. Two processes writing
// at the same instant can lose one of the writes, never the file.
type Store struct {
	dir string
	mu  sync.Mutex
}

// NewStore returns the store kept in dir. Nothing is read or created yet.
func NewStore(dir string) *Store { return &Store{dir: dir} }

// DefaultStore is the store in paths.ConfigDir() (CLOUDUP_CONFIG_DIR
// overrides it).
func DefaultStore() (*Store, error) {
	dir, err := paths.ConfigDir()
	if err != nil {
		return nil, err
	}
	return NewStore(dir), nil
}

// Path is the profiles file.
func (s *Store) Path() string { return filepath.Join(s.dir, FileName) }

// List returns the stored profiles sorted by name, then the Sandbox profile,
// which always exists.
func (s *Store) List() ([]Profile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.read()
	if err != nil {
		return nil, err
	}
	return f.list(), nil
}

// Get returns the named profile. The Sandbox profile always exists.
func (s *Store) Get(name string) (Profile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.read()
	if err != nil {
		return Profile{}, err
	}
	return f.get(name)
}

// Default returns the default profile: the one marked default, else the
// only stored profile, else the Sandbox profile.
func (s *Store) Default() (Profile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.read()
	if err != nil {
		return Profile{}, err
	}
	return f.defaultProfile(), nil
}

// Put validates p and saves it, replacing a profile of the same name. The
// first profile saved becomes the default.
func (s *Store) Put(p Profile) error {
	p = p.Normalized()
	if err := p.Validate(); err != nil {
		return err
	}
	return s.update(func(f *file) error {
		replaced := false
		for i := range f.Profiles {
			if f.Profiles[i].Name == p.Name {
				f.Profiles[i], replaced = p, true
			}
		}
		if !replaced {
			f.Profiles = append(f.Profiles, p)
		}
		if f.Default == "" && !p.Sandbox {
			f.Default = p.Name
		}
		return nil
	})
}

// Delete removes the named profile (not its secret: that is the caller's
// business with the keychain). Deleting the default leaves no default.
func (s *Store) Delete(name string) error {
	if strings.EqualFold(name, SandboxName) {
		return ErrReserved
	}
	return s.update(func(f *file) error {
		for i, p := range f.Profiles {
			if p.Name == name {
				f.Profiles = append(f.Profiles[:i], f.Profiles[i+1:]...)
				if f.Default == name {
					f.Default = ""
				}
				return nil
			}
		}
		return f.notFound(name)
	})
}

// SetDefault makes name the default profile.
func (s *Store) SetDefault(name string) error {
	return s.update(func(f *file) error {
		p, err := f.get(name)
		if err != nil {
			return err
		}
		f.Default = p.Name
		return nil
	})
}

// DefaultName is the name Default would return.
func (s *Store) DefaultName() (string, error) {
	p, err := s.Default()
	return p.Name, err
}

func (f *file) list() []Profile {
	out := make([]Profile, 0, len(f.Profiles)+1)
	var sandbox *Profile
	for _, p := range f.Profiles {
		if p.Sandbox {
			p := p
			sandbox = &p
			continue
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if sandbox == nil {
		sb := SandboxProfile()
		sandbox = &sb
	}
	return append(out, *sandbox)
}

func (f *file) get(name string) (Profile, error) {
	for _, p := range f.list() {
		if p.Name == name || (p.Sandbox && strings.EqualFold(name, SandboxName)) {
			return p, nil
		}
	}
	return Profile{}, f.notFound(name)
}

func (f *file) notFound(name string) error {
	var names []string
	for _, p := range f.list() {
		names = append(names, p.Name)
	}
	return &ProfileNotFoundError{Name: name, Available: names}
}

func (f *file) defaultProfile() Profile {
	if f.Default != "" {
		if p, err := f.get(f.Default); err == nil {
			return p
		}
	}
	var stored []Profile
	for _, p := range f.Profiles {
		if !p.Sandbox {
			stored = append(stored, p)
		}
	}
	if len(stored) == 1 {
		return stored[0]
	}
	p, _ := f.get(SandboxName)
	return p
}

func (s *Store) update(change func(*file) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := s.read()
	if err != nil {
		return err
	}
	if err := change(f); err != nil {
		return err
	}
	data, err := encodeFile(f)
	if err != nil {
		return err
	}
	if err := paths.WriteAtomic(s.dir, FileName, data); err != nil {
		return fmt.Errorf("cannot save profiles: %w", err)
	}
	return nil
}

func (s *Store) read() (*file, error) {
	data, err := os.ReadFile(s.Path())
	if errors.Is(err, os.ErrNotExist) {
		return &file{Version: fileVersion}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read profiles: %w", err)
	}
	f, err := decodeFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Path(), err)
	}
	return f, nil
}

// decodeFile parses profiles.json strictly enough that a damaged or hand-
// edited file is reported instead of half-used, and normalizes what it reads.
func decodeFile(data []byte) (*file, error) {
	var f file
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, corrupt("it is not valid profiles JSON (%v)", err)
	}
	if dec.More() {
		return nil, corrupt("there is extra text after the JSON object")
	}
	if f.Version > fileVersion {
		return nil, corrupt("it was written by a newer Cloudup (format %d): update Cloudup", f.Version)
	}
	if f.Version < 2 {
		// Version 1 wrote its fixed default (4) into every profile, and its
		// Settings offered 4 first: a 4 there is a default nobody chose, and
		// pinning it would keep these profiles from the automatic choice.
		for i := range f.Profiles {
			if f.Profiles[i].Concurrency == 4 {
				f.Profiles[i].Concurrency = AutoConcurrency
			}
		}
	}
	f.Version = fileVersion
	seen := map[string]bool{}
	for i, p := range f.Profiles {
		p = p.Normalized()
		if err := p.Validate(); err != nil {
			return nil, corrupt("profile %d: %v", i+1, err)
		}
		if seen[strings.ToLower(p.Name)] {
			return nil, corrupt("profile %q appears twice", p.Name)
		}
		seen[strings.ToLower(p.Name)] = true
		f.Profiles[i] = p
	}
	return &f, nil
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s; fix or remove the file", ErrCorrupt, fmt.Sprintf(format, args...))
}

func encodeFile(f *file) ([]byte, error) {
	f.Version = fileVersion
	if f.Profiles == nil {
		f.Profiles = []Profile{}
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
