// Package effects knows the one-click presets editors try on an image, builds
// the delivery URL of exactly what is shown (through cloudinary-go's URL
// builder, optionally signed), and formats share links as a URL, Markdown or
// HTML. It performs no I/O and never stores the secret it may be handed for
// signing.
package effects

import (
	"errors"
	"fmt"
	"html"
	"net/url"
	"strings"

	"github.com/cloudinary/cloudinary-go/v2/api"
	"github.com/cloudinary/cloudinary-go/v2/asset"
	"github.com/cloudinary/cloudinary-go/v2/config"
)

// Kind groups presets in the preview's toolbar.
type Kind string

const (
	KindEffect Kind = "effect"
	KindFormat Kind = "format"
	KindSize   Kind = "size"
)

// Preset is a named transformation an editor applies with one click.
type Preset struct {
	Name           string // stable id used by the CLI (--effect NAME) and settings
	Label          string // what the button says
	Transformation string // Cloudinary transformation; "" for the original
	Kind           Kind
	// Slow presets may answer 423 while Cloudinary processes them; callers poll.
	Slow bool
}

// Presets in toolbar order.
var Presets = []Preset{
	{Name: "original", Label: "Original", Kind: KindEffect},
	{Name: "grayscale", Label: "Grayscale", Transformation: "e_grayscale", Kind: KindEffect},
	{Name: "sepia", Label: "Sepia", Transformation: "e_sepia", Kind: KindEffect},
	{Name: "improve", Label: "Improve", Transformation: "e_improve", Kind: KindEffect},
	{Name: "sharpen", Label: "Sharpen", Transformation: "e_sharpen", Kind: KindEffect},
	{Name: "vignette", Label: "Vignette", Transformation: "e_vignette", Kind: KindEffect},
	{Name: "background-removal", Label: "Background removal", Transformation: "e_background_removal", Kind: KindEffect, Slow: true},
	{Name: "auto", Label: "Auto format + quality", Transformation: "f_auto,q_auto", Kind: KindFormat},
	{Name: "thumbnail", Label: "Thumbnail 150×150", Transformation: "c_thumb,g_auto,w_150,h_150", Kind: KindSize},
	{Name: "square", Label: "Square 1080×1080", Transformation: "c_fill,g_auto,w_1080,h_1080", Kind: KindSize},
	{Name: "social", Label: "Social card 1200×630", Transformation: "c_fill,g_auto,w_1200,h_630", Kind: KindSize},
}

// Lookup finds a preset by name (case-insensitive; "bg-removal" and spaces
// are accepted as spellings of the same names).
func Lookup(name string) (Preset, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.ReplaceAll(n, " ", "-")
	n = strings.ReplaceAll(n, "_", "-")
	if n == "bg-removal" {
		n = "background-removal"
	}
	for _, p := range Presets {
		if p.Name == n {
			return p, nil
		}
	}
	names := make([]string, len(Presets))
	for i, p := range Presets {
		names[i] = p.Name
	}
	return Preset{}, fmt.Errorf("unknown effect %q: choose one of %s", name, strings.Join(names, ", "))
}

// Thumbnail is the transformation for a grid cell of w×h pixels: filled with
// the salient part of the image, in the best format and quality the viewer
// accepts.
func Thumbnail(w, h int) string {
	return fmt.Sprintf("c_fill,g_auto,w_%d,h_%d/f_auto,q_auto", w, h)
}

// Chain joins transformation components with "/", skipping empty ones.
func Chain(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.Trim(strings.TrimSpace(p), "/"); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "/")
}

// Ref names a delivered asset.
type Ref struct {
	PublicID     string
	ResourceType string // image (default), video, raw
	Type         string // delivery type, default upload
	Version      int64
	Format       string // extension to request; "" lets the CDN pick
}

// Delivery says where an account's assets are delivered from.
type Delivery struct {
	Cloud string
	// Host is the CDN host; empty means Cloudinary's shared res.cloudinary.com.
	// The sandbox sets it to its own 127.0.0.1:PORT.
	Host   string
	Secure bool
}

