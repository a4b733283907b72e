package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestLimitRequestSize(t *testing.T) {
	reached := false
	h := LimitRequestSize(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached = true
		w.WriteHeader(http.StatusNoContent)
	}), "/_sfemu")
	// The request line's URI of a GET with n bytes in all.
	uri := func(n int) string {
		const p = "/services/data/v66.0/query?q="
		return p + strings.Repeat("x", n-len(p))
	}
	for _, tc := range []struct {
		name       string
		uri        string
		header     int // bytes of one more header's value
		wantStatus int
		wantBody   string
	}{
		{"an ordinary query passes", "/services/data/v66.0/query?q=SELECT+Id+FROM+Account", 0, http.StatusNoContent, ""},
		{"URI and headers of 16,000 bytes in all pass", uri(15_900), 0, http.StatusNoContent, ""},
		{"a URI over 16,384 bytes is 414 URI Too Long", uri(16_385), 0, http.StatusRequestURITooLong, "<h1>Bad Message 414</h1><pre>reason: URI Too Long</pre>"},
		{"a 1 MB URI is 414 too", uri(1 << 20), 0, http.StatusRequestURITooLong, "<h1>Bad Message 414</h1><pre>reason: URI Too Long</pre>"},
		{"a short URI with 17 KB of headers is 431", "/services/data/", 17_000, http.StatusRequestHeaderFieldsTooLarge, "<h1>Bad Message 431</h1><pre>reason: Request Header Fields Too Large</pre>"},
		{"a URI under the bound whose headers push it over is 431", uri(16_000), 500, http.StatusRequestHeaderFieldsTooLarge, "<h1>Bad Message 431</h1>"},
		{"sfemu's own paths are left to the server's bound", "/_sfemu/ui/records?q=" + strings.Repeat("a", 20_000), 0, http.StatusNoContent, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reached = false
			r := httptest.NewRequest(http.MethodGet, tc.uri, nil)
			if tc.header > 0 {
				r.Header.Set("X-Padding", strings.Repeat("h", tc.header))
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d", w.Code, tc.wantStatus)
			}
			if reached != (tc.wantStatus == http.StatusNoContent) {
				t.Errorf("handler reached: %v", reached)
			}
			if !strings.HasPrefix(w.Body.String(), tc.wantBody) {
				t.Errorf("body %q, want %q", w.Body.String(), tc.wantBody)
			}
			if tc.wantBody != "" && (w.Header().Get("Connection") != "close" || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html")) {
				t.Errorf("headers %v", w.Header())
			}
		})
	}
}
