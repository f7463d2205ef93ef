package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/teamsign"
)

func runProfiles(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "profiles")
	asJSON := fs.Bool("json", false, "one JSON object per profile")
	setDefault := fs.String("default", "", "make profile `NAME` the default")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: cloudup-cli profiles [--json] [--default NAME]\nLists the profiles; the default is marked with *.")
		fs.PrintDefaults()
	}
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("profiles takes no arguments")
	}
	store, err := e.profiles()
	if err != nil {
		return err
	}
	if *setDefault != "" {
		if err := store.SetDefault(*setDefault); err != nil {
			return asConfigError(err)
		}
	}
	list, err := store.List()
	if err != nil {
		return asConfigError(err)
	}
	def, err := store.DefaultName()
	if err != nil {
		return asConfigError(err)
	}
	envURL := strings.TrimSpace(e.getenv(account.EnvVar))

	if *asJSON {
		for _, p := range list {
			if err := printJSON(e.stdout, struct {
				account.Profile
				Default bool `json:"default"`
			}{p, p.Name == def}); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tNAME\tCLOUD\tAPI KEY\tSIGNING\tAPI BASE")
	for _, p := range list {
		mark := ""
		if p.Name == def {
			mark = "*"
		}
		cloud, key, base := p.Cloud, dash(p.APIKey), p.APIBase
		if p.Sandbox {
			cloud, key, base = "(embedded sandbox)", "-", "(local)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", mark, p.Name, cloud, key, signingText(p), base)
	}
	tw.Flush()
	if envURL != "" {
		if u, err := account.ParseCloudinaryURL(envURL); err == nil {
			fmt.Fprintf(e.stdout, "CLOUDINARY_URL is set: commands without --profile use it (cloud %s), not the default.\n", u.Cloud)
		} else {
			fmt.Fprintf(e.stdout, "CLOUDINARY_URL is set but unusable: %v\n", err)
		}
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func signingText(p account.Profile) string {
	if p.IsTeam() {
		return "by the team signing service " + p.Signer
	}
	if p.Mode == account.Unsigned {
		return "unsigned, preset " + p.Preset
	}
	if p.Sandbox {
		return "signed by the sandbox's own key"
	}
	return "signed, " + algorithmName(p.Algorithm)
}

// statusReport is status --json.
type statusReport struct {
	Profile      string `json:"profile"`
	Default      bool   `json:"default"`
	Cloud        string `json:"cloud,omitempty"`
	APIKey       string `json:"api_key,omitempty"`
	Mode         string `json:"mode"`
	Algorithm    string `json:"algorithm,omitempty"`
	APIBase      string `json:"api_base,omitempty"`
	Secret       string `json:"secret"`
	SecretWhere  string `json:"secret_where"`
	Folder       string `json:"folder,omitempty"`
	Tags         string `json:"tags,omitempty"`
	Preset       string `json:"preset,omitempty"`
	ProfilesFile string `json:"profiles_file"`
	Error        string `json:"error,omitempty"`
	// A team profile: who the service says the token belongs to and what
	// the editor may do (absent when the service cannot be reached).
	Editor string          `json:"editor,omitempty"`
	Grant  *teamsign.Grant `json:"grant,omitempty"`
	Signer string          `json:"signer,omitempty"`
}

func runStatus(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "status")
	name := fs.String("profile", "", "profile `NAME` (default: CLOUDINARY_URL when set, else the default profile)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: cloudup-cli status [--profile NAME] [--json]\nSays which credentials commands use and where the secret lives; never prints it.\nExits 1 when a signed profile has no usable secret.")
		fs.PrintDefaults()
	}
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("status takes no arguments: use --profile NAME")
	}
	store, err := e.profiles()
	if err != nil {
		return err
	}
	creds, resolveErr := e.resolve(ctx, *name)
	if resolveErr != nil && creds.Profile.Name == "" {
		return resolveErr // unknown profile, malformed CLOUDINARY_URL, damaged file
	}
	p := creds.Profile
	def, _ := store.DefaultName()
	r := statusReport{
		Profile: p.Name, Default: p.Name == def && creds.Source != account.SourceEnv,
		Cloud: p.Cloud, APIKey: p.APIKey, Mode: string(p.Mode), Algorithm: string(p.Algorithm), APIBase: p.APIBase,
		Secret: string(creds.Source), SecretWhere: creds.Where(),
		Folder: p.Folder, Tags: strings.Join(p.Tags, ","), Preset: p.Preset, ProfilesFile: store.Path(),
	}
	if p.Mode == account.Unsigned || p.IsTeam() {
		r.Algorithm = ""
	}
	var teamErr error
	if p.IsTeam() && resolveErr == nil && creds.Source != account.SourceMissing {
		r.Signer = p.Signer
		teamErr = askTeam(ctx, creds, &r)
	}
	if resolveErr != nil {
		r.Error = resolveErr.Error()
		r.SecretWhere = "unknown: the keychain could not be read"
	}
	if *asJSON {
		if err := printJSON(e.stdout, r); err != nil {
			return err
		}
	} else {
		printStatus(e, r, creds)
	}

	switch {
	case resolveErr != nil:
		return &partialError{msg: resolveErr.Error()}
	case creds.Source == account.SourceMissing && p.IsTeam():
		return &partialError{msg: fmt.Sprintf("no team token for profile %q: store one with: cloudup-cli login --profile %s --signer %s --token-stdin", p.Name, p.Name, p.Signer)}
	case creds.Source == account.SourceMissing:
		return &partialError{msg: fmt.Sprintf("no API secret for profile %q: store one with: cloudup-cli login --profile %s --cloud %s --key %s --secret-stdin", p.Name, p.Name, p.Cloud, p.APIKey)}
	case teamErr != nil:
		return &partialError{msg: teamErr.Error()}
	}
	return nil
}

