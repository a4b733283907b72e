package emulator_test

// Benchmarks of the JWT bearer token endpoint (docs/PERFORMANCE.md, "Token
// endpoint (issue 2)"), and a test that sustained logins keep memory bounded.
// Figures are measured with `go test -bench`, never asserted.

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/jwtbearer"
	"github.com/sfemu/sfemu/wire"
)

const (
	benchUsername    = "sender@bench.example"
	benchConsumerKey = "3MVG9benchTestOnlyConsumerKey.receiver"
	benchAudience    = "https://login.salesforce.com"
	tokenPath        = "/services/oauth2/token"
	// poolSize distinct assertions (distinct jti) are minted once and cycled
	// through, so no request can be answered from a cache of earlier ones.
	poolSize = 256
)

// benchFixture is the default org's shape with the settings a load test
// needs: no login rate limit (the default 3600/hour would refuse logins
// within a second), and the given session reuse and Login History limit.
func benchFixture(reuseSessions bool, loginHistoryLimit int) org.Source {
	yaml := fmt.Sprintf(`
org: {name: Bench, type: production, my_domain: sfemu-bench, time_zone: UTC, outbound_session_id: removed}
settings:
  login_rate_limit_per_hour: 0
  reuse_sessions: %t
  login_history_limit: %d
profiles:
  - {name: Integration, session_timeout: 2h}
permission_sets:
  - name: SendUserPS
users:
  - {username: %s, first_name: Send, last_name: User, profile: Integration, permission_sets: [SendUserPS]}
apps:
  - name: bench_receiver_eca
    kind: external_client_app
    consumer_key: %s
    consumer_secret: bench-test-only-secret
    certificate: server.crt
    policy: {permitted_users: admin_approved, permission_sets: [SendUserPS], ip_relaxation: enforce}
`, reuseSessions, loginHistoryLimit, benchUsername, benchConsumerKey)
	keysDir := filepath.Join("..", "fixtures", "keys")
	return org.Source{
		Name: "bench fixture (inline)",
		Data: []byte(yaml),
		ReadFile: func(rel string) ([]byte, error) {
			return os.ReadFile(filepath.Join(keysDir, rel))
		},
	}
}

type assertionPool struct {
	key        *rsa.PrivateKey
	assertions []string // compact JWTs
	bodies     []string // token request form bodies, one per assertion
}

var (
	poolOnce sync.Once
	pool     assertionPool
	poolErr  error
)

// mustPool mints poolSize assertions for the bench user, signed with the
// test-only fixtures/keys/server.key, valid for a week from now (so they
// also outlive a virtual clock advanced by a day).
func mustPool(tb testing.TB) *assertionPool {
	tb.Helper()
	poolOnce.Do(func() {
		pool.key, poolErr = jwtbearer.LoadPrivateKeyFile(filepath.Join("..", "fixtures", "keys", "server.key"))
		if poolErr != nil {
			return
		}
		exp := time.Now().Add(7 * 24 * time.Hour)
		for i := range poolSize {
			a, err := jwtbearer.Mint(pool.key, jwtbearer.Claims{
				Issuer:   benchConsumerKey,
				Subject:  benchUsername,
				Audience: benchAudience,
				Expiry:   exp,
				Extra:    map[string]any{"jti": fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i)},
			})
			if err != nil {
				poolErr = err
				return
			}
			pool.assertions = append(pool.assertions, a)
			pool.bodies = append(pool.bodies, url.Values{
				"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
				"assertion":  {a},
			}.Encode())
		}
	})
	if poolErr != nil {
		tb.Fatal(poolErr)
	}
	return &pool
}

func newEmulator(tb testing.TB, src org.Source, mode emulator.ClockMode) *emulator.Emulator {
	tb.Helper()
	emu, err := emulator.New(emulator.Options{Orgs: []org.Source{src}, Clock: mode})
	if err != nil {
		tb.Fatal(err)
	}
	return emu
}

// login posts one token request to emu in-process and returns the status.
func login(emu http.Handler, body string) (int, string) {
	req := httptest.NewRequest(http.MethodPost, tokenPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	emu.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func reportRate(b *testing.B, unit string) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, unit)
	}
}

