package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"golang.org/x/term"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/session"
	"github.com/cloudup/cloudup/core/signer"
	"github.com/cloudup/cloudup/core/teamsign"
)

// loginTeam stores a team profile: the signing service's URL in the
// profile, the editor's token in the keychain. The token is checked with the
// service first when it can be reached: a refused token is not stored.
func loginTeam(ctx context.Context, e *env, store *account.Store, name, signerURL string, set map[string]bool, folder, tags, preset string, makeDefault bool) error {
	for _, f := range []string{"cloud", "key", "secret-stdin", "api-base", "algorithm", "unsigned", "from-env"} {
		if set[f] {
			return usagef("a team profile learns the account from its signing service: drop --%s", f)
		}
	}
	switch {
	case name == "":
		return usagef("login needs --profile NAME")
	case signerURL == "":
		return usagef("a team profile needs --signer URL: the signing service's address, from the account owner")
	case !set["token-stdin"] && !isTerminal(e.stdin):
		return usagef("a team profile needs your token: pipe it with --token-stdin")
	}
	p := account.Profile{Name: name, Mode: account.Team, Signer: signerURL, Folder: folder, Tags: account.ParseTags(tags), Preset: preset}
	if old, err := store.Get(name); err == nil && !old.Sandbox {
		keepUnsetFields(&p, old, set)
		p.APIBase = ""
	}
	p = p.Normalized()
	p.APIBase = "" // learnt from the service
	if err := account.ValidateSigner(p.Signer); err != nil {
		return usagef("%v", err)
	}
	token, err := readToken(e)
	if err != nil {
		return err
	}
	client, err := teamsign.NewClient(p.Signer, teamsign.Token(token.Reveal()), nil)
	if err != nil {
		return usagef("%v", err)
	}
	who, err := client.WhoAmI(ctx)
	var netErr *cloud.NetworkError
	switch {
	case errors.As(err, &netErr):
		fmt.Fprintf(e.stderr, "note: the signing service at %s cannot be reached now, so the token is stored unchecked; uploads start once it answers\n", p.Signer)
	case err != nil:
		return usagef("the signing service refused this token: %v", err)
	default:
		p = session.WithTeam(p, who)
		if !set["folder"] && (p.Folder == "" || !insideGrant(who.Grant, p.Folder)) {
			p.Folder = who.Grant.Folders[0]
		}
	}
	p.Signer = strings.TrimRight(signerURL, "/")
	if err := p.Validate(); err != nil {
		return usagef("%v", err)
	}
	keys := e.secrets()
	if err := keys.Set(ctx, p.SecretAccount(), token); err != nil {
		return asConfigError(err)
	}
	if err := store.Put(p); err != nil {
		return asConfigError(err)
	}
	if makeDefault {
		if err := store.SetDefault(p.Name); err != nil {
			return asConfigError(err)
		}
	}
	w := e.stdout
	fmt.Fprintf(w, "Profile %q saved: team signing service %s", p.Name, p.Signer)
	if who != nil {
		fmt.Fprintf(w, ", editor %q on cloud %s", who.Editor, who.Cloud)
	}
	fmt.Fprintf(w, " (%s).\n", store.Path())
	fmt.Fprintf(w, "Token stored in the system keychain (service %q, account %q); the API secret stays with the service.\n", keychain.Service, p.SecretAccount())
	if who != nil {
		fmt.Fprintf(w, "You may upload to %s.\n", strings.Join(slashed(who.Grant.Folders), ", "))
		if set["folder"] && !insideGrant(who.Grant, p.Folder) {
			fmt.Fprintf(e.stderr, "note: the default folder %s is outside what the token allows; uploads there will be refused\n", p.Folder)
		}
	}
	if def, err := store.DefaultName(); err == nil && def == p.Name {
		fmt.Fprintf(w, "%q is the default profile.\n", p.Name)
	}
	return nil
}

func insideGrant(g teamsign.Grant, folder string) bool {
	folder = strings.Trim(folder, "/")
	return slices.ContainsFunc(g.Folders, func(f string) bool { return folder == f || strings.HasPrefix(folder, f+"/") })
}

// readToken reads an editor token from standard input: hidden on a
// terminal, else everything piped in.
func readToken(e *env) (keychain.Secret, error) {
	var raw []byte
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.stderr, "Team token (input hidden): ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("cannot read the token from the terminal: %w", err)
		}
		raw = b
	} else {
		b, err := io.ReadAll(io.LimitReader(e.stdin, maxSecretInput+1))
		if err != nil {
			return "", fmt.Errorf("cannot read the token from standard input: %w", err)
		}
		raw = b
	}
	t := strings.TrimSpace(string(raw))
	switch {
	case len(raw) > maxSecretInput:
		return "", usagef("more than %d bytes on standard input: pipe only the token", maxSecretInput)
	case t == "":
		return "", usagef("the token on standard input is empty: pipe the token the account owner gave you")
	case !strings.HasPrefix(t, signer.TokenPrefix) || strings.ContainsAny(t, " \t\r\n"):
		// Not echoed: it may be an API secret pasted by mistake.
		return "", usagef("that is not a team token (they start with %q): pipe the token the account owner gave you, not an API secret", signer.TokenPrefix)
	}
	return keychain.Secret(t), nil
}