// askTeam fills in who the team service says the token belongs to.
func askTeam(ctx context.Context, creds account.Credentials, r *statusReport) error {
	client, err := teamsign.NewClient(creds.Profile.Signer, teamsign.Token(creds.Secret.Reveal()), nil)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	who, err := client.WhoAmI(ctx)
	if err != nil {
		r.Error = err.Error()
		return err
	}
	r.Editor, r.Grant = who.Editor, &who.Grant
	r.Cloud, r.APIKey, r.APIBase = who.Cloud, who.APIKey, who.APIBase
	return nil
}

func printStatus(e *env, r statusReport, creds account.Credentials) {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 1, ' ', 0)
	name := r.Profile
	switch {
	case creds.Source == account.SourceEnv:
		name += " (from the environment; not stored)"
	case r.Default:
		name += " (default)"
	}
	fmt.Fprintf(tw, "Profile:\t%s\n", name)
	if creds.Profile.Sandbox {
		fmt.Fprintf(tw, "Cloud:\tthe embedded sandbox (cloudup-cli sandbox, or the app)\n")
	} else {
		fmt.Fprintf(tw, "Cloud:\t%s\n", r.Cloud)
		fmt.Fprintf(tw, "API key:\t%s\n", dash(r.APIKey))
		fmt.Fprintf(tw, "Signing:\t%s\n", signingText(creds.Profile))
		fmt.Fprintf(tw, "API base:\t%s\n", r.APIBase)
	}
	fmt.Fprintf(tw, "Secret:\t%s\n", r.SecretWhere)
	if r.Grant != nil {
		fmt.Fprintf(tw, "Editor:\t%s\n", r.Editor)
		fmt.Fprintf(tw, "May:\t%s\n", describeGrant(*r.Grant))
	} else if r.Signer != "" && r.Error != "" {
		fmt.Fprintf(tw, "Team:\t%s\n", r.Error)
	}
	var defaults []string
	if r.Folder != "" {
		defaults = append(defaults, "folder "+r.Folder)
	}
	if r.Tags != "" {
		defaults = append(defaults, "tags "+r.Tags)
	}
	if r.Preset != "" && creds.Profile.Mode != account.Unsigned {
		defaults = append(defaults, "preset "+r.Preset)
	}
	if len(defaults) > 0 {
		fmt.Fprintf(tw, "Defaults:\t%s\n", strings.Join(defaults, ", "))
	}
	fmt.Fprintf(tw, "Profiles:\t%s\n", r.ProfilesFile)
	tw.Flush()
}
