package browsertest_test

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfemu/sfemu/internal/browsertest"
)

// loginSite is a stand-in for the pages of the OAuth web-server flow, with
// the ids and names of Salesforce's own: a login form that posts username
// and pw, then an approval page whose Allow and Deny buttons redirect to the
// client's callback.
func loginSite(t *testing.T, callback string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	page := func(w http.ResponseWriter, title, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!DOCTYPE html><html><head><title>%s</title></head><body>%s</body></html>", title, body)
	}
	login := func(w http.ResponseWriter, msg string) {
		page(w, "Login", `<form method="post" action="/login">`+msg+`
<label for="username">Username</label><input id="username" name="username" type="email">
<label for="password">Password</label><input id="password" name="pw" type="password">
<input id="Login" type="submit" value="Log In">
</form>`)
	}
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) { login(w, "") })
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("username") != "user@acme.example" || r.PostFormValue("pw") != "s3cret" {
			login(w, `<div id="error">Please check your username and password.</div>`)
			return
		}
		http.Redirect(w, r, "/approve", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /approve", func(w http.ResponseWriter, r *http.Request) {
		page(w, "Allow Access?", `<form method="post" action="/approve">
<p id="question">Allow Acme Connector to access your data?</p>
<input id="oadeny" name="oadeny" type="submit" value="Deny">
<input id="oaapprove" name="oaapprove" type="submit" value="Allow">
</form>`)
	})
	mux.HandleFunc("POST /approve", func(w http.ResponseWriter, r *http.Request) {
		q := url.Values{"state": {"xyz"}}
		if r.PostFormValue("oaapprove") != "" {
			q.Set("code", "abc")
		} else {
			q.Set("error", "access_denied")
		}
		http.Redirect(w, r, callback+"?"+q.Encode(), http.StatusFound)
	})
	mux.HandleFunc("GET /broken", func(w http.ResponseWriter, r *http.Request) {
		page(w, "Broken", `<p id="p">broken</p><script>console.error("boom", 42, {a: 1}); missingFunction();</script>`)
	})
	srv := httptest.NewServer(mux) // 127.0.0.1
	t.Cleanup(srv.Close)
	return srv
}

// callbackServer is the client's redirect URI; it records the URL of each
// request for /callback. (The browser asks every site for /favicon.ico too.)
type callbackServer struct {
	*httptest.Server
	mu  sync.Mutex
	got []*url.URL
}

