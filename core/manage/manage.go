// Package manage runs an editor's bulk actions on assets already in the
// account: tags, alt text and captions in Cloudinary's batch forms (up to
// 1,000 public ids a call), moves, deletions and downloads a few at a time.
// A bulk action never stops at the first failure: its Outcome says how many
// were done and, for each one that failed, why.
package manage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/cloudup/cloudup/core/cloud"
)

// BatchSize is the most public ids Cloudinary's tags and context calls take.
const BatchSize = 1000

// Parallel is how many single-asset calls (move, delete, download) run at
// once: enough to hide latency, few enough for the Admin API's rate limit.
const Parallel = 4

// API is the part of the Cloudinary client bulk actions use.
type API interface {
	Tags(ctx context.Context, cmd cloud.TagCommand, tag, resourceType string, publicIDs []string) ([]string, error)
	AddContext(ctx context.Context, kv map[string]string, resourceType, typ string, publicIDs []string) ([]string, error)
	Update(ctx context.Context, ref cloud.Ref, up cloud.Update) (*cloud.Asset, error)
	Destroy(ctx context.Context, ref cloud.Ref, invalidate bool) error
}

// Failure is one asset a bulk action could not change, and why.
type Failure struct {
	Asset cloud.Asset
	Err   error
}

// Outcome is what a bulk action did.
type Outcome struct {
	Total   int
	Done    int
	Changed []cloud.Asset // the assets as they are now, where the call said
	Failed  []Failure
}

// Err is nil when everything was done, else an error whose text is Summary.
func (o Outcome) Err() error {
	if len(o.Failed) == 0 {
		return nil
	}
	return errors.New(o.Summary())
}

// Summary is "12 of 14 done, 2 failed: a.jpg: why; b.jpg: why" (the first
// three reasons, then how many more).
func (o Outcome) Summary() string {
	s := fmt.Sprintf("%d of %d done", o.Done, o.Total)
	if len(o.Failed) == 0 {
		return s
	}
	var why []string
	for i, f := range o.Failed {
		if i == 3 {
			why = append(why, fmt.Sprintf("and %d more", len(o.Failed)-3))
			break
		}
		why = append(why, f.Asset.Name()+": "+reason(f.Err))
	}
	return fmt.Sprintf("%s, %d failed: %s", s, len(o.Failed), strings.Join(why, "; "))
}

func reason(err error) string {
	if errors.Is(err, cloud.ErrNotFound) {
		return "it is no longer in the account"
	}
	return err.Error()
}

// Progress is told how many assets are finished (done or failed) so far.
type Progress func(finished, total int)

func ref(a cloud.Asset) cloud.Ref {
	return cloud.Ref{PublicID: a.PublicID, ResourceType: a.ResourceType, Type: a.Type}
}

type groupKey struct{ rt, typ string }

