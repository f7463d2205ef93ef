package transform

import (
	"image/color"
	"slices"
	"strconv"
	"strings"
)

// Chain is a parsed transformation: one Step per "/"-separated component,
// each applied to the output of the one before.
type Chain []Step

// Step is one component, such as "c_fill,g_auto,w_400,h_300". Zero fields
// were not given. Values are normalised while parsing (defaults filled in,
// colours resolved, angles reduced to 0..359, flags sorted) so that two
// spellings of the same request compare equal and print the same String.
type Step struct {
	Width, Height Size       // w_, h_
	AspectRatio   Ratio      // ar_
	Crop          CropMode   // c_
	Gravity       Gravity    // g_
	X, Y          Offset     // x_, y_
	Background    Background // b_
	Effect        Effect     // e_
	Angle         []AngleOp  // a_: degrees, or modes joined with "."
	Radius        Radius     // r_
	Border        Border     // bo_
	Opacity       Opacity    // o_
	Format        string     // f_: jpg, png, webp, gif, bmp, tiff or auto
	Quality       Quality    // q_
	DPR           DPR        // dpr_
	Flags         []string   // fl_, sorted, without duplicates
}

// Size is a width or height: whole pixels, or a fraction of the input's
// size when written with a decimal point (w_0.5 is half, w_1.0 the same).
type Size struct {
	Pixels   int
	Fraction float64
}

func (s Size) set() bool { return s.Pixels > 0 || s.Fraction > 0 }

// Offset is x_ or y_: pixels, or a fraction of the input when written with
// a decimal point. Zero is a valid offset, hence Set.
type Offset struct {
	Set      bool
	Pixels   int
	Fraction float64
	Relative bool
}

// Ratio is ar_: W:H, or a single number stored as W with H = 1.
type Ratio struct{ W, H float64 }

func (r Ratio) set() bool      { return r.W > 0 && r.H > 0 }
func (r Ratio) value() float64 { return r.W / r.H }

// String prints the ratio as it was written: "16:9" or "1.5".
func (r Ratio) String() string {
	if r.H == 1 {
		return formatNumber(r.W)
	}
	return formatNumber(r.W) + ":" + formatNumber(r.H)
}

// CropMode is c_.
type CropMode string

const (
	CropScale CropMode = "scale"
	CropFit   CropMode = "fit"
	CropLimit CropMode = "limit"
	CropMFit  CropMode = "mfit"
	CropFill  CropMode = "fill"
	CropLFill CropMode = "lfill"
	CropPad   CropMode = "pad"
	CropLPad  CropMode = "lpad"
	CropMPad  CropMode = "mpad"
	CropThumb CropMode = "thumb"
	CropCrop  CropMode = "crop"
)

var cropModes = []CropMode{CropScale, CropFit, CropLimit, CropMFit, CropFill, CropLFill, CropPad, CropLPad, CropMPad, CropThumb, CropCrop}

// Gravity is g_.
type Gravity string

const (
	GravityCenter    Gravity = "center"
	GravityNorth     Gravity = "north"
	GravitySouth     Gravity = "south"
	GravityEast      Gravity = "east"
	GravityWest      Gravity = "west"
	GravityNorthEast Gravity = "north_east"
	GravityNorthWest Gravity = "north_west"
	GravitySouthEast Gravity = "south_east"
	GravitySouthWest Gravity = "south_west"
	GravityAuto      Gravity = "auto"
	GravityFace      Gravity = "face"
	GravityFaces     Gravity = "faces"
)

var gravities = []Gravity{GravityCenter, GravityNorth, GravitySouth, GravityEast, GravityWest,
	GravityNorthEast, GravityNorthWest, GravitySouthEast, GravitySouthWest, GravityAuto, GravityFace, GravityFaces}

// salient reports whether the gravity asks for the interesting part of the
// image rather than a fixed anchor. Faces use the saliency estimate too.
func (g Gravity) salient() bool {
	return g == GravityAuto || g == GravityFace || g == GravityFaces
}

// Background is b_: a colour (transparent is the zero colour) or auto, the
// predominant border colour, which Cloudinary allows only with pad modes.
type Background struct {
	Set   bool
	Auto  bool
	Color color.NRGBA
}

