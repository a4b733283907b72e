package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/control"
	"github.com/sfemu/sfemu/emulator/localca"
	"github.com/sfemu/sfemu/wire"
)

// running is one `sfemu serve` started by a test.
type running struct {
	base   string // what the ready hook got: --public-url or its default
	banner string // stdout up to the ready hook
	stderr *syncBuffer
}

// httpsURLs are the https base URLs the banner announces.
func (r running) httpsURLs(t *testing.T) []string {
	t.Helper()
	var urls []string
	for _, m := range regexp.MustCompile(`(?m)^  https +(https://\S+)$`).FindAllStringSubmatch(r.banner, -1) {
		urls = append(urls, m[1])
	}
	if len(urls) == 0 {
		t.Fatalf("the banner names no https URL:\n%s", r.banner)
	}
	return urls
}

// startServing runs `sfemu serve args…` until the test ends.
func startServing(t *testing.T, args ...string) running {
	t.Helper()
	return startServingEnv(t, nil, args...)
}

// startServingEnv runs `sfemu serve args…` with the environment env until
// the test ends.
func startServingEnv(t *testing.T, env map[string]string, args ...string) running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	baseCh := make(chan string, 1)
	done := make(chan int, 1)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	go func() {
		done <- serve(ctx, append([]string{"--log", "off"}, args...), lookup, &stdout, &stderr, func(b string) { baseCh <- b })
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case b := <-baseCh:
		return running{base: b, banner: stdout.String(), stderr: &stderr}
	case code := <-done:
		t.Fatalf("serve %v exited %d: %s", args, code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	return running{}
}

// clientTrusting is an http.Client that trusts only caPEM (nil: the
// system's roots, which do not hold sfemu's CA).
func clientTrusting(t *testing.T, caPEM []byte) *http.Client {
	t.Helper()
	conf := &tls.Config{}
	if caPEM != nil {
		conf.RootCAs = x509.NewCertPool()
		if !conf.RootCAs.AppendCertsFromPEM(caPEM) {
			t.Fatalf("no certificate in %q", caPEM)
		}
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: conf, DisableKeepAlives: true}}
}

