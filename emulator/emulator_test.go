package emulator_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/fixtures"
	"github.com/sfemu/sfemu/jwtbearer"
	"github.com/sfemu/sfemu/wire"
)

var virtualStart = time.Date(2026, 2, 23, 9, 0, 0, 0, time.UTC)

// startDefault serves the embedded default org on a virtual clock.
func startDefault(t *testing.T) (*emulator.Emulator, *httptest.Server) {
	t.Helper()
	emu, err := emulator.New(emulator.Options{Clock: emulator.VirtualClock, VirtualStart: virtualStart})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return emu, srv
}

// defaultLogin logs in as the default org's send user the way a receiver does.
func defaultLogin(t *testing.T, base string, exp time.Time) (status int, body map[string]string) {
	t.Helper()
	key, err := jwtbearer.LoadPrivateKeyFile("../" + fixtures.DefaultKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	assertion, err := jwtbearer.Mint(key, jwtbearer.Claims{
		Issuer: fixtures.DefaultConsumerKey, Subject: fixtures.DefaultUsername,
		Audience: "https://login.salesforce.com", Expiry: exp,
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.PostForm(base+"/services/oauth2/token", url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body = map[string]string{}
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func doJSON(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestDefaultOrgIsReadyToUse(t *testing.T) {
	_, srv := startDefault(t)
	if code, body := doJSON(t, "GET", srv.URL+"/_sfemu/health", "", ""); code != 200 || !strings.Contains(body, `"status": "ok"`) {
		t.Fatalf("health: %d %s", code, body)
	}
	status, tok := defaultLogin(t, srv.URL, virtualStart.Add(3*time.Minute))
	if status != 200 {
		t.Fatalf("default send user cannot log in: %d %v", status, tok)
	}
	if tok["instance_url"] != srv.URL || !strings.HasPrefix(tok["id"], srv.URL+"/id/00D") {
		t.Errorf("instance_url %q / id %q should point at the emulator", tok["instance_url"], tok["id"])
	}
}

func TestIdentityUserInfoAndRevoke(t *testing.T) {
	_, srv := startDefault(t)
	_, tok := defaultLogin(t, srv.URL, virtualStart.Add(3*time.Minute))
	access := tok["access_token"]

	code, body := doJSON(t, "GET", tok["id"], access, "")
	if code != 200 {
		t.Fatalf("identity URL: %d %s", code, body)
	}
	var ident map[string]any
	json.Unmarshal([]byte(body), &ident)
	if ident["username"] != fixtures.DefaultUsername || ident["id"] != tok["id"] {
		t.Errorf("identity: %s", body)
	}
	urls := ident["urls"].(map[string]any)
	if urls["rest"] != srv.URL+"/services/data/v{version}/" {
		t.Errorf("urls.rest = %v", urls["rest"])
	}

	code, body = doJSON(t, "GET", srv.URL+"/services/oauth2/userinfo", access, "")
	var info map[string]any
	json.Unmarshal([]byte(body), &info)
	if code != 200 || info["preferred_username"] != fixtures.DefaultUsername || info["sub"] != tok["id"] {
		t.Errorf("userinfo: %d %s", code, body)
	}

	// Another user's identity with this token, and a bad token: 403 Bad_OAuth_Token.
	other := strings.Replace(tok["id"], "/005", "/006", 1)
	for name, c := range map[string]struct{ url, token string }{
		"someone else's identity": {other, access},
		"bad token":               {tok["id"], "00Dxx!nope"},
		"no token":                {tok["id"], ""},
	} {
		if code, body := doJSON(t, "GET", c.url, c.token, ""); code != 403 || body != "Bad_OAuth_Token" {
			t.Errorf("%s: %d %q, want 403 Bad_OAuth_Token", name, code, body)
		}
	}

	revoke := func(token string) (int, string) {
		resp, err := http.PostForm(srv.URL+"/services/oauth2/revoke", url.Values{"token": {token}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := revoke(access); code != 200 || body != "" {
		t.Errorf("revoke: %d %q, want 200 and an empty body", code, body)
	}
	if code, _ := doJSON(t, "GET", srv.URL+"/services/oauth2/userinfo", access, ""); code != 403 {
		t.Errorf("userinfo after revoke: %d, want 403", code)
	}
	if code, body := revoke(access); code != 400 || body != `{"error":"invalid_token","error_description":"Token was invalid"}` {
		t.Errorf("revoking twice: %d %s", code, body)
	}
}

// TestSessionTimesOutAfterInactivityOnTheVirtualClock: the session lives for
// the profile's 2h after its last use; use renews it; the JWT's exp does not matter.
func TestSessionTimesOutAfterInactivityOnTheVirtualClock(t *testing.T) {
	emu, srv := startDefault(t)
	_, tok := defaultLogin(t, srv.URL, virtualStart.Add(3*time.Minute))
	access := tok["access_token"]
	userinfo := func() int {
		code, _ := doJSON(t, "GET", srv.URL+"/services/oauth2/userinfo", access, "")
		return code
	}
	advance := func(by string) {
		if code, body := doJSON(t, "POST", srv.URL+"/_sfemu/clock/advance", "", `{"by":"`+by+`"}`); code != 200 {
			t.Fatalf("advance %s: %d %s", by, code, body)
		}
	}
	advance("1h59m")
	if code := userinfo(); code != 200 {
		t.Fatalf("after 1h59m idle: %d, want 200 (timeout is 2h)", code)
	}
	advance("1h59m") // renewed by the call above
	if code := userinfo(); code != 200 {
		t.Fatalf("1h59m after the last use: %d, want 200", code)
	}
	advance("2h")
	if code := userinfo(); code != 403 {
		t.Errorf("2h after the last use: %d, want the session gone", code)
	}
	if n := len(emu.Store().Sessions.List()); n != 0 {
		t.Errorf("%d live sessions after the timeout", n)
	}
}

func TestControlAPI(t *testing.T) {
	emu, srv := startDefault(t)
	org := emu.Store().Orgs()[0]

	code, body := doJSON(t, "GET", srv.URL+"/_sfemu/orgs", "", "")
	var orgs []wire.Org
	json.Unmarshal([]byte(body), &orgs)
	if code != 200 || len(orgs) != 1 || orgs[0].Name != "Default" || orgs[0].ID != string(org.ID) || orgs[0].OutboundSessionID != "removed" {
		t.Fatalf("orgs: %d %s", code, body)
	}
	code, body = doJSON(t, "GET", srv.URL+"/_sfemu/orgs/Default/users", "", "")
	var users []wire.User
	json.Unmarshal([]byte(body), &users)
	if code != 200 || len(users) != 2 || users[0].Username != fixtures.DefaultUsername || users[0].PermissionSets[0] != "SendUserPS" {
		t.Errorf("users: %d %s", code, body)
	}
	code, body = doJSON(t, "GET", srv.URL+"/_sfemu/apps", "", "")
	if code != 200 || !strings.Contains(body, fixtures.DefaultConsumerKey) || !strings.Contains(body, `"permitted_users": "admin_approved"`) {
		t.Errorf("apps: %d %s", code, body)
	}
	if code, body := doJSON(t, "GET", srv.URL+"/_sfemu/orgs/Nope/users", "", ""); code != 404 || !strings.Contains(body, `no org \"Nope\"`) {
		t.Errorf("unknown org: %d %s", code, body)
	}

	// A client IP outside no range still logs in (the default profile has
	// none), and Login History records the apparent address.
	if code, body := doJSON(t, "PUT", srv.URL+"/_sfemu/orgs/"+string(org.ID)+"/client-ip", "", `{"ip":"54.249.48.100"}`); code != 200 {
		t.Fatalf("set client ip: %d %s", code, body)
	}
	defaultLogin(t, srv.URL, virtualStart.Add(time.Minute))
	defaultLogin(t, srv.URL, virtualStart.Add(-time.Minute)) // expired assertion
	code, body = doJSON(t, "GET", srv.URL+"/_sfemu/orgs/Default/login-history", "", "")
	var rows []struct{ Status, SourceIp, LoginType, Application, SfemuReason string }
	json.Unmarshal([]byte(body), &rows)
	type row struct{ Status, SourceIP, LoginType, Application string }
	var got []row
	for _, r := range rows {
		got = append(got, row{r.Status, r.SourceIp, r.LoginType, r.Application})
	}
	want := []row{
		{"Success", "54.249.48.100", "Remote Access 2.0", "sfemu_receiver_eca"},
		{"Failed: Invalid Assertion", "127.0.0.1", "Remote Access 2.0", "sfemu_receiver_eca"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("login history (-want +got):\n%s", diff)
	}
	if !strings.Contains(rows[1].SfemuReason, "claim exp") {
		t.Errorf("failed row's reason %q does not name the claim", rows[1].SfemuReason)
	}
	code, body = doJSON(t, "GET", srv.URL+"/_sfemu/token-requests", "", "")
	if code != 200 || strings.Count(body, `"grant_type"`) != 2 || !strings.Contains(body, `"error_description": "expired authorization code"`) {
		t.Errorf("token requests: %d %s", code, body)
	}

	// Forced session expiry, then reset.
	_, tok := defaultLogin(t, srv.URL, virtualStart.Add(time.Minute))
	if code, body := doJSON(t, "POST", srv.URL+"/_sfemu/sessions/expire", "", `{"username":"`+fixtures.DefaultUsername+`"}`); code != 200 || !strings.Contains(body, `"expired": 1`) {
		t.Errorf("expire sessions: %d %s", code, body)
	}
	if code, _ := doJSON(t, "GET", srv.URL+"/services/oauth2/userinfo", tok["access_token"], ""); code != 403 {
		t.Errorf("token still works after forced expiry: %d", code)
	}
	if code, body := doJSON(t, "POST", srv.URL+"/_sfemu/reset", "", ""); code != 200 {
		t.Fatalf("reset: %d %s", code, body)
	}
	if n := emu.Store().Orgs()[0].LoginHistory().Len(); n != 0 {
		t.Errorf("login history after reset has %d rows", n)
	}
	if got, _ := emu.Clock(context.Background()); !got.Now.Equal(virtualStart) {
		t.Errorf("reset moved the clock to %s", got.Now)
	}
}

func TestControlAPIErrorsAreClear(t *testing.T) {
	_, srv := startDefault(t)
	tests := []struct{ method, path, body, want string }{
		{"POST", "/_sfemu/clock/advance", `{"by":"tomorrow"}`, `by: \"tomorrow\" is not a duration`},
		{"POST", "/_sfemu/clock/advance", `{"bye":"2h"}`, `unknown field \"bye\"`},
		{"POST", "/_sfemu/clock/advance", `{"to":"2020-01-01T00:00:00Z"}`, `cannot go back`},
		{"PUT", "/_sfemu/orgs/Default/client-ip", `{"ip":"54.249.48"}`, `ip \"54.249.48\" is not an IP address`},
		{"GET", "/_sfemu/nothing", "", `no control endpoint GET /_sfemu/nothing`},
	}
	for _, tt := range tests {
		code, body := doJSON(t, tt.method, srv.URL+tt.path, "", tt.body)
		if code < 400 || !strings.Contains(body, tt.want) {
			t.Errorf("%s %s %s: %d %s, want an error containing %s", tt.method, tt.path, tt.body, code, body, tt.want)
		}
	}
}

func TestRealClockCannotBeAdvanced(t *testing.T) {
	emu, err := emulator.New(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()
	if code, body := doJSON(t, "POST", srv.URL+"/_sfemu/clock/advance", "", `{"by":"1h"}`); code != 409 || !strings.Contains(body, "--clock virtual") {
		t.Errorf("advance on the real clock: %d %s", code, body)
	}
}

func TestUnknownPathsAnswerLikeSalesforce(t *testing.T) {
	_, srv := startDefault(t)
	code, body := doJSON(t, "GET", srv.URL+"/services/nothing", "", "")
	if code != 404 || body != `[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]` {
		t.Errorf("unknown path: %d %s", code, body)
	}
}

func TestFixtureErrorsReachTheCaller(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/acme.yaml"
	os.WriteFile(path, []byte("org:\n  name: Acme\n  tipe: sandbox\n"), 0o644)
	_, err := emulator.New(emulator.Options{Orgs: mustSource(t, path)})
	if err == nil || !strings.Contains(err.Error(), path+":3:3: unknown key: ") {
		t.Errorf("got %v", err)
	}
}

func mustSource(t *testing.T, path string) []org.Source {
	t.Helper()
	src, err := org.FileSource(path)
	if err != nil {
		t.Fatal(err)
	}
	return []org.Source{src}
}

// TestLoginHistoryIsQueryable: vendors tell customers to look for a
// "Remote Access 2.0" row; integrations query it as the LoginHistory object.
func TestLoginHistoryIsQueryable(t *testing.T) {
	_, srv := startDefault(t)
	_, tok := defaultLogin(t, srv.URL, virtualStart.Add(time.Minute))
	defaultLogin(t, srv.URL, virtualStart.Add(-time.Minute)) // a failed attempt, expired assertion
	code, body := doJSON(t, "GET", srv.URL+"/services/data/v60.0/query?q=SELECT+Status,LoginType,Application+FROM+LoginHistory+ORDER+BY+LoginTime", tok["access_token"], "")
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	var res struct {
		TotalSize int
		Records   []struct{ Status, LoginType, Application string }
	}
	json.Unmarshal([]byte(body), &res)
	if res.TotalSize != 2 || res.Records[0].Status != "Success" || res.Records[1].Status != "Failed: Invalid Assertion" ||
		res.Records[0].LoginType != "Remote Access 2.0" || res.Records[0].Application != "sfemu_receiver_eca" {
		t.Errorf("LoginHistory rows: %s", body)
	}
}
