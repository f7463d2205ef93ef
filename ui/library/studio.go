package library

import (
	"context"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/ui/studio"
)

// openStudio replaces the preview with the studio on a, starting from the
// transformation the preview showed.
func (v *View) openStudio(a cloud.Asset, transformation string) {
	if v.acct == nil {
		return
	}
	if v.studio == nil {
		v.studio = studio.New(v.win, v.tasks)
	}
	var p studio.Profile
	if v.StudioProfile != nil {
		p = v.StudioProfile()
	}
	v.studio.SetAccount(v.acct, p)
	v.preview.Close()
	v.studio.Show(a, transformation)
}

// Studio is the studio once opened (nil before).
func (v *View) Studio() *studio.View { return v.studio }

// CreateNamedTransformation saves a studio chain on the account as t_NAME
// (studio.NamedSaver); accounts without the secret at hand refuse it.
func (a adapter) CreateNamedTransformation(ctx context.Context, name, transformation string) error {
	return a.Client.CreateNamedTransformation(ctx, name, transformation)
}