// missingGrant posts to the token endpoint without a grant_type: the
// answer is Salesforce's JSON error, proof the emulator answered.
func missingGrant(t *testing.T, c *http.Client, base string) {
	t.Helper()
	resp, err := c.PostForm(base+"/services/oauth2/token", url.Values{})
	if err != nil {
		t.Fatalf("POST %s/services/oauth2/token: %v", base, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	const want = `{"error":"unsupported_grant_type","error_description":"grant type not supported"}`
	if resp.StatusCode != http.StatusBadRequest || strings.TrimSpace(string(body)) != want {
		t.Errorf("POST %s/services/oauth2/token: %d %s, want 400 %s", base, resp.StatusCode, body, want)
	}
}

// readCA is the CA a directory holds.
func readCA(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, localca.CertFile))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// peerCertificate is the certificate an https URL presents, verified
// against caPEM.
func peerCertificate(t *testing.T, caPEM []byte, base string) *x509.Certificate {
	t.Helper()
	resp, err := clientTrusting(t, caPEM).Get(base + "/_sfemu/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.TLS.PeerCertificates[0]
}

func TestServeHTTPS(t *testing.T) {
	cases := []struct {
		name  string
		args  func(dir string) []string
		check func(t *testing.T, dir string, r running)
	}{
		{
			name: "--tls serves https on --listen to a client that trusts the CA, and only to it",
			args: func(dir string) []string { return []string{"--tls", "--listen", "127.0.0.1:0", "--tls-dir", dir} },
			check: func(t *testing.T, dir string, r running) {
				if !strings.HasPrefix(r.base, "https://127.0.0.1:") {
					t.Errorf("--public-url defaults to %s, want https://ADDR when only https is served", r.base)
				}
				ca := readCA(t, dir)
				missingGrant(t, clientTrusting(t, ca), r.base)
				_, err := clientTrusting(t, nil).Get(r.base + "/_sfemu/health")
				if err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
					t.Errorf("a client that does not trust the CA: %v, want a verification error", err)
				}
				caPath := filepath.Join(dir, localca.CertFile)
				for _, want := range []string{
					"serving on " + r.base,
					"  https           " + r.base,
					"  CA              " + caPath + " (made now",
					"  trust it with   curl --cacert " + caPath + " " + r.base + "/_sfemu/health",
					"for localhost, login.salesforce.com, sfemu-default.my.salesforce.com, test.salesforce.com, 127.0.0.1, ::1;",
				} {
					if !strings.Contains(r.banner, want) {
						t.Errorf("banner lacks %q:\n%s", want, r.banner)
					}
				}
				// The CA to download is the one on disk.
				resp, err := clientTrusting(t, ca).Get(r.base + "/_sfemu/tls/ca.pem")
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !bytes.Equal(got, ca) || resp.Header.Get("Content-Type") != "application/x-pem-file" {
					t.Errorf("GET /_sfemu/tls/ca.pem: %s %q, want %s", resp.Header.Get("Content-Type"), got, caPath)
				}
			},
		},
		{
			name: "--tls-listen serves http and https side by side",
			args: func(dir string) []string {
				return []string{"--listen", "127.0.0.1:0", "--tls-listen", "127.0.0.1:0", "--tls-dir", dir}
			},
			check: func(t *testing.T, dir string, r running) {
				if !strings.HasPrefix(r.base, "http://127.0.0.1:") {
					t.Errorf("--public-url defaults to %s, want the http listener", r.base)
				}
				ca := readCA(t, dir)
				missingGrant(t, http.DefaultClient, r.base)
				httpsBase := r.httpsURLs(t)[0]
				missingGrant(t, clientTrusting(t, ca), httpsBase)
				// The CA downloads over plain http, before anything is trusted.
				resp, err := http.Get(r.base + "/_sfemu/tls/ca.pem")
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !bytes.Equal(got, ca) {
					t.Errorf("GET %s/_sfemu/tls/ca.pem = %q, want the CA in %s", r.base, got, dir)
				}
				if want := "also GET " + r.base + "/_sfemu/tls/ca.pem"; !strings.Contains(r.banner, want) {
					t.Errorf("banner lacks %q:\n%s", want, r.banner)
				}
			},
		},
		{
			name: "--tls-name puts more names in the certificate",
			args: func(dir string) []string {
				return []string{"--tls", "--listen", "127.0.0.1:0", "--tls-dir", dir, "--tls-name", "SFEMU.test", "--tls-name", "10.9.8.7", "--tls-name", "fd00::5",
					"--public-url", "https://sfemu.example.internal:8443"}
			},
			check: func(t *testing.T, dir string, r running) {
				cert := peerCertificate(t, readCA(t, dir), r.httpsURLs(t)[0])
				for _, name := range []string{"sfemu.test", "10.9.8.7", "fd00::5", "sfemu.example.internal", "127.0.0.1", "::1", "localhost", "login.salesforce.com", "test.salesforce.com"} {
					if err := cert.VerifyHostname(name); err != nil {
						t.Errorf("%s: %v", name, err)
					}
				}
				if !slices.Contains(cert.DNSNames, "sfemu.test") || !strings.Contains(r.banner, "sfemu.test") {
					t.Errorf("DNS names %v; banner:\n%s", cert.DNSNames, r.banner)
				}
				if d := time.Until(cert.NotAfter); d > 397*24*time.Hour {
					t.Errorf("the certificate is valid for %v more, over 397 days", d)
				}
			},
		},
		{
			name: "orgs loaded at run time bring their My Domain into the certificate",
			args: func(dir string) []string { return []string{"--tls", "--listen", "127.0.0.1:0", "--tls-dir", dir} },
			check: func(t *testing.T, dir string, r running) {
				ca := readCA(t, dir)
				ctl := &control.Client{BaseURL: r.base, HTTP: clientTrusting(t, ca)}
				_, err := ctl.LoadOrgs(context.Background(), wire.LoadOrgs{Fixtures: []wire.Fixture{{Name: "acme.yaml",
					YAML: "org: {name: Acme, my_domain: acme-tls}\nusers: [{username: a@acme.example, profile: Standard User}]\n"}}})
				if err != nil {
					t.Fatal(err)
				}
				cert := peerCertificate(t, ca, r.base)
				if !slices.Contains(cert.DNSNames, "acme-tls.my.salesforce.com") || slices.Contains(cert.DNSNames, "sfemu-default.my.salesforce.com") {
					t.Errorf("after PUT /_sfemu/orgs the certificate covers %v", cert.DNSNames)
				}
			},
		},
		{
			name: "an unwritable --tls-dir falls back to a CA in memory, and says so",
			args: func(dir string) []string {
				notADir := filepath.Join(dir, "file")
				os.WriteFile(notADir, []byte("x"), 0o644)
				return []string{"--tls", "--listen", "127.0.0.1:0", "--tls-dir", notADir}
			},
			check: func(t *testing.T, dir string, r running) {
				if !strings.Contains(r.banner, "CA              in memory only, a new one at each start (cannot keep the CA in "+filepath.Join(dir, "file")) ||
					!strings.Contains(r.banner, "curl -sk "+r.base+"/_sfemu/tls/ca.pem -o sfemu-ca.pem") {
					t.Errorf("banner:\n%s", r.banner)
				}
				// Download once without verifying, then trust what came.
				insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
				resp, err := insecure.Get(r.base + "/_sfemu/tls/ca.pem")
				if err != nil {
					t.Fatal(err)
				}
				ca, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				missingGrant(t, clientTrusting(t, ca), r.base)
			},
		},
		{
			name: "--tls-cert and --tls-key serve your own certificate",
			args: func(dir string) []string {
				ca, err := localca.New()
				if err != nil {
					t.Fatal(err)
				}
				leaf, err := ca.Issue([]string{"127.0.0.1", "own.sfemu.test"}, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				keyDER, _ := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
				os.WriteFile(filepath.Join(dir, "own.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Certificate[0]}), 0o644)
				os.WriteFile(filepath.Join(dir, "own-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
				os.WriteFile(filepath.Join(dir, "own-ca.pem"), ca.CertPEM, 0o644)
				return []string{"--tls", "--listen", "127.0.0.1:0", "--tls-cert", filepath.Join(dir, "own.pem"), "--tls-key", filepath.Join(dir, "own-key.pem")}
			},
			check: func(t *testing.T, dir string, r running) {
				ownCA, _ := os.ReadFile(filepath.Join(dir, "own-ca.pem"))
				missingGrant(t, clientTrusting(t, ownCA), r.base)
				if !strings.Contains(r.banner, "yours, from "+filepath.Join(dir, "own.pem")) || !strings.Contains(r.banner, "for own.sfemu.test, 127.0.0.1;") {
					t.Errorf("banner:\n%s", r.banner)
				}
				// No sfemu CA to download: the certificate's issuer is yours.
				resp, err := clientTrusting(t, ownCA).Get(r.base + "/_sfemu/tls/ca.pem")
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "--tls-cert") {
					t.Errorf("GET /_sfemu/tls/ca.pem: %d %s", resp.StatusCode, body)
				}
				if entries, _ := os.ReadDir(dir); len(entries) != 3 {
					t.Errorf("%s holds %d files: sfemu made a CA it does not use", dir, len(entries))
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv(localca.EnvDir, filepath.Join(dir, "not-this-one")) // never the user's own
			r := startServing(t, tc.args(dir)...)
			tc.check(t, dir, r)
		})
	}
}

// TestServeWithoutTLSIsUnchanged: no TLS flag, no https, no CA made, and
// GET /_sfemu/tls/ca.pem says how to turn TLS on.
func TestServeWithoutTLSIsUnchanged(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(localca.EnvDir, dir)
	r := startServing(t, "--listen", "127.0.0.1:0")
	if !strings.HasPrefix(r.base, "http://127.0.0.1:") || strings.Contains(r.banner, "\n  https ") || strings.Contains(r.banner, "CA ") {
		t.Errorf("base %s, banner:\n%s", r.base, r.banner)
	}
	resp, err := http.Get(r.base + "/_sfemu/tls/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `"error": "TLS is not enabled`) || !strings.Contains(string(body), "sfemu serve --tls") {
		t.Errorf("GET /_sfemu/tls/ca.pem: %d %s", resp.StatusCode, body)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("serve without TLS wrote %d files in %s", len(entries), dir)
	}
}

// TestServeReusesTheCA: a client that trusted the CA of one start reaches
// the next start with the same directory ($SFEMU_TLS_DIR here).
func TestServeReusesTheCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	t.Setenv(localca.EnvDir, dir)
	first := startServing(t, "--tls", "--listen", "127.0.0.1:0")
	ca := readCA(t, dir)
	missingGrant(t, clientTrusting(t, ca), first.base)
	second := startServing(t, "--tls", "--listen", "127.0.0.1:0")
	if !bytes.Equal(readCA(t, dir), ca) {
		t.Fatal("the second start replaced the CA")
	}
	missingGrant(t, clientTrusting(t, ca), second.base)
	if !strings.Contains(second.banner, "(reused: clients that trust it keep trusting it") {
		t.Errorf("second banner:\n%s", second.banner)
	}
}

func TestServeRefusesABadCAWithTheFileName(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, localca.CertFile), []byte("not a certificate\n"), 0o644)
	os.WriteFile(filepath.Join(dir, localca.KeyFile), []byte("not a key\n"), 0o600)
	var stdout, stderr bytes.Buffer
	code := serve(context.Background(), []string{"--tls", "--listen", "127.0.0.1:0", "--tls-dir", dir, "--log", "off"}, noEnv, &stdout, &stderr, nil)
	if want := filepath.Join(dir, localca.CertFile) + " holds no PEM CERTIFICATE block"; code != 1 || !strings.Contains(stderr.String(), want) {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr.String(), want)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, localca.CertFile)); string(got) != "not a certificate\n" {
		t.Error("serve replaced the CA file")
	}
}

func TestServeTLSUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-name", "sfemu.test"}, "need --tls"},
		{[]string{"--tls-dir", "/tmp"}, "need --tls"},
		{[]string{"--tls", "--tls-cert", "c.pem"}, "go together"},
		{[]string{"--tls", "--tls-key", "k.pem"}, "go together"},
		{[]string{"--tls", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-name", "x"}, "the names are your certificate's"},
		{[]string{"--tls", "--tls-name", "127.0.0.1:8443"}, `--tls-name: TLS name "127.0.0.1:8443"`},
	} {
		var stdout, stderr bytes.Buffer
		code := serve(context.Background(), append(tc.args, "--listen", "127.0.0.1:0"), noEnv, &stdout, &stderr, nil)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("serve %v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
	var stdout, stderr bytes.Buffer
	code := serve(context.Background(), []string{"--tls", "--listen", "127.0.0.1:0", "--tls-cert", "/nonexistent/c.pem", "--tls-key", "/nonexistent/k.pem"}, noEnv, &stdout, &stderr, nil)
	if code != 1 || !strings.Contains(stderr.String(), "/nonexistent/c.pem") {
		t.Errorf("a missing --tls-cert: exit %d, stderr %q", code, stderr.String())
	}
}

// TestPythonRequestsTrustsTheCA: Python's requests, the HTTP library under
// simple-salesforce, reaches the https listener given the CA file, both
// ways docs/TLS.md shows (verify= and REQUESTS_CA_BUNDLE), and refuses it
// without.
func TestPythonRequestsTrustsTheCA(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import requests").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %s cannot import requests (Debian: python3-requests): %v", python, err)
		}
		t.Skipf("%s cannot import requests (Debian: python3-requests): %v", python, err)
	}
	dir := t.TempDir()
	r := startServing(t, "--listen", "127.0.0.1:0", "--tls-listen", "127.0.0.1:0", "--tls-dir", dir)
	httpsBase := r.httpsURLs(t)[0]
	caFile := filepath.Join(dir, localca.CertFile)
	const script = `
import os, sys, requests
url, verify = sys.argv[1], sys.argv[2]
kw = {} if verify == "env" else {"verify": verify == "True" or verify}
try:
    r = requests.post(url + "/services/oauth2/token", data={}, timeout=10, **kw)
    print(r.status_code, r.text.strip())
except requests.exceptions.SSLError as e:
    print("SSLError", "CERTIFICATE_VERIFY_FAILED" in str(e))
`
	for _, tc := range []struct {
		name, verify, bundle, want string
	}{
		{"verify=the CA file", caFile, "", `400 {"error":"unsupported_grant_type","error_description":"grant type not supported"}`},
		{"REQUESTS_CA_BUNDLE", "env", caFile, `400 {"error":"unsupported_grant_type","error_description":"grant type not supported"}`},
		{"the system's roots", "True", "", "SSLError True"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(python, "-c", script, httpsBase, tc.verify)
			// No proxy between Python and 127.0.0.1, and no CA bundle from
			// the environment unless the case sets one.
			for _, kv := range os.Environ() {
				k, _, _ := strings.Cut(kv, "=")
				if !strings.HasSuffix(strings.ToLower(k), "_proxy") && k != "REQUESTS_CA_BUNDLE" && k != "CURL_CA_BUNDLE" {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			if tc.bundle != "" {
				cmd.Env = append(cmd.Env, "REQUESTS_CA_BUNDLE="+tc.bundle)
			}
			out, err := cmd.CombinedOutput()
			if got := strings.TrimSpace(string(out)); err != nil || got != tc.want {
				t.Errorf("python3 requests: %v\n%s\nwant %s", err, out, tc.want)
			}
		})
	}
}
