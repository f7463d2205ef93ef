package share

import (
	"context"
	"errors"
	"fmt"
	"html"
	"path"
	"strconv"
	"strings"

	"github.com/cloudup/cloudup/core/effects"
)

// Snippet formats beyond effects' URL, Markdown and HTML: a responsive
// <img srcset sizes>, a <picture> with breakpoints, an HTML <video> with its
// poster, and the profile's own templates ("template:NAME").
const (
	SnippetURL      = "url"
	SnippetMarkdown = "markdown"
	SnippetHTML     = "html"
	SnippetSrcset   = "srcset"
	SnippetPicture  = "picture"
	SnippetVideo    = "video"
	templatePrefix  = "template:"
)

// Template is a saved snippet with placeholders {url} {name} {alt} {width}
// {height} {public_id}.
type Template struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

// TemplateFormat is the snippet format that fills template name.
func TemplateFormat(name string) string { return templatePrefix + name }

// Placeholders a template may use.
var Placeholders = []string{"{url}", "{name}", "{alt}", "{width}", "{height}", "{public_id}"}

// CheckTemplate says what is wrong with a template: an unknown {placeholder}
// or no {url}.
func CheckTemplate(t Template) error {
	if strings.TrimSpace(t.Name) == "" {
		return errors.New("give the template a name")
	}
	rest := t.Text
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			break
		}
		ph := rest[i : i+j+1]
		known := false
		for _, p := range Placeholders {
			known = known || p == ph
		}
		if !known {
			return fmt.Errorf("template %q uses %s: use %s", t.Name, ph, strings.Join(Placeholders, " "))
		}
		rest = rest[i+j+1:]
	}
	if !strings.Contains(t.Text, "{url}") {
		return fmt.Errorf("template %q has no {url}: add it where the link goes", t.Name)
	}
	return nil
}

// Linker returns the delivery URL of the subject with transformation
// applied, signed when the profile signs links. ext "" keeps the asset's
// own; a video's poster asks for "jpg". Signatures cover the extension, so
// every link of a snippet is made (and signed) by the Linker.
type Linker func(ctx context.Context, transformation, ext string) (string, error)

// Subject is what a snippet is for.
type Subject struct {
	PublicID     string
	ResourceType string // image (default) or video
	// Width and Height are the delivered size of Transformation (the
	// original's when there is none).
	Width, Height  int
	Transformation string
	Name           string // the file's name, for {name}
	Alt            string
	// NoAlt is the editor's deliberate choice to copy without alt text.
	NoAlt bool
}

// ErrNoAlt asks for alt text before an image is copied into a page.
var ErrNoAlt = errors.New("this image has no alt text: write one, or tick “No alt text” to copy without it.")

// AltFrom is an asset's alt text from its context (alt, then caption).
func AltFrom(context map[string]string) string {
	if a := strings.TrimSpace(context["alt"]); a != "" {
		return a
	}
	return strings.TrimSpace(context["caption"])
}

// Breakpoints are the widths a responsive snippet offers for an image
// delivered w pixels wide: common layout widths below w, then w itself.
func Breakpoints(w int) []int {
	if w <= 0 {
		return nil
	}
	var out []int
	for _, b := range []int{320, 480, 640, 768, 1024, 1280, 1600, 1920, 2560} {
		// Skip a step too close to w to be worth its own file.
		if b < w && float64(b) < 0.9*float64(w) {
			out = append(out, b)
		}
	}
	return append(out, w)
}

// responsive is the transformation of one breakpoint: the subject's chain
// without its own delivery options, scaled to w, then f_auto,q_auto.
func responsive(tr string, w, full int) string {
	var keep []string
	for _, c := range strings.Split(tr, "/") {
		if c == "f_auto,q_auto" || c == "q_auto,f_auto" {
			continue
		}
		keep = append(keep, c)
	}
	scale := ""
	if w != full {
		scale = "c_scale,w_" + strconv.Itoa(w)
	}
	return effects.Chain(append(keep, scale, "f_auto,q_auto")...)
}

