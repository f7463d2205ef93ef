package main

import (
	"context"
	"fmt"
	"path"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/effects"
	"github.com/cloudup/cloudup/core/session"
)

func runURL(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "url")
	name := fs.String("profile", "", "profile `NAME` (default: CLOUDINARY_URL when set, else the default profile)")
	effect := fs.String("effect", "original", "preset `NAME` to apply (see the list below)")
	transform := fs.String("transform", "", "Cloudinary transformation `T` applied after the effect, e.g. w_400,c_scale")
	format := fs.String("format", "", "print the link as url, markdown or html (default: the profile's link format, else url)")
	signed := fs.Bool("signed", false, "sign the URL (s--SIG--), as accounts with strict transformations require; needs the secret")
	resourceType := fs.String("resource-type", "image", "image, video or raw")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: cloudup-cli url [--profile NAME] [--effect NAME] [--transform T]
                [--format url|markdown|html] [--signed] PUBLIC_ID
Prints the delivery URL of PUBLIC_ID with an effect preset and/or a
transformation, as a plain URL, Markdown or HTML. No request is made.
  cloudup-cli url --effect grayscale samples/beach
  cloudup-cli url --effect social --format markdown --signed blog/cover
Effects:`)
		for _, p := range effects.Presets {
			fmt.Fprintf(fs.Output(), "  %-19s %s\n", p.Name, p.Label)
		}
		fs.PrintDefaults()
	}
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) == 0:
		return usagef("give the PUBLIC_ID of the asset, e.g. cloudup-cli url samples/beach")
	case len(rest) > 1:
		return usagef("give one PUBLIC_ID (got %d arguments: %q…)", len(rest), rest[:2])
	}
	publicID := rest[0]
	preset, err := effects.Lookup(*effect)
	if err != nil {
		return &usageError{msg: err.Error(), err: err}
	}
	switch *resourceType {
	case "image", "video", "raw":
	default:
		return usagef("unknown resource type %q: use image, video or raw", *resourceType)
	}

	creds, err := e.resolve(ctx, *name)
	if err != nil {
		return err
	}
	p := creds.Profile
	if *signed && p.Mode == account.Unsigned && !p.Sandbox {
		return usagef("a signed URL needs the API secret, and profile %q is unsigned (upload preset only): drop --signed or pick a signed profile", p.Name)
	}
	// The sandbox's address, like a secret, is only known while it runs.
	if *signed || p.Sandbox {
		if err := creds.RequireSecret(); err != nil {
			return asConfigError(err)
		}
	}
	linkFormat := *format
	if linkFormat == "" {
		linkFormat = string(p.LinkFormat)
	}
	lf, err := effects.ParseLinkFormat(linkFormat)
	if err != nil {
		return &usageError{msg: err.Error(), err: err}
	}
	ref := effects.Ref{PublicID: publicID, ResourceType: *resourceType}
	transformation := effects.Chain(preset.Transformation, *transform)
	var link string
	if *signed || (p.IsTeam() && p.Cloud == "") {
		// Signed here with the secret, or by the team service (which
		// also knows the account a team profile delivers from).
		conn, err := session.Connect(ctx, creds, nil)
		if err != nil {
			return connectError(err)
		}
		p = conn.Profile()
		if *signed {
			if link, err = conn.SignedURL(ctx, ref, transformation); err != nil {
				return cloudError(err, "signing the link")
			}
		}
	}
	if link == "" {
		delivery, err := effects.DeliveryFor(p.Cloud, p.APIBase)
		if err != nil {
			return &usageError{msg: fmt.Sprintf("profile %q: %v", p.Name, err), err: err}
		}
		if link, err = delivery.URL(ref, transformation, "", false); err != nil {
			return &usageError{msg: err.Error(), err: err}
		}
	}
	fmt.Fprintln(e.stdout, effects.Link(lf, link, *resourceType, path.Base(publicID)))
	return nil
}
