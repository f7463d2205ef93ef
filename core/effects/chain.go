package effects

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Tunable is an effect the studio sets with a slider (or a switch, when it
// has no level), with Cloudinary's range for its level.
type Tunable struct {
	Name     string // Cloudinary's effect name: e_NAME[:LEVEL]
	Label    string
	HasLevel bool
	Min, Max int
	Default  int // Cloudinary's level when the URL gives none
	// Video says Cloudinary applies the effect to videos too.
	Video bool
}

// Tunables in the studio's order. Ranges are Cloudinary's.
var Tunables = []Tunable{
	{Name: "improve", Label: "Improve", HasLevel: true, Min: 0, Max: 100, Default: 100},
	{Name: "sharpen", Label: "Sharpen", HasLevel: true, Min: 1, Max: 2000, Default: 100},
	{Name: "sepia", Label: "Sepia", HasLevel: true, Min: 1, Max: 100, Default: 80},
	{Name: "vignette", Label: "Vignette", HasLevel: true, Min: 0, Max: 100, Default: 20, Video: true},
	{Name: "blur", Label: "Blur", HasLevel: true, Min: 1, Max: 2000, Default: 100, Video: true},
	{Name: "brightness", Label: "Brightness", HasLevel: true, Min: -99, Max: 100, Default: 80, Video: true},
	{Name: "contrast", Label: "Contrast", HasLevel: true, Min: -100, Max: 100, Default: 0, Video: true},
	{Name: "saturation", Label: "Saturation", HasLevel: true, Min: -100, Max: 100, Default: 80, Video: true},
	{Name: "gamma", Label: "Gamma", HasLevel: true, Min: -50, Max: 150, Default: 0, Video: true},
	{Name: "pixelate", Label: "Pixelate", HasLevel: true, Min: 1, Max: 200, Default: 5},
	{Name: "grayscale", Label: "Grayscale"},
	{Name: "negate", Label: "Negative"},
}

// TunableByName finds a tunable effect.
func TunableByName(name string) (Tunable, bool) {
	for _, t := range Tunables {
		if t.Name == name {
			return t, true
		}
	}
	return Tunable{}, false
}

// Aspects offered for crops; CardAspect is the 1200×630 social card, any
// other "W:H" is a custom ratio.
var Aspects = []string{"1:1", "4:5", "16:9", "9:16", CardAspect}

// CardAspect is the social-card crop, exactly 1200×630 pixels.
const CardAspect = "1200x630"

// Gravities a crop may keep in frame.
var Gravities = []string{"auto", "faces", "center"}

// Step is one effect at a level (Level is ignored for effects without one).
type Step struct {
	Name  string
	Level int
}

// Recipe is what the studio's controls say: a crop, a width, effects in
// the order applied and delivery options. Format turns it into Cloudinary
// transformation text; ParseRecipe turns such text back into it.
type Recipe struct {
	Aspect  string // "" no crop; one of Aspects or a custom "W:H"
	Gravity string // auto (default), faces or center; only with Aspect
	Width   int    // 0 keeps the width
	Effects []Step
	Auto    bool // f_auto,q_auto
	// Start and End trim a video, in seconds (0: from the start / to the end).
	Start, End float64
}

// Format is the recipe's Cloudinary transformation text, one component per
// action: trim, crop/resize, each effect, then f_auto,q_auto.
func (r Recipe) Format() string {
	var parts []string
	if r.Start > 0 || r.End > 0 {
		var t []string
		if r.Start > 0 {
			t = append(t, "so_"+seconds(r.Start))
		}
		if r.End > 0 {
			t = append(t, "eo_"+seconds(r.End))
		}
		parts = append(parts, strings.Join(t, ","))
	}
	g := r.Gravity
	if g == "" {
		g = "auto"
	}
	switch {
	case r.Aspect == CardAspect:
		parts = append(parts, "c_fill,g_"+g+",w_1200,h_630")
	case r.Aspect != "":
		c := "c_fill,ar_" + r.Aspect + ",g_" + g
		if r.Width > 0 {
			c += ",w_" + strconv.Itoa(r.Width)
		}
		parts = append(parts, c)
	case r.Width > 0:
		parts = append(parts, "c_scale,w_"+strconv.Itoa(r.Width))
	}
	for _, e := range r.Effects {
		t, ok := TunableByName(e.Name)
		if ok && t.HasLevel {
			parts = append(parts, fmt.Sprintf("e_%s:%d", e.Name, e.Level))
		} else {
			parts = append(parts, "e_"+e.Name)
		}
	}
	if r.Auto {
		parts = append(parts, "f_auto,q_auto")
	}
	return strings.Join(parts, "/")
}

func seconds(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// Level returns the level of effect name in the recipe and whether it is on.
func (r Recipe) Level(name string) (int, bool) {
	for _, e := range r.Effects {
		if e.Name == name {
			return e.Level, true
		}
	}
	return 0, false
}

// With returns the recipe with effect name set to level (appended when it
// was off); Without removes it.
func (r Recipe) With(name string, level int) Recipe {
	out := r
	out.Effects = append([]Step(nil), r.Effects...)
	for i, e := range out.Effects {
		if e.Name == name {
			out.Effects[i].Level = level
			return out
		}
	}
	out.Effects = append(out.Effects, Step{Name: name, Level: level})
	return out
}

// Without returns the recipe with effect name off.
func (r Recipe) Without(name string) Recipe {
	out := r
	out.Effects = nil
	for _, e := range r.Effects {
		if e.Name != name {
			out.Effects = append(out.Effects, e)
		}
	}
	return out
}

// ForVideo says whether every part of the recipe applies to a video.
func (r Recipe) ForVideo() error {
	for _, e := range r.Effects {
		if t, _ := TunableByName(e.Name); !t.Video {
			return fmt.Errorf("%s works on images only: remove it for a video", t.Label)
		}
	}
	return nil
}

// ErrNotRecipe wraps why transformation text is not something the studio's
// controls can show; the text itself may still be a valid transformation.
var ErrNotRecipe = errors.New("the studio's controls cannot show this transformation")

var (
	aspectRE = regexp.MustCompile(`^[1-9][0-9]{0,3}:[1-9][0-9]{0,3}$`)
	secRE    = regexp.MustCompile(`^[0-9]{1,5}(\.[0-9]{1,3})?$`)
)

// ParseRecipe reads transformation text of the shape Format writes (in any
// component order Cloudinary would apply the same way) back into a recipe.
// Text it cannot represent returns an error wrapping ErrNotRecipe that says
// which part.
func ParseRecipe(text string) (Recipe, error) {
	var r Recipe
	text = strings.TrimSpace(text)
	if text == "" {
		return r, nil
	}
	seen := map[string]bool{}
	once := func(what, comp string) error {
		if seen[what] {
			return notRecipe(comp, what+" is given twice")
		}
		seen[what] = true
		return nil
	}
	for _, comp := range strings.Split(text, "/") {
		kv, err := params(comp)
		if err != nil {
			return Recipe{}, err
		}
		switch {
		case has(kv, "e"):
			if len(kv) != 1 {
				return Recipe{}, notRecipe(comp, "put each effect in its own component")
			}
			s, err := parseStep(kv["e"])
			if err != nil {
				return Recipe{}, notRecipe(comp, err.Error())
			}
			if err := once("e_"+s.Name, comp); err != nil {
				return Recipe{}, err
			}
			r.Effects = append(r.Effects, s)
		case has(kv, "f") || has(kv, "q"):
			if len(kv) != 2 || kv["f"] != "auto" || kv["q"] != "auto" {
				return Recipe{}, notRecipe(comp, "only f_auto,q_auto is offered")
			}
			if err := once("f_auto", comp); err != nil {
				return Recipe{}, err
			}
			r.Auto = true
		case has(kv, "so") || has(kv, "eo"):
			if err := once("trim", comp); err != nil {
				return Recipe{}, err
			}
			if err := parseTrim(&r, kv, comp); err != nil {
				return Recipe{}, err
			}
		case has(kv, "c"):
			if err := once("crop", comp); err != nil {
				return Recipe{}, err
			}
			if err := parseCrop(&r, kv, comp); err != nil {
				return Recipe{}, err
			}
		default:
			return Recipe{}, notRecipe(comp, "not a crop, effect, trim or f_auto,q_auto")
		}
	}
	return r, nil
}

func notRecipe(comp, why string) error {
	return fmt.Errorf("%w: %q: %s", ErrNotRecipe, comp, why)
}

func has(kv map[string]string, k string) bool { _, ok := kv[k]; return ok }

// params splits "a_1,b_2" into {a:1, b:2}.
func params(comp string) (map[string]string, error) {
	kv := map[string]string{}
	for _, p := range strings.Split(comp, ",") {
		k, v, ok := strings.Cut(p, "_")
		if !ok || k == "" || v == "" {
			return nil, notRecipe(comp, fmt.Sprintf("%q is not key_value", p))
		}
		if _, dup := kv[k]; dup {
			return nil, notRecipe(comp, k+"_ is given twice")
		}
		kv[k] = v
	}
	return kv, nil
}

func parseStep(v string) (Step, error) {
	name, arg, hasArg := strings.Cut(v, ":")
	t, ok := TunableByName(name)
	if !ok {
		return Step{}, fmt.Errorf("the studio has no control for e_%s", name)
	}
	s := Step{Name: name, Level: t.Default}
	if !t.HasLevel {
		if hasArg {
			return Step{}, fmt.Errorf("e_%s takes no level", name)
		}
		s.Level = 0
		return s, nil
	}
	if hasArg {
		n, err := strconv.Atoi(arg)
		if err != nil || strconv.Itoa(n) != arg {
			return Step{}, fmt.Errorf("e_%s needs a whole-number level", name)
		}
		s.Level = n
	}
	if s.Level < t.Min || s.Level > t.Max {
		return Step{}, fmt.Errorf("e_%s's level goes from %d to %d", name, t.Min, t.Max)
	}
	return s, nil
}

func parseTrim(r *Recipe, kv map[string]string, comp string) error {
	for k, v := range kv {
		if k != "so" && k != "eo" {
			return notRecipe(comp, "put the trim (so_, eo_) in its own component")
		}
		if !secRE.MatchString(v) {
			return notRecipe(comp, k+"_ needs seconds such as 2.5")
		}
		f, _ := strconv.ParseFloat(v, 64)
		if f == 0 {
			return notRecipe(comp, k+"_0 trims nothing: leave it out")
		}
		if k == "so" {
			r.Start = f
		} else {
			r.End = f
		}
	}
	if r.End > 0 && r.End <= r.Start {
		return notRecipe(comp, "the end must come after the start")
	}
	return nil
}

func parseCrop(r *Recipe, kv map[string]string, comp string) error {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	width := func() (int, error) {
		n, err := strconv.Atoi(kv["w"])
		if err != nil || n < 1 || n > 10000 || strconv.Itoa(n) != kv["w"] {
			return 0, notRecipe(comp, "w_ needs a width in pixels from 1 to 10000")
		}
		return n, nil
	}
	gravity := func() error {
		g := kv["g"]
		for _, ok := range Gravities {
			if g == ok {
				r.Gravity = g
				return nil
			}
		}
		return notRecipe(comp, "gravity must be g_auto, g_faces or g_center")
	}
	switch strings.Join(keys, ",") {
	case "c,w":
		if kv["c"] != "scale" {
			return notRecipe(comp, "a width alone is c_scale,w_N")
		}
		w, err := width()
		r.Width = w
		return err
	case "c,g,h,w":
		if kv["c"] != "fill" || kv["w"] != "1200" || kv["h"] != "630" {
			return notRecipe(comp, "a fixed size is only offered as the 1200×630 card (c_fill,g_auto,w_1200,h_630)")
		}
		r.Aspect = CardAspect
		return gravity()
	case "ar,c,g", "ar,c,g,w":
		if kv["c"] != "fill" {
			return notRecipe(comp, "crops by aspect ratio use c_fill")
		}
		if !aspectRE.MatchString(kv["ar"]) {
			return notRecipe(comp, "ar_ needs a ratio such as 16:9")
		}
		r.Aspect = kv["ar"]
		if has(kv, "w") {
			w, err := width()
			if err != nil {
				return err
			}
			r.Width = w
		}
		return gravity()
	}
	return notRecipe(comp, "crops are c_fill,ar_W:H,g_G[,w_N], c_fill,g_G,w_1200,h_630 or c_scale,w_N")
}

// Clamp keeps level within t's range.
func (t Tunable) Clamp(level int) int {
	return int(math.Max(float64(t.Min), math.Min(float64(t.Max), float64(level))))
}

// OutputSize is the pixel size the recipe delivers for an original of w×h
// (a fill crop takes the largest area of the ratio, then scales to Width).
func (r Recipe) OutputSize(w, h int) (int, int) {
	if w <= 0 || h <= 0 {
		return w, h
	}
	switch {
	case r.Aspect == CardAspect:
		return 1200, 630
	case r.Aspect != "":
		aw, ah := 1, 1
		fmt.Sscanf(r.Aspect, "%d:%d", &aw, &ah)
		cw, ch := w, int(math.Round(float64(w)*float64(ah)/float64(aw)))
		if ch > h {
			cw, ch = int(math.Round(float64(h)*float64(aw)/float64(ah))), h
		}
		if r.Width > 0 {
			return r.Width, int(math.Round(float64(r.Width) * float64(ah) / float64(aw)))
		}
		return cw, ch
	case r.Width > 0:
		return r.Width, int(math.Round(float64(h) * float64(r.Width) / float64(w)))
	}
	return w, h
}

// videoParams are the transformation parameters Cloudinary applies to
// videos that the studio and presets use.
var videoParams = map[string]bool{"c": true, "w": true, "h": true, "ar": true, "g": true, "e": true, "f": true, "q": true, "so": true, "eo": true, "du": true}

var videoCrops = map[string]bool{"fill": true, "scale": true, "limit": true}

// VideoCapable says whether transformation makes sense on a video: resize
// and crop, trims, f_auto/q_auto and the effects Cloudinary applies to
// video. Background removal, c_thumb and image-only effects do not.
func VideoCapable(transformation string) bool {
	if transformation == "" {
		return true
	}
	for _, comp := range strings.Split(transformation, "/") {
		for _, p := range strings.Split(comp, ",") {
			k, v, _ := strings.Cut(p, "_")
			switch {
			case !videoParams[k]:
				return false
			case k == "c" && !videoCrops[v]:
				return false
			case k == "e":
				name, _, _ := strings.Cut(v, ":")
				if t, ok := TunableByName(name); !ok || !t.Video {
					return false
				}
			}
		}
	}
	return true
}

// ForVideo says whether the preset is offered for videos.
func (p Preset) ForVideo() bool { return VideoCapable(p.Transformation) }
