package preview

import (
	"context"
	"image"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/effects"
	"github.com/cloudup/cloudup/core/library"
)

// Adapter is the Account of a real profile: the cloud client, the shared
// thumbnail cache and the delivery host. It keeps the secret (a
// self-redacting account.Secret) only to sign links, so the view never sees
// it. The library view's AccountFrom builds on it.
type Adapter struct {
	Client  *cloud.Client
	Thumbs  *library.Thumbs
	Deliver effects.Delivery
	Secret  account.Secret // empty: signed links are refused with effects.ErrSecretNeeded
	Format  effects.LinkFormat
}

// AccountFrom adapts the concrete core types of one profile (what
// session.Open, library.NewThumbs and effects.DeliveryFor give the app).
func AccountFrom(client *cloud.Client, thumbs *library.Thumbs, delivery effects.Delivery, secret account.Secret, format effects.LinkFormat) *Adapter {
	return &Adapter{Client: client, Thumbs: thumbs, Deliver: delivery, Secret: secret, Format: format}
}

// Thumb fetches through the two-level cache.
func (a *Adapter) Thumb(ctx context.Context, url string) (image.Image, error) {
	return a.Thumbs.Get(ctx, url)
}

// CachedThumb answers from memory without I/O, so known images draw at once.
func (a *Adapter) CachedThumb(url string) (image.Image, bool) { return a.Thumbs.Cached(url) }

// Delivery is the account's delivery host.
func (a *Adapter) Delivery() effects.Delivery { return a.Deliver }

// SignedURL signs with the profile's secret.
func (a *Adapter) SignedURL(ref effects.Ref, transformation string) (string, error) {
	return a.Deliver.URL(ref, transformation, a.Secret.Reveal(), true)
}

// Destroy deletes the asset and invalidates its CDN copies.
func (a *Adapter) Destroy(ctx context.Context, ref cloud.Ref) error {
	return a.Client.Destroy(ctx, ref, true)
}

// LinkFormat is the profile's default link format.
func (a *Adapter) LinkFormat() effects.LinkFormat { return a.Format }
