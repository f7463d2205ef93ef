package sandbox

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/cloudup/cloudup/core/sandbox/transform"
)

// Named transformations (Admin API /transformations, delivered as t_NAME):
// a team saves a chain once and its links stay short. They are kept in
// named.json in the data directory.

// EndpointAdminTransformations is the Admin API's /transformations.
const EndpointAdminTransformations = "admin.transformations"

var namedRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$`)

type namedStore struct {
	mu   sync.Mutex
	path string
}

type namedEntry struct {
	Transformation   string `json:"transformation"`
	AllowedForStrict bool   `json:"allowed_for_strict"`
}

func (n *namedStore) load() (map[string]namedEntry, error) {
	m := map[string]namedEntry{}
	b, err := os.ReadFile(n.path)
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

func (n *namedStore) save(m map[string]namedEntry) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return writeAtomic(n.path, b)
}

func (s *Server) namedTransformations() *namedStore {
	s.namedOnce.Do(func() { s.named = &namedStore{path: filepath.Join(s.dir, "named.json")} })
	return s.named
}

// expandNamed replaces each t_NAME component of a delivery chain with the
// stored transformation, as Cloudinary's CDN does.
func (s *Server) expandNamed(chain string) (string, error) {
	if !strings.Contains(chain, "t_") {
		return chain, nil
	}
	comps := strings.Split(chain, "/")
	var m map[string]namedEntry
	for i, c := range comps {
		name, ok := strings.CutPrefix(c, "t_")
		if !ok || strings.Contains(c, ",") {
			continue
		}
		if m == nil {
			ns := s.namedTransformations()
			ns.mu.Lock()
			var err error
			m, err = ns.load()
			ns.mu.Unlock()
			if err != nil {
				return "", err
			}
		}
		e, ok := m[name]
		if !ok {
			return "", cdnError(http.StatusBadRequest, "Invalid transformation - unknown named transformation t_%s", truncate(name, 100))
		}
		comps[i] = e.Transformation
	}
	return strings.Join(comps, "/"), nil
}

// handleTransformations serves GET (list, or one with ?transformation=),
// POST (create: name, transformation), PUT (update) and DELETE.
func (s *Server) handleTransformations(w http.ResponseWriter, r *http.Request, rest []string) error {
	p, err := adminParams(r)
	if err != nil {
		return err
	}
	ns := s.namedTransformations()
	ns.mu.Lock()
	defer ns.mu.Unlock()
	m, err := ns.load()
	if err != nil {
		return err
	}
	ident := p.Get("transformation")
	if len(rest) == 1 {
		ident = rest[0] // the older /transformations/NAME form
	}
	name := strings.TrimPrefix(ident, "t_")
	switch r.Method {
	case http.MethodGet:
		if ident == "" {
			list := []map[string]any{}
			names := make([]string, 0, len(m))
			for k := range m {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				list = append(list, map[string]any{"name": "t_" + k, "allowed_for_strict": m[k].AllowedForStrict, "used": false, "named": true})
			}
			writeJSON(w, http.StatusOK, map[string]any{"transformations": list})
			return nil
		}
		e, ok := m[name]
		if !ok {
			return notFound("Transformation %s not found", ident)
		}
		writeJSON(w, http.StatusOK, map[string]any{"name": "t_" + name, "allowed_for_strict": e.AllowedForStrict, "used": false, "named": true,
			"info": transformationInfo(e.Transformation), "derived": []any{}})
		return nil
	case http.MethodPost:
		name = p.Get("name")
		if len(rest) == 1 {
			name = rest[0]
		}
		name = strings.TrimPrefix(name, "t_")
		if !namedRE.MatchString(name) {
			return badRequest("Invalid transformation name %q: use letters, digits, '-' and '_'", truncate(name, 40))
		}
		if _, dup := m[name]; dup {
			return errorf(http.StatusConflict, "Transformation name %s already exists", name)
		}
		tr := p.Get("transformation")
		if err := checkNamedChain(tr); err != nil {
			return err
		}
		m[name] = namedEntry{Transformation: tr}
		if err := ns.save(m); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]string{"message": "created"})
		return nil
	case http.MethodPut:
		e, ok := m[name]
		if !ok {
			return notFound("Transformation %s not found", ident)
		}
		if tr := p.Get("unsafe_update"); tr != "" {
			if err := checkNamedChain(tr); err != nil {
				return err
			}
			e.Transformation = tr
		}
		if v := p.Get("allowed_for_strict"); v != "" {
			if e.AllowedForStrict, err = boolParam(p, "allowed_for_strict", false); err != nil {
				return err
			}
		}
		m[name] = e
		if err := ns.save(m); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]string{"message": "updated"})
		return nil
	case http.MethodDelete:
		if _, ok := m[name]; !ok {
			return notFound("Transformation %s not found", ident)
		}
		delete(m, name)
		if err := ns.save(m); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]string{"message": "deleted"})
		return nil
	}
	return errorf(http.StatusMethodNotAllowed, "%s needs GET, POST, PUT or DELETE", r.URL.Path)
}

// checkNamedChain refuses an empty chain or one that names another named
// transformation. Video-only parameters are allowed: the chain is checked
// as an image chain only when it parses as one.
func checkNamedChain(tr string) error {
	if strings.TrimSpace(tr) == "" {
		return badRequest("Missing required parameter - transformation")
	}
	for _, c := range strings.Split(tr, "/") {
		if strings.HasPrefix(c, "t_") {
			return badRequest("Invalid transformation - a named transformation cannot include t_%s", strings.TrimPrefix(c, "t_"))
		}
	}
	if _, err := transform.Parse(tr); err != nil {
		if _, verr := parseVideoChain(tr, 1000, 1000); verr != nil {
			var te *transform.Error
			if errors.As(err, &te) {
				return badRequest("Invalid transformation - %s", te.Message)
			}
			return badRequest("Invalid transformation - %v", err)
		}
	}
	return nil
}

// infoNames are the Admin API's names for transformation parameters.
var infoNames = map[string]string{"c": "crop", "w": "width", "h": "height", "g": "gravity", "e": "effect", "f": "fetch_format",
	"q": "quality", "ar": "aspect_ratio", "so": "start_offset", "eo": "end_offset", "du": "duration"}

// transformationInfo is a chain as the Admin API's info: one object of
// parameters per component.
func transformationInfo(tr string) []map[string]string {
	var out []map[string]string
	for _, c := range strings.Split(tr, "/") {
		m := map[string]string{}
		for _, p := range strings.Split(c, ",") {
			if k, v, ok := strings.Cut(p, "_"); ok {
				if long, known := infoNames[k]; known {
					k = long
				}
				m[k] = v
			}
		}
		out = append(out, m)
	}
	return out
}
