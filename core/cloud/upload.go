package cloud

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
)

// File is what an upload sends: Size bytes readable at any offset (an
// *os.File), under the name Cloudinary will record as original_filename.
type File struct {
	Name string
	Data io.ReaderAt
	Size int64
}

// UploadRequest is one file upload.
type UploadRequest struct {
	File   File
	Params UploadParams
	// ResourceType picks the endpoint: "auto" (default; Cloudinary decides),
	// "image", "video" or "raw".
	ResourceType string
	// Progress is called with the number of the file's bytes the connection
	// has taken so far in this request. It runs on the transport's goroutine
	// and must be quick.
	Progress func(sent int64)
	// Meter, when set, tells how much of the file the server has taken
	// (acknowledged), which on a slow link trails Progress by the buffers
	// between the two.
	Meter *Meter
}

// ChunkRequest is one chunk of Cloudinary's chunked upload protocol: the
// same X-Unique-Upload-Id for every chunk of a file, Content-Range with the
// real total, every chunk a complete signed multipart request.
type ChunkRequest struct {
	UploadRequest
	UploadID string // from NewUploadID, the same for every chunk of one file
	Offset   int64  // first byte of this chunk
	Length   int64  // bytes in this chunk
}

// ChunkResult is the answer to one chunk: Done with the Asset for the final
// chunk, else how many bytes the server holds so far.
type ChunkResult struct {
	Done  bool
	Bytes int64
	Asset *Asset
}

// MinChunkSize is Cloudinary's minimum for every chunk but the last.
const MinChunkSize = 5 << 20

// DefaultChunkSize is the SDKs' chunk size.
const DefaultChunkSize = 20_000_000

// MaxSingleRequest is the largest file Cloudinary takes in one request;
// larger files must be chunked.
const MaxSingleRequest = 100 << 20

// ErrIncomplete is returned when the last chunk was accepted but the server
// says the upload is not done: it lost (or expired) earlier chunks, and the
// file must be sent again under a new upload id.
var ErrIncomplete = errors.New("the server does not have every chunk of this upload")

// NewUploadID returns a fresh X-Unique-Upload-Id: 16 hex digits, as the Go SDK
// makes them.
func NewUploadID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

func (r *UploadRequest) endpointType() string {
	if r.ResourceType == "" {
		return "auto"
	}
	return r.ResourceType
}

// Upload sends a whole file in one request.
func (c *Client) Upload(ctx context.Context, r UploadRequest) (*Asset, error) {
	if r.File.Size > MaxSingleRequest {
		return nil, fmt.Errorf("%s is %d bytes, over Cloudinary's %d-byte limit for one request: upload it in chunks", r.File.Name, r.File.Size, int64(MaxSingleRequest))
	}
	a, err := c.sendFile(ctx, r, 0, r.File.Size, nil)
	if err != nil {
		return nil, err
	}
	var asset Asset
	if err := c.decode(a, &asset); err != nil {
		return nil, err
	}
	return &asset, nil
}

// UploadChunk sends one chunk, signed afresh. Chunks may be retried alone.
func (c *Client) UploadChunk(ctx context.Context, r ChunkRequest) (*ChunkResult, error) {
	if r.UploadID == "" {
		return nil, errors.New("chunked upload without an upload id")
	}
	if r.Offset < 0 || r.Length <= 0 || r.Offset+r.Length > r.File.Size {
		return nil, fmt.Errorf("chunk %d+%d is outside the file's %d bytes", r.Offset, r.Length, r.File.Size)
	}
	hdr := http.Header{
		"X-Unique-Upload-Id": {r.UploadID},
		"Content-Range":      {fmt.Sprintf("bytes %d-%d/%d", r.Offset, r.Offset+r.Length-1, r.File.Size)},
	}
	a, err := c.sendFile(ctx, r.UploadRequest, r.Offset, r.Length, hdr)
	if err != nil {
		return nil, err
	}
	var probe struct {
		Done  *bool           `json:"done"`
		Bytes json.RawMessage `json:"bytes"`
	}
	if err := c.decode(a, &probe); err != nil {
		return nil, err
	}
	last := r.Offset+r.Length == r.File.Size
	if probe.Done != nil && !*probe.Done {
		if last {
			return nil, fmt.Errorf("%w (it holds %d of %d bytes)", ErrIncomplete, flexInt(probe.Bytes), r.File.Size)
		}
		return &ChunkResult{Bytes: flexInt(probe.Bytes)}, nil
	}
	var asset Asset
	if err := json.Unmarshal(a.body, &asset); err != nil {
		return nil, &ServerError{Status: a.status, Message: "the answer could not be read: " + snippet(a.body)}
	}
	return &ChunkResult{Done: true, Bytes: r.File.Size, Asset: &asset}, nil
}

