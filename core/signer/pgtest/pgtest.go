//go:build unix

// Package pgtest starts a real, throwaway PostgreSQL server for tests: initdb
// on a scratch directory, pg_ctl on a free loopback port, as an
// unprivileged user (PostgreSQL refuses to run as root), stopped and removed
// when the test ends. It uses Debian's postgresql package (make test
// installs it).
package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// binDirs are where Debian puts the server's programs.
var binDirs = []string{"/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"}

func bin(name string) (string, bool) {
	for _, d := range binDirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	return "", false
}

// Start runs a PostgreSQL server for the test and returns a DSN for its
// "postgres" database. Without PostgreSQL installed it skips, unless
// CLOUDUP_REQUIRE_KEYCHAIN is set (make test), where it fails.
func Start(t testing.TB) string {
	t.Helper()
	initdb, ok1 := bin("initdb")
	pgctl, ok2 := bin("pg_ctl")
	if !ok1 || !ok2 {
		if os.Getenv("CLOUDUP_REQUIRE_KEYCHAIN") != "" {
			t.Fatal("PostgreSQL is not installed (initdb, pg_ctl): make test installs Debian's postgresql package")
		}
		t.Skip("PostgreSQL is not installed")
	}
	cred, owner := runAs(t)
	dir, err := os.MkdirTemp("", "cloudup-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if owner >= 0 {
		if err := os.Chown(dir, owner, -1); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "HOME=" + dir}
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
		}
	}
	run(initdb, "-D", data, "-U", "cloudup", "--auth=trust", "--no-sync", "-E", "UTF8")
	port := freePort(t)
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c max_connections=50", port, dir)
	run(pgctl, "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts, "-w", "-t", "60", "start")
	t.Cleanup(func() {
		cmd := exec.Command(pgctl, "-D", data, "-m", "immediate", "-w", "stop")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("stopping PostgreSQL: %v\n%s", err, out)
		}
	})
	return fmt.Sprintf("postgres://cloudup@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=10", port)
}

// runAs is who the server runs as: the current user unless that is root,
// then Debian's postgres user, else nobody.
func runAs(t testing.TB) (*syscall.Credential, int) {
	if os.Geteuid() != 0 {
		return nil, -1
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, uid
	}
	t.Fatal("running as root, and there is neither a postgres nor a nobody user to run PostgreSQL as")
	return nil, -1
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
