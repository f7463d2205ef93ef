package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Listings and search page with keyset cursors: a cursor holds the sort
// values of the last asset returned (and its insertion sequence as the
// final tie-breaker), and the next page starts strictly after it. Uploads
// landing between pages therefore never shift or repeat what a client has
// already seen, as an offset would.

type sortKey struct {
	field string
	desc  bool
}

// sortVal is one comparable value: an integer (exact, so nanosecond
// timestamps survive), a float, or a string.
type sortVal struct {
	kind byte // 'i', 'f' or 's'
	i    int64
	f    float64
	s    string
}

var sortFields = map[string]bool{
	"created_at": true, "uploaded_at": true, "public_id": true, "asset_id": true, "bytes": true, "width": true,
	"height": true, "pixels": true, "aspect_ratio": true, "duration": true, "format": true, "resource_type": true,
	"type": true, "display_name": true, "filename": true, "asset_folder": true, "folder": true, "version": true,
}

func sortValue(a *asset, field string) sortVal {
	switch field {
	case "created_at":
		return sortVal{kind: 'i', i: a.CreatedAt.UnixNano()}
	case "uploaded_at":
		return sortVal{kind: 'i', i: a.UploadedAt.UnixNano()}
	case "bytes":
		return sortVal{kind: 'i', i: a.Bytes}
	case "width":
		return sortVal{kind: 'i', i: int64(a.Width)}
	case "height":
		return sortVal{kind: 'i', i: int64(a.Height)}
	case "pixels":
		return sortVal{kind: 'i', i: int64(a.Width) * int64(a.Height)}
	case "version":
		return sortVal{kind: 'i', i: a.Version}
	case "aspect_ratio":
		return sortVal{kind: 'f', f: aspectRatio(a)}
	case "duration":
		return sortVal{kind: 'f', f: a.Duration}
	case "public_id":
		return sortVal{kind: 's', s: a.PublicID}
	case "asset_id":
		return sortVal{kind: 's', s: a.AssetID}
	case "format":
		return sortVal{kind: 's', s: a.Format}
	case "resource_type":
		return sortVal{kind: 's', s: a.ResourceType}
	case "type":
		return sortVal{kind: 's', s: a.Type}
	case "display_name":
		return sortVal{kind: 's', s: strings.ToLower(a.DisplayName)}
	case "filename":
		return sortVal{kind: 's', s: filenameOf(a)}
	case "asset_folder":
		return sortVal{kind: 's', s: a.AssetFolder}
	case "folder":
		return sortVal{kind: 's', s: folderOf(a)}
	}
	return sortVal{kind: 's'}
}

func aspectRatio(a *asset) float64 {
	if a.Height == 0 {
		return 0
	}
	return math.Round(float64(a.Width)/float64(a.Height)*1000) / 1000
}

// filenameOf is the last part of the public_id, as search reports it.
func filenameOf(a *asset) string { return path.Base(a.PublicID) }

// folderOf is the public_id's folder path ("" at the root).
func folderOf(a *asset) string {
	if i := strings.LastIndex(a.PublicID, "/"); i >= 0 {
		return a.PublicID[:i]
	}
	return ""
}

func cmpVal(x, y sortVal) int {
	switch x.kind {
	case 'i':
		switch {
		case x.i < y.i:
			return -1
		case x.i > y.i:
			return 1
		}
	case 'f':
		switch {
		case x.f < y.f:
			return -1
		case x.f > y.f:
			return 1
		}
	default:
		return strings.Compare(x.s, y.s)
	}
	return 0
}

// position is where an asset sits in an ordering.
type position struct {
	vals []sortVal
	seq  int64
}

func positionOf(a *asset, keys []sortKey) position {
	p := position{seq: a.Seq}
	for _, k := range keys {
		p.vals = append(p.vals, sortValue(a, k.field))
	}
	return p
}

// compare orders two positions under keys; ties fall back to insertion
// order, in the direction of the first key.
func compare(x, y position, keys []sortKey) int {
	for i, k := range keys {
		c := cmpVal(x.vals[i], y.vals[i])
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	c := 0
	switch {
	case x.seq < y.seq:
		c = -1
	case x.seq > y.seq:
		c = 1
	}
	if len(keys) > 0 && keys[0].desc {
		c = -c
	}
	return c
}

// cursorBody is a cursor's content; the order fingerprint rejects cursors
// replayed against a different sort.
type cursorBody struct {
	Order  string   `json:"o"`
	Values []string `json:"v"`
	Seq    int64    `json:"s"`
}

func orderFingerprint(keys []sortKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.field
		if k.desc {
			parts[i] += ":desc"
		}
	}
	return strings.Join(parts, ",")
}

func encodeCursor(p position, keys []sortKey) string {
	body := cursorBody{Order: orderFingerprint(keys), Seq: p.seq}
	for _, v := range p.vals {
		switch v.kind {
		case 'i':
			body.Values = append(body.Values, "i"+strconv.FormatInt(v.i, 10))
		case 'f':
			body.Values = append(body.Values, "f"+strconv.FormatFloat(v.f, 'g', -1, 64))
		default:
			body.Values = append(body.Values, "s"+v.s)
		}
	}
	b, _ := json.Marshal(body)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, keys []sortKey) (position, error) {
	bad := badRequest("Invalid next_cursor %q: pass the next_cursor of the previous answer to the same query unchanged", truncate(s, 40))
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return position{}, bad
	}
	var body cursorBody
	if err := json.Unmarshal(b, &body); err != nil || body.Order != orderFingerprint(keys) || len(body.Values) != len(keys) {
		return position{}, bad
	}
	p := position{seq: body.Seq}
	for _, v := range body.Values {
		if v == "" {
			return position{}, bad
		}
		switch v[0] {
		case 'i':
			n, err := strconv.ParseInt(v[1:], 10, 64)
			if err != nil {
				return position{}, bad
			}
			p.vals = append(p.vals, sortVal{kind: 'i', i: n})
		case 'f':
			f, err := strconv.ParseFloat(v[1:], 64)
			if err != nil {
				return position{}, bad
			}
			p.vals = append(p.vals, sortVal{kind: 'f', f: f})
		case 's':
			p.vals = append(p.vals, sortVal{kind: 's', s: v[1:]})
		default:
			return position{}, bad
		}
	}
	for i, k := range keys {
		want := sortValue(&asset{}, k.field).kind
		if p.vals[i].kind != want {
			return position{}, bad
		}
	}
	return p, nil
}

// page sorts matches, skips to just after the cursor, and returns up to max
// of them with the cursor for the rest ("" when there is no more).
func page(matches []*asset, keys []sortKey, cursor string, max int) ([]*asset, string, error) {
	type item struct {
		a   *asset
		pos position
	}
	items := make([]item, len(matches))
	for i, a := range matches {
		items[i] = item{a, positionOf(a, keys)}
	}
	sort.Slice(items, func(i, j int) bool { return compare(items[i].pos, items[j].pos, keys) < 0 })
	start := 0
	if cursor != "" {
		after, err := decodeCursor(cursor, keys)
		if err != nil {
			return nil, "", err
		}
		start = sort.Search(len(items), func(i int) bool { return compare(items[i].pos, after, keys) > 0 })
	}
	end := start + max
	if end > len(items) {
		end = len(items)
	}
	out := make([]*asset, 0, end-start)
	for _, it := range items[start:end] {
		out = append(out, it.a)
	}
	next := ""
	if end < len(items) && end > start {
		next = encodeCursor(items[end-1].pos, keys)
	}
	return out, next, nil
}
