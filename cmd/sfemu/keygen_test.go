package main

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/jwtbearer"
)

// keygen runs `sfemu keygen args...` and returns its exit code, stdout and stderr.
func keygen(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runKeygen(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("%s: no CERTIFICATE block", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestKeygenWritesALoadablePair(t *testing.T) {
	tests := []struct {
		name        string
		args        []string // after --out DIR
		file        string   // base name written
		wantLabel   string
		wantCN      string
		wantExpired bool
		wantDays    int
	}{
		{"defaults: server.key PKCS#8 and server.crt valid 365 days", nil,
			"server", "PRIVATE KEY", "sfemu test", false, 365},
		{"--name, --cn, --days and --pkcs1", []string{"--name", "acme", "--cn", "Acme ECA", "--days", "30", "--pkcs1"},
			"acme", "RSA PRIVATE KEY", "Acme ECA", false, 30},
		{"--expired: a certificate that expired yesterday", []string{"--expired", "--name", "old"},
			"old", "PRIVATE KEY", "sfemu test", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "keys") // created by keygen
			code, stdout, stderr := keygen(t, append([]string{"--out", dir}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d, stderr: %s", code, stderr)
			}
			keyPath, certPath := filepath.Join(dir, tt.file+".key"), filepath.Join(dir, tt.file+".crt")

			info, err := os.Stat(keyPath)
			if err != nil {
				t.Fatal(err)
			}
			if perm := info.Mode().Perm(); perm != 0o600 {
				t.Errorf("%s has mode %o, want 600", keyPath, perm)
			}
			keyPEM, err := os.ReadFile(keyPath)
			if err != nil {
				t.Fatal(err)
			}
			if block, _ := pem.Decode(keyPEM); block == nil || block.Type != tt.wantLabel {
				t.Errorf("%s: want a %q block", keyPath, tt.wantLabel)
			}
			key, err := jwtbearer.LoadPrivateKeyFile(keyPath)
			if err != nil {
				t.Fatal(err)
			}
			cert := readCert(t, certPath)
			if !key.PublicKey.Equal(cert.PublicKey) {
				t.Error("certificate is not for the key")
			}
			if cert.Subject.CommonName != tt.wantCN {
				t.Errorf("CN = %q, want %q", cert.Subject.CommonName, tt.wantCN)
			}
			now := time.Now()
			if tt.wantExpired {
				if !cert.NotAfter.Before(now) || !cert.NotBefore.Before(cert.NotAfter) {
					t.Errorf("validity %s – %s: want already expired", cert.NotBefore, cert.NotAfter)
				}
			} else if want := now.AddDate(0, 0, tt.wantDays); cert.NotAfter.Before(want.Add(-time.Hour)) || cert.NotAfter.After(want) ||
				cert.NotBefore.After(now) {
				t.Errorf("validity %s – %s: want from now for %d days", cert.NotBefore, cert.NotAfter, tt.wantDays)
			}
			wantNext := "next: upload " + tt.file + ".crt to the app's certificate (fixture: certificate: " + tt.file +
				".crt); sign JWTs with " + tt.file + ".key\n"
			if !strings.HasPrefix(stdout, "wrote "+keyPath) || !strings.HasSuffix(stdout, wantNext) || strings.Count(stdout, "\n") != 2 {
				t.Errorf("stdout =\n%s\nwant two lines, 'wrote %s …' and %q", stdout, keyPath, wantNext)
			}
		})
	}
}

func TestKeygenRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := keygen(t, "--out", dir); code != 0 {
		t.Fatalf("first keygen: exit %d, %s", code, stderr)
	}
	keyPath := filepath.Join(dir, "server.key")
	before, _ := os.ReadFile(keyPath)

	code, _, stderr := keygen(t, "--out", dir)
	if want := "sfemu keygen: " + keyPath + " already exists; use --force to overwrite it\n"; code != 1 || stderr != want {
		t.Errorf("second keygen: exit %d, stderr %q; want 1, %q", code, stderr, want)
	}
	if after, _ := os.ReadFile(keyPath); !bytes.Equal(before, after) {
		t.Error("the key was overwritten without --force")
	}

	// Only the certificate left over still blocks: nothing is half-written.
	os.Remove(keyPath)
	if code, _, stderr := keygen(t, "--out", dir); code != 1 || !strings.Contains(stderr, "server.crt already exists") {
		t.Errorf("with only server.crt present: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(keyPath); err == nil {
		t.Error("keygen wrote server.key although it refused to overwrite server.crt")
	}

	if err := os.WriteFile(keyPath, before, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := keygen(t, "--out", dir, "--force"); code != 0 {
		t.Fatalf("--force: exit %d, %s", code, stderr)
	}
	after, _ := os.ReadFile(keyPath)
	if bytes.Equal(before, after) {
		t.Error("--force did not write a new key")
	}
	if info, _ := os.Stat(keyPath); info.Mode().Perm() != 0o600 {
		t.Errorf("overwritten key has mode %o, want 600", info.Mode().Perm())
	}
}

func TestKeygenUsage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string // substring of stderr
	}{
		{"--out is required", nil, 2, "sfemu keygen: --out is required\nusage: sfemu keygen"},
		{"--days and --expired conflict", []string{"--out", dir, "--days", "10", "--expired"}, 2,
			"sfemu keygen: --days and --expired cannot be used together"},
		{"--days must be positive", []string{"--out", dir, "--days", "0"}, 2, "sfemu keygen: --days must be at least 1"},
		{"--name must not be a path", []string{"--out", dir, "--name", "../x"}, 2, `sfemu keygen: --name "../x" must be a plain file name`},
		{"stray argument", []string{"--out", dir, "extra"}, 2, `sfemu keygen: unexpected argument "extra"`},
		{"unknown flag", []string{"--bits", "4096"}, 2, "flag provided but not defined: -bits"},
		{"--help prints the flags", []string{"--help"}, 0, "-expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := keygen(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr, tt.wantCode, tt.wantErr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("usage errors wrote %d files", len(entries))
	}
}
