package sandbox

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/semaphore"
)

// Limits on the non-file parts of a request. They are read before the
// request is authenticated, so they bound what anyone can make the sandbox
// hold: with the connection cap, a flood of unsigned requests holds at most
// MaxConnections × maxParamBytes of parameters.
const (
	maxParamBytes = 512 << 10 // all parameters of one request, names and values
	maxParams     = 2000      // parameters in one request
	maxURLBytes   = 32 << 10
	// JSON upload bodies are parsed whole, so they are kept small and
	// parsed a few at a time (jsonSlots): parameters and a file URL or a
	// data URI of a few MB. Files go multipart, as the SDKs send them.
	maxJSONBody = 8 << 20
)

// formOptions say where a request's file bytes go.
type formOptions struct {
	// openFile is called when the file's bytes begin, with every parameter
	// that came before them, and returns where the bytes go. An error
	// rejects the request before the file is read. complete says the
	// parameters are (as far as the SDKs go) all there are: both send the
	// file as the last multipart part, and a JSON body is read whole
	// first, while url-encoded bodies are sorted by key, so parameters such
	// as "signature" follow "file".
	openFile func(params url.Values, filename string, complete bool) (io.Writer, error)
	// maxFile caps the file's bytes (<0: no cap); tooLarge builds the
	// error, given what is known of the size (-1 when unknown).
	maxFile  int64
	tooLarge func(got int64) error
	// maxDataURI caps a data URI's characters (<0: no cap).
	maxDataURI int64
	// jsonSlots, when set, bounds how many JSON bodies are parsed at once.
	jsonSlots *semaphore.Weighted
}

// form is a parsed Upload API request.
type form struct {
	params     url.Values
	paramBytes int64  // of names and values, against maxParamBytes
	fileURL    string // the file parameter named a remote URL
	gotFile    bool   // file bytes went to openFile's writer
	size       int64  // how many
	filename   string // the client's file name, "" when none was sent
	dataURI    bool
}

// parseForm reads an Upload API request body: multipart (streamed; the file
// goes to opt.openFile as it arrives), url-encoded (also when there is no
// Content-Type at all, which is how cloudinary-go sends remote-URL and
// data-URI uploads and every destroy/rename/tags call, and which Go's
// r.ParseForm ignores), or JSON.
func parseForm(r *http.Request, opt formOptions) (*form, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	f := &form{params: url.Values{}}
	var err error
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		err = f.readMultipart(r, opt)
	case mt == "application/json":
		if opt.jsonSlots != nil {
			if err := opt.jsonSlots.Acquire(r.Context(), 1); err != nil {
				return nil, err
			}
			defer opt.jsonSlots.Release(1)
		}
		err = f.readJSON(r, opt)
	case ct == "" || mt == "application/x-www-form-urlencoded" || mt == "text/plain":
		err = f.readURLEncoded(r.Body, opt)
	default:
		err = badRequest("Unsupported Content-Type %q: send multipart/form-data, application/x-www-form-urlencoded or JSON", ct)
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (f *form) add(key, value string) error {
	if len(f.params) >= maxParams {
		return badRequest("Too many parameters (more than %d)", maxParams)
	}
	f.paramBytes += int64(len(key) + len(value))
	if f.paramBytes > maxParamBytes {
		return tooManyParamBytes()
	}
	f.params[key] = append(f.params[key], value)
	return nil
}

// paramRoom is how many more bytes of parameter values the request may send.
func (f *form) paramRoom() int64 { return max(maxParamBytes-f.paramBytes, 0) }

func tooManyParamBytes() error {
	return badRequest("The parameters take more than %d KB: send files as the file parameter and keep the other parameters short", maxParamBytes>>10)
}

func (f *form) readMultipart(r *http.Request, opt formOptions) error {
	mr, err := r.MultipartReader()
	if err != nil {
		return badRequest("Malformed multipart body: %v", err)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return badRequest("Malformed multipart body: %v", err)
		}
		name := part.FormName()
		if name == "" {
			part.Close()
			continue
		}
		if name == "file" {
			if err := f.readFileValue(part, part.FileName(), opt, part.FileName() != "", true); err != nil {
				return err
			}
			continue
		}
		v, err := readLimited(part, f.paramRoom())
		if errors.Is(err, errTooBig) {
			return tooManyParamBytes()
		}
		if err != nil {
			return fileReadError(err)
		}
		if err := f.add(name, v); err != nil {
			return err
		}
	}
}