// DeliveryFor derives the delivery host from an account's API base URL:
// Cloudinary's own API hosts (api.cloudinary.com and the regional api-xx
// hosts) deliver from res.cloudinary.com over https; any other base (the
// sandbox, a proxy) delivers from the same host.
func DeliveryFor(cloud, apiBase string) (Delivery, error) {
	if apiBase == "" {
		return Delivery{Cloud: cloud, Secure: true}, nil
	}
	u, err := url.Parse(apiBase)
	if err != nil || u.Host == "" {
		return Delivery{}, fmt.Errorf("API base %q is not a URL like https://api.cloudinary.com", apiBase)
	}
	if strings.HasSuffix(u.Hostname(), ".cloudinary.com") {
		return Delivery{Cloud: cloud, Secure: true}, nil
	}
	return Delivery{Cloud: cloud, Host: u.Host, Secure: u.Scheme == "https"}, nil
}

// ErrSecretNeeded is returned when a signed URL is asked for without a secret.
var ErrSecretNeeded = errors.New("a signed link needs the account's API secret: save it in Settings or use an unsigned link")

// URL returns the delivery URL of ref with transformation applied. When
// secret is non-empty the URL is signed (s--SIG--), which accounts with
// strict transformations require.
func (d Delivery) URL(ref Ref, transformation string, secret string, signed bool) (string, error) {
	if ref.PublicID == "" {
		return "", errors.New("no public ID given")
	}
	if signed && secret == "" {
		return "", ErrSecretNeeded
	}
	// The SDK's Configuration is a plain struct: build it directly so the
	// secret (only set when signing) never passes through a URL string.
	conf, err := config.NewFromParams(d.Cloud, "unused", "unused")
	if err != nil {
		return "", err
	}
	conf.Cloud.APISecret = ""
	if signed {
		conf.Cloud.APISecret = secret
	}
	conf.URL.Secure = d.Secure
	conf.URL.Analytics = false
	conf.URL.SignURL = signed
	if d.Host != "" {
		if d.Secure {
			conf.URL.SecureCName = d.Host
		} else {
			conf.URL.CName = d.Host
		}
	}
	a, err := asset.New(ref.PublicID, conf)
	if err != nil {
		return "", err
	}
	switch ref.ResourceType {
	case "", "image":
	case "video":
		a.AssetType = api.Video
	case "raw":
		a.AssetType = api.File
	default:
		return "", fmt.Errorf("unknown resource type %q: use image, video or raw", ref.ResourceType)
	}
	if ref.Type != "" {
		a.DeliveryType = api.DeliveryType(ref.Type)
	}
	a.Version = int(ref.Version)
	a.Transformation = Chain(transformation)
	if ref.Format != "" {
		a.PublicID = ref.PublicID + "." + ref.Format
	}
	return a.String()
}

// Poster is the URL of a still frame of a video asset (Cloudinary serves one
// when a video is requested with an image extension).
func (d Delivery) Poster(ref Ref, transformation string) (string, error) {
	ref.ResourceType = "video"
	ref.Format = "jpg"
	return d.URL(ref, transformation, "", false)
}

// LinkFormat is how a share link is copied.
type LinkFormat string

const (
	LinkURL      LinkFormat = "url"
	LinkMarkdown LinkFormat = "markdown"
	LinkHTML     LinkFormat = "html"
)

// ParseLinkFormat accepts url, markdown (md) and html.
func ParseLinkFormat(s string) (LinkFormat, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "url":
		return LinkURL, nil
	case "markdown", "md":
		return LinkMarkdown, nil
	case "html":
		return LinkHTML, nil
	}
	return "", fmt.Errorf("unknown link format %q: use url, markdown or html", s)
}

// Link formats a delivery URL for pasting: images embed, videos play, other
// files become plain links. alt is the visible/alternative text.
func Link(format LinkFormat, link, resourceType, alt string) string {
	switch format {
	case LinkMarkdown:
		text := strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`).Replace(alt)
		dest := strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29").Replace(link)
		if resourceType == "" || resourceType == "image" {
			return "![" + text + "](" + dest + ")"
		}
		return "[" + text + "](" + dest + ")"
	case LinkHTML:
		src := html.EscapeString(link)
		switch resourceType {
		case "", "image":
			return `<img src="` + src + `" alt="` + html.EscapeString(alt) + `">`
		case "video":
			return `<video src="` + src + `" controls></video>`
		default:
			return `<a href="` + src + `">` + html.EscapeString(alt) + `</a>`
		}
	default:
		return link
	}
}