// sendFile posts bytes [off, off+n) of the file as one signed multipart
// request.
//
// The body is streamed: the multipart framing is rendered up front (it is a
// few hundred bytes) and the file section is read straight from disk between
// the two halves. That gives the request a Content-Length, so a server can
// refuse an oversized body before reading it, needs no goroutine feeding an
// io.Pipe (what the SDK does), and lets the transport rewind the body itself.
func (c *Client) sendFile(ctx context.Context, r UploadRequest, off, n int64, extra http.Header) (*answer, error) {
	if r.File.Data == nil {
		return nil, errors.New("upload without data")
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	params := c.values(r.Params)
	if c.Signed() {
		if err := c.sign(ctx, "upload", r.endpointType(), params); err != nil {
			return nil, err
		}
	}
	head, tail, contentType, err := multipartFrame(params, fileName(r.File.Name))
	if err != nil {
		return nil, fmt.Errorf("framing the upload: %w", err)
	}
	hdr := http.Header{"Content-Type": {contentType}}
	for k, v := range extra {
		hdr[k] = v
	}
	var sent atomic.Int64
	progress := r.Progress
	endpoint := c.endpoint(r.endpointType(), "upload")
	length := int64(len(head)) + n + int64(len(tail))
	meter := r.Meter
	if meter != nil {
		u, _ := url.Parse(endpoint)
		meter.start(requestHeadLen(http.MethodPost, u.RequestURI(), u.Host, hdr, length)+int64(len(head))+
			int64(len("User-Agent: Cloudup/"+Version+" (Go)\r\nAccept: application/json\r\n")), n)
		fn := progress
		progress = func(total int64) {
			meter.read.Store(total)
			if fn != nil {
				fn(total)
			}
		}
	}
	body := func() io.Reader {
		sent.Store(0)
		if meter != nil {
			meter.read.Store(0)
		}
		file := &exactReader{r: io.NewSectionReader(r.File.Data, off, n), left: n}
		counted := &countingReader{r: file, n: &sent, fn: progress}
		return io.MultiReader(bytes.NewReader(head), counted, bytes.NewReader(tail))
	}
	return c.send(ctx, exchange{
		op:     "upload",
		method: http.MethodPost,
		url:    endpoint,
		header: hdr,
		body:   body,
		length: length,
		upload: true,
		meter:  meter,
	})
}

// fileName keeps the name Cloudinary records to a base name without
// characters that would break the part header.
func fileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if name == "" {
		return "file"
	}
	return name
}

var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// multipartFrame renders the form fields and the file part's header (head)
// and the closing boundary (tail), fields in sorted order, file last.
func multipartFrame(params url.Values, name string) (head, tail []byte, contentType string, err error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range params[k] {
			if err := w.WriteField(k, v); err != nil {
				return nil, nil, "", err
			}
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, quoteEscaper.Replace(name)))
	h.Set("Content-Type", "application/octet-stream")
	if _, err := w.CreatePart(h); err != nil {
		return nil, nil, "", err
	}
	headLen := buf.Len()
	if err := w.Close(); err != nil {
		return nil, nil, "", err
	}
	all := buf.Bytes()
	return all[:headLen:headLen], all[headLen:], w.FormDataContentType(), nil
}

// exactReader fails with ErrFileChanged when the file ends before the bytes
// promised in Content-Length.
type exactReader struct {
	r    io.Reader
	left int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		return n, ErrFileChanged
	}
	if err == io.EOF {
		err = nil
		if e.left == 0 {
			err = io.EOF
		}
	}
	return n, err
}

// countingReader reports how much of the file the transport has taken.
type countingReader struct {
	r  io.Reader
	n  *atomic.Int64
	fn func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		total := c.n.Add(int64(n))
		if c.fn != nil {
			c.fn(total)
		}
	}
	return n, err
}

// UploadRemote asks Cloudinary to fetch fileURL (http, https, s3, gs, or a
// data: URI) and store it. The body is url-encoded, as the SDKs send it.
func (c *Client) UploadRemote(ctx context.Context, fileURL, resourceType string, p UploadParams) (*Asset, error) {
	if resourceType == "" {
		resourceType = "auto"
	}
	params := c.values(p)
	if c.Signed() {
		if err := c.sign(ctx, "upload", resourceType, params); err != nil {
			return nil, err
		}
	}
	params.Set("file", fileURL)
	var asset Asset
	if err := c.postForm(ctx, "remote upload", c.endpoint(resourceType, "upload"), params, true, &asset); err != nil {
		return nil, sourceError(fileURL, err)
	}
	return &asset, nil
}