// Effect is e_. Level holds the effect's parameter, with Cloudinary's
// default filled in when the URL omits it (0 for e_pixelate means "derive
// the block size from the image"). Mode is e_improve's indoor or outdoor.
type Effect struct {
	Name  string
	Level int
	Mode  string
}

// AngleOp is one a_ value: a clockwise rotation in degrees (0..359), or a
// flip, or "ignore" (Cloudinary's switch for EXIF auto-rotation, which the
// sandbox never does, so it changes nothing).
type AngleOp struct {
	Degrees int
	Flip    string // "hflip", "vflip", "ignore" or "" for a rotation
}

// Radius is r_: Max for a circle or ellipse, else per-corner radii in the
// order top-left, top-right, bottom-right, bottom-left.
type Radius struct {
	Set     bool
	Max     bool
	Corners [4]int
}

// Border is bo_<Width>px_solid_<Color>; Width 0 means no border.
type Border struct {
	Width int
	Color color.NRGBA
}

// Opacity is o_, 0..100 percent.
type Opacity struct {
	Set     bool
	Percent int
}

// Quality is q_: Value 1..100, or Auto set to good, best, eco or low
// (q_auto means good).
type Quality struct {
	Value int
	Auto  string
}

// DPR is dpr_: a device pixel ratio multiplying sizes; dpr_auto needs client
// hints the sandbox does not get, so it means 1.
type DPR struct {
	Value float64
	Auto  bool
}

func (d DPR) factor() float64 {
	if d.Value > 0 {
		return d.Value
	}
	return 1
}

// param is one transformation key: how to read its value into a Step and
// how to print it back in canonical form ("" when the Step lacks it).
type param struct {
	key   string
	parse func(s *Step, v string) error
	print func(s Step) string
}

// params in canonical print order (alphabetical by key, as the SDKs emit).
var params = []param{
	{"a", parseAngle, printAngle},
	{"ar", parseAspectRatio, func(s Step) string { return cond(s.AspectRatio.set(), s.AspectRatio.String()) }},
	{"b", parseBackground, printBackground},
	{"bo", parseBorder, printBorder},
	{"c", parseCrop, func(s Step) string { return string(s.Crop) }},
	{"dpr", parseDPR, printDPR},
	{"e", parseEffect, printEffect},
	{"f", parseFormatParam, func(s Step) string { return s.Format }},
	{"fl", parseFlags, func(s Step) string { return strings.Join(s.Flags, ".") }},
	{"g", parseGravity, func(s Step) string { return string(s.Gravity) }},
	{"h", func(s *Step, v string) (err error) { s.Height, err = parseSize("height", v); return }, func(s Step) string { return printSize(s.Height) }},
	{"o", parseOpacity, func(s Step) string { return cond(s.Opacity.Set, strconv.Itoa(s.Opacity.Percent)) }},
	{"q", parseQuality, printQuality},
	{"r", parseRadius, printRadius},
	{"t", parseNamed, func(Step) string { return "" }},
	{"w", func(s *Step, v string) (err error) { s.Width, err = parseSize("width", v); return }, func(s Step) string { return printSize(s.Width) }},
	{"x", func(s *Step, v string) (err error) { s.X, err = parseOffset("x", v); return }, func(s Step) string { return printOffset(s.X) }},
	{"y", func(s *Step, v string) (err error) { s.Y, err = parseOffset("y", v); return }, func(s Step) string { return printOffset(s.Y) }},
}

func cond(ok bool, s string) string {
	if ok {
		return s
	}
	return ""
}

func lookupParam(key string) (param, bool) {
	for _, p := range params {
		if p.key == key {
			return p, true
		}
	}
	return param{}, false
}

// Parse reads a delivery transformation such as
// "c_fill,g_auto,w_400,h_300/f_auto,q_auto". The empty string is the empty
// chain. Anything it does not understand is an *Error, never ignored.
func Parse(s string) (Chain, error) {
	if s == "" {
		return nil, nil
	}
	components := strings.Split(s, "/")
	if len(components) > MaxComponents {
		return nil, errorf("Too many transformation components - %d (the sandbox applies at most %d; combine parameters into fewer components)", len(components), MaxComponents)
	}
	chain := make(Chain, 0, len(components))
	for _, comp := range components {
		step, err := parseStep(comp)
		if err != nil {
			return nil, err
		}
		chain = append(chain, step)
	}
	return chain, nil
}

