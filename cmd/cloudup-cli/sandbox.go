package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/cloudup/cloudup/core/paths"
	"github.com/cloudup/cloudup/core/sandbox"
)

const sandboxHelp = `Run a local Cloudinary-compatible server (Upload, Admin and Search APIs and
delivery URLs). The first line of standard output is the CLOUDINARY_URL to
give the SDKs or 'cloudup-cli login --from-env'; it serves until interrupted.

Fault spec (--faults): rules separated by ';', clauses by ','.
  rate=F          probability (0..1) that a matching request fails
  kinds=K+K       failures to pick from with rate= (default 500)
  schedule=S,S    outcomes for successive matching requests (ok = no fault)
  on=SCOPE+SCOPE  upload, chunk, final, api, admin, search, delivery, all
  skip=N  max=N   let N requests through first / stop after N failures
  retry=D         Retry-After for 420, 429 and 503 (default 2s)
  above=N         only while more than N matching requests are in the server
                  (on=upload,above=8,rate=1,kinds=420: refuse a 9th upload at once)
Kinds: 500, 502, 503 (an HTML page), 420 (Rate Limit Exceeded. Try again on
…), 429, reset (connection reset mid-body), stall (no answer until the
client gives up). Add -after to act after the work is done: reset-after is
"stored, but the answer was lost".
Examples: rate=0.2,kinds=500+503+reset
          on=upload,schedule=ok,500,reset-after,ok
          on=admin,rate=0.1,kinds=420,retry=5s

Flags:
`

func runSandbox(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "sandbox")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: cloudup-cli sandbox [flags]\n\n"+sandboxHelp)
		fs.PrintDefaults()
	}
	addr := fs.String("addr", "127.0.0.1:8787", "listen address (loopback unless you mean otherwise; port 0 picks a free one)")
	dir := fs.String("dir", "", "data directory (default: the Cloudup data dir's sandbox-server folder, apart from the app's embedded sandbox so both can run at once)")
	cloud := fs.String("cloud", "sandbox", "cloud name")
	key := fs.String("key", "", "API key (default: generated once per data dir)")
	secret := fs.String("secret", "", "API secret (default: generated once per data dir; a local test credential)")
	latency := fs.Duration("latency", 0, "delay every answer by this long, e.g. 80ms")
	bandwidth := fs.Int64("bandwidth", 0, "cap each connection to this many bytes/s in each direction (0 = none)")
	faults := fs.String("faults", "", "fault injection spec (see above)")
	seed := fs.Int64("seed", 1, "seed for fault injection, for reproducible runs")
	strict := fs.Bool("strict-delivery-signing", false, "require signed delivery URLs (s--SIG--)")
	bgDelay := fs.Duration("bg-removal-delay", 0, "answer 423 to e_background_removal for this long after the first request")
	skew := fs.Duration("clock-skew", 0, "run the server's clock this far ahead (negative: behind), to test clients' clock-offset handling")
	limits := fs.String("limits", "free", "plan limits: free (10 MB and 25 megapixels per image, 100 MB videos, 10 MB raw) or none")
	maxImage := fs.Int64("max-image-bytes", 0, "override the image size limit (-1 = none)")
	maxVideo := fs.Int64("max-video-bytes", 0, "override the video size limit (-1 = none)")
	maxRaw := fs.Int64("max-raw-bytes", 0, "override the raw file size limit (-1 = none)")
	maxPixels := fs.Int64("max-image-pixels", 0, "override the image resolution limit, width × height (default 25000000, Cloudinary's free plan; -1 = none)")
	allowPrivate := fs.Bool("allow-private-fetch", false, "let remote uploads (file=http://…) fetch from this computer and private networks, for tests with files served on 127.0.0.1 (off: only public addresses; the sandbox's own links always work)")
	allowV1 := fs.Bool("allow-v1-signatures", false, "also accept signature version 1 (\"&\" signed raw), for SDKs older than June 2025")
	adminRate := fs.Int("admin-rate-limit", 0, "Admin and Search API calls allowed per hour (0 = unlimited; free plans get 500)")
	seedSamples := fs.Bool("seed-samples", true, "upload the bundled sample photos when the account is empty")
	quiet := fs.Bool("quiet", false, "do not log requests to standard error")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected arguments %q: the sandbox takes flags only", strings.Join(rest, " "))
	}
	if *dir == "" {
		data, err := paths.DataDir()
		if err != nil {
			return usagef("%v", err)
		}
		*dir = filepath.Join(data, "sandbox-server")
	}
	cfg := sandbox.Config{
		Addr: *addr, Dir: *dir, Cloud: *cloud, APIKey: *key, APISecret: *secret,
		Latency: *latency, Bandwidth: *bandwidth, Faults: *faults, Seed: *seed,
		StrictDeliverySigning: *strict, BackgroundRemovalDelay: *bgDelay, ClockSkew: *skew,
		AllowPrivateFetch: *allowPrivate, AllowV1Signatures: *allowV1,
	}
	switch *limits {
	case "free":
	case "none":
		cfg.Limits = sandbox.NoLimits()
	default:
		return usagef("--limits %q: use free or none", *limits)
	}
	for _, o := range []struct {
		v   int64
		dst *int64
	}{{*maxImage, &cfg.Limits.MaxImageBytes}, {*maxVideo, &cfg.Limits.MaxVideoBytes}, {*maxRaw, &cfg.Limits.MaxRawBytes}, {*maxPixels, &cfg.Limits.MaxImagePixels}} {
		if o.v != 0 {
			*o.dst = o.v
		}
	}
	cfg.Limits.AdminCallsPerHour = *adminRate
	if !*quiet {
		cfg.Logf = func(format string, args ...any) {
			fmt.Fprintf(e.stderr, "%s %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
		}
	}
	srv, err := sandbox.Start(ctx, cfg)
	if err != nil {
		// A bad spec, a taken port or an unusable data dir: configuration.
		return usagef("%v", err)
	}
	// Seed before announcing, so a script that goes on the first line
	// never sees a half-filled account.
	if *seedSamples {
		if err := srv.SeedSamples(ctx); err != nil && ctx.Err() == nil {
			fmt.Fprintf(e.stderr, "cloudup-cli sandbox: %v\n", err)
		}
	}
	// The contract: this line first, so scripts can read it and go.
	fmt.Fprintf(e.stdout, "CLOUDINARY_URL=%s\n", srv.CloudinaryURL())
	fmt.Fprintf(e.stderr, "cloudup-cli sandbox: cloud %q at %s, data in %s; Ctrl-C stops it\n", srv.Cloud(), srv.URL(), srv.Dir())
	<-ctx.Done()
	return srv.Close()
}