// BenchmarkRS256Verify is the floor: the bare RS256 verification every JWT
// bearer login must do, with nothing around it.
func BenchmarkRS256Verify(b *testing.B) {
	p := mustPool(b)
	a := p.assertions[0]
	dot := strings.LastIndexByte(a, '.')
	signingInput := a[:dot]
	sig, err := base64.RawURLEncoding.DecodeString(a[dot+1:])
	if err != nil {
		b.Fatal(err)
	}
	pub := &p.key.PublicKey
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := jwt.SigningMethodRS256.Verify(signingInput, sig, pub); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, "verifies/s")
}

// BenchmarkRS256VerifyParallel is the floor on every core, the fair
// comparison for BenchmarkTokenJWTParallel.
func BenchmarkRS256VerifyParallel(b *testing.B) {
	p := mustPool(b)
	a := p.assertions[0]
	dot := strings.LastIndexByte(a, '.')
	signingInput := a[:dot]
	sig, err := base64.RawURLEncoding.DecodeString(a[dot+1:])
	if err != nil {
		b.Fatal(err)
	}
	pub := &p.key.PublicKey
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := jwt.SigningMethodRS256.Verify(signingInput, sig, pub); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b, "verifies/s")
}

// BenchmarkTokenJWT is one successful JWT bearer login at a time through the
// emulator's handler, in-process (no network).
func BenchmarkTokenJWT(b *testing.B) {
	p := mustPool(b)
	emu := newEmulator(b, benchFixture(true, 1000), emulator.RealClock)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if code, body := login(emu, p.bodies[i%poolSize]); code != http.StatusOK {
			b.Fatalf("token request: status %d: %s", code, body)
		}
		i++
	}
	reportRate(b, "logins/s")
}

// BenchmarkTokenJWTParallel is BenchmarkTokenJWT on every core.
func BenchmarkTokenJWTParallel(b *testing.B) {
	p := mustPool(b)
	emu := newEmulator(b, benchFixture(true, 1000), emulator.RealClock)
	var next atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			if code, body := login(emu, p.bodies[i%poolSize]); code != http.StatusOK {
				b.Errorf("token request: status %d: %s", code, body)
				return
			}
		}
	})
	reportRate(b, "logins/s")
}

// httpParallelism is goroutines per GOMAXPROCS in BenchmarkTokenJWTHTTP.
const httpParallelism = 8

// BenchmarkTokenJWTHTTP is bounded HTTP load over loopback: b.N logins from
// httpParallelism×GOMAXPROCS keep-alive clients against httptest.NewServer.
// Client and server share the machine's cores.
func BenchmarkTokenJWTHTTP(b *testing.B) {
	p := mustPool(b)
	emu := newEmulator(b, benchFixture(true, 1000), emulator.RealClock)
	srv := httptest.NewServer(emu)
	defer srv.Close()
	conns := httpParallelism * runtime.GOMAXPROCS(0)
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	endpoint := srv.URL + tokenPath
	var next atomic.Uint64
	b.SetParallelism(httpParallelism)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			resp, err := client.Post(endpoint, "application/x-www-form-urlencoded", strings.NewReader(p.bodies[i%poolSize]))
			if err != nil {
				b.Errorf("token request: %v", err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("token request: status %d", resp.StatusCode)
				return
			}
		}
	})
	reportRate(b, "logins/s")
}

