package style

import (
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// luminance is WCAG 2's relative luminance of an opaque colour.
func luminance(c color.Color) float64 {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	lin := func(v uint8) float64 {
		x := float64(v) / 255
		if x <= 0.04045 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(n.R) + 0.7152*lin(n.G) + 0.0722*lin(n.B)
}

// contrast is WCAG 2's contrast ratio, from 1 to 21.
func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func TestContrastFormulaMatchesWCAG(t *testing.T) {
	for _, tc := range []struct {
		a, b color.Color
		want float64
	}{
		{color.Black, color.White, 21},
		{color.NRGBA{0x76, 0x76, 0x76, 0xff}, color.White, 4.54}, // the lightest grey that passes on white
		{color.NRGBA{0xff, 0x98, 0x00, 0xff}, color.White, 2.16}, // Fyne's warning orange on white
	} {
		if got := contrast(tc.a, tc.b); math.Abs(got-tc.want) > 0.01 {
			t.Errorf("contrast(%v, %v) = %.2f, want %.2f", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestEveryTextMeetsWCAGAAInBothVariants(t *testing.T) {
	test.NewTempApp(t)
	th := Theme()
	for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		for _, p := range TextPairs {
			text, back := p.Colors(th, v)
			if r := contrast(text, back); r < 4.5 {
				t.Errorf("variant %d, %s: %s on %s is %.2f:1, below 4.5:1", v, p.Where, p.Text, p.Under+"+"+p.Over, r)
			}
		}
	}
}

// The check would have caught what the issue saw: Fyne's own banner.
func TestTheDefaultThemeFailsTheCheckThisThemePasses(t *testing.T) {
	test.NewTempApp(t)
	banner := Pair{Text: theme.ColorNameWarning, Under: theme.ColorNameBackground, Over: theme.ColorNameWarning, OverAlpha: BannerAlpha}
	text, back := banner.Colors(theme.DefaultTheme(), theme.VariantLight)
	if r := contrast(text, back); r >= 4.5 {
		t.Fatalf("Fyne's light banner is %.2f:1; the check cannot tell good from bad", r)
	}
}
