package session

import (
	"context"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/effects"
	"github.com/cloudup/cloudup/core/teamsign"
)

// linkSigner signs a delivery URL (s--…--), for accounts with strict
// transformations.
type linkSigner func(ctx context.Context, ref effects.Ref, transformation string) (string, error)

func localLinks(p account.Profile, secret account.Secret) linkSigner {
	return func(_ context.Context, ref effects.Ref, transformation string) (string, error) {
		d, err := effects.DeliveryFor(p.Cloud, p.APIBase)
		if err != nil {
			return "", err
		}
		return d.URL(ref, transformation, secret.Reveal(), true)
	}
}

func teamLinks(c *teamsign.Client) linkSigner {
	return func(ctx context.Context, ref effects.Ref, transformation string) (string, error) {
		return c.SignURL(ctx, teamsign.SignURLRequest{
			PublicID: ref.PublicID, ResourceType: ref.ResourceType, Type: ref.Type,
			Transformation: effects.Chain(transformation), Format: ref.Format, Version: ref.Version,
		})
	}
}
