package transfer

import "github.com/cloudup/cloudup/core/cloud"

// doneItem is what a retired item keeps: a file uploaded, or found already
// on Cloudinary, whose run has settled and whose journal and history writes
// are decided. Its row, its link and "Upload again" need no more; the
// history has the rest. About 330 bytes where a live item and its asset
// took 1,100.
type doneItem struct {
	name, path, url string
	size, sent      int64
	attempt         int32
	opts            *Options // for Upload again
	asset           doneAsset
	// The planned public id, local MD5 and kind, as the live item had them.
	publicID, md5, resourceType, format string
	resumed                             bool
}

// doneAsset is slimAsset's answer kept inline: the fields a row, a link and
// the details panel read. Strings equal to the item's share its copy.
type doneAsset struct {
	publicID, format, resourceType, typ string
	version, bytes                      int64
	width, height                       int32
	duration                            float64
	etag, link, assetFolder             string
	displayName, originalFilename       string
	tags                                []string
	context                             map[string]string
	has, secure, existing, overwritten  bool
}

func keepAsset(a *cloud.Asset) doneAsset {
	if a == nil {
		return doneAsset{}
	}
	return doneAsset{
		publicID: a.PublicID, format: a.Format, resourceType: a.ResourceType, typ: a.Type, version: a.Version, bytes: a.Bytes,
		width: int32(a.Width), height: int32(a.Height), duration: a.Duration, etag: a.ETag, link: a.Link(),
		assetFolder: a.AssetFolder, displayName: a.DisplayName, originalFilename: a.OriginalFilename, tags: a.Tags,
		context: a.Context, has: true, secure: a.SecureURL != "", existing: a.Existing, overwritten: a.Overwritten,
	}
}

// cloudAsset is the asset again, a copy of its own for the caller.
func (d *doneAsset) cloudAsset() *cloud.Asset {
	if !d.has {
		return nil
	}
	a := &cloud.Asset{
		PublicID: d.publicID, Format: d.format, ResourceType: d.resourceType, Type: d.typ, Version: d.version, Bytes: d.bytes,
		Width: int(d.width), Height: int(d.height), Duration: d.duration, ETag: d.etag, AssetFolder: d.assetFolder,
		DisplayName: d.displayName, OriginalFilename: d.originalFilename, Tags: d.tags, Context: d.context,
		Existing: d.existing, Overwritten: d.overwritten,
	}
	if d.secure {
		a.SecureURL = d.link
	} else {
		a.URL = d.link
	}
	return a
}

// retireLocked lets a finished item go of its live record. Only uploads
// that ended well, after their run settled, are retired: a failed or
// canceled one may be retried, and a spooled copy is deleted on Close.
func (e *Engine) retireLocked(it *item) {
	if it.itemLive == nil || (it.state != Done && it.state != Skipped) || it.running || it.removed || it.againQueued || it.entry.Spool {
		return
	}
	l := it.itemLive
	it.done = &doneItem{
		name: l.entry.Name, path: l.entry.Path, url: l.entry.URL, size: l.entry.Size, sent: l.sent.Load(),
		attempt: int32(l.attempt), opts: l.opts, asset: keepAsset(l.asset), publicID: l.entry.PublicID, md5: l.entry.MD5,
		resourceType: l.entry.ResourceType, format: l.entry.Format, resumed: l.resumed,
	}
	it.itemLive = nil
}

// reviveLocked gives a retired item a live record again (Upload again):
// what the journal needs to write it as a new row.
func (e *Engine) reviveLocked(it *item) {
	if it.itemLive != nil {
		return
	}
	d := it.done
	l := &itemLive{
		entry: Entry{ID: it.id, Profile: e.cfg.Profile, Path: d.path, URL: d.url, Name: d.name, Options: d.opts, Size: d.size,
			MD5: d.md5, PublicID: d.publicID, ResourceType: d.resourceType, Format: d.format, State: it.state},
		opts: d.opts, asset: d.asset.cloudAsset(), resumed: d.resumed, journaled: true,
	}
	l.sent.Store(d.sent)
	it.itemLive, it.done = l, nil
}

// retiredStatus is statusLocked for a retired item.
func retiredStatus(it *item) ItemStatus {
	d := it.done
	st := ItemStatus{
		ID: it.id, Name: d.name, Path: d.path, URL: d.url, State: it.state, Words: it.words,
		BytesDone: d.sent, BytesTotal: d.size, Attempt: int(d.attempt), Asset: d.asset.cloudAsset(), PublicID: d.publicID, MD5: d.md5,
		ResourceType: d.resourceType, Format: d.format, Resumed: d.resumed,
	}
	if it.state == Done {
		st.BytesDone = st.BytesTotal
	}
	return st
}

// name is the item's name for messages, live or retired.
func (it *item) name() string {
	if it.done != nil {
		return it.done.name
	}
	return it.entry.Name
}

// size is the item's size, live or retired.
func (it *item) size() int64 {
	if it.done != nil {
		return it.done.size
	}
	return it.entry.Size
}

// options is the item's options, live or retired.
func (it *item) options() *Options {
	if it.done != nil {
		return it.done.opts
	}
	return it.opts
}