func parseStep(comp string) (Step, error) {
	var step Step
	if comp == "" {
		return step, errorf("Invalid transformation component - empty component (remove the doubled or trailing /)")
	}
	seen := make(map[string]bool, 4)
	for _, part := range strings.Split(comp, ",") {
		if part == "" {
			return step, errorf("Invalid transformation component - %s (it has an empty parameter; remove the extra comma)", show(comp))
		}
		key, value, ok := strings.Cut(part, "_")
		p, known := lookupParam(key)
		if !ok || !known {
			return step, errorf("Invalid transformation component - %s", show(part))
		}
		if seen[key] {
			return step, errorf("Invalid transformation component - %s (%s_ appears twice; put the second one in its own component after a /)", show(comp), key)
		}
		seen[key] = true
		if err := p.parse(&step, value); err != nil {
			return step, err
		}
	}
	if step.Background.Auto && step.Crop != CropPad && step.Crop != CropLPad && step.Crop != CropMPad {
		return step, errorf("Invalid background - auto (b_auto works only with c_pad, c_lpad or c_mpad in the same component)")
	}
	return step, nil
}

// String is the canonical form of the chain: parameters in a fixed order,
// values normalised. The sandbox uses it as the cache key, and parsing it
// gives back an equal chain.
func (c Chain) String() string {
	parts := make([]string, len(c))
	for i, s := range c {
		parts[i] = s.String()
	}
	return strings.Join(parts, "/")
}

// String is the canonical form of one component. A Step with nothing set
// prints as "" and cannot come out of Parse.
func (s Step) String() string {
	var out []string
	for _, p := range params {
		if v := p.print(s); v != "" {
			out = append(out, p.key+"_"+v)
		}
	}
	return strings.Join(out, ",")
}

// NeedsBackgroundRemoval reports whether any step removes the background:
// Cloudinary answers 423 while it computes that, and the sandbox imitates it.
func (c Chain) NeedsBackgroundRemoval() bool {
	for _, s := range c {
		if s.Effect.Name == "background_removal" {
			return true
		}
	}
	return false
}

// NegotiatesFormat reports whether the delivered format depends on the
// request's Accept header (f_auto), so the server must key its cache on the
// negotiated format and answer with Vary: Accept.
func (c Chain) NegotiatesFormat() bool { return c.format() == "auto" }

// HasFlag reports whether any step carries fl_name (with or without a
// ":value"), e.g. fl_attachment, which the server turns into a download.
func (c Chain) HasFlag(name string) bool {
	for _, s := range c {
		for _, f := range s.Flags {
			if f == name || strings.HasPrefix(f, name+":") {
				return true
			}
		}
	}
	return false
}

// format is the last f_ in the chain: a later component overrides an earlier one.
func (c Chain) format() string {
	for i := len(c) - 1; i >= 0; i-- {
		if c[i].Format != "" {
			return c[i].Format
		}
	}
	return ""
}

func (c Chain) quality() Quality {
	for i := len(c) - 1; i >= 0; i-- {
		if c[i].Quality != (Quality{}) {
			return c[i].Quality
		}
	}
	return Quality{}
}

// show keeps user input printable in an error message that ends up in an
// HTTP header: long or non-ASCII values are quoted and cut.
func show(s string) string {
	const max = 80
	if len(s) > max {
		s = s[:max] + "..."
	}
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return strconv.QuoteToASCII(s)
		}
	}
	return s
}

// parseDecimal accepts what Cloudinary writes as numbers: digits with at
// most one decimal point and, when signed, a leading minus. strconv alone
// would also take exponents, "Inf", "NaN", hex and "+".
func parseDecimal(s string, signed bool) (v float64, point bool, ok bool) {
	if len(s) == 0 || len(s) > 24 {
		return 0, false, false
	}
	body := s
	if signed && body[0] == '-' {
		body = body[1:]
	}
	digits := 0
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !point:
			point = true
		default:
			return 0, false, false
		}
	}
	if digits == 0 {
		return 0, false, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false, false
	}
	if v == 0 {
		v = 0 // "-0" and "-0.0" are plain zero, so they print and compare as 0
	}
	return v, point, true
}

