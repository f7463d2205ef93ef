package library

import (
	"context"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/effects"
	corelib "github.com/cloudup/cloudup/core/library"
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
