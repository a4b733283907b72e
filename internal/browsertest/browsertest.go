// Package browsertest drives sfemu's HTML pages in a real, headless Chromium
// from Go tests.
//
// Why: sfemu serves pages that people use in a browser — the login and
// approval pages of the OAuth web-server flow now, a console later. A handler
// test that reads the HTML back only checks the markup the handler wrote. A
// browser also checks what the markup does: that the form posts the fields
// the handler reads, that the buttons submit, that the cookies, redirects and
// scripts work, and that the flow ends on the client's callback URL with a
// code — what a user, or a client library that opens a browser, sees.
//
// The browser is Debian's chromium package (apt-get install chromium), driven
// over the DevTools protocol with github.com/chromedp/chromedp; .ci/run
// installs it. With CI=true a missing browser fails the test; elsewhere the
// test is skipped with a message that says how to install it.
//
// A test reads like prose:
//
//	b := browsertest.New(t)
//	b.Navigate(srv.URL + "/login")
//	b.Fill("#username", "user@acme.example")
//	b.Fill("#password", "s3cret")
//	b.Click("#Login")
//	b.Click("#oaapprove")
//	got := b.WaitURL(callback.URL + "/callback")
//
// Each helper fails the test (t.Fatalf) when its action fails or takes longer
// than the action timeout (30 s by default, see [Browser.SetTimeout]), and the
// start has its own bound, so a hung browser cannot hang CI; call the helpers
// from the test's goroutine. Selectors are CSS selectors, matched with
// document.querySelector. When the test has failed, the Browser logs the
// page's URL, the start of its HTML and the console errors before it closes.
//
// Each New starts a browser of its own, with a fresh temporary profile: no
// cookie or session leaks from one test into the next.
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// EnvBrowser names the environment variable that, when set, is the browser to
// run: a path, or a name to look up on PATH. It wins over the names in
// [Candidates].
const EnvBrowser = "SFEMU_CHROMIUM"

// Candidates are the names New looks up on PATH, in order, when EnvBrowser is
// not set.
var Candidates = []string{"chromium", "chromium-browser", "google-chrome"}

// DefaultTimeout bounds each action of a Browser; see [Browser.SetTimeout].
const DefaultTimeout = 30 * time.Second

// StartTimeout bounds the start of the browser.
const StartTimeout = 30 * time.Second

// dumpHTML is how much of the page's HTML a failed test logs.
const dumpHTML = 2 << 10

// Browser is one headless browser with one tab, owned by one test.
type Browser struct {
	t       testing.TB
	path    string
	ctx     context.Context // the tab; it has no deadline, each action adds one
	timeout time.Duration
	output  *tail
	started bool // the browser answered; there is a page to dump

	mu      sync.Mutex
	console []string // console errors, in order
	closed  bool     // Close has begun; nothing may log to t any more

	closeMu     sync.Mutex // held while closing
	done        bool       // Close has run
	cancelTab   context.CancelFunc
	cancelAlloc context.CancelFunc
}

// Option changes how New starts the browser.
type Option func(*options)

type options struct {
	ignoreCertErrors bool
}

// IgnoreCertErrors makes the browser accept any TLS certificate, as the
// pages of an httptest.NewTLSServer or of `sfemu serve --tls` have one that
// no system trusts. The pages under test are local, so nothing is lost.
func IgnoreCertErrors() Option {
	return func(o *options) { o.ignoreCertErrors = true }
}

