package oauth

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/sfemu/sfemu/emulator/internal/redact"
)

// TestTokenJournalIsBoundedByBytes: the token-request journal keeps 10,000
// attempts, each bounded by bytes. Before, 150 requests naming a 1 MB
// grant_type in the URL grew the heap by 300 MB (the grant_type, and the
// reason quoting it); a short grant_type cut from a 60 KB body kept the
// whole body.
func TestTokenJournalIsBoundedByBytes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n       int
		request func() *http.Request
		// bound is the heap growth allowed for all n requests.
		bound int64
	}{
		{"a 1 MB grant_type in the URL keeps 2 KiB of it", 150, func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "/services/oauth2/token?grant_type="+strings.Repeat("g", 1<<20), nil)
		}, 20 << 20},
		{"a short grant_type from a 60 KB body does not keep the body", 500, func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/services/oauth2/token", strings.NewReader("grant_type=x&padding="+strings.Repeat("p", 60<<10)))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, 10 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, "")
			before := heapAlloc()
			for range tc.n {
				e.router.ServeHTTP(httptest.NewRecorder(), tc.request())
			}
			if grew := int64(heapAlloc()) - int64(before); grew > tc.bound {
				t.Errorf("%d requests grew the heap by %d MB", tc.n, grew>>20)
			}
			all := e.svc.Journal().Attempts()
			if len(all) != tc.n {
				t.Fatalf("journal kept %d attempts, want %d", len(all), tc.n)
			}
			last := all[len(all)-1]
			if len(last.GrantType) > redact.MaxKept+32 || len(last.Reason) > redact.MaxKept+32 {
				t.Errorf("grant_type kept as %d bytes, reason as %d", len(last.GrantType), len(last.Reason))
			}
			if last.Error != "unsupported_grant_type" {
				t.Errorf("error %q, want unsupported_grant_type", last.Error)
			}
			runtime.KeepAlive(e)
		})
	}
}

func TestKeepAttemptMarksWhatWasCut(t *testing.T) {
	a := Attempt{GrantType: strings.Repeat("g", 5000), Audience: []string{"https://login.salesforce.com", strings.Repeat("a", 3000)}}
	keepAttempt(&a)
	if want := strings.Repeat("g", redact.MaxKept) + "…[cut 2952 bytes]"; a.GrantType != want {
		t.Errorf("grant_type kept as %.30q… (%d bytes)", a.GrantType, len(a.GrantType))
	}
	if a.Audience[0] != "https://login.salesforce.com" || !strings.HasSuffix(a.Audience[1], "…[cut 952 bytes]") {
		t.Errorf("audience kept as %.60q", a.Audience)
	}
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
