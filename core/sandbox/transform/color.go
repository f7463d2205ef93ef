package transform

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"
)

// namedColors are the colour names Cloudinary's docs use most (CSS names).
var namedColors = map[string]color.NRGBA{
	"transparent": {},
	"black":       {0, 0, 0, 255},
	"white":       {255, 255, 255, 255},
	"red":         {255, 0, 0, 255},
	"green":       {0, 128, 0, 255},
	"lime":        {0, 255, 0, 255},
	"blue":        {0, 0, 255, 255},
	"yellow":      {255, 255, 0, 255},
	"cyan":        {0, 255, 255, 255},
	"aqua":        {0, 255, 255, 255},
	"magenta":     {255, 0, 255, 255},
	"fuchsia":     {255, 0, 255, 255},
	"gray":        {128, 128, 128, 255},
	"grey":        {128, 128, 128, 255},
	"lightgray":   {211, 211, 211, 255},
	"lightgrey":   {211, 211, 211, 255},
	"darkgray":    {169, 169, 169, 255},
	"darkgrey":    {169, 169, 169, 255},
	"silver":      {192, 192, 192, 255},
	"maroon":      {128, 0, 0, 255},
	"olive":       {128, 128, 0, 255},
	"navy":        {0, 0, 128, 255},
	"purple":      {128, 0, 128, 255},
	"teal":        {0, 128, 128, 255},
	"orange":      {255, 165, 0, 255},
	"pink":        {255, 192, 203, 255},
	"brown":       {165, 42, 42, 255},
	"gold":        {255, 215, 0, 255},
	"beige":       {245, 245, 220, 255},
	"ivory":       {255, 255, 240, 255},
	"khaki":       {240, 230, 140, 255},
	"salmon":      {250, 128, 114, 255},
	"coral":       {255, 127, 80, 255},
	"tomato":      {255, 99, 71, 255},
	"crimson":     {220, 20, 60, 255},
	"indigo":      {75, 0, 130, 255},
	"violet":      {238, 130, 238, 255},
	"turquoise":   {64, 224, 208, 255},
	"skyblue":     {135, 206, 235, 255},
	"whitesmoke":  {245, 245, 245, 255},
}

// parseColor reads a colour name or rgb:RGB, rgb:RGBA, rgb:RRGGBB or
// rgb:RRGGBBAA. Every fully transparent colour becomes the zero colour so
// that they all print as "transparent".
func parseColor(v string) (color.NRGBA, bool) {
	if c, ok := namedColors[v]; ok {
		return c, true
	}
	hex, ok := strings.CutPrefix(v, "rgb:")
	if !ok {
		return color.NRGBA{}, false
	}
	switch len(hex) {
	case 3, 4:
		var b strings.Builder
		for _, r := range hex {
			b.WriteRune(r)
			b.WriteRune(r)
		}
		hex = b.String()
	case 6, 8:
	default:
		return color.NRGBA{}, false
	}
	if len(hex) == 6 {
		hex += "ff"
	}
	n, err := strconv.ParseUint(hex, 16, 32)
	if err != nil {
		return color.NRGBA{}, false
	}
	c := color.NRGBA{uint8(n >> 24), uint8(n >> 16), uint8(n >> 8), uint8(n)}
	if c.A == 0 {
		c = color.NRGBA{}
	}
	return c, true
}

// colorString is the canonical spelling of a colour: rgb:rrggbb, with the
// alpha byte only when it is not opaque, or "transparent".
func colorString(c color.NRGBA) string {
	switch c.A {
	case 0:
		return "transparent"
	case 255:
		return fmt.Sprintf("rgb:%02x%02x%02x", c.R, c.G, c.B)
	}
	return fmt.Sprintf("rgb:%02x%02x%02x%02x", c.R, c.G, c.B, c.A)
}
