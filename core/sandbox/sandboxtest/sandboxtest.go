// Package sandboxtest starts sandboxes for other packages' tests: a real
// server on 127.0.0.1 in a temporary directory, stopped when the test ends,
// and a Cloudinary client signed for its account.
package sandboxtest

import (
	"context"
	"testing"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/sandbox"
)

// Start runs a sandbox with cfg (Dir defaults to a temporary directory)
// until the test ends.
func Start(t testing.TB, cfg sandbox.Config) *sandbox.Server {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	sb, err := sandbox.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

// Client is a client signed with sb's own key and secret.
func Client(t testing.TB, sb *sandbox.Server) *cloud.Client {
	t.Helper()
	c, err := cloud.New(cloud.Config{Cloud: sb.Cloud(), APIKey: sb.APIKey(), Secret: cloud.Secret(sb.APISecret()), APIBase: sb.URL()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
