package cloud

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// Asset is one stored file as Cloudinary describes it: the upload answer, a
// search result, or a resource looked up by id. The library and preview
// views use it as is.
type Asset struct {
	AssetID          string            `json:"asset_id,omitempty"`
	PublicID         string            `json:"public_id"`
	Version          int64             `json:"version,omitempty"`
	VersionID        string            `json:"version_id,omitempty"`
	Signature        string            `json:"signature,omitempty"`
	Format           string            `json:"format,omitempty"`
	ResourceType     string            `json:"resource_type,omitempty"`
	Type             string            `json:"type,omitempty"`
	Bytes            int64             `json:"bytes,omitempty"`
	Width            int               `json:"width,omitempty"`
	Height           int               `json:"height,omitempty"`
	Pages            int               `json:"pages,omitempty"`
	Duration         float64           `json:"duration,omitempty"` // seconds, video and audio
	CreatedAt        time.Time         `json:"created_at,omitzero"`
	UploadedAt       time.Time         `json:"uploaded_at,omitzero"`
	Tags             []string          `json:"tags,omitempty"`
	Context          map[string]string `json:"context,omitempty"`
	ETag             string            `json:"etag,omitempty"` // hex MD5 of the bytes
	URL              string            `json:"url,omitempty"`
	SecureURL        string            `json:"secure_url,omitempty"`
	Folder           string            `json:"folder,omitempty"`       // legacy folder (search results)
	AssetFolder      string            `json:"asset_folder,omitempty"` // dynamic-folder accounts
	DisplayName      string            `json:"display_name,omitempty"`
	OriginalFilename string            `json:"original_filename,omitempty"`
	Filename         string            `json:"filename,omitempty"`
	AccessMode       string            `json:"access_mode,omitempty"`
	Status           string            `json:"status,omitempty"`
	Placeholder      bool              `json:"placeholder,omitempty"`
	// Existing is set when the upload did not store anything because an asset
	// with that public_id existed and overwrite was false: this is the one
	// already there.
	Existing    bool      `json:"existing,omitempty"`
	Overwritten bool      `json:"overwritten,omitempty"`
	Eager       []Derived `json:"eager,omitempty"`
}

// Derived is an eager transformation's result.
type Derived struct {
	Transformation string `json:"transformation"`
	Width          int    `json:"width,omitempty"`
	Height         int    `json:"height,omitempty"`
	Bytes          int64  `json:"bytes,omitempty"`
	Format         string `json:"format,omitempty"`
	URL            string `json:"url,omitempty"`
	SecureURL      string `json:"secure_url,omitempty"`
}

// Link is the address to share: secure_url when there is one.
func (a *Asset) Link() string {
	if a.SecureURL != "" {
		return a.SecureURL
	}
	return a.URL
}

// UnmarshalJSON is lenient where Cloudinary's answers vary (and where the Go
// SDK breaks): numbers sent as strings, created_at as a number, tags as one
// comma-joined string, context as {"custom":{…}} or a flat map, null
// asset_folder. A field of an unexpected shape is left empty rather than
// failing the whole asset.
func (a *Asset) UnmarshalJSON(b []byte) error {
	type plain Asset
	var shadow struct {
		*plain
		Version    json.RawMessage `json:"version"`
		Bytes      json.RawMessage `json:"bytes"`
		Width      json.RawMessage `json:"width"`
		Height     json.RawMessage `json:"height"`
		Pages      json.RawMessage `json:"pages"`
		Duration   json.RawMessage `json:"duration"`
		CreatedAt  json.RawMessage `json:"created_at"`
		UploadedAt json.RawMessage `json:"uploaded_at"`
		Tags       json.RawMessage `json:"tags"`
		Context    json.RawMessage `json:"context"`
		Eager      json.RawMessage `json:"eager"`
		Existing   json.RawMessage `json:"existing"`
		Overwrite  json.RawMessage `json:"overwritten"`
		Placehold  json.RawMessage `json:"placeholder"`
		AssetFold  json.RawMessage `json:"asset_folder"`
		Folder     json.RawMessage `json:"folder"`
	}
	*a = Asset{}
	shadow.plain = (*plain)(a)
	if err := json.Unmarshal(b, &shadow); err != nil {
		return err
	}
	a.Version = flexInt(shadow.Version)
	a.Bytes = flexInt(shadow.Bytes)
	a.Width = int(flexInt(shadow.Width))
	a.Height = int(flexInt(shadow.Height))
	a.Pages = int(flexInt(shadow.Pages))
	a.Duration = flexFloat(shadow.Duration)
	a.CreatedAt = flexTime(shadow.CreatedAt)
	a.UploadedAt = flexTime(shadow.UploadedAt)
	a.Tags = flexTags(shadow.Tags)
	a.Context = flexContext(shadow.Context)
	a.Existing = flexBool(shadow.Existing)
	a.Overwritten = flexBool(shadow.Overwrite)
	a.Placeholder = flexBool(shadow.Placehold)
	a.AssetFolder = flexString(shadow.AssetFold)
	a.Folder = flexString(shadow.Folder)
	if len(shadow.Eager) > 0 {
		var eager []Derived
		if json.Unmarshal(shadow.Eager, &eager) == nil {
			a.Eager = eager
		}
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

func flexString(raw json.RawMessage) string {
	if isNull(raw) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.Trim(string(raw), `"`)
}

func flexInt(raw json.RawMessage) int64 {
	if isNull(raw) {
		return 0
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if i, err := n.Int64(); err == nil {
			return i
		}
		if f, err := n.Float64(); err == nil {
			return int64(f)
		}
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			return i
		}
	}
	return 0
}

func flexFloat(raw json.RawMessage) float64 {
	if isNull(raw) {
		return 0
	}
	var f float64
	if json.Unmarshal(raw, &f) != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0
		}
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(s), 64); err != nil {
			return 0
		}
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

func flexBool(raw json.RawMessage) bool {
	if isNull(raw) {
		return false
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b
	}
	switch strings.Trim(string(raw), `"`) {
	case "1", "true":
		return true
	}
	return false
}

func flexTime(raw json.RawMessage) time.Time {
	if isNull(raw) {
		return time.Time{}
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t
			}
		}
		return time.Time{}
	}
	if secs := flexInt(raw); secs > 0 {
		return time.Unix(secs, 0).UTC()
	}
	return time.Time{}
}

func flexTags(raw json.RawMessage) []string {
	if isNull(raw) {
		return nil
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && s != "" {
		return strings.Split(s, ",")
	}
	return nil
}

// flexContext accepts the upload answer's {"custom":{…}} and the search
// result's flat map (and a flat map of non-string values).
func flexContext(raw json.RawMessage) map[string]string {
	if isNull(raw) {
		return nil
	}
	var nested struct {
		Custom map[string]any `json:"custom"`
	}
	if json.Unmarshal(raw, &nested) == nil && nested.Custom != nil {
		return stringMap(nested.Custom)
	}
	var flat map[string]any
	if json.Unmarshal(raw, &flat) == nil {
		return stringMap(flat)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return ParseContext(s)
	}
	return nil
}

func stringMap(m map[string]any) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[k] = v
		case nil:
			out[k] = ""
		default:
			b, _ := json.Marshal(v)
			out[k] = string(b)
		}
	}
	return out
}