func newCallback(t *testing.T) *callbackServer {
	t.Helper()
	c := &callbackServer{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		c.mu.Lock()
		c.got = append(c.got, r.URL)
		c.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><title>Callback</title><p id="done">%s</p>`, html.EscapeString(r.URL.RawQuery))
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *callbackServer) requests() []*url.URL {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*url.URL(nil), c.got...)
}

// TestWebServerFlowShape walks the login and approval pages to the callback,
// the shape of the OAuth web-server flow test against sfemu's own pages.
func TestWebServerFlowShape(t *testing.T) {
	cb := newCallback(t)
	site := loginSite(t, cb.URL+"/callback")
	b := browsertest.New(t)

	b.Navigate(site.URL + "/login")
	b.Fill("#username", "someone@else.example")
	b.Fill("#username", "user@acme.example") // replaces, not appends
	if got := b.Value("#username"); got != "user@acme.example" {
		t.Errorf("username field holds %q after a second Fill", got)
	}
	b.Fill("#password", "wrong")
	b.Click("#Login")
	b.WaitVisible("#error")
	if got := b.Text("#error"); !strings.Contains(got, "check your username and password") {
		t.Errorf("error text = %q", got)
	}

	b.Fill("#username", "user@acme.example")
	b.Fill("#password", "s3cret")
	if got := b.Value("#password"); got != "s3cret" {
		t.Errorf("password field holds %q after Fill", got)
	}
	b.Click("#Login")
	b.WaitVisible("#oaapprove")
	if got, want := b.URL(), site.URL+"/approve"; got != want {
		t.Errorf("URL() = %s, want %s", got, want)
	}
	if got := b.Text("#question"); !strings.Contains(got, "Acme Connector") {
		t.Errorf("approval question = %q", got)
	}
	shot := filepath.Join(t.TempDir(), "approve.png")
	b.Screenshot(shot)

	b.Click("#oaapprove")
	final := b.WaitURL(cb.URL + "/callback")
	u, err := url.Parse(final)
	if err != nil {
		t.Fatal(err)
	}
	if q := u.Query(); q.Get("code") != "abc" || q.Get("state") != "xyz" {
		t.Errorf("callback URL %s: want code=abc and state=xyz", final)
	}
	if got := b.URL(); got != final {
		t.Errorf("URL() = %s after WaitURL returned %s", got, final)
	}
	if reqs := cb.requests(); len(reqs) != 1 || reqs[0].Query().Get("code") != "abc" {
		t.Errorf("the callback handler saw %v, want one request with code=abc", reqs)
	}
	b.WaitVisible("#done")

	// Deny ends on the callback too, with an error and no code.
	b.Navigate(site.URL + "/approve")
	b.Click("#oadeny")
	denied, _ := url.Parse(b.WaitURL(cb.URL + "/callback?"))
	if q := denied.Query(); q.Get("error") != "access_denied" || q.Has("code") || q.Get("state") != "xyz" {
		t.Errorf("after Deny the callback got %s", denied)
	}

	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors on well-formed pages: %q", errs)
	}

	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 1000 {
		t.Errorf("screenshot: %d bytes starting %q, want a PNG", len(png), png[:min(len(png), 8)])
	}
}

func TestConsoleErrors(t *testing.T) {
	site := loginSite(t, "http://127.0.0.1:1/callback")
	b := browsertest.New(t)
	b.Navigate(site.URL + "/broken")
	b.WaitVisible("#p")
	var errs []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if errs = b.ConsoleErrors(); len(errs) >= 2 {
			break
		}
	}
	joined := strings.Join(errs, "\n")
	for _, want := range []string{`console.error: boom 42`, `missingFunction is not defined`} {
		if !strings.Contains(joined, want) {
			t.Errorf("console errors lack %q:\n%s", want, joined)
		}
	}
}

// fakeTB records what New and the helpers report instead of ending the
// test; Fatalf and Skipf end the goroutine as the real ones do.
type fakeTB struct {
	testing.TB // the real test, for Cleanup, TempDir and Helper
	mu         sync.Mutex
	failed     bool
	skipped    bool
	fatal      string
	logs       []string
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.failed, f.fatal = true, fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fakeTB) Skipf(format string, args ...any) {
	f.mu.Lock()
	f.skipped, f.fatal = true, fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	f.failed = true
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

func (f *fakeTB) Failed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}

func (f *fakeTB) Log(args ...any) {
	f.mu.Lock()
	f.logs = append(f.logs, fmt.Sprint(args...))
	f.mu.Unlock()
}

func (f *fakeTB) Logf(format string, args ...any) { f.Log(fmt.Sprintf(format, args...)) }

// try runs fn with f on a goroutine of its own, as Fatalf ends it.
func (f *fakeTB) try(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	<-done
}

func TestMissingBrowserSkipsOrFailsUnderCI(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv(browsertest.EnvBrowser, "")
	for _, tc := range []struct {
		ci       string
		wantFail bool
	}{{"", false}, {"false", false}, {"true", true}} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			f := &fakeTB{TB: t}
			f.try(func() { browsertest.New(f) })
			if f.failed != tc.wantFail || f.skipped == tc.wantFail {
				t.Errorf("failed=%v skipped=%v (%s), want failed=%v", f.failed, f.skipped, f.fatal, tc.wantFail)
			}
			if !strings.Contains(f.fatal, "apt-get install chromium") {
				t.Errorf("the message does not say how to install it: %s", f.fatal)
			}
		})
	}
	t.Run("SFEMU_CHROMIUM names nothing", func(t *testing.T) {
		t.Setenv("CI", "")
		t.Setenv(browsertest.EnvBrowser, filepath.Join(t.TempDir(), "no-such-chromium"))
		f := &fakeTB{TB: t}
		f.try(func() { browsertest.New(f) })
		if !f.failed || !strings.Contains(f.fatal, browsertest.EnvBrowser) {
			t.Errorf("failed=%v skipped=%v (%s), want a failure naming %s", f.failed, f.skipped, f.fatal, browsertest.EnvBrowser)
		}
	})
}

// TestTimeoutsAndFailureDump: an action that cannot succeed fails the test
// within the timeout, and a failed test's log shows the page.
func TestTimeoutsAndFailureDump(t *testing.T) {
	// The profile goes under TMPDIR; check that Close removes it.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	site := loginSite(t, "http://127.0.0.1:1/callback")
	f := &fakeTB{TB: t}
	var b *browsertest.Browser
	f.try(func() { b = browsertest.New(f) })
	if b == nil {
		t.Fatalf("New: %s", f.fatal)
	}
	f.try(func() { b.Navigate(site.URL + "/login") })
	if f.failed {
		t.Fatal(f.fatal)
	}

	b.SetTimeout(time.Second)
	start := time.Now()
	f.try(func() { b.WaitVisible("#no-such-element") })
	if took := time.Since(start); !f.failed || !strings.Contains(f.fatal, "timed out after 1s") || took > 10*time.Second {
		t.Errorf("WaitVisible of a missing element: failed=%v after %v: %s", f.failed, took, f.fatal)
	}
	f.failed = false
	f.try(func() { b.WaitURL("http://127.0.0.1:1/never") })
	if !f.failed || !strings.Contains(f.fatal, site.URL+"/login") {
		t.Errorf("WaitURL that never comes: failed=%v: %s, want the URL the tab is at", f.failed, f.fatal)
	}

	b.Close()
	logs := strings.Join(f.logs, "\n")
	for _, want := range []string{"the tab is at " + site.URL + "/login", `<input id="username" name="username" type="email">`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the failure log lacks %q:\n%s", want, logs)
		}
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("left in TMPDIR after Close: %s", e.Name())
	}
}

// TestTLS: a page behind a certificate nobody trusts loads only with
// IgnoreCertErrors.
func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!DOCTYPE html><title>TLS</title><p id="p">over https</p>`)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)

	b := browsertest.New(t, browsertest.IgnoreCertErrors())
	b.Navigate(srv.URL)
	if got := b.Text("#p"); got != "over https" {
		t.Errorf("text = %q", got)
	}

	f := &fakeTB{TB: t}
	var strict *browsertest.Browser
	f.try(func() { strict = browsertest.New(f) })
	if strict == nil {
		t.Fatalf("New: %s", f.fatal)
	}
	f.try(func() { strict.Navigate(srv.URL) })
	if !f.failed || !strings.Contains(f.fatal, "ERR_CERT") {
		t.Errorf("without IgnoreCertErrors: failed=%v: %s, want a certificate error", f.failed, f.fatal)
	}
	f.failed = false // no dump: this failure was the point
	strict.Close()
}
