package library

import (
	"context"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/effects"
	corelib "github.com/cloudup/cloudup/core/library"
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
// the profile's secret (kept only to sign links; empty means signed links
// are refused) and its link format. The same value serves the preview.
func AccountFrom(client *cloud.Client, thumbs *corelib.Thumbs, delivery effects.Delivery, secret account.Secret, format effects.LinkFormat) Account {
	return adapter{preview.AccountFrom(client, thumbs, delivery, secret, format)}
}
