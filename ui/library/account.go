package library

import (
	"context"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/effects"
	corelib "github.com/cloudup/cloudup/core/library"
	"github.com/cloudup/cloudup/core/manage"
	"github.com/cloudup/cloudup/core/teamsign"
	"github.com/cloudup/cloudup/ui/preview"
)

// adapter is the Account of a real profile.
type adapter struct{ *preview.Adapter }

// Search runs the Search API call.
func (a adapter) Search(ctx context.Context, q cloud.SearchQuery) (*cloud.SearchResult, error) {
	return a.Client.Search(ctx, q)
}

// AccountFrom adapts one profile's core types: the client from
// session.Open, the shared library.NewThumbs cache, effects.DeliveryFor,
// the session's link signer (nil means signed links are refused) and its
// link format. The same value serves the preview.
func AccountFrom(client *cloud.Client, thumbs *corelib.Thumbs, delivery effects.Delivery, links preview.LinkSigner, format effects.LinkFormat) Account {
	return adapter{preview.AccountFrom(client, thumbs, delivery, links, format)}
}

// WithGrant tells the account where to read what a team editor may do.
func WithGrant(a Account, g func() *teamsign.Grant) Account {
	if ad, ok := a.(adapter); ok {
		cp := *ad.Adapter
		cp.Grant = g
		return adapter{&cp}
	}
	return a
}

// Folders lists the folders inside parent (Admin API).
func (a adapter) Folders(ctx context.Context, parent string) ([]cloud.Folder, error) {
	return a.Client.Folders(ctx, parent)
}

// Bulk is the client the bulk actions call.
func (a adapter) Bulk() manage.API { return a.Client }

// TagNames lists the image tags the account uses, for completion.
func (a adapter) TagNames(ctx context.Context, prefix string) ([]string, error) {
	return a.Client.TagNames(ctx, "image", prefix, 2000)
}