// New starts a headless browser for the test and closes it, with its
// temporary profile, when the test ends.
//
// It looks for the browser in $SFEMU_CHROMIUM, then for chromium,
// chromium-browser and google-chrome on PATH. When none is found, the test
// fails if CI=true and is skipped otherwise. A browser named by SFEMU_CHROMIUM
// that is not there, and a browser that is found but does not start, fail the
// test everywhere.
func New(t testing.TB, opts ...Option) *Browser {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	path, err := Find()
	if err != nil {
		var nf *notFoundError
		switch {
		case !errors.As(err, &nf):
			t.Fatalf("browsertest: %v", err)
		case os.Getenv("CI") == "true":
			t.Fatalf("browsertest: CI=true and %v; .ci/run installs it (apt-get install chromium)", err)
		default:
			t.Skipf("browsertest: %v; install it with `apt-get install chromium` (Debian), or set %s to a Chromium or Chrome binary", err, EnvBrowser)
		}
	}

	b := &Browser{t: t, path: path, timeout: DefaultTimeout, output: &tail{max: 8 << 10}}

	allocOpts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", "new"),
		// Root in a container has no user namespaces for the sandbox.
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		// /dev/shm is 64 MB in a default container; Chrome crashes when it
		// fills. (chromedp's defaults set this too; it is named here so that
		// it stays.)
		chromedp.Flag("disable-dev-shm-usage", true),
		// The pages under test are on 127.0.0.1; a proxy from the
		// environment must not see them.
		chromedp.Flag("no-proxy-server", true),
		chromedp.WindowSize(1280, 1024),
		chromedp.CombinedOutput(b.output),
		chromedp.Flag("ignore-certificate-errors", o.ignoreCertErrors),
		// No UserDataDir: chromedp makes a temporary profile, and removes it,
		// after killing any leftover child process, when the browser stops.
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocOpts...)
	tab, cancelTab := chromedp.NewContext(allocCtx,
		chromedp.WithListener(b.onEvent),
		chromedp.WithErrorf(b.logf),
	)
	b.ctx, b.cancelTab, b.cancelAlloc = tab, cancelTab, cancelAlloc
	t.Cleanup(b.Close)

	// The first Run starts the browser and binds its life to the context it
	// gets, so it must not get a deadline: bound it from outside instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(tab) }()
	timer := time.NewTimer(StartTimeout)
	defer timer.Stop()
	select {
	case err = <-started:
	case <-timer.C:
		cancelTab()
		err = fmt.Errorf("no answer within %v", StartTimeout)
	}
	if err != nil {
		t.Fatalf("browsertest: starting %s: %v\n%s", path, err, b.output)
	}
	b.started = true
	return b
}

// notFoundError says that no browser is installed.
type notFoundError struct{}

func (*notFoundError) Error() string {
	return fmt.Sprintf("no Chromium found ($%s is not set, and none of %s is on PATH)",
		EnvBrowser, strings.Join(Candidates, ", "))
}

// Find returns the path of the browser New would start. Without $SFEMU_CHROMIUM
// and with none of [Candidates] on PATH, its error says no browser is
// installed; a $SFEMU_CHROMIUM that names nothing runnable is a different
// error.
func Find() (string, error) {
	if name := os.Getenv(EnvBrowser); name != "" {
		path, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("$%s=%s: %w", EnvBrowser, name, err)
		}
		return path, nil
	}
	for _, name := range Candidates {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", &notFoundError{}
}

// SetTimeout sets how long each later action may take before the test fails;
// it starts as [DefaultTimeout]. A test that expects an action to time out
// shortens it for that action.
func (b *Browser) SetTimeout(d time.Duration) { b.timeout = d }

// Path is the browser's executable.
func (b *Browser) Path() string { return b.path }

// Context is the chromedp context of the browser's tab, for actions the
// helpers do not cover. It has no deadline; [Browser.Do] adds the action
// timeout.
func (b *Browser) Context() context.Context { return b.ctx }

// Do runs chromedp actions in the tab within the action timeout, failing the
// test on an error.
func (b *Browser) Do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := b.run(chromedp.Steps(actions...)); err != nil {
		b.fatalf("%v", err)
	}
}

// Navigate loads url and waits for its load event.
//
// Chromium aborts the loads in flight when the machine's network interfaces
// change (net::ERR_NETWORK_CHANGED), as they do when another test package
// creates or removes a Docker network at the same moment; such a load is
// tried again, a few times, since nothing about the page caused it.
func (b *Browser) Navigate(url string) {
	b.t.Helper()
	var err error
	for range 4 {
		if err = b.run(chromedp.Navigate(url)); err == nil || !strings.Contains(err.Error(), "net::ERR_NETWORK_CHANGED") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		b.fatalf("navigate to %s: %v", url, err)
	}
}

// Fill waits until the input is visible, clears it and types text into it,
// key by key, as a user would.
func (b *Browser) Fill(selector, text string) {
	b.t.Helper()
	sel := chromedp.CSS(selector)
	if err := b.run(chromedp.Steps(chromedp.WaitVisible(sel), clear(selector), chromedp.SendKeys(sel, text))); err != nil {
		b.fatalf("fill %s: %v", selector, err)
	}
}

// Click waits until the element is visible and clicks it with the mouse. It
// does not wait for the navigation a click can start: wait for what the next
// page shows, with [Browser.WaitVisible] or [Browser.WaitURL].
func (b *Browser) Click(selector string) {
	b.t.Helper()
	if err := b.run(chromedp.Click(chromedp.CSS(selector))); err != nil {
		b.fatalf("click %s: %v", selector, err)
	}
}