// Snippet builds what format pastes for s. templates are the profile's.
// Formats that embed an image need alt text unless s.NoAlt.
func Snippet(ctx context.Context, format string, s Subject, templates []Template, link Linker) (string, error) {
	video := s.ResourceType == "video"
	needsAlt := format != SnippetURL && format != SnippetVideo && !video
	if t, ok := strings.CutPrefix(format, templatePrefix); ok {
		needsAlt = false
		for _, tpl := range templates {
			if tpl.Name == t {
				needsAlt = strings.Contains(tpl.Text, "{alt}")
			}
		}
	}
	if needsAlt && strings.TrimSpace(s.Alt) == "" && !s.NoAlt {
		return "", ErrNoAlt
	}
	alt := strings.TrimSpace(s.Alt)
	main, err := link(ctx, s.Transformation, "")
	if err != nil {
		return "", err
	}
	dims := ""
	if s.Width > 0 && s.Height > 0 {
		dims = fmt.Sprintf(` width="%d" height="%d"`, s.Width, s.Height)
	}
	switch format {
	case SnippetURL:
		return main, nil
	case SnippetMarkdown:
		return effects.Link(effects.LinkMarkdown, main, s.ResourceType, alt), nil
	case SnippetHTML:
		if video {
			return videoTag(ctx, s, main, dims, link)
		}
		return `<img src="` + html.EscapeString(main) + `" alt="` + html.EscapeString(alt) + `"` + dims + `>`, nil
	case SnippetVideo:
		if !video {
			return "", errors.New("a <video> tag is for videos: choose <img> or <picture> for an image")
		}
		return videoTag(ctx, s, main, dims, link)
	case SnippetSrcset, SnippetPicture:
		if video {
			return "", errors.New("responsive images are for images: copy a video as <video>")
		}
		if s.Width <= 0 {
			return "", errors.New("the image's width is not known yet: wait for the preview, then copy again")
		}
		bps := Breakpoints(s.Width)
		urls := make([]string, len(bps))
		for i, w := range bps {
			if urls[i], err = link(ctx, responsive(s.Transformation, w, s.Width), ""); err != nil {
				return "", err
			}
		}
		if format == SnippetSrcset {
			return srcsetTag(bps, urls, alt, dims, s.Width), nil
		}
		return pictureTag(bps, urls, alt, dims), nil
	}
	if name, ok := strings.CutPrefix(format, templatePrefix); ok {
		for _, t := range templates {
			if t.Name == name {
				return fillTemplate(t.Text, s, main, alt), nil
			}
		}
		return "", fmt.Errorf("no link template is called %q: pick another link format in Settings", name)
	}
	return "", fmt.Errorf("unknown link format %q: use url, markdown, html, srcset, picture, video or a template", format)
}

func srcsetTag(bps []int, urls []string, alt, dims string, full int) string {
	var set []string
	for i, w := range bps {
		set = append(set, html.EscapeString(urls[i])+" "+strconv.Itoa(w)+"w")
	}
	return fmt.Sprintf(`<img src="%s" srcset="%s" sizes="(max-width: %dpx) 100vw, %dpx" alt="%s"%s loading="lazy">`,
		html.EscapeString(urls[len(urls)-1]), strings.Join(set, ", "), full, full, html.EscapeString(alt), dims)
}

func pictureTag(bps []int, urls []string, alt, dims string) string {
	var b strings.Builder
	b.WriteString("<picture>\n")
	for i, w := range bps[:len(bps)-1] {
		fmt.Fprintf(&b, "  <source media=\"(max-width: %dpx)\" srcset=\"%s\">\n", w, html.EscapeString(urls[i]))
	}
	fmt.Fprintf(&b, "  <img src=\"%s\" alt=\"%s\"%s loading=\"lazy\">\n</picture>", html.EscapeString(urls[len(urls)-1]), html.EscapeString(alt), dims)
	return b.String()
}

// videoTag plays the video with a still frame as poster (the first frame
// of what plays, so a trim's start).
func videoTag(ctx context.Context, s Subject, main, dims string, link Linker) (string, error) {
	poster, err := link(ctx, s.Transformation, "jpg")
	if err != nil {
		return "", err
	}
	return `<video src="` + html.EscapeString(main) + `" poster="` + html.EscapeString(poster) + `"` + dims + ` controls preload="metadata"></video>`, nil
}

func fillTemplate(text string, s Subject, link, alt string) string {
	name := s.Name
	if name == "" {
		name = path.Base(s.PublicID)
	}
	return strings.NewReplacer(
		"{url}", link,
		"{name}", name,
		"{alt}", alt,
		"{width}", strconv.Itoa(s.Width),
		"{height}", strconv.Itoa(s.Height),
		"{public_id}", s.PublicID,
	).Replace(text)
}
