// Package style is Cloudup's look: Fyne's theme with the colours that
// carry text changed until every text meets WCAG AA (a contrast of 4.5:1)
// on what it is drawn on, in the light and the dark variant. The default
// theme's orange, red and green on white, its blue on black and its grey
// placeholders fall short; TextPairs lists every pairing the window draws
// so a test can hold the line.
//
// It only picks colours: sizes, fonts and icons are Fyne's.
package style

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Theme is the app's theme; cmd/cloudup sets it.
func Theme() fyne.Theme { return look{} }

type look struct{}

// palette holds the colours that differ from Fyne's, per variant.
var palette = map[fyne.ThemeVariant]map[fyne.ThemeColorName]color.Color{
	theme.VariantDark: {
		// A lighter blue, readable on the dark background, with dark text
		// on it (white on a blue light enough to read is too faint).
		theme.ColorNamePrimary:             color.NRGBA{0x6e, 0xa2, 0xff, 0xff},
		theme.ColorNameHyperlink:           color.NRGBA{0x6e, 0xa2, 0xff, 0xff},
		theme.ColorNameForegroundOnPrimary: color.NRGBA{0x10, 0x10, 0x12, 0xff},
		theme.ColorNameError:               color.NRGBA{0xff, 0x6b, 0x5e, 0xff},
		theme.ColorNameForegroundOnError:   color.NRGBA{0x10, 0x10, 0x12, 0xff},
	},
	theme.VariantLight: {
		theme.ColorNamePrimary:             color.NRGBA{0x1a, 0x56, 0xc8, 0xff},
		theme.ColorNameHyperlink:           color.NRGBA{0x1a, 0x56, 0xc8, 0xff},
		theme.ColorNameForegroundOnPrimary: color.White,
		// Orange, red and green dark enough for text on white and for
		// white text on them.
		theme.ColorNameWarning:             color.NRGBA{0x96, 0x45, 0x00, 0xff},
		theme.ColorNameError:               color.NRGBA{0xb7, 0x1c, 0x1c, 0xff},
		theme.ColorNameSuccess:             color.NRGBA{0x1e, 0x7a, 0x34, 0xff},
		theme.ColorNameForegroundOnWarning: color.White,
		theme.ColorNameForegroundOnError:   color.White,
		theme.ColorNameForegroundOnSuccess: color.White,
		theme.ColorNamePlaceHolder:         color.NRGBA{0x6b, 0x6b, 0x6b, 0xff},
		theme.ColorNameForeground:          color.NRGBA{0x3c, 0x3c, 0x3c, 0xff},
	},
}

func (look) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if c, ok := palette[v][n]; ok {
		return c
	}
	return theme.DefaultTheme().Color(n, v)
}

func (look) Font(s fyne.TextStyle) fyne.Resource     { return theme.DefaultTheme().Font(s) }
func (look) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }
func (look) Size(n fyne.ThemeSizeName) float32       { return theme.DefaultTheme().Size(n) }

// BannerAlpha is how much of its colour a banner lays over the background
// (the window's sandbox and problem banners).
const BannerAlpha = 0x28

// Pair is a text colour and what it is drawn on: Under, with Over laid on
// it when Over is set (translucent highlights, banners).
type Pair struct {
	Text        fyne.ThemeColorName
	Under, Over fyne.ThemeColorName
	// OverAlpha replaces Over's own alpha when not 0 (the banners).
	OverAlpha uint8
	Where     string
}

// TextPairs are the pairings of text and background the window draws.
// Disabled text is left out: WCAG asks no contrast of inactive controls.
// Progress bars draw no text (the rows and the footer say the numbers).
var TextPairs = []Pair{
	{Text: theme.ColorNameForeground, Under: theme.ColorNameBackground, Where: "labels"},
	{Text: theme.ColorNameForeground, Under: theme.ColorNameInputBackground, Where: "text fields"},
	{Text: theme.ColorNamePlaceHolder, Under: theme.ColorNameInputBackground, Where: "placeholders"},
	{Text: theme.ColorNameForeground, Under: theme.ColorNameButton, Where: "buttons"},
	{Text: theme.ColorNameForeground, Under: theme.ColorNameOverlayBackground, Where: "dialogs"},
	{Text: theme.ColorNameForeground, Under: theme.ColorNameMenuBackground, Where: "menus"},
	{Text: theme.ColorNameForeground, Under: theme.ColorNameHeaderBackground, Where: "headers"},
	{Text: theme.ColorNameForeground, Under: theme.ColorNameBackground, Over: theme.ColorNameHover, Where: "hovered rows"},
	{Text: theme.ColorNameForeground, Under: theme.ColorNameBackground, Over: theme.ColorNameSelection, Where: "selected rows"},
	{Text: theme.ColorNamePrimary, Under: theme.ColorNameBackground, Where: "selected tab, high-importance labels"},
	{Text: theme.ColorNameHyperlink, Under: theme.ColorNameBackground, Where: "links"},
	{Text: theme.ColorNameError, Under: theme.ColorNameBackground, Where: "failed rows, errors"},
	{Text: theme.ColorNameError, Under: theme.ColorNameOverlayBackground, Where: "errors in dialogs"},
	{Text: theme.ColorNameWarning, Under: theme.ColorNameBackground, Where: "warnings"},
	{Text: theme.ColorNameWarning, Under: theme.ColorNameOverlayBackground, Where: "warnings in Settings"},
	{Text: theme.ColorNameSuccess, Under: theme.ColorNameBackground, Where: "last contact, saved"},
	{Text: theme.ColorNameSuccess, Under: theme.ColorNameOverlayBackground, Where: "saved, in Settings"},
	{Text: theme.ColorNameForegroundOnPrimary, Under: theme.ColorNamePrimary, Where: "high-importance buttons"},
	{Text: theme.ColorNameForegroundOnError, Under: theme.ColorNameError, Where: "danger buttons"},
	{Text: theme.ColorNameForegroundOnWarning, Under: theme.ColorNameWarning, Where: "warning buttons"},
	{Text: theme.ColorNameForegroundOnSuccess, Under: theme.ColorNameSuccess, Where: "success buttons"},
	{Text: theme.ColorNameWarning, Under: theme.ColorNameBackground, Over: theme.ColorNameWarning, OverAlpha: BannerAlpha, Where: "the sandbox banner"},
	{Text: theme.ColorNameError, Under: theme.ColorNameBackground, Over: theme.ColorNameError, OverAlpha: BannerAlpha, Where: "the problem banner"},
}

// Colors resolves p in th's variant v: the text and the background it
// sits on (Over laid on Under).
func (p Pair) Colors(th fyne.Theme, v fyne.ThemeVariant) (text, back color.Color) {
	back = th.Color(p.Under, v)
	if p.Over != "" {
		over := color.NRGBAModel.Convert(th.Color(p.Over, v)).(color.NRGBA)
		if p.OverAlpha != 0 {
			over.A = p.OverAlpha
		}
		back = Blend(over, back)
	}
	return th.Color(p.Text, v), back
}

// Blend lays over (with its alpha) on an opaque under.
func Blend(over, under color.Color) color.Color {
	o := color.NRGBAModel.Convert(over).(color.NRGBA)
	u := color.NRGBAModel.Convert(under).(color.NRGBA)
	a := float64(o.A) / 255
	mix := func(x, y uint8) uint8 { return uint8(float64(x)*a + float64(y)*(1-a) + 0.5) }
	return color.NRGBA{mix(o.R, u.R), mix(o.G, u.G), mix(o.B, u.B), 0xff}
}