// readFileValue handles the file parameter: bytes (a file part), a data
// URI, or a remote URL. Node sends URLs and data URIs as plain fields.
func (f *form) readFileValue(src io.Reader, filename string, opt formOptions, isFile, complete bool) error {
	if f.gotFile || f.fileURL != "" {
		return badRequest("The file parameter is given twice")
	}
	br := readers.Get().(*bufio.Reader)
	br.Reset(src)
	defer func() { br.Reset(nil); readers.Put(br) }()
	if !isFile {
		head, _ := br.Peek(32)
		switch {
		case bytes.HasPrefix(head, []byte("data:")):
			return f.readDataURI(br, opt, complete)
		case looksLikeURL(head):
			u, err := readLimited(br, maxURLBytes)
			if errors.Is(err, errTooBig) {
				return badRequest("The file URL is longer than %d KB", maxURLBytes>>10)
			}
			if err != nil {
				return fileReadError(err)
			}
			f.fileURL = strings.TrimSpace(u)
			return nil
		}
		// Anything else in a plain field is the file's content itself.
	}
	w, err := opt.openFile(f.params, filename, complete)
	if err != nil {
		return err
	}
	f.gotFile, f.filename = true, filename
	n, err := copyLimited(w, br, opt.maxFile)
	f.size = n
	if errors.Is(err, errTooBig) {
		return opt.tooLarge(-1)
	}
	if err != nil {
		return fileReadError(err)
	}
	return nil
}

func (f *form) readDataURI(br *bufio.Reader, opt formOptions, complete bool) error {
	header, err := br.ReadString(',')
	if err != nil || len(header) > 512 {
		return badRequest("Malformed data URI: expected data:[type];base64,DATA")
	}
	if !strings.HasSuffix(header, ";base64,") {
		return badRequest("Unsupported data URI: only base64 data URIs (data:TYPE;base64,…) can be uploaded")
	}
	var src io.Reader = br
	if opt.maxDataURI >= 0 {
		src = &capReader{r: br, left: opt.maxDataURI - int64(len(header)), err: badRequest("Data URI too large: the limit is %d characters; upload the file itself instead", opt.maxDataURI)}
	}
	w, err := opt.openFile(f.params, "", complete)
	if err != nil {
		return err
	}
	f.gotFile, f.dataURI = true, true
	n, err := copyLimited(w, base64.NewDecoder(base64.StdEncoding, src), opt.maxFile)
	f.size = n
	var ae *apiError
	switch {
	case errors.Is(err, errTooBig):
		return opt.tooLarge(-1)
	case errors.As(err, &ae):
		return ae
	case err != nil:
		var ce base64.CorruptInputError
		if errors.As(err, &ce) {
			return badRequest("Malformed data URI: the base64 data is corrupt at byte %d", int64(ce))
		}
		return fileReadError(err)
	}
	return nil
}

func looksLikeURL(head []byte) bool {
	i := bytes.Index(head, []byte("://"))
	if i <= 0 {
		return false
	}
	for _, c := range head[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func (f *form) readURLEncoded(body io.Reader, opt formOptions) error {
	br := bufio.NewReaderSize(body, 64<<10)
	for {
		key, hasValue, err := f.readURLKey(br)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		val := &urlValue{br: br, done: !hasValue}
		if key == "file" {
			if err := f.readFileValue(val, "", opt, false, false); err != nil {
				return err
			}
			if _, err := io.Copy(io.Discard, val); err != nil {
				return err
			}
			continue
		}
		v, err := readLimited(val, f.paramRoom())
		if errors.Is(err, errTooBig) {
			return tooManyParamBytes()
		}
		if err != nil {
			return fileReadError(err)
		}
		if err := f.add(key, v); err != nil {
			return err
		}
	}
}

func (f *form) readURLKey(br *bufio.Reader) (string, bool, error) {
	var b []byte
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			if len(b) == 0 {
				return "", false, io.EOF
			}
			break
		}
		if err != nil {
			return "", false, fileReadError(err)
		}
		if c == '&' {
			if len(b) == 0 {
				continue
			}
			break
		}
		if c == '=' {
			k, err := url.QueryUnescape(string(b))
			if err != nil {
				return "", false, badRequest("Malformed url-encoded body: bad parameter name %q", string(b))
			}
			return k, true, nil
		}
		b = append(b, c)
		if int64(len(b)) > f.paramRoom() {
			return "", false, tooManyParamBytes()
		}
		if len(b) > 4096 {
			return "", false, badRequest("Malformed url-encoded body: a parameter name is longer than 4096 bytes")
		}
	}
	k, err := url.QueryUnescape(string(b))
	if err != nil {
		return "", false, badRequest("Malformed url-encoded body: bad parameter name %q", string(b))
	}
	return k, false, nil
}