// clear empties an input the way a user selecting its text and deleting it
// would, input event included. (chromedp's SetValue cannot set "": its
// script receives an undefined value and the input then holds "undefined".)
func clear(selector string) chromedp.Action[chromedp.Void] {
	quoted, _ := json.Marshal(selector)
	js := fmt.Sprintf(`(() => {
	const e = document.querySelector(%s);
	if (!e || !("value" in e)) return false;
	e.value = "";
	e.dispatchEvent(new Event("input", {bubbles: true}));
	return true;
})()`, quoted)
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		ok, err := chromedp.Evaluate[bool](js)(ctx, t)
		if err == nil && !ok {
			err = errors.New("it has no value to clear")
		}
		return err
	})
}

// WaitVisible waits until the element is on the page and visible.
func (b *Browser) WaitVisible(selector string) {
	b.t.Helper()
	if err := b.run(chromedp.WaitVisible(chromedp.CSS(selector))); err != nil {
		b.fatalf("wait for %s to be visible: %v", selector, err)
	}
}

// Text waits until the element is on the page and returns its visible text
// (innerText).
func (b *Browser) Text(selector string) string {
	b.t.Helper()
	s, err := runValue(b, chromedp.Text(chromedp.CSS(selector)))
	if err != nil {
		b.fatalf("text of %s: %v", selector, err)
	}
	return s
}

// Value waits until the element is on the page and returns its value, as of
// an input.
func (b *Browser) Value(selector string) string {
	b.t.Helper()
	s, err := runValue(b, chromedp.Value(chromedp.CSS(selector)))
	if err != nil {
		b.fatalf("value of %s: %v", selector, err)
	}
	return s
}

// HTML returns the page's HTML as the browser now has it (the outerHTML of
// the document element).
func (b *Browser) HTML() string {
	b.t.Helper()
	s, err := runValue(b, chromedp.Evaluate[string](`document.documentElement ? document.documentElement.outerHTML : ""`))
	if err != nil {
		b.fatalf("page HTML: %v", err)
	}
	return s
}

// URL returns the URL of the page the tab shows: the last navigation that
// committed, after any redirects.
func (b *Browser) URL() string {
	b.t.Helper()
	u, err := runValue(b, currentURL)
	if err != nil {
		b.fatalf("current URL: %v", err)
	}
	return u
}

// WaitURL waits until the tab shows a page whose URL starts with prefix, and
// returns that URL. It is how a test sees an OAuth flow end: the browser
// follows the redirect to the client's callback,
// http://127.0.0.1:PORT/callback?code=...&state=..., which the test serves
// with httptest.
func (b *Browser) WaitURL(prefix string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	var last string
	for {
		u, err := chromedp.Run(ctx, currentURL)
		if err == nil {
			last = u
			if strings.HasPrefix(u, prefix) {
				return u
			}
		}
		if ctx.Err() != nil {
			if err == nil {
				err = ctx.Err()
			}
			b.fatalf("wait for a URL starting %s (the tab is at %s): %v", prefix, last, b.explain(err))
		}
		select {
		case <-ctx.Done():
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// Screenshot writes a PNG of the whole page, beyond the viewport, to path.
func (b *Browser) Screenshot(path string) {
	b.t.Helper()
	png, err := runValue(b, chromedp.FullScreenshot(100))
	if err != nil {
		b.fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.fatalf("screenshot: %v", err)
	}
}

// ConsoleErrors returns what the pages have reported as errors so far, in
// order: console.error and failed console.assert calls, uncaught exceptions
// and unhandled rejections, and the browser's own error entries, such as a
// resource that failed to load or a blocked script.
func (b *Browser) ConsoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.console...)
}

// Close closes the browser and removes its profile; New registers it with
// t.Cleanup, so a test only calls it to close early. If the test has failed,
// it first logs the page's URL, the start of its HTML and the console errors.
// Calling Close again does nothing.
func (b *Browser) Close() {
	b.t.Helper()
	b.closeMu.Lock()
	defer b.closeMu.Unlock()
	if b.done {
		return
	}
	b.done = true
	if b.started && b.t.Failed() {
		b.dump()
	}
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	// A graceful close, bounded; after the deadline Cancel kills it.
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	err := chromedp.Cancel(ctx)
	cancel()
	b.cancelTab()
	b.cancelAlloc() // waits until the process is gone and the profile removed
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		b.t.Errorf("browsertest: closing the browser: %v", err)
	}
}

