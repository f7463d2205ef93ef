package preview

import (
	"context"
	"image"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/effects"
	"github.com/cloudup/cloudup/core/library"
	"github.com/cloudup/cloudup/core/teamsign"
)

// Adapter is the Account of a real profile: the cloud client, the shared
// thumbnail cache and the delivery host. Links are signed by Links (the
// session's: with the secret in the keychain, or by the team's signing
// service), so the view never sees a secret or a token. The library view's
// AccountFrom builds on it.
type Adapter struct {
	Client  *cloud.Client
	Thumbs  *library.Thumbs
	Deliver effects.Delivery
	Links   LinkSigner // nil: signed links are refused with effects.ErrSecretNeeded
	Format  effects.LinkFormat
	// Grant is a team profile's grant once the service said it (nil
	// before, and for other profiles): what the editor may do. It is read
	// on the UI goroutine.
	Grant func() *teamsign.Grant
}

// LinkSigner signs a delivery URL; *session.Session's SignedURL is one.
type LinkSigner func(ctx context.Context, ref effects.Ref, transformation string) (string, error)

// AccountFrom adapts the concrete core types of one profile (what
// session.Open, library.NewThumbs and effects.DeliveryFor give the app).
func AccountFrom(client *cloud.Client, thumbs *library.Thumbs, delivery effects.Delivery, links LinkSigner, format effects.LinkFormat) *Adapter {
	return &Adapter{Client: client, Thumbs: thumbs, Deliver: delivery, Links: links, Format: format}
}

// Thumb fetches through the two-level cache.
func (a *Adapter) Thumb(ctx context.Context, url string) (image.Image, error) {
	return a.Thumbs.Get(ctx, url)
}

// CachedThumb answers from memory without I/O, so known images draw at once.
func (a *Adapter) CachedThumb(url string) (image.Image, bool) { return a.Thumbs.Cached(url) }

// Delivery is the account's delivery host.
func (a *Adapter) Delivery() effects.Delivery { return a.Deliver }

// SignedURL has the link signed by the profile's signer.
func (a *Adapter) SignedURL(ctx context.Context, ref effects.Ref, transformation string) (string, error) {
	if a.Links == nil {
		return "", effects.ErrSecretNeeded
	}
	return a.Links(ctx, ref, transformation)
}

// MayDelete says whether the editor's grant allows deleting, and when not,
// why in words.
func (a *Adapter) MayDelete() (bool, string) {
	if a.Grant == nil {
		return true, ""
	}
	if g := a.Grant(); g != nil && !g.CanDelete {
		return false, "Your team access does not include deleting; ask the account owner."
	}
	return true, ""
}

// Destroy deletes the asset and invalidates its CDN copies.
func (a *Adapter) Destroy(ctx context.Context, ref cloud.Ref) error {
	return a.Client.Destroy(ctx, ref, true)
}

// LinkFormat is the profile's default link format.
func (a *Adapter) LinkFormat() effects.LinkFormat { return a.Format }