// urlValue streams one url-encoded value, decoding it, up to the next '&'.
type urlValue struct {
	br   *bufio.Reader
	done bool
}

func (v *urlValue) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && !v.done {
		c, err := v.br.ReadByte()
		if err == io.EOF {
			v.done = true
			break
		}
		if err != nil {
			return n, err
		}
		switch c {
		case '&':
			v.done = true
			continue
		case '+':
			c = ' '
		case '%':
			hex := make([]byte, 2)
			if _, err := io.ReadFull(v.br, hex); err != nil {
				return n, badRequest("Malformed url-encoded body: a %% escape is cut short")
			}
			b, err := strconv.ParseUint(string(hex), 16, 8)
			if err != nil {
				return n, badRequest("Malformed url-encoded body: %%%s is not an escape", string(hex))
			}
			c = byte(b)
		}
		p[n] = c
		n++
	}
	if n == 0 && v.done {
		return 0, io.EOF
	}
	return n, nil
}

func (f *form) readJSON(r *http.Request, opt formOptions) error {
	body, err := readLimited(r.Body, maxJSONBody)
	if errors.Is(err, errTooBig) {
		return badRequest("JSON body over %d MB: upload files as multipart/form-data", maxJSONBody>>20)
	}
	if err != nil {
		return fileReadError(err)
	}
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&fields); err != nil {
		return badRequest("Malformed JSON body: %v", err)
	}
	// Every parameter first, then the file: the body is all here, so the
	// request is authenticated before a byte of the file is stored.
	for _, k := range sortedKeys(fields) {
		if k == "file" {
			continue
		}
		var v any
		d := json.NewDecoder(bytes.NewReader(fields[k]))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return badRequest("Malformed JSON body: %s: %v", k, err)
		}
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				if err := f.add(k+"[]", jsonScalar(e)); err != nil {
					return err
				}
			}
		default:
			if err := f.add(k, jsonScalar(x)); err != nil {
				return err
			}
		}
	}
	if raw, ok := fields["file"]; ok {
		var file any
		if err := json.Unmarshal(raw, &file); err != nil {
			return badRequest("Malformed JSON body: file: %v", err)
		}
		s, ok := file.(string)
		if !ok {
			return badRequest("The file parameter must be a string (a URL or a data URI)")
		}
		if err := f.readFileValue(strings.NewReader(s), "", opt, false, true); err != nil {
			return err
		}
	}
	return nil
}

func jsonScalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return x.String()
	}
	b, _ := json.Marshal(v)
	return string(b)
}

var errTooBig = errors.New("too big")

// copyLimited copies at most max bytes (max<0: all) and fails with
// errTooBig if src has more.
// Every upload's file goes through a reader and a copy buffer. They are
// pooled: a batch of thousands of small files would otherwise allocate 96 KB
// per request, which in the window (where the sandbox is embedded) was most
// of what the garbage collector had to chase.
var (
	readers     = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}
	copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}
)

func copyLimited(dst io.Writer, src io.Reader, max int64) (int64, error) {
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	// Hidden behind a plain Writer, a file's ReadFrom would copy through a
	// buffer of its own.
	plain := struct{ io.Writer }{dst}
	if max < 0 {
		return io.CopyBuffer(plain, src, *buf)
	}
	n, err := io.CopyBuffer(plain, io.LimitReader(src, max+1), *buf)
	if err == nil && n > max {
		return n, errTooBig
	}
	return n, err
}

func readLimited(r io.Reader, max int64) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return "", err
	}
	if int64(len(b)) > max {
		return "", errTooBig
	}
	return string(b), nil
}

// capReader fails with err once more than left bytes are read.
type capReader struct {
	r    io.Reader
	left int64
	err  error
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, c.err
	}
	return n, err
}

// fileReadError explains a body that broke off.
func fileReadError(err error) error {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var se *storeError
	if errors.As(err, &se) {
		return se // the sandbox's own failure: a 500 (writeError)
	}
	return badRequest("The request body broke off before the end (%v); send it again", err)
}
