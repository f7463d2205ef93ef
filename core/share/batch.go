package share

import (
	"context"
	"path"
	"regexp"
	"strings"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/effects"
)

// FormatOf is a profile's link format as the Tracker takes it: any of URL,
// Markdown, HTML, srcset, picture and its templates (an unknown one is a
// URL).
func FormatOf(p account.Profile) effects.LinkFormat {
	f := string(p.LinkFormat)
	switch f {
	case SnippetURL, SnippetMarkdown, SnippetHTML, SnippetSrcset, SnippetPicture:
		return effects.LinkFormat(f)
	}
	if name, ok := strings.CutPrefix(f, templatePrefix); ok {
		for _, t := range p.LinkTemplates {
			if t.Name == name {
				return effects.LinkFormat(f)
			}
		}
	}
	return effects.LinkURL
}

// TemplatesOf converts a profile's link templates.
func TemplatesOf(p account.Profile) []Template {
	out := make([]Template, 0, len(p.LinkTemplates))
	for _, t := range p.LinkTemplates {
		out = append(out, Template{Name: t.Name, Text: t.Text})
	}
	return out
}

// deliveryRE finds where a delivery URL's transformation goes: after the
// delivery type, before the optional version.
var deliveryRE = regexp.MustCompile(`^(.*/(?:image|video)/(?:upload|private|authenticated)/)((?:s--[A-Za-z0-9_-]+--/)?)(.*)$`)

// splice puts transformation (and extension ext) into an asset's own link.
// A signed link cannot take another transformation and keeps its own.
func splice(link, transformation, ext string) string {
	m := deliveryRE.FindStringSubmatch(link)
	if m == nil || m[2] != "" {
		return link
	}
	rest := m[3]
	if ext != "" {
		if e := path.Ext(rest); e != "" && !strings.Contains(e, "/") {
			rest = strings.TrimSuffix(rest, e)
		}
		rest += "." + ext
	}
	if transformation == "" {
		return m[1] + rest
	}
	return m[1] + transformation + "/" + rest
}

// BatchLink is an uploaded asset's link in format, for the links a batch
// copies at once. Alt text comes from the asset's context, else the file's
// name, as the one-at-a-time copies from a batch always did.
func BatchLink(format effects.LinkFormat, a *cloud.Asset, name string, templates []Template) string {
	link := a.Link()
	alt := AltFrom(a.Context)
	if alt == "" {
		alt = strings.TrimSuffix(name, path.Ext(name))
	}
	switch format {
	case effects.LinkURL, effects.LinkMarkdown, effects.LinkHTML, "":
		return effects.Link(format, link, a.ResourceType, alt)
	}
	f := string(format)
	if a.ResourceType == "video" && (f == SnippetSrcset || f == SnippetPicture) {
		f = SnippetVideo
	}
	if a.ResourceType == "raw" && !strings.HasPrefix(f, templatePrefix) {
		return effects.Link(effects.LinkHTML, link, a.ResourceType, alt)
	}
	s := Subject{PublicID: a.PublicID, ResourceType: a.ResourceType, Width: a.Width, Height: a.Height, Name: name, Alt: alt, NoAlt: true}
	text, err := Snippet(context.Background(), f, s, templates, func(_ context.Context, tr, ext string) (string, error) {
		return splice(link, tr, ext), nil
	})
	if err != nil {
		return effects.Link(effects.LinkHTML, link, a.ResourceType, alt)
	}
	return text
}
