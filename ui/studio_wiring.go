package ui

import (
	"context"
	"errors"
	"strings"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/ui/settings"
	"github.com/cloudup/cloudup/ui/studio"
)

// studioProfile gives the studio profile p's saved presets and link
// templates, read afresh each time it opens, and saves presets into p.
func studioProfile(store settings.Store, p account.Profile) func() studio.Profile {
	return func() studio.Profile {
		cur := p
		if store != nil {
			if got, err := store.Get(p.Name); err == nil {
				cur = got
			}
		}
		sp := studio.Profile{Presets: cur.StudioPresets, Templates: cur.LinkTemplates, Default: cur.LinkFormat}
		if store != nil {
			sp.SavePreset = func(_ context.Context, preset account.StudioPreset) error {
				return savePreset(store, p.Name, preset)
			}
		}
		return sp
	}
}

// savePreset adds preset to the named profile, replacing one of the same
// name (names are matched without regard to case, as Validate does).
func savePreset(store settings.Store, name string, preset account.StudioPreset) error {
	if store == nil {
		return errors.New("no profile store")
	}
	p, err := store.Get(name)
	if err != nil {
		return err
	}
	replaced := false
	for i, old := range p.StudioPresets {
		if strings.EqualFold(old.Name, preset.Name) {
			p.StudioPresets[i], replaced = preset, true
		}
	}
	if !replaced {
		p.StudioPresets = append(p.StudioPresets, preset)
	}
	return store.Put(p)
}
