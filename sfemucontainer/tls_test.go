package sfemucontainer

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"
)

// TestWithTLS: a client that trusts only the container's CA reaches its
// https listener, one that does not is refused — with the CA kept in the
// image's /tls, and in memory when the container cannot write (the FROM
// scratch fallback).
func TestWithTLS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		opts   []testcontainers.ContainerCustomizer
		banner string
	}{
		{name: "CA in /tls", banner: "CA              /tls/ca.pem (made now"},
		{name: "read-only root file system: CA in memory", banner: "CA              in memory only",
			opts: []testcontainers.ContainerCustomizer{testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) { hc.ReadonlyRootfs = true })}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			ctr := start(t, append([]testcontainers.ContainerCustomizer{WithTLS()}, tc.opts...)...)
			base, err := ctr.TLSBaseURL(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(base, "https://") {
				t.Errorf("TLSBaseURL = %s", base)
			}
			client, err := ctr.TLSClient(ctx)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.PostForm(base+"/services/oauth2/token", url.Values{})
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			const want = `{"error":"unsupported_grant_type","error_description":"grant type not supported"}`
			if resp.StatusCode != http.StatusBadRequest || strings.TrimSpace(string(body)) != want {
				t.Errorf("POST %s/services/oauth2/token: %d %s, want 400 %s", base, resp.StatusCode, body, want)
			}
			if _, err := http.Get(base + HealthPath); err == nil || !strings.Contains(err.Error(), "certificate") {
				t.Errorf("a client with only the system's roots: %v, want a certificate error", err)
			}
			logs, err := ctr.Logs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			out, _ := io.ReadAll(logs)
			logs.Close()
			if !strings.Contains(string(out), tc.banner) || !strings.Contains(string(out), "  https           https://") || !strings.Contains(string(out), ":8443\n") {
				t.Errorf("container log lacks %q:\n%s", tc.banner, out)
			}
		})
	}
}

// TestWithoutTLSTheCAIsNotFound: TLSCA says TLS is off, with the
// emulator's message.
func TestWithoutTLSTheCAIsNotFound(t *testing.T) {
	t.Parallel()
	ctr := start(t)
	_, err := ctr.TLSCA(context.Background())
	if err == nil || !strings.Contains(err.Error(), "HTTP 404") || !strings.Contains(err.Error(), "TLS is not enabled") {
		t.Errorf("TLSCA without WithTLS: %v", err)
	}
}

// TestWithTLSNamesTheNetworkAliases: the certificate covers the names
// other containers use, whether the network option comes before or after
// WithTLS.
func TestWithTLSNamesTheNetworkAliases(t *testing.T) {
	req := testcontainers.GenericContainerRequest{}
	req.NetworkAliases = map[string][]string{"net1": {"sfemu", "Salesforce"}, "net2": {"sfemu"}}
	for _, opt := range []testcontainers.CustomizeRequestOption{WithTLS(), tlsAliases} {
		if err := opt.Customize(&req); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"--tls-listen", "0.0.0.0:8443", "--tls-name", "salesforce", "--tls-name", "sfemu"}
	if diff := cmp.Diff(want, req.Cmd); diff != "" {
		t.Errorf("serve flags -want +got:\n%s", diff)
	}
	if !strings.Contains(strings.Join(req.ExposedPorts, " "), TLSPort) {
		t.Errorf("exposed ports %v lack %s", req.ExposedPorts, TLSPort)
	}
	plain := testcontainers.GenericContainerRequest{}
	plain.NetworkAliases = req.NetworkAliases
	if err := tlsAliases(&plain); err != nil || len(plain.Cmd) != 0 {
		t.Errorf("without WithTLS: %v %v", plain.Cmd, err)
	}
}