// TestSessionsStayBoundedUnderSustainedLogins checks that sustained logins
// keep memory bounded: with session reuse one session serves every login;
// without it, expired sessions are freed as the clock moves; Login History
// never exceeds its limit. It asserts behaviour, not speed.
func TestSessionsStayBoundedUnderSustainedLogins(t *testing.T) {
	const (
		logins       = 20_000
		historyLimit = 1000
		batches      = 10
		batchSize    = logins / batches
		// Past the profile's 2h session timeout and the one-minute sweep interval.
		pastTimeout = 2*time.Hour + 2*time.Minute
	)
	p := mustPool(t)

	loginN := func(t *testing.T, emu *emulator.Emulator, n, offset int) {
		t.Helper()
		for i := range n {
			if code, body := login(emu, p.bodies[(offset+i)%poolSize]); code != http.StatusOK {
				t.Fatalf("login %d: status %d: %s", offset+i, code, body)
			}
		}
	}
	history := func(emu *emulator.Emulator) *org.LoginHistory {
		return emu.Store().Orgs()[0].LoginHistory()
	}

	t.Run("reuse_sessions", func(t *testing.T) {
		emu := newEmulator(t, benchFixture(true, historyLimit), emulator.VirtualClock)
		loginN(t, emu, logins, 0)
		if n := emu.Store().Sessions.Len(); n != 1 {
			t.Errorf("after %d logins of one user through one app with reuse_sessions: %d sessions held, want 1", logins, n)
		}
		if n := history(emu).Len(); n > historyLimit {
			t.Errorf("Login History holds %d rows, over login_history_limit %d", n, historyLimit)
		}
	})

	t.Run("no_reuse", func(t *testing.T) {
		emu := newEmulator(t, benchFixture(false, historyLimit), emulator.VirtualClock)
		for batch := range batches {
			if batch > 0 {
				if _, err := emu.Advance(context.Background(), wire.Advance{By: wire.Duration(pastTimeout)}); err != nil {
					t.Fatal(err)
				}
			}
			loginN(t, emu, batchSize, batch*batchSize)
			// The batch's first login swept the previous batch's expired sessions.
			if n := emu.Store().Sessions.Len(); n > batchSize {
				t.Fatalf("after batch %d (%d logins in all, reuse_sessions false): %d sessions held, want at most the %d of the last batch (expired ones freed)",
					batch, (batch+1)*batchSize, n, batchSize)
			}
			if n := history(emu).Len(); n > historyLimit {
				t.Fatalf("after batch %d: Login History holds %d rows, over login_history_limit %d", batch, n, historyLimit)
			}
		}
		if _, err := emu.Advance(context.Background(), wire.Advance{By: wire.Duration(pastTimeout)}); err != nil {
			t.Fatal(err)
		}
		loginN(t, emu, 1, 0)
		if n := emu.Store().Sessions.Len(); n != 1 {
			t.Errorf("after every earlier session timed out, one more login: %d sessions held, want 1", n)
		}
		if n := history(emu).Len(); n != historyLimit {
			t.Errorf("after %d logins: Login History holds %d rows, want exactly login_history_limit %d", logins+1, n, historyLimit)
		}
	})
}

// BenchmarkTokenAuthorizationCode is one code exchange at a time through the
// emulator's handler, in-process: the web-server flow's second half (the
// codes are issued outside the timer, as the approval page would).
func BenchmarkTokenAuthorizationCode(b *testing.B) {
	emu := newEmulator(b, oauthOrg(b), emulator.RealClock)
	st := emu.Store()
	u, app := st.User("owner@booking.example"), st.AppByConsumerKey("3MVG9bookingSaaS")
	const chunk = 10_000
	bodies := make([]string, 0, chunk)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(bodies) == 0 {
			b.StopTimer()
			for range min(chunk, b.N-i) {
				c := st.Grants.IssueCode(org.AuthCode{User: u, App: app, RedirectURI: "http://127.0.0.1/oauth/callback", Scopes: []string{"api"}, Issued: time.Now()})
				bodies = append(bodies, url.Values{"grant_type": {"authorization_code"}, "code": {c.Code}, "client_id": {"3MVG9bookingSaaS"},
					"client_secret": {"booking-secret"}, "redirect_uri": {"http://127.0.0.1/oauth/callback"}}.Encode())
			}
			b.StartTimer()
		}
		if code, body := login(emu, bodies[len(bodies)-1]); code != http.StatusOK {
			b.Fatalf("code exchange: status %d: %s", code, body)
		}
		bodies = bodies[:len(bodies)-1]
	}
	reportRate(b, "exchanges/s")
}

// BenchmarkTokenRefresh is one refresh-token request at a time, in-process.
func BenchmarkTokenRefresh(b *testing.B) {
	emu := newEmulator(b, oauthOrg(b), emulator.RealClock)
	st := emu.Store()
	rt := st.Grants.IssueRefresh(st.User("owner@booking.example"), st.AppByConsumerKey("3MVG9bookingSaaS"), []string{"api", "refresh_token"}, time.Now())
	body := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt.Token}, "client_id": {"3MVG9bookingSaaS"}, "client_secret": {"booking-secret"}}.Encode()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if code, resp := login(emu, body); code != http.StatusOK {
			b.Fatalf("refresh: status %d: %s", code, resp)
		}
	}
	reportRate(b, "refreshes/s")
}