// parseInt accepts a whole number of at most 7 digits.
func parseInt(s string, signed bool) (int, bool) {
	v, point, ok := parseDecimal(s, signed)
	if !ok || point || v > 9_999_999 || v < -9_999_999 {
		return 0, false
	}
	return int(v), true
}

// formatNumber prints the shortest decimal that parses back to v.
func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// formatRelative prints v with a decimal point, since "1.0" (relative) and
// "1" (one pixel) mean different things.
func formatRelative(v float64) string {
	s := formatNumber(v)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

const maxParsedPixels = 100_000

func parseSize(name, v string) (Size, error) {
	f, point, ok := parseDecimal(v, false)
	if !ok {
		return Size{}, errorf("Invalid %s - %s (use whole pixels like 400, or a fraction like 0.5)", name, show(v))
	}
	if point {
		if f <= 0 || f > 100 {
			return Size{}, errorf("Invalid %s - %s (a relative %s must be above 0 and at most 100.0)", name, show(v), name)
		}
		return Size{Fraction: f}, nil
	}
	if f < 1 || f > maxParsedPixels {
		return Size{}, errorf("Invalid %s - %s (use 1 to %d pixels)", name, show(v), MaxSide)
	}
	return Size{Pixels: int(f)}, nil
}

func printSize(s Size) string {
	switch {
	case s.Pixels > 0:
		return strconv.Itoa(s.Pixels)
	case s.Fraction > 0:
		return formatRelative(s.Fraction)
	}
	return ""
}

func parseOffset(name, v string) (Offset, error) {
	f, point, ok := parseDecimal(v, true)
	if !ok {
		return Offset{}, errorf("Invalid %s - %s (use whole pixels like 20 or -20, or a fraction like 0.25)", name, show(v))
	}
	if point {
		if f < -100 || f > 100 {
			return Offset{}, errorf("Invalid %s - %s (a relative offset must be between -100.0 and 100.0)", name, show(v))
		}
		return Offset{Set: true, Fraction: f, Relative: true}, nil
	}
	if f < -maxParsedPixels || f > maxParsedPixels {
		return Offset{}, errorf("Invalid %s - %s (the offset is larger than any image)", name, show(v))
	}
	return Offset{Set: true, Pixels: int(f)}, nil
}

func printOffset(o Offset) string {
	switch {
	case !o.Set:
		return ""
	case o.Relative:
		return formatRelative(o.Fraction)
	}
	return strconv.Itoa(o.Pixels)
}

func parseAspectRatio(s *Step, v string) error {
	bad := func() error {
		return errorf("Invalid aspect ratio - %s (use ar_16:9 or ar_1.5)", show(v))
	}
	ws, hs, colon := strings.Cut(v, ":")
	w, _, ok := parseDecimal(ws, false)
	if !ok {
		return bad()
	}
	h := 1.0
	if colon {
		if h, _, ok = parseDecimal(hs, false); !ok {
			return bad()
		}
	}
	if w <= 0 || h <= 0 || w/h < 0.001 || w/h > 1000 {
		return bad()
	}
	s.AspectRatio = Ratio{W: w, H: h}
	return nil
}

func parseCrop(s *Step, v string) error {
	if !slices.Contains(cropModes, CropMode(v)) {
		return errorf("Invalid crop mode - %s (use scale, fit, limit, mfit, fill, lfill, pad, lpad, mpad, thumb or crop)", show(v))
	}
	s.Crop = CropMode(v)
	return nil
}

func parseGravity(s *Step, v string) error {
	if !slices.Contains(gravities, Gravity(v)) {
		return errorf("Invalid gravity - %s (use auto, center, north, south, east, west, north_east, north_west, south_east, south_west, face or faces)", show(v))
	}
	s.Gravity = Gravity(v)
	return nil
}

func parseBackground(s *Step, v string) error {
	if v == "auto" || v == "auto:border" || v == "auto:predominant" {
		s.Background = Background{Set: true, Auto: true}
		return nil
	}
	c, ok := parseColor(v)
	if !ok {
		return errorf("Invalid background - %s (use a colour name like white, rgb:ff0000, transparent or auto)", show(v))
	}
	s.Background = Background{Set: true, Color: c}
	return nil
}

func printBackground(s Step) string {
	switch {
	case !s.Background.Set:
		return ""
	case s.Background.Auto:
		return "auto"
	}
	return colorString(s.Background.Color)
}

func parseBorder(s *Step, v string) error {
	bad := func() error {
		return errorf("Invalid border - %s (use bo_<width>px_solid_<colour>, e.g. bo_4px_solid_black)", show(v))
	}
	parts := strings.SplitN(v, "_", 3)
	if len(parts) != 3 || parts[1] != "solid" || !strings.HasSuffix(parts[0], "px") {
		return bad()
	}
	width, ok := parseInt(strings.TrimSuffix(parts[0], "px"), false)
	if !ok || width < 1 || width > 1000 {
		return bad()
	}
	c, ok := parseColor(parts[2])
	if !ok {
		return bad()
	}
	s.Border = Border{Width: width, Color: c}
	return nil
}

func printBorder(s Step) string {
	if s.Border.Width == 0 {
		return ""
	}
	return strconv.Itoa(s.Border.Width) + "px_solid_" + colorString(s.Border.Color)
}

func parseDPR(s *Step, v string) error {
	if v == "auto" {
		s.DPR = DPR{Auto: true}
		return nil
	}
	f, _, ok := parseDecimal(v, false)
	if !ok || f < 0.1 || f > 5 {
		return errorf("Invalid dpr - %s (use a ratio from 0.1 to 5.0, e.g. dpr_2.0, or dpr_auto)", show(v))
	}
	s.DPR = DPR{Value: f}
	return nil
}

func printDPR(s Step) string {
	switch {
	case s.DPR.Auto:
		return "auto"
	case s.DPR.Value > 0:
		return formatRelative(s.DPR.Value)
	}
	return ""
}

// effectSpec is an effect's level range and the default Cloudinary uses
// when the URL gives none.
type effectSpec struct {
	hasLevel     bool
	min, max, at int
}

var effectSpecs = map[string]effectSpec{
	"grayscale":          {},
	"negate":             {},
	"background_removal": {},
	"sepia":              {true, 1, 100, 80},
	"sharpen":            {true, 1, 2000, 100},
	"vignette":           {true, 0, 100, 20},
	"blur":               {true, 1, 2000, 100},
	"pixelate":           {true, 1, 200, 0},
	"brightness":         {true, -99, 100, 80},
	"contrast":           {true, -100, 100, 0},
	"saturation":         {true, -100, 100, 80},
	"gamma":              {true, -50, 150, 0},
	"improve":            {true, 0, 100, 100}, // the level is the blend with the original
}

func parseEffect(s *Step, v string) error {
	name, arg, hasArg := strings.Cut(v, ":")
	spec, ok := effectSpecs[name]
	if !ok {
		return errorf("Invalid effect - %s (the sandbox knows %s)", show(name), strings.Join(effectNames(), ", "))
	}
	e := Effect{Name: name, Level: spec.at}
	var args []string
	if hasArg {
		args = strings.Split(arg, ":")
	}
	if name == "improve" {
		e.Mode = "outdoor"
		if len(args) > 0 && (args[0] == "indoor" || args[0] == "outdoor") {
			e.Mode, args = args[0], args[1:]
		}
	}
	if len(args) > 0 && !spec.hasLevel {
		return errorf("Invalid effect - %s (e_%s takes no parameter)", show(v), name)
	}
	if len(args) > 1 {
		return errorf("Invalid effect - %s (e_%s takes one level)", show(v), name)
	}
	if len(args) == 1 {
		level, ok := parseInt(args[0], spec.min < 0)
		if !ok || level < spec.min || level > spec.max {
			return errorf("Invalid effect - %s (the level of e_%s must be %d to %d)", show(v), name, spec.min, spec.max)
		}
		e.Level = level
	}
	s.Effect = e
	return nil
}

func effectNames() []string {
	names := make([]string, 0, len(effectSpecs))
	for n := range effectSpecs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func printEffect(s Step) string {
	e := s.Effect
	if e.Name == "" {
		return ""
	}
	out := e.Name
	if e.Name == "improve" && e.Mode != "outdoor" {
		out += ":" + e.Mode
	}
	if spec := effectSpecs[e.Name]; spec.hasLevel && e.Level != spec.at {
		out += ":" + strconv.Itoa(e.Level)
	}
	return out
}

// parseAngle reads degrees (a_90, a_-45) or modes, several of which may be
// joined with dots (a_hflip.vflip). Degrees stand alone, as in Cloudinary's
// syntax, so "a_12.5" is refused rather than read as 12 then 5.
func parseAngle(s *Step, v string) error {
	if deg, ok := parseInt(v, true); ok {
		s.Angle = []AngleOp{{Degrees: ((deg % 360) + 360) % 360}}
		return nil
	}
	var ops []AngleOp
	for _, tok := range strings.Split(v, ".") {
		switch tok {
		case "hflip", "vflip", "ignore":
			ops = append(ops, AngleOp{Flip: tok})
		default:
			return errorf("Invalid angle - %s (use whole degrees like a_90 or a_-45, or a_hflip, a_vflip, a_ignore)", show(v))
		}
	}
	s.Angle = ops
	return nil
}

func printAngle(s Step) string {
	toks := make([]string, len(s.Angle))
	for i, op := range s.Angle {
		if op.Flip != "" {
			toks[i] = op.Flip
		} else {
			toks[i] = strconv.Itoa(op.Degrees)
		}
	}
	return strings.Join(toks, ".")
}

func parseRadius(s *Step, v string) error {
	if v == "max" {
		s.Radius = Radius{Set: true, Max: true}
		return nil
	}
	toks := strings.Split(v, ":")
	if len(toks) > 4 {
		toks = nil
	}
	vals := make([]int, len(toks))
	for i, t := range toks {
		n, ok := parseInt(t, false)
		if !ok || n > maxParsedPixels {
			toks = nil
			break
		}
		vals[i] = n
	}
	if len(toks) == 0 {
		return errorf("Invalid radius - %s (use r_20, r_max, or up to four corner radii like r_20:0:20:0)", show(v))
	}
	// Cloudinary's shorthand, like CSS border-radius: corners clockwise from
	// the top left, a missing corner copying the one opposite it.
	var c [4]int
	switch len(vals) {
	case 1:
		c = [4]int{vals[0], vals[0], vals[0], vals[0]}
	case 2:
		c = [4]int{vals[0], vals[1], vals[0], vals[1]}
	case 3:
		c = [4]int{vals[0], vals[1], vals[2], vals[1]}
	case 4:
		c = [4]int{vals[0], vals[1], vals[2], vals[3]}
	}
	s.Radius = Radius{Set: true, Corners: c}
	return nil
}

func printRadius(s Step) string {
	r := s.Radius
	switch {
	case !r.Set:
		return ""
	case r.Max:
		return "max"
	case r.Corners[0] == r.Corners[1] && r.Corners[1] == r.Corners[2] && r.Corners[2] == r.Corners[3]:
		return strconv.Itoa(r.Corners[0])
	}
	return strings.Join([]string{strconv.Itoa(r.Corners[0]), strconv.Itoa(r.Corners[1]), strconv.Itoa(r.Corners[2]), strconv.Itoa(r.Corners[3])}, ":")
}

func parseOpacity(s *Step, v string) error {
	n, ok := parseInt(v, false)
	if !ok || n > 100 {
		return errorf("Invalid opacity - %s (use 0 to 100)", show(v))
	}
	s.Opacity = Opacity{Set: true, Percent: n}
	return nil
}

func parseFormatParam(s *Step, v string) error {
	if v == "auto" {
		s.Format = "auto"
		return nil
	}
	f, err := normalizeFormat(v)
	if err != nil {
		return err
	}
	s.Format = f
	return nil
}

// encodable formats, by canonical name.
var formats = []string{"jpg", "png", "webp", "gif", "bmp", "tiff"}

// unsupportedFormats are real Cloudinary formats the sandbox cannot encode;
// they get their own message so nobody thinks the URL is misspelt.
var unsupportedFormats = []string{"avif", "heic", "heif", "jxl", "jp2", "wdp", "jxr", "hdp", "pdf", "svg", "eps", "ps", "ico", "psd", "ai", "tga", "flif", "arw", "cr2", "dng", "mp4", "webm", "mov", "ogv", "mp3", "glb", "usdz"}

// normalizeFormat maps a format or file extension to its canonical name.
func normalizeFormat(v string) (string, error) {
	f := strings.ToLower(v)
	switch f {
	case "jpeg", "jpe":
		f = "jpg"
	case "tif":
		f = "tiff"
	}
	if slices.Contains(formats, f) {
		return f, nil
	}
	if slices.Contains(unsupportedFormats, f) {
		return "", errorf("Unsupported format - %s (the sandbox delivers jpg, png, webp, gif, bmp and tiff)", show(v))
	}
	return "", errorf("Invalid format - %s (use jpg, png, webp, gif, bmp, tiff or auto)", show(v))
}

// qualityLevels maps q_auto's levels to JPEG quality, roughly where
// Cloudinary's own choices land for photographs.
var qualityLevels = map[string]int{"best": 90, "good": 80, "eco": 65, "low": 50}

func parseQuality(s *Step, v string) error {
	if v == "auto" {
		s.Quality = Quality{Auto: "good"}
		return nil
	}
	if level, ok := strings.CutPrefix(v, "auto:"); ok {
		if _, known := qualityLevels[level]; !known {
			return errorf("Invalid quality - %s (use q_auto, q_auto:best, q_auto:good, q_auto:eco or q_auto:low)", show(v))
		}
		s.Quality = Quality{Auto: level}
		return nil
	}
	n, ok := parseInt(v, false)
	if !ok || n < 1 || n > 100 {
		return errorf("Invalid quality - %s (use 1 to 100 or auto)", show(v))
	}
	s.Quality = Quality{Value: n}
	return nil
}

func printQuality(s Step) string {
	switch {
	case s.Quality.Auto == "good":
		return "auto"
	case s.Quality.Auto != "":
		return "auto:" + s.Quality.Auto
	case s.Quality.Value > 0:
		return strconv.Itoa(s.Quality.Value)
	}
	return ""
}

// knownFlags are the fl_ flags the sandbox accepts. None changes pixels
// here: they steer delivery (attachment, caching), metadata or encoder
// details the sandbox's encoders do not have. The values list what may
// follow a colon; "*" allows a name such as fl_attachment:photo.
var knownFlags = map[string][]string{
	"attachment":            {"*"},
	"progressive":           {"semi", "steep", "none"},
	"lossy":                 nil,
	"keep_iptc":             nil,
	"keep_attribution":      nil,
	"strip_profile":         nil,
	"force_strip":           nil,
	"preserve_transparency": nil,
	"immutable_cache":       nil,
	"png8":                  nil,
	"png24":                 nil,
	"png32":                 nil,
	"any_format":            nil,
	"awebp":                 nil,
	"animated":              nil,
}

func parseFlags(s *Step, v string) error {
	var flags []string
	for _, tok := range strings.Split(v, ".") {
		name, arg, hasArg := strings.Cut(tok, ":")
		allowed, known := knownFlags[name]
		if !known {
			return errorf("Invalid flag - %s (the sandbox knows fl_%s)", show(name), strings.Join(flagNames(), ", fl_"))
		}
		if hasArg {
			ok := slices.Contains(allowed, arg) || (slices.Contains(allowed, "*") && plainName(arg))
			if !ok {
				return errorf("Invalid flag - %s (fl_%s does not take %q)", show(tok), name, show(arg))
			}
		}
		flags = append(flags, tok)
	}
	slices.Sort(flags)
	s.Flags = slices.Compact(flags)
	return nil
}

func flagNames() []string {
	names := make([]string, 0, len(knownFlags))
	for n := range knownFlags {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// plainName is a file name fl_attachment may carry: letters, digits, - and _.
func plainName(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// parseNamed refuses t_: named transformations live in an account's
// settings, and the sandbox has none.
func parseNamed(_ *Step, v string) error {
	return errorf("Transformation t_%s not found (the sandbox has no named transformations; write the parameters out)", show(v))
}
