package console_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/wire"
)

// page is one answer of the console: its status, its HTML, and the text a
// person reads (tags dropped, entities decoded, spaces collapsed).
type page struct {
	status int
	header http.Header
	html   string
	text   string
}

var (
	tags   = regexp.MustCompile(`<[^>]*>`)
	spaces = regexp.MustCompile(`\s+`)
)

func (w *world) get(t testing.TB, path string) page {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, w.srv.URL+path, nil)
	must(t, err)
	return w.do(t, req)
}

// post submits a form as the person browsing would: with the CSRF token
// the console's pages carry (unless the form gives its own _csrf).
func (w *world) post(t testing.TB, path string, form url.Values) page {
	t.Helper()
	req := w.formRequest(t, path, form)
	return w.do(t, req)
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

// formRequest is a form post carrying the browser's CSRF cookie and token.
func (w *world) formRequest(t testing.TB, path string, form url.Values) *http.Request {
	t.Helper()
	if w.csrf == "" {
		m := csrfField.FindStringSubmatch(w.get(t, "/_sfemu/ui/clock").html)
		if m == nil || m[1] == "" {
			t.Fatal("the clock page has no form with a _csrf token")
		}
		w.csrf = m[1]
	}
	if _, given := form["_csrf"]; !given {
		form = maps.Clone(form)
		form.Set("_csrf", w.csrf)
	}
	req, err := http.NewRequest(http.MethodPost, w.srv.URL+path, strings.NewReader(form.Encode()))
	must(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

func (w *world) do(t testing.TB, req *http.Request) page {
	t.Helper()
	resp, err := w.browser().Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return page{status: resp.StatusCode, header: resp.Header, html: string(b), text: visible(string(b))}
}

// visible is the text of an HTML page as a person reads it.
func visible(h string) string {
	if i := strings.Index(h, "<body"); i >= 0 {
		h = h[i:]
	}
	return strings.TrimSpace(spaces.ReplaceAllString(html.UnescapeString(tags.ReplaceAllString(h, " ")), " "))
}

// TestPagesShowWhatAPersonMustSee: for the customer's story (a login
// refused "ip restricted", a notification retried), each page shows the
// facts a person diagnosing it reads.
func TestPagesShowWhatAPersonMustSee(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tokens, err := w.emu.TokenRequests(ctx)
	must(t, err)
	failedLogin := tokens[len(tokens)-1].ID
	reqs, err := w.emu.APIRequests(ctx)
	must(t, err)
	var query int64
	for _, r := range reqs {
		if r.Surface == wire.SurfaceREST && r.Status == 200 {
			query = r.ID
		}
	}
	_, soqlErr := w.emu.Query(ctx, orgName, "SELEKT Id FROM Account")
	var we *wire.Error
	if !errors.As(soqlErr, &we) {
		t.Fatalf("bad SOQL: %v", soqlErr)
	}

	for _, tc := range []struct {
		name, path string
		status     int
		want       []string
		wantNot    []string
	}{
		{"the overview names the failed login and the waiting notification", "/_sfemu/ui/", 200,
			[]string{"Failed logins 1 of 2 token requests", ipReason, "ip restricted", "1 notification waits", w.notification,
				"HTTP 500", "API errors", "MALFORMED_QUERY", "virtual clock · 2026-03-02 09:00:05 UTC"}, nil},
		{"orgs: users, profiles with Login IP Ranges, the app's policy and certificate", "/_sfemu/ui/orgs", 200,
			[]string{"Acme", sendUser, "Integration User", "SendUserPS", "Integration User 1 54.249.48.100 – 54.249.48.120 any time 2h ApiEnabled",
				"opro_connector_eca", consumerKey, "admin_approved", "enforce", "CN=", "Apparent client IP " + movedIP,
				"Account_Changed", "any address"}, nil},
		{"logins: the failed request, newest first, with Salesforce's error and sfemu's reason", "/_sfemu/ui/logins", 200,
			[]string{"Token requests", "JWT bearer", "opro_connector_eca", movedIP, "400", "invalid_grant ip restricted", ipReason,
				"Login History of Acme", "Restricted IP", "Remote Access 2.0",
				"Sessions live, newest first", sendUser + " opro_connector_eca", "Expire every session"}, nil},
		{"logins filtered to failures", "/_sfemu/ui/logins?status=failed", 200,
			[]string{ipReason, "1 row"}, []string{vendorIP + " 200"}},
		{"logins filtered to successes", "/_sfemu/ui/logins?status=succeeded", 200,
			[]string{vendorIP, "Success"}, []string{ipReason}},
		{"logins filtered by a user nobody has", "/_sfemu/ui/logins?user=ghost", 200,
			[]string{"No token request matches the filters", "No Login History row matches the filters"}, nil},
		{"logins filtered by app and grant", "/_sfemu/ui/logins?app=opro&grant=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer", 200,
			[]string{ipReason, "2 rows"}, nil},
		{"one login: the reason beside the profile's ranges and the org's apparent IP", fmt.Sprintf("/_sfemu/ui/logins/%d", failedLogin), 200,
			[]string{ipReason, "Profile Integration User", "Login IP Ranges 54.249.48.100 – 54.249.48.120", movedIP + " (set for the org)",
				"Permitted users admin_approved", "IP relaxation enforce", "Restricted IP"}, nil},
		{"outbound: the queue row with attempts, next attempt, reason, Retry and Del", "/_sfemu/ui/outbound", 200,
			[]string{w.notification, "Account_Changed", "pending", "HTTP 500", "Retry", "Del", "2026-03-02 09:00:15", "in 10s",
				"Delivery attempts", "No notification delivered or dropped yet."}, nil},
		{"one notification and its attempts", "/_sfemu/ui/outbound/notifications/" + w.notification, 200,
			[]string{w.notification, "Attempts 2", "2 rows", "Retry"}, nil},
		{"one attempt: the envelope sent, the receiver's status, headers and body", "/_sfemu/ui/outbound/attempts/1", 200,
			[]string{"POST " + w.rcv.URL + "/outbound", "Content-Type: text/xml; charset=UTF-8", "Soapaction:", "<soapenv:Envelope",
				"<sf:Name>Edge Communications</sf:Name>", "HTTP 500", "X-Receiver: vendor-listener", "<faultstring>listener database is down</faultstring>"}, nil},
		{"API calls: status and error code", "/_sfemu/ui/requests", 200,
			[]string{"GET /services/data/v66.0/query", "MALFORMED_QUERY", "PATCH /services/data/v66.0/sobjects/Account/001000000000000AAA", "/services/oauth2/token"}, nil},
		{"API calls filtered to REST errors", "/_sfemu/ui/requests?surface=rest&status=errors", 200,
			[]string{"MALFORMED_QUERY", "2 rows"}, []string{"/services/oauth2/token"}},
		{"one API call as recorded", fmt.Sprintf("/_sfemu/ui/requests/%d", query), 200,
			[]string{"GET /services/data/v66.0/query?q=SELECT", "Authorization: (redacted)", `"totalSize": 2`, "Edge Communications"}, nil},
		{"records: a SOQL query as a table", "/_sfemu/ui/records?q=" + url.QueryEscape("SELECT Name, Industry FROM Account ORDER BY Name"), 200,
			[]string{"2 rows", "Name Industry", "Burlington Textiles Apparel", "Edge Communications Energy"}, nil},
		{"records: a COUNT() query", "/_sfemu/ui/records?q=" + url.QueryEscape("SELECT COUNT() FROM Account"), 200,
			[]string{"2 rows"}, nil},
		{"records: bad SOQL shows the engine's exact error", "/_sfemu/ui/records?q=" + url.QueryEscape("SELEKT Id FROM Account"), 400,
			[]string{"The query failed", we.Code, visible(html.EscapeString(we.Message))}, nil},
		{"records without a query offers examples", "/_sfemu/ui/records", 200, []string{"SOQL", "Run", "Examples"}, nil},
		{"clock and faults", "/_sfemu/ui/clock", 200,
			[]string{"2026-03-02 09:00:05 UTC (virtual)", "+5s", "+24h", "No API fault is active.", "Add fault", "Outbound faults"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := w.get(t, tc.path)
			if p.status != tc.status {
				t.Errorf("GET %s: %d, want %d\n%s", tc.path, p.status, tc.status, p.text)
			}
			if ct := p.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			for _, s := range tc.want {
				if !strings.Contains(p.text, s) {
					t.Errorf("GET %s does not show %q:\n%s", tc.path, s, p.text)
				}
			}
			for _, s := range tc.wantNot {
				if strings.Contains(p.text, s) {
					t.Errorf("GET %s shows %q:\n%s", tc.path, s, p.text)
				}
			}
		})
	}
}

// TestBadInputIsAMessageOnThePage: every parameter and form field the
// console reads answers a wrong value with a message a person understands,
// never a 500.
func TestBadInputIsAMessageOnThePage(t *testing.T) {
	w := newWorld(t)
	long := strings.Repeat("x", 201)
	for _, tc := range []struct {
		name   string
		method string
		path   string
		form   url.Values
		status int
		want   string
	}{
		{"a page that is not a number", "GET", "/_sfemu/ui/logins?page=abc", nil, 400, `page "abc": give a page number from 1; showing page 1.`},
		{"page 0", "GET", "/_sfemu/ui/requests?page=0", nil, 400, `page "0": give a page number from 1`},
		{"a page past the last", "GET", "/_sfemu/ui/logins?page=99", nil, 400, "page 99: there are only 1 pages of 2 rows; showing page 1."},
		{"a history page past the last", "GET", "/_sfemu/ui/logins?hpage=7", nil, 400, "hpage 7: there are only 1 pages"},
		{"per 0", "GET", "/_sfemu/ui/outbound?per=0", nil, 400, `per "0": give a number of rows per page from 1 to 200; showing 50.`},
		{"per over the bound", "GET", "/_sfemu/ui/requests?per=100000", nil, 400, `per "100000": give a number of rows per page from 1 to 200`},
		{"an attempts page that is not a number", "GET", "/_sfemu/ui/outbound?apage=-", nil, 400, `apage "-": give a page number`},
		{"a status filter of another kind", "GET", "/_sfemu/ui/logins?status=maybe", nil, 400, `status "maybe": give one of "", "failed", "succeeded"; showing .`},
		{"a grant nobody sends", "GET", "/_sfemu/ui/logins?grant=magic", nil, 400, `grant "magic": give one of`},
		{"a surface that is not one", "GET", "/_sfemu/ui/requests?surface=graphql", nil, 400, `surface "graphql": give one of "", "rest", "soap", "oauth"`},
		{"a user filter too long", "GET", "/_sfemu/ui/logins?user=" + long, nil, 400, "user: at most 200 characters; ignored."},
		{"a message filter of no definition", "GET", "/_sfemu/ui/outbound?message=Nope", nil, 400, `message "Nope": give one of "", "Account_Changed"`},
		{"an unknown org", "GET", "/_sfemu/ui/orgs?org=Nowhere", nil, 404, `org "Nowhere": no such org (loaded: Acme).`},
		{"an unknown org for the SOQL box", "GET", "/_sfemu/ui/records?org=Nowhere&q=SELECT+Id+FROM+Account", nil, 400, `org "Nowhere": no such org`},
		{"a token request id that is not a number", "GET", "/_sfemu/ui/logins/abc", nil, 400, `token request "abc": want the number the list shows`},
		{"a token request that is not there", "GET", "/_sfemu/ui/logins/999", nil, 404, "no token request 999 in the journal"},
		{"an attempt id of 0", "GET", "/_sfemu/ui/outbound/attempts/0", nil, 400, `delivery attempt "0": want the number`},
		{"an attempt that is not there", "GET", "/_sfemu/ui/outbound/attempts/55", nil, 404, "no delivery attempt 55"},
		{"a notification that is not there", "GET", "/_sfemu/ui/outbound/notifications/04lnope", nil, 404, `no notification "04lnope"`},
		{"a request that is not there", "GET", "/_sfemu/ui/requests/99999", nil, 404, "no request 99999 in the journal"},
		{"a request id of another kind", "GET", "/_sfemu/ui/requests/1e3", nil, 400, `request "1e3": want the number`},
		{"a query too long", "GET", "/_sfemu/ui/records?q=" + strings.Repeat("a", 20001), nil, 400, "q: a query of at most 20000 characters"},
		{"a query that is not UTF-8", "GET", "/_sfemu/ui/records?q=%ff%fe", nil, 400, "q: the query is not UTF-8."},
		{"a records page that is not a number", "GET", "/_sfemu/ui/records?page=x&q=SELECT+Id+FROM+Account", nil, 400, `page "x": give a page number`},
		{"a records page past the last", "GET", "/_sfemu/ui/records?page=9&q=SELECT+Id+FROM+Account", nil, 400, "page 9: the query has 2 rows, 1 pages of 50; showing page 1."},
		{"a page the console does not have", "GET", "/_sfemu/ui/settings", nil, 404, "The console has no page /_sfemu/ui/settings."},
		{"a POST to a page", "POST", "/_sfemu/ui/logins", url.Values{}, 405, "POST is not allowed on /_sfemu/ui/logins"},

		{"advance by a word", "POST", "/_sfemu/ui/clock/advance", url.Values{"by": {"tomorrow"}}, 400, `by: "tomorrow" is not a duration such as 30s, 10m, 2h or 24h`},
		{"advance backwards", "POST", "/_sfemu/ui/clock/advance", url.Values{"by": {"-1h"}}, 400, "by: -1h0m0s: the clock moves forward"},
		{"advance by and to", "POST", "/_sfemu/ui/clock/advance", url.Values{"by": {"1h"}, "to": {"2026-03-03T00:00:00Z"}}, 400, "give by or to, not both"},
		{"advance by nothing", "POST", "/_sfemu/ui/clock/advance", url.Values{}, 400, "give by (a duration such as 1h) or to"},
		{"move to a time that is not one", "POST", "/_sfemu/ui/clock/advance", url.Values{"to": {"noon"}}, 400, `to: "noon" is not a time`},
		{"move to the past", "POST", "/_sfemu/ui/clock/advance", url.Values{"to": {"2020-01-01T00:00:00Z"}}, 400, "cannot go back"},
		{"a fault status that is not a number", "POST", "/_sfemu/ui/faults", url.Values{"status": {"bad"}}, 400, `status: "bad": give a whole number from 100 to 599`},
		{"a fault with no effect", "POST", "/_sfemu/ui/faults", url.Values{"path": {"/query"}}, 400, "a fault needs a status (or error_code), a latency, or expire_session"},
		{"a fault of another surface", "POST", "/_sfemu/ui/faults", url.Values{"surface": {"bulk"}, "status": {"503"}}, 400, `surface: "bulk": give rest, soap or oauth`},
		{"a fault code in lower case", "POST", "/_sfemu/ui/faults", url.Values{"error_code": {"oops"}}, 400, `error_code: "oops": a Salesforce error code in capitals`},
		{"a fault latency over a minute", "POST", "/_sfemu/ui/faults", url.Values{"latency": {"2m"}, "status": {"500"}}, 400, `latency: "2m": give a duration from 0 to 1m0s`},
		{"a fault for an unknown org", "POST", "/_sfemu/ui/faults", url.Values{"org": {"Nowhere"}, "status": {"500"}}, 404, `no org "Nowhere"`},
		{"a fault path without a slash", "POST", "/_sfemu/ui/faults", url.Values{"path": {"query"}, "status": {"500"}}, 400, `path: "query": a path inside the surface starts with /`},
		{"clearing a fault that is not there", "POST", "/_sfemu/ui/faults/99/clear", url.Values{}, 404, "no fault 99"},
		{"clearing a fault by a word", "POST", "/_sfemu/ui/faults/one/clear", url.Values{}, 400, `fault "one": want the number the table shows`},
		{"an outbound probability over 1", "POST", "/_sfemu/ui/outbound-faults", url.Values{"duplicate_probability": {"2"}}, 400, `duplicate_probability: "2": give a probability from 0 to 1`},
		{"an outbound delay that is not a duration", "POST", "/_sfemu/ui/outbound-faults", url.Values{"delay": {"soon"}}, 400, `delay: "soon": give a duration`},
		{"an outbound seed that is not a number", "POST", "/_sfemu/ui/outbound-faults", url.Values{"seed": {"x"}}, 400, `seed: "x": give a whole number`},
		{"retrying a malformed notification id", "POST", "/_sfemu/ui/outbound/notifications/nope/retry", url.Values{}, 400, `"nope"`},
		{"deleting a notification that is not queued", "POST", "/_sfemu/ui/outbound/notifications/04lxx0000000099AAA/delete", url.Values{}, 404, "no such queued notification"},
		{"expiring nobody's sessions", "POST", "/_sfemu/ui/sessions/expire", url.Values{}, 400, `username: name the user whose sessions end, or tick "every session"`},
		{"expiring a username too long", "POST", "/_sfemu/ui/sessions/expire", url.Values{"username": {long}}, 400, "username: a username of at most 200 characters"},
		{"a sessions page past the last", "GET", "/_sfemu/ui/logins?spage=5", nil, 400, "spage 5: there are only 1 pages"},
		{"reset without the box ticked", "POST", "/_sfemu/ui/reset", url.Values{}, 400, "confirm: tick the box to reset"},
		{"a field too long", "POST", "/_sfemu/ui/faults", url.Values{"message": {strings.Repeat("m", 70<<10)}}, 400, "message: at most 1000 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p page
			if tc.method == "POST" {
				p = w.post(t, tc.path, tc.form)
			} else {
				p = w.get(t, tc.path)
			}
			if p.status != tc.status {
				t.Errorf("%s %s: %d, want %d\n%s", tc.method, tc.path, p.status, tc.status, p.text)
			}
			if !strings.Contains(p.text, tc.want) {
				t.Errorf("%s %s does not say %q:\n%s", tc.method, tc.path, tc.want, p.text)
			}
			if !strings.Contains(p.html, `<nav>`) {
				t.Errorf("%s %s: the message is not on a console page:\n%s", tc.method, tc.path, p.html)
			}
		})
	}
}

// TestNoPageShowsASecret: the consumer secret, passwords, session tokens
// and private keys appear on no page, whatever the journals hold.
func TestNoPageShowsASecret(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// SOAP login() sends a password and gets a session ID back.
	soap := `<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com">` +
		`<soapenv:Body><urn:login><urn:username>` + adminUser + `</urn:username><urn:password>` + adminPass + `</urn:password></urn:login></soapenv:Body></soapenv:Envelope>`
	req, _ := http.NewRequest(http.MethodPost, w.srv.URL+"/services/Soap/u/60.0", strings.NewReader(soap))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", "login")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	loginAnswer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// A password grant with the client secret in the body.
	resp, err = http.PostForm(w.srv.URL+"/services/oauth2/token", url.Values{"grant_type": {"password"}, "client_id": {consumerKey},
		"client_secret": {secret}, "username": {adminUser}, "password": {adminPass}})
	must(t, err)
	resp.Body.Close()

	secrets := []string{secret, adminPass, w.token, "PRIVATE KEY"}
	sessions, err := w.emu.Sessions(ctx)
	must(t, err)
	for _, s := range sessions {
		secrets = append(secrets, s.Token)
	}
	if m := regexp.MustCompile(`<sessionId>([^<]+)</sessionId>`).FindSubmatch(loginAnswer); m != nil {
		secrets = append(secrets, string(m[1]))
	} else {
		t.Logf("SOAP login() answered without a session: %s", loginAnswer)
	}
	paths := []string{"/_sfemu/ui/", "/_sfemu/ui/orgs", "/_sfemu/ui/logins", "/_sfemu/ui/outbound", "/_sfemu/ui/requests",
		"/_sfemu/ui/clock", "/_sfemu/ui/outbound/attempts/1", "/_sfemu/ui/outbound/notifications/" + w.notification,
		"/_sfemu/ui/records?q=" + url.QueryEscape("SELECT FIELDS(ALL) FROM User LIMIT 200")}
	tokens, _ := w.emu.TokenRequests(ctx)
	for _, tr := range tokens {
		paths = append(paths, fmt.Sprintf("/_sfemu/ui/logins/%d", tr.ID))
	}
	reqs, _ := w.emu.APIRequests(ctx)
	for _, r := range reqs {
		paths = append(paths, fmt.Sprintf("/_sfemu/ui/requests/%d", r.ID))
	}
	for _, path := range paths {
		p := w.get(t, path)
		if p.status >= 500 {
			t.Errorf("GET %s: %d", path, p.status)
		}
		for _, s := range secrets {
			if s != "" && (strings.Contains(p.html, s) || strings.Contains(p.text, s)) {
				t.Errorf("GET %s shows a secret (%.12s…)", path, s)
			}
		}
	}
}

// TestEveryFormCarriesTheCSRFToken: each state-changing form posts the
// guard's CSRF token in the hidden field _csrf, and a form without it is
// refused.
func TestEveryFormCarriesTheCSRFToken(t *testing.T) {
	w := newWorld(t)
	_, err := w.emu.AddFault(context.Background(), wire.Fault{Status: 503, Path: "/query"})
	must(t, err)
	forms := regexp.MustCompile(`(?s)<form[^>]*method="post"[^>]*>.*?</form>`)
	w.post(t, "/_sfemu/ui/clock", url.Values{}) // learns the token
	total := 0
	for _, path := range []string{"/_sfemu/ui/clock", "/_sfemu/ui/outbound", "/_sfemu/ui/logins", "/_sfemu/ui/"} {
		p := w.get(t, path)
		for _, f := range forms.FindAllString(p.html, -1) {
			total++
			if !strings.Contains(f, `<input type="hidden" name="_csrf" value="`+w.csrf+`">`) {
				t.Errorf("%s: a form without the token:\n%s", path, f)
			}
		}
	}
	if total < 10 {
		t.Errorf("saw %d forms; the clock page alone has more", total)
	}
	if p := w.post(t, "/_sfemu/ui/faults/clear", url.Values{"_csrf": {"forged"}}); p.status != http.StatusForbidden {
		t.Errorf("a form with a forged _csrf: %d, want 403", p.status)
	}
}

// TestRetryAndDel: the queue's buttons call the facade and come back to
// the page with a note.
func TestRetryAndDel(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.rcv.up.Store(true)
	noRedirect := &http.Client{Jar: w.browser().Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"back": {"/_sfemu/ui/outbound?per=20"}}
	resp, err := noRedirect.Do(w.formRequest(t, "/_sfemu/ui/outbound/notifications/"+w.notification+"/retry", form))
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/_sfemu/ui/outbound?notice=retried&per=20" {
		t.Errorf("Retry answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	must(t, w.emu.Idle(ctx))
	p := w.get(t, "/_sfemu/ui/outbound?notice=retried")
	for _, s := range []string{"Retry: the notification's next attempt is now.", "Nothing waits for delivery.", w.notification + " Account_Changed"} {
		if !strings.Contains(p.text, s) {
			t.Errorf("after Retry the page does not show %q:\n%s", s, p.text)
		}
	}
	// A back field elsewhere than the console is not followed.
	w.rcv.up.Store(false)
	sent, err := w.emu.SendOutbound(ctx, "Account_Changed", wire.Send{Where: "Name = 'Burlington Textiles'"})
	must(t, err)
	must(t, w.emu.Idle(ctx))
	resp, err = noRedirect.Do(w.formRequest(t, "/_sfemu/ui/outbound/notifications/"+sent.Notifications[0]+"/delete",
		url.Values{"back": {"https://evil.example/"}}))
	must(t, err)
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/_sfemu/ui/outbound?notice=deleted" {
		t.Errorf("Del answered %d to %q", resp.StatusCode, loc)
	}
	q, _ := w.emu.Queue(ctx, true)
	if last := q[len(q)-1]; last.ID != sent.Notifications[0] || last.State != wire.Dropped || !strings.Contains(last.DeliveryFailureReason, "deleted") {
		t.Errorf("after Del: %+v", last)
	}
}

// TestFormsChangeWhatTheyName: the clock and fault forms reach the facade.
func TestFormsChangeWhatTheyName(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	steps := []struct {
		path string
		form url.Values
		page string
	}{
		{"/_sfemu/ui/clock/advance", url.Values{"by": {"1h"}}, "The clock moved. Clock 2026-03-02 10:00:05 UTC"},
		{"/_sfemu/ui/clock/advance", url.Values{"to": {"2026-03-02T12:00"}}, "2026-03-02 12:00:00 UTC"},
		{"/_sfemu/ui/faults", url.Values{"surface": {"rest"}, "org": {"Acme"}, "method": {"get"}, "path": {"/query"}, "error_code": {"REQUEST_LIMIT_EXCEEDED"},
			"times": {"2"}, "latency": {"10ms"}, "expire_session": {"on"}}, "Fault added. "},
		{"/_sfemu/ui/outbound-faults", url.Values{"seed": {"7"}, "message": {"Account_Changed"}, "delay_probability": {"0.5"}, "delay": {"1m"}}, "Outbound faults set."},
	}
	for _, s := range steps {
		s.form.Set("back", "/_sfemu/ui/clock")
		p := w.post(t, s.path, s.form)
		if p.status != 200 || !strings.Contains(p.text, s.page) {
			t.Errorf("POST %s %v: %d\n%s\nwant %q", s.path, s.form, p.status, p.text, s.page)
		}
	}
	faults, _ := w.emu.Faults(ctx)
	if len(faults) != 1 || faults[0].Method != "GET" || faults[0].ErrorCode != "REQUEST_LIMIT_EXCEEDED" || faults[0].Times != 2 || !faults[0].ExpireSession {
		t.Errorf("faults %+v", faults)
	}
	if of, _ := w.emu.OutboundFaults(ctx); of.Seed != 7 || of.DelayProbability != 0.5 || of.Delay.D() != time.Minute {
		t.Errorf("outbound faults %+v", of)
	}
	if p := w.get(t, "/_sfemu/ui/clock"); !strings.Contains(p.text, "REQUEST_LIMIT_EXCEEDED") {
		t.Errorf("the clock page does not list the fault:\n%s", p.text)
	}
	w.post(t, fmt.Sprintf("/_sfemu/ui/faults/%d/clear", faults[0].ID), url.Values{})
	w.post(t, "/_sfemu/ui/outbound-faults/clear", url.Values{})
	if f, _ := w.emu.Faults(ctx); len(f) != 0 {
		t.Errorf("after Clear: %+v", f)
	}
	if of, _ := w.emu.OutboundFaults(ctx); of != (wire.OutboundFaults{}) {
		t.Errorf("after clearing outbound faults: %+v", of)
	}
	w.post(t, "/_sfemu/ui/faults", url.Values{"status": {"503"}})
	w.post(t, "/_sfemu/ui/faults", url.Values{"status": {"500"}})
	if p := w.post(t, "/_sfemu/ui/faults/clear", url.Values{"back": {"/_sfemu/ui/clock"}}); !strings.Contains(p.text, "Every API fault cleared.") {
		t.Errorf("Clear all: %s", p.text)
	}
}

// TestExpireAndReset: the Logins page's Expire ends the receiver's session
// (its next call is refused), and the overview's Reset empties the journals.
func TestExpireAndReset(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	p := w.post(t, "/_sfemu/ui/sessions/expire", url.Values{"username": {sendUser}, "back": {"/_sfemu/ui/logins"}})
	if p.status != 200 || !strings.Contains(p.text, "Sessions ended") || !strings.Contains(p.text, "No live session.") {
		t.Errorf("Expire: %d\n%s", p.status, p.text)
	}
	req, _ := http.NewRequest(http.MethodGet, w.srv.URL+"/services/data/v66.0/sobjects/Account", nil)
	req.Header.Set("Authorization", "Bearer "+w.token)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "INVALID_SESSION_ID") {
		t.Errorf("the expired session still works: %d %s", resp.StatusCode, body)
	}

	p = w.post(t, "/_sfemu/ui/reset", url.Values{"confirm": {"on"}, "back": {"/_sfemu/ui/"}})
	for _, s := range []string{"Reset: the fixtures are reloaded", "No failed login since the last reset.", "Nothing waits for delivery.", "No API call failed since the last reset."} {
		if !strings.Contains(p.text, s) {
			t.Errorf("after Reset the overview does not say %q:\n%s", s, p.text)
		}
	}
	if tokens, _ := w.emu.TokenRequests(ctx); len(tokens) != 0 {
		t.Errorf("after Reset %d token requests remain", len(tokens))
	}
}

// TestBrowsersAreSentToTheConsole: / and /_sfemu/ send a browser to the
// console; API clients keep their JSON answers.
func TestBrowsersAreSentToTheConsole(t *testing.T) {
	w := newWorld(t)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	browser := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	for _, tc := range []struct {
		path, accept string
		status       int
		location     string
		body         string
	}{
		{"/", browser, 302, "/_sfemu/ui/", ""},
		{"/_sfemu", browser, 302, "/_sfemu/ui/", ""},
		{"/_sfemu/", browser, 302, "/_sfemu/ui/", ""},
		{"/_sfemu/ui", browser, 302, "/_sfemu/ui/", ""},
		{"/_sfemu/", "application/json", 404, "", `the console is at /_sfemu/ui/`},
		{"/_sfemu/", "", 404, "", `"error"`},
		{"/", "application/json", 404, "", `"errorCode":"NOT_FOUND"`},
	} {
		req, _ := http.NewRequest(http.MethodGet, w.srv.URL+tc.path, nil)
		if tc.accept != "" {
			req.Header.Set("Accept", tc.accept)
		}
		resp, err := noRedirect.Do(req)
		must(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Location") != tc.location || !strings.Contains(string(b), tc.body) {
			t.Errorf("GET %s (Accept %q): %d to %q %s; want %d to %q with %q", tc.path, tc.accept, resp.StatusCode,
				resp.Header.Get("Location"), b, tc.status, tc.location, tc.body)
		}
	}
}

// sse reads a live-update stream's events.
type sse struct {
	resp *http.Response
	r    *bufio.Reader
}

func openEvents(t testing.TB, base string) *sse {
	t.Helper()
	resp, err := http.Get(base + "/_sfemu/ui/events")
	must(t, err)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	t.Cleanup(func() { resp.Body.Close() })
	return &sse{resp: resp, r: bufio.NewReader(resp.Body)}
}

// next returns the next "changes" event's data; io.EOF when the stream ends.
func (s *sse) next() (string, error) {
	var event, data string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return "", err
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && event == "changes":
			return data, nil
		case line == "":
			event, data = "", ""
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
}

// TestEventsTellWhatChanged: the stream sends the counters at once, then
// again when a login is journaled; it ends when the emulator closes.
func TestEventsTellWhatChanged(t *testing.T) {
	w := newWorld(t)
	events := openEvents(t, w.srv.URL)
	first, err := events.next()
	must(t, err)
	var before, after wire.Changes
	must(t, jsonUnmarshal(first, &before))
	w.login(t)
	second, err := events.next()
	must(t, err)
	must(t, jsonUnmarshal(second, &after))
	if after.Logins <= before.Logins || after.Requests <= before.Requests || after.Outbound != before.Outbound {
		t.Errorf("a login moved the counters from %+v to %+v", before, after)
	}
	done := make(chan error, 1)
	go func() { _, err := events.next(); done <- err }()
	w.emu.Close()
	select {
	case err := <-done:
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("after Close the stream gave %v, want its end", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end when the emulator closed")
	}
}

// TestEventsDoNotHoldAShutdown: http.Server.Shutdown with a stream open
// returns at once, as `sfemu serve` must stop quickly.
func TestEventsDoNotHoldAShutdown(t *testing.T) {
	emu, err := emulator.New(emulator.Options{Clock: emulator.VirtualClock, VirtualStart: start})
	must(t, err)
	t.Cleanup(emu.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	events := openEvents(t, "http://"+ln.Addr().String())
	if _, err := events.next(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	began := time.Now()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with a live stream open: %v after %v", err, time.Since(began))
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("Shutdown took %v", took)
	}
}

// TestTooManyStreams: past the bound a page is told to come back later.
func TestTooManyStreams(t *testing.T) {
	w := newWorld(t)
	var open []*http.Response
	defer func() {
		for _, r := range open {
			r.Body.Close()
		}
	}()
	for i := 0; ; i++ {
		resp, err := http.Get(w.srv.URL + "/_sfemu/ui/events")
		must(t, err)
		if resp.StatusCode == http.StatusServiceUnavailable {
			resp.Body.Close()
			if i != 64 || resp.Header.Get("Retry-After") == "" {
				t.Errorf("refused stream %d (Retry-After %q), want the 65th refused with Retry-After", i+1, resp.Header.Get("Retry-After"))
			}
			return
		}
		open = append(open, resp)
		if i > 100 {
			t.Fatal("no bound on streams")
		}
	}
}
