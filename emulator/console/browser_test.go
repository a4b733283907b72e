package console_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sfemu/sfemu/internal/browsertest"
)

// envScreenshots, when set to a directory, makes the browser test write
// each page there as a PNG (docs/images holds the ones docs/CONSOLE.md
// shows: make screenshots).
const envScreenshots = "SFEMU_SCREENSHOTS"

func screenshot(b *browsertest.Browser, name string) {
	if dir := os.Getenv(envScreenshots); dir != "" {
		b.Screenshot(filepath.Join(dir, name))
	}
}

// waitText waits until the element's visible text holds want, through
// navigations and live refreshes that replace the element.
func waitText(t *testing.T, b *browsertest.Browser, selector, want string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.Context(), time.Second)
		got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector)))
		cancel()
		if err == nil && strings.Contains(got, want) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never showed %q; it shows %q (%v)", selector, want, got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestConsoleInChromium walks the customer's "ip restricted" story through
// the console in a real browser: the overview and Logins pages say why the
// login failed, a new login appears without a reload, Retry delivers the
// waiting notification, the attempt opens to its envelope, a SOQL query
// runs, and the clock moves.
func TestConsoleInChromium(t *testing.T) {
	w := newWorld(t)
	b := browsertest.New(t)

	// A browser asking for / lands on the console.
	b.Navigate(w.srv.URL + "/")
	if got := b.URL(); got != w.srv.URL+"/_sfemu/ui/" {
		t.Errorf("/ led the browser to %s", got)
	}
	waitText(t, b, "#home-logins", ipReason)
	waitText(t, b, "#home-queue", w.notification)
	waitText(t, b, "#live", "live")
	screenshot(b, "console-overview.png")

	// Logins: the reason in plain words, Login History beside it.
	b.Navigate(w.srv.URL + "/_sfemu/ui/logins")
	waitText(t, b, "#tokens", ipReason)
	waitText(t, b, "#history", "Restricted IP")
	waitText(t, b, "#live", "live")
	screenshot(b, "console-logins.png")

	// A new login appears without a reload: the page keeps a mark a reload
	// would lose.
	if _, err := chromedp.Run(b.Context(), chromedp.Evaluate[bool](`window.sfemuMark = true`)); err != nil {
		t.Fatal(err)
	}
	w.login(t)
	waitText(t, b, "#token-requests", "3 rows")
	if still, err := chromedp.Run(b.Context(), chromedp.Evaluate[bool](`window.sfemuMark === true`)); err != nil || !still {
		t.Errorf("the page was reloaded (mark %v, %v); want its table updated in place", still, err)
	}

	// One login beside the Setup facts it was judged by.
	b.Navigate(w.srv.URL + "/_sfemu/ui/logins/2")
	waitText(t, b, "#reason", ipReason)
	waitText(t, b, "#login-profile", "54.249.48.100 – 54.249.48.120")
	screenshot(b, "console-login.png")

	b.Navigate(w.srv.URL + "/_sfemu/ui/orgs")
	waitText(t, b, "#profiles", "54.249.48.100 – 54.249.48.120")
	waitText(t, b, "#apps", "admin_approved")
	screenshot(b, "console-orgs.png")

	// Outbound: the row waits after two attempts; the listener comes up
	// and Retry delivers it.
	b.Navigate(w.srv.URL + "/_sfemu/ui/outbound")
	row := "#n-" + w.notification
	waitText(t, b, row+" .attempts", "2")
	waitText(t, b, row, "listener database is down")
	screenshot(b, "console-outbound.png")
	w.rcv.up.Store(true)
	b.Click(row + " button.retry")
	waitText(t, b, "#notice", "Retry")
	waitText(t, b, "#delivered", w.notification)
	waitText(t, b, "#delivered", "delivered")
	waitText(t, b, "#queue", "Nothing waits for delivery.")
	screenshot(b, "console-outbound-delivered.png")

	// The first attempt opens to the envelope sent and the answer.
	b.Navigate(w.srv.URL + "/_sfemu/ui/outbound/attempts/1")
	waitText(t, b, "#envelope", "<sf:Name>Edge Communications</sf:Name>")
	waitText(t, b, "#answer", "HTTP 500")
	waitText(t, b, "#response", "listener database is down")
	screenshot(b, "console-attempt.png")

	b.Navigate(w.srv.URL + "/_sfemu/ui/requests")
	waitText(t, b, "#requests-table", "MALFORMED_QUERY")
	screenshot(b, "console-requests.png")

	// Records: a query as a table, then the engine's error text.
	b.Navigate(w.srv.URL + "/_sfemu/ui/records")
	b.Fill("#q", "SELECT Name, Industry FROM Account ORDER BY Name")
	b.Click("#run")
	waitText(t, b, "#rows", "Edge Communications")
	screenshot(b, "console-records.png")
	b.Fill("#q", "SELECT Nme FROM Account")
	b.Click("#run")
	waitText(t, b, "#soql-message", "No such column 'Nme' on entity 'Account'")

	// The clock moves with a press.
	b.Navigate(w.srv.URL + "/_sfemu/ui/clock")
	waitText(t, b, "#now", "09:00:05")
	b.Click("#advance-1h")
	waitText(t, b, "#now", "2026-03-02 10:00:05")
	waitText(t, b, "#clock", "10:00:05")
	screenshot(b, "console-clock.png")

	for _, e := range b.ConsoleErrors() {
		// The bad query's page is a 400, which the browser notes.
		if !strings.Contains(e, "status of 400") || !strings.Contains(e, "Nme") {
			t.Errorf("console error: %s", e)
		}
	}
}