// dump logs what a person debugging a failed test wants to see of the page.
func (b *Browser) dump() {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	var s strings.Builder
	u, err := chromedp.Run(ctx, currentURL)
	if err != nil {
		u = fmt.Sprintf("(unknown: %v)", err)
	}
	fmt.Fprintf(&s, "browsertest: the tab is at %s", u)
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement ? document.documentElement.outerHTML : ""`))
	switch {
	case err != nil:
		fmt.Fprintf(&s, "\nits HTML is unreadable: %v", err)
	case len(html) > dumpHTML:
		fmt.Fprintf(&s, "\nthe first %d of its %d bytes of HTML:\n%s", dumpHTML, len(html), strings.ToValidUTF8(html[:dumpHTML], ""))
	default:
		fmt.Fprintf(&s, "\nits HTML:\n%s", html)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		fmt.Fprintf(&s, "\nconsole errors:\n  %s", strings.Join(errs, "\n  "))
	}
	b.t.Log(s.String())
}

// run runs a in the tab within the action timeout.
func (b *Browser) run(a chromedp.Action[chromedp.Void]) error {
	_, err := runValue(b, a)
	return err
}

func runValue[T any](b *Browser, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	return v, b.explain(err)
}

// explain makes a timeout say how long it was.
func (b *Browser) explain(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("timed out after %v: %w", b.timeout, err)
	}
	return err
}

func (b *Browser) fatalf(format string, args ...any) {
	b.t.Helper()
	b.t.Fatalf("browsertest: "+format, args...)
}

// currentURL reads the URL of the tab's committed navigation from its
// history; unlike document.location it needs no script context, so it also
// answers while a page is being replaced.
func currentURL(ctx context.Context, t *chromedp.Target) (string, error) {
	h, err := cdp.Call(ctx, t, page.GetNavigationHistory, cdp.Empty{})
	if err != nil {
		return "", err
	}
	if h.CurrentIndex < 0 || int(h.CurrentIndex) >= len(h.Entries) {
		return "", fmt.Errorf("navigation history has no entry %d", h.CurrentIndex)
	}
	return h.Entries[h.CurrentIndex].URL, nil
}

// onEvent collects console errors. It runs on chromedp's reading goroutine,
// before the command that follows the event returns, so it must be quick.
func (b *Browser) onEvent(ev any) {
	var msg string
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type != runtime.ConsoleAPICalledTypeError && e.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		msg = "console." + string(e.Type) + ": " + argsText(e.Args)
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		if d == nil {
			return
		}
		msg = d.Text
		if d.Exception != nil {
			desc, _, _ := strings.Cut(remoteText(d.Exception), "\n")
			msg += " " + desc
		}
		if d.URL != "" {
			msg += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
		}
	case *log.EventEntryAdded:
		if e.Entry == nil || e.Entry.Level != log.EntryLevelError || isFavicon(e.Entry) {
			return
		}
		msg = string(e.Entry.Source) + ": " + e.Entry.Text
		if e.Entry.URL != "" {
			msg += " (" + e.Entry.URL + ")"
		}
	default:
		return
	}
	b.mu.Lock()
	b.console = append(b.console, msg)
	b.mu.Unlock()
}

// isFavicon reports the browser's own request for /favicon.ico failing: it
// asks every site for one, and no page under test asked for it.
func isFavicon(e *log.Entry) bool {
	u, err := url.Parse(e.URL)
	return err == nil && e.Source == log.EntrySourceNetwork && u.Path == "/favicon.ico"
}

func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = remoteText(a)
	}
	return strings.Join(parts, " ")
}

// remoteText is how the console would print one value.
func remoteText(o *runtime.RemoteObject) string {
	var s string
	switch {
	case o == nil:
		return ""
	case o.Type == runtime.RemoteObjectTypeString && json.Unmarshal(o.Value, &s) == nil:
		return s
	case o.UnserializableValue != "":
		return string(o.UnserializableValue)
	case len(o.Value) > 0:
		return string(o.Value)
	case o.Description != "":
		return o.Description
	default:
		return string(o.Type)
	}
}

// logf reports chromedp's internal errors to the test while it runs.
func (b *Browser) logf(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.t.Logf("browsertest: chromedp: "+format, args...)
	}
}

// tail keeps the last max bytes written to it: the browser's own output, for
// the message when it does not start.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (w *tail) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - w.max; over > 0 {
		w.buf = w.buf[over:]
	}
	return len(p), nil
}

// String is the output without the lines about D-Bus, which a container
// does not run and Chromium complains of at every start.
func (w *tail) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for line := range bytes.Lines(w.buf) {
		if !bytes.Contains(line, []byte(":ERROR:dbus/")) {
			out = append(out, string(bytes.TrimRight(line, "\r\n")))
		}
	}
	if text := strings.TrimSpace(strings.Join(out, "\n")); text != "" {
		return "the browser printed:\n" + text
	}
	return "(the browser printed nothing but D-Bus complaints)"
}
