package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/session"
	"github.com/cloudup/cloudup/core/signing"
	"github.com/cloudup/cloudup/core/teamsign"
)

// signResult is what sign prints. It carries the signature and what was
// signed; never the secret.
type signResult struct {
	Signature    string `json:"signature"`
	Timestamp    string `json:"timestamp"`
	APIKey       string `json:"api_key"`
	CloudName    string `json:"cloud_name"`
	Algorithm    string `json:"algorithm,omitempty"`
	StringToSign string `json:"string_to_sign"`
}

func runSign(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "sign")
	name := fs.String("profile", "", "profile `NAME` (default: CLOUDINARY_URL when set, else the default profile)")
	curlFile := fs.String("curl", "", "print a ready-to-run curl command that uploads `FILE` with this signature")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: cloudup-cli sign [--profile NAME] [--curl FILE] key=value...
Signs upload parameters with the profile's secret, as Cloudinary checks them,
adding timestamp=now when absent. Prints {signature, timestamp, api_key,
cloud_name, ...} as JSON, or with --curl FILE a curl command for a signed
upload of FILE. The secret appears in neither.
  cloudup-cli sign folder=blog tags=a,b
  cloudup-cli sign --curl photo.jpg folder=blog | sh`)
		fs.PrintDefaults()
	}
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	params, err := parseSignParams(rest)
	if err != nil {
		return err
	}
	var file string
	if *curlFile != "" {
		if file, err = uploadablePath(*curlFile); err != nil {
			return err
		}
	}
	creds, err := e.credentials(ctx, *name)
	if err != nil {
		return err
	}
	p := creds.Profile
	if p.Mode == account.Unsigned {
		return usagef("profile %q is unsigned (preset %s): there is nothing to sign; pick a signed profile with --profile", p.Name, p.Preset)
	}

	if p.IsTeam() {
		return signByTeam(ctx, e, creds, params, file)
	}
	now := time.Now()
	ts := signing.Stamp(params, now)
	if sec, _ := strconv.ParseInt(ts, 10, 64); now.Sub(time.Unix(sec, 0)) > signing.MaxAge {
		fmt.Fprintf(e.stderr, "note: timestamp %s is more than %s old; Cloudinary will reject this signature as stale\n", ts, signing.MaxAge)
	}
	sig := signing.Sign(params, creds.Secret.Reveal(), p.Algorithm)

	if file == "" {
		return printJSON(e.stdout, signResult{
			Signature: sig, Timestamp: ts, APIKey: p.APIKey, CloudName: p.Cloud,
			Algorithm: string(p.Algorithm), StringToSign: signing.StringToSign(params, signing.CurrentVersion),
		})
	}
	endpoint := strings.TrimRight(p.APIBase, "/") + "/v1_1/" + url.PathEscape(p.Cloud) + "/auto/upload"
	fmt.Fprintln(e.stdout, curlCommand(endpoint, file, p.APIKey, sig, params))
	fmt.Fprintf(e.stderr, "The signature is valid until %s (1 hour).\n", time.Unix(mustUnix(ts), 0).Add(signing.MaxAge).Format("15:04 MST"))
	return nil
}

func mustUnix(ts string) int64 {
	n, _ := strconv.ParseInt(ts, 10, 64)
	return n
}

var paramKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\[[0-9]*\])?$`)

// parseSignParams turns key=value arguments into upload parameters. A key
// given twice has its values joined with "," (how Cloudinary reads lists).
func parseSignParams(args []string) (url.Values, error) {
	params := url.Values{}
	for _, arg := range args {
		k, v, ok := strings.Cut(arg, "=")
		switch {
		case !ok:
			return nil, usagef("%q is not key=value", arg)
		case !paramKey.MatchString(k):
			return nil, usagef("%q is not a parameter name: use letters, digits and '_' (e.g. public_id=..., folder=...)", k)
		case k == "api_key" || k == "signature":
			return nil, usagef("%s is added by sign itself: leave it out", k)
		case k == "file":
			return nil, usagef("file is never signed: pass the file with --curl FILE")
		case k == "cloud_name" || k == "resource_type":
			return nil, usagef("%s is never signed: the profile's cloud and the /auto/upload endpoint are used", k)
		case k == "timestamp":
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n <= 0 {
				return nil, usagef("timestamp must be Unix seconds (or leave it out to use now)")
			}
		}
		if old := params.Get(k); old != "" {
			v = old + "," + v
		}
		params.Set(k, v)
	}
	return params, nil
}

// uploadablePath checks FILE for --curl and makes it absolute, so the
// command runs from any directory.
func uploadablePath(name string) (string, error) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return "", usagef("--curl %s: %v", name, err)
	}
	fi, err := os.Stat(abs)
	switch {
	case err != nil:
		return "", usagef("--curl: cannot read %s: %v", name, unwrapPathError(err))
	case !fi.Mode().IsRegular():
		return "", usagef("--curl: %s is not a regular file", name)
	}
	f, err := os.Open(abs)
	if err != nil {
		return "", usagef("--curl: cannot read %s: %v", name, unwrapPathError(err))
	}
	f.Close()
	return abs, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// curlCommand builds a shell command for a signed upload, the flow of
// Cloudinary's "generate an upload signature" guide. Parameters go as
// --form-string, because curl's -F would read a value starting with '@' or
// '<' as a file name; the file part comes last, as the SDKs send it.
func curlCommand(endpoint, file, apiKey, signature string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := []string{"curl", "-sS"}
	form := func(k, v string) { parts = append(parts, "--form-string", shellQuote(k+"="+v)) }
	form("api_key", apiKey)
	for _, k := range keys {
		form(k, params.Get(k))
	}
	form("signature", signature)
	// curl's -F takes a double-quoted file name, with \ and " escaped, so
	// names with ';' or ',' are read whole.
	quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(file)
	parts = append(parts, "-F", shellQuote(`file=@"`+quoted+`"`), shellQuote(endpoint))
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@+%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// signByTeam has the team signing service sign params, within the editor's
// grant, and prints the same result (the service chooses the timestamp).
func signByTeam(ctx context.Context, e *env, creds account.Credentials, params url.Values, file string) error {
	conn, err := session.Connect(ctx, creds, nil)
	if err != nil {
		return connectError(err)
	}
	if params.Get("timestamp") != "" {
		fmt.Fprintln(e.stderr, "note: the team signing service stamps its own time; the timestamp given is replaced")
	}
	results, err := conn.Team().Sign(ctx, []teamsign.SignCall{{Action: "upload", ResourceType: "auto", Params: params}})
	if err != nil {
		return cloudError(err, "signing")
	}
	if pe := results[0].Error; pe != nil {
		return &usageError{msg: pe.Message}
	}
	signed := results[0].Params
	p := conn.Profile()
	sig, key, ts := signed.Get("signature"), signed.Get("api_key"), signed.Get("timestamp")
	for _, k := range []string{"signature", "api_key"} {
		signed.Del(k)
	}
	if file == "" {
		return printJSON(e.stdout, signResult{
			Signature: sig, Timestamp: ts, APIKey: key, CloudName: p.Cloud,
			StringToSign: signing.StringToSign(signed, signing.CurrentVersion),
		})
	}
	endpoint := strings.TrimRight(p.APIBase, "/") + "/v1_1/" + url.PathEscape(p.Cloud) + "/auto/upload"
	fmt.Fprintln(e.stdout, curlCommand(endpoint, file, key, sig, signed))
	fmt.Fprintf(e.stderr, "The signature is valid until %s (1 hour).\n", time.Unix(mustUnix(ts), 0).Add(signing.MaxAge).Format("15:04 MST"))
	return nil
}
