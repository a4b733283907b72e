package gateway

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

func zlibbed(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	_, _ = zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func flated(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	_, _ = zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestBodyDeflate(t *testing.T) {
	t.Parallel()
	const limit = 1000
	plain := bytes.Repeat([]byte("x"), limit)
	badChecksum := zlibbed(t, []byte(`{"Name":"Acme"}`))
	badChecksum[len(badChecksum)-1] ^= 0xff
	for _, tt := range []struct {
		name     string
		body     []byte
		want     []byte
		tooLarge bool
		errHas   string
	}{
		{name: "zlib (RFC 9110 deflate) is decompressed", body: zlibbed(t, plain), want: plain},
		{name: "raw deflate, as some clients send it, too", body: flated(t, plain), want: plain},
		{name: "zlib expanding past the limit is too large", body: zlibbed(t, append(plain, 'x')), tooLarge: true},
		{name: "raw deflate expanding past the limit is too large", body: flated(t, append(plain, 'x')), tooLarge: true},
		{name: "corrupt deflate names deflate", body: []byte("\xff\xff\xff\xff not deflate"), errHas: "Content-Encoding deflate"},
		{name: "truncated zlib names deflate", body: zlibbed(t, plain)[:6], errHas: "Content-Encoding deflate"},
		{name: "zlib with a bad checksum names deflate", body: badChecksum, errHas: "Content-Encoding deflate: zlib: invalid checksum"},
		{name: "an empty deflate body", body: nil, errHas: "Content-Encoding deflate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, cr := bodyCall(bytes.NewReader(tt.body), -1, "Deflate")
			got, err := c.Body(limit)
			if tt.tooLarge || tt.errHas != "" {
				var be *BodyError
				if !errors.As(err, &be) || be.TooLarge != tt.tooLarge || !strings.Contains(be.Error(), tt.errHas) {
					t.Fatalf("Body() = %d bytes, %v; want TooLarge %v, an error containing %q", len(got), err, tt.tooLarge, tt.errHas)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Errorf("Body() = %d bytes, %v", len(got), err)
			}
			if cr.n > int64(len(tt.body)) {
				t.Errorf("read %d bytes of a %d-byte body", cr.n, len(tt.body))
			}
		})
	}
}

// TestBodyDeflateBomb is not parallel: it measures the process's allocations.
// 16 MB of zeros as deflate (about 20 KB on the wire) against a 1 MB limit.
func TestBodyDeflateBomb(t *testing.T) {
	const limit = 1 << 20
	var bomb bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&bomb, zlib.BestSpeed)
	if _, err := io.CopyN(zw, infinite(0), 16<<20); err != nil {
		t.Fatal(err)
	}
	_ = zw.Close()
	t.Logf("16 MB of zeros compresses to %d bytes", bomb.Len())
	c, cr := bodyCall(bytes.NewReader(bomb.Bytes()), int64(bomb.Len()), "deflate")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got, err := c.Body(limit)
	runtime.ReadMemStats(&after)
	var be *BodyError
	if !errors.As(err, &be) || !be.TooLarge {
		t.Fatalf("Body() = %d bytes, %v; want TooLarge", len(got), err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*limit {
		t.Errorf("reading the bomb allocated %d MB", alloc>>20)
	}
	// Decompression stops at limit+1 bytes out: a few kilobytes in.
	if cr.n > 64<<10 {
		t.Errorf("read %d compressed bytes to refuse it", cr.n)
	}
}

func TestAcceptsGzip(t *testing.T) {
	t.Parallel()
	for h, want := range map[string]bool{
		"":                       false,
		"gzip":                   true,
		"GZIP":                   true,
		"deflate, gzip":          true,
		"gzip;q=1.0, identity":   true,
		"gzip; q=0.5":            true,
		"gzip;q=0":               false,
		"gzip; q=0.000":          false,
		"identity":               false,
		"br, deflate":            false,
		"x-gzip":                 false,
		"gzip;q=0.001, identity": true,
	} {
		if got := AcceptsGzip(h); got != want {
			t.Errorf("AcceptsGzip(%q) = %v, want %v", h, got, want)
		}
	}
}

// Every surface's answer is gzipped when the client accepts gzip; one the
// surface already encoded is left alone.
func TestAnswersAreGzippedWhenAccepted(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	for _, tt := range []struct {
		name, path, accept string
		zipped             bool
	}{
		{"REST with gzip", "/fake/items", "gzip", true},
		{"SOAP with gzip", "/soap/items", "gzip, deflate", true},
		{"OAuth with gzip", "/quiet/items", "gzip", true},
		{"an error with gzip", "/fake/nowhere", "gzip", true},
		{"without Accept-Encoding", "/fake/items", "", false},
		{"gzip refused", "/fake/items", "gzip;q=0", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tt.path, nil)
			req.Header.Set("Authorization", "Bearer "+e.token)
			if tt.accept != "" {
				req.Header.Set("Accept-Encoding", tt.accept)
			}
			rec := httptest.NewRecorder()
			e.router.ServeHTTP(rec, req)
			body := rec.Body.Bytes()
			if got := rec.Header().Get("Content-Encoding") == "gzip"; got != tt.zipped {
				t.Fatalf("Content-Encoding %q, want gzip %v", rec.Header().Get("Content-Encoding"), tt.zipped)
			}
			if tt.zipped {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
				if rec.Header().Get("Vary") != "Accept-Encoding" {
					t.Errorf("Vary %q", rec.Header().Get("Vary"))
				}
			}
			if !bytes.HasPrefix(body, []byte("{")) {
				t.Errorf("body %q", body)
			}
		})
	}
	// Already encoded by the surface (SOAP gzips its own answers): not twice.
	resp := compressed(httptest.NewRequest("GET", "/", nil), Response{Body: []byte("x"), Header: http.Header{"Content-Encoding": {"gzip"}}})
	if string(resp.Body) != "x" {
		t.Errorf("an encoded answer was encoded again: %q", resp.Body)
	}
}