// groups splits assets by resource type and delivery type (one batch call
// covers one of each), then into batches of BatchSize, in the given order.
func groups(assets []cloud.Asset) (keys []groupKey, batches map[groupKey][][]cloud.Asset) {
	batches = map[groupKey][][]cloud.Asset{}
	for _, a := range assets {
		k := groupKey{rt: orDefault(a.ResourceType, "image"), typ: orDefault(a.Type, "upload")}
		bs := batches[k]
		if len(bs) == 0 {
			keys = append(keys, k)
		}
		if len(bs) == 0 || len(bs[len(bs)-1]) == BatchSize {
			bs = append(bs, nil)
		}
		bs[len(bs)-1] = append(bs[len(bs)-1], a)
		batches[k] = bs
	}
	return keys, batches
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// batched runs call once per batch. The public ids a call answers with are
// done; the others of its batch failed (not found); a call that fails fails
// its whole batch with its reason, and the next batch still runs.
func batched(ctx context.Context, assets []cloud.Asset, progress Progress, call func(ctx context.Context, k groupKey, ids []string) ([]string, error)) Outcome {
	out := Outcome{Total: len(assets)}
	keys, batches := groups(assets)
	finished := 0
	for _, k := range keys {
		for _, batch := range batches[k] {
			ids := make([]string, len(batch))
			for i, a := range batch {
				ids[i] = a.PublicID
			}
			var changed []string
			err := ctx.Err()
			if err == nil {
				changed, err = call(ctx, k, ids)
			}
			ok := map[string]bool{}
			for _, id := range changed {
				ok[id] = true
			}
			for _, a := range batch {
				switch {
				case err != nil:
					out.Failed = append(out.Failed, Failure{Asset: a, Err: err})
				case ok[a.PublicID]:
					out.Done++
					out.Changed = append(out.Changed, a)
				default:
					out.Failed = append(out.Failed, Failure{Asset: a, Err: fmt.Errorf("%s: %w", a.PublicID, cloud.ErrNotFound)})
				}
			}
			finished += len(batch)
			if progress != nil {
				progress(finished, len(assets))
			}
		}
	}
	return out
}

// AddTag adds tag to every asset, in batches.
func AddTag(ctx context.Context, api API, assets []cloud.Asset, tag string, progress Progress) Outcome {
	return tagCommand(ctx, api, cloud.TagAdd, assets, tag, progress)
}

// RemoveTag removes tag from every asset, in batches.
func RemoveTag(ctx context.Context, api API, assets []cloud.Asset, tag string, progress Progress) Outcome {
	return tagCommand(ctx, api, cloud.TagRemove, assets, tag, progress)
}

func tagCommand(ctx context.Context, api API, cmd cloud.TagCommand, assets []cloud.Asset, tag string, progress Progress) Outcome {
	tag = strings.TrimSpace(tag)
	if tag == "" {
		return refuseAll(assets, errors.New("no tag given: type the tag first"))
	}
	if strings.Contains(tag, ",") {
		return refuseAll(assets, errors.New("a tag cannot contain a comma: type one tag at a time"))
	}
	return batched(ctx, assets, progress, func(ctx context.Context, k groupKey, ids []string) ([]string, error) {
		if k.typ != "upload" {
			return nil, fmt.Errorf("Cloudup changes tags of public uploads only, and this asset is %s: change its tags in the Cloudinary console", k.typ)
		}
		return api.Tags(ctx, cmd, tag, k.rt, ids)
	})
}

// SetContext sets one context key (alt, caption) on every asset, in
// batches; an empty value removes it.
func SetContext(ctx context.Context, api API, assets []cloud.Asset, key, value string, progress Progress) Outcome {
	return batched(ctx, assets, progress, func(ctx context.Context, k groupKey, ids []string) ([]string, error) {
		return api.AddContext(ctx, map[string]string{key: value}, k.rt, k.typ, ids)
	})
}

func refuseAll(assets []cloud.Asset, err error) Outcome {
	out := Outcome{Total: len(assets)}
	for _, a := range assets {
		out.Failed = append(out.Failed, Failure{Asset: a, Err: err})
	}
	return out
}

// each runs fn for every asset, Parallel at a time, and collects the
// outcome in the assets' order.
func each(ctx context.Context, assets []cloud.Asset, progress Progress, fn func(ctx context.Context, a cloud.Asset) (*cloud.Asset, error)) Outcome {
	type result struct {
		now *cloud.Asset
		err error
	}
	results := make([]result, len(assets))
	var mu sync.Mutex
	finished := 0
	sem := make(chan struct{}, Parallel)
	var wg sync.WaitGroup
	for i, a := range assets {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var r result
			if r.err = ctx.Err(); r.err == nil {
				r.now, r.err = fn(ctx, a)
			}
			results[i] = r
			mu.Lock()
			finished++
			if progress != nil {
				progress(finished, len(assets))
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	out := Outcome{Total: len(assets)}
	for i, r := range results {
		if r.err != nil {
			out.Failed = append(out.Failed, Failure{Asset: assets[i], Err: r.err})
			continue
		}
		out.Done++
		if r.now != nil {
			out.Changed = append(out.Changed, *r.now)
		} else {
			out.Changed = append(out.Changed, assets[i])
		}
	}
	return out
}

// Move puts every asset in folder (its asset_folder; the public_id and so
// its links stay).
func Move(ctx context.Context, api API, assets []cloud.Asset, folder string, progress Progress) Outcome {
	folder = strings.Trim(strings.TrimSpace(folder), "/")
	return each(ctx, assets, progress, func(ctx context.Context, a cloud.Asset) (*cloud.Asset, error) {
		return api.Update(ctx, ref(a), cloud.Update{AssetFolder: &folder})
	})
}

// Delete deletes every asset (and its CDN copies).
func Delete(ctx context.Context, api API, assets []cloud.Asset, progress Progress) Outcome {
	return each(ctx, assets, progress, func(ctx context.Context, a cloud.Asset) (*cloud.Asset, error) {
		return nil, api.Destroy(ctx, ref(a), true)
	})
}

// ConfirmDelete is the one question asked before deleting: the count and
// the first few names.
func ConfirmDelete(assets []cloud.Asset) string {
	const shown = 3
	var names []string
	for i, a := range assets {
		if i == shown {
			break
		}
		names = append(names, "“"+a.Name()+"”")
	}
	list := strings.Join(names, ", ")
	if len(assets) > shown {
		list += fmt.Sprintf(" and %d more", len(assets)-shown)
	}
	if len(assets) == 1 {
		return fmt.Sprintf("Delete %s from the account? Its links stop working.", list)
	}
	return fmt.Sprintf("Delete %d assets (%s) from the account? Their links stop working.", len(assets), list)
}
