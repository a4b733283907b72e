// Package control is a typed client of sfemu's control API (/_sfemu/…,
// docs/CONTROL.md). Client implements wire.Control over HTTP, the same
// interface the emulator implements in-process, so the CLI, the container
// module and the harness drive a running sfemu — a container, a CI service,
// `sfemu serve` in another terminal — exactly as they drive one of their own.
package control

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sfemu/sfemu/wire"
)

// Client calls one emulator's control API.
type Client struct {
	// BaseURL is the emulator's base URL, e.g. http://127.0.0.1:8085.
	BaseURL string
	HTTP    *http.Client
	// Token is the emulator's control token (`sfemu serve --control-token`,
	// $SFEMU_CONTROL_TOKEN), sent as Authorization: Bearer on every call;
	// empty: none, as an sfemu on loopback without one expects.
	Token string
}

var _ wire.Control = (*Client)(nil)

// New returns a client for the emulator at baseURL.
func New(baseURL string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Timeout: 60 * time.Second}}
}

// WithToken returns a client for the emulator at baseURL that sends its
// control token; "" is New.
func WithToken(baseURL, token string) *Client {
	c := New(baseURL)
	c.Token = token
	return c
}

// maxAnswer bounds a control answer read into memory.
const maxAnswer = 64 << 20

// Error is the emulator's answer to a control call it refused.
type Error = wire.Error

// Do sends method path (relative to /_sfemu) with in as a JSON body (nil:
// none) and decodes a JSON answer into out (nil: ignored). An answer of 400
// or more is a *wire.Error carrying the emulator's own message.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	data, err := c.raw(ctx, method, path, in)
	if err != nil {
		return err
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return nil
}

// raw sends a call and returns the answer's body.
func (c *Client) raw(ctx context.Context, method, path string, in any) ([]byte, error) {
	data, _, err := c.rawHeader(ctx, method, path, in)
	return data, err
}

// rawHeader is raw with the answer's headers.
func (c *Client) rawHeader(ctx context.Context, method, path string, in any) ([]byte, http.Header, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+"/_sfemu"+path, body)
	if err != nil {
		return nil, nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	httpClient := c.HTTP
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot reach the emulator at %s: %w", c.BaseURL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		e := &wire.Error{}
		if json.Unmarshal(data, e) == nil && e.Message != "" {
			e.Status = resp.StatusCode
			return nil, nil, e
		}
		return nil, nil, &wire.Error{Status: resp.StatusCode, Message: fmt.Sprintf("%s %s: %s", method, path, strings.TrimSpace(string(data)))}
	}
	return data, resp.Header, nil
}

// call is Do with a typed answer.
func call[T any](ctx context.Context, c *Client, method, path string, in any) (T, error) {
	var out T
	err := c.Do(ctx, method, path, in, &out)
	return out, err
}

func esc(s string) string { return url.PathEscape(s) }

// idSegment is a Salesforce ID as a path segment. An empty ID or one with
// a slash cannot be one (the router would clean or split the path and
// answer 404 for the wrong reason), so it is refused here with the 400 the
// emulator gives a malformed ID in-process.
func idSegment(what, id string) (string, error) {
	if id == "" || strings.ContainsRune(id, '/') {
		return "", wire.BadRequest("%q is not a %s ID", id, what)
	}
	return esc(id), nil
}

// Health is GET /health.
func (c *Client) Health(ctx context.Context) (wire.Health, error) {
	return call[wire.Health](ctx, c, http.MethodGet, "/health", nil)
}

// Reset is POST /reset.
func (c *Client) Reset(ctx context.Context) (wire.Health, error) {
	return call[wire.Health](ctx, c, http.MethodPost, "/reset", nil)
}

// LoadOrgs is PUT /orgs.
func (c *Client) LoadOrgs(ctx context.Context, req wire.LoadOrgs) ([]wire.Org, error) {
	return call[[]wire.Org](ctx, c, http.MethodPut, "/orgs", req)
}

// Orgs is GET /orgs.
func (c *Client) Orgs(ctx context.Context) ([]wire.Org, error) {
	return call[[]wire.Org](ctx, c, http.MethodGet, "/orgs", nil)
}

// Users is GET /orgs/{org}/users.
func (c *Client) Users(ctx context.Context, org string) ([]wire.User, error) {
	return call[[]wire.User](ctx, c, http.MethodGet, "/orgs/"+esc(org)+"/users", nil)
}

// Profiles is GET /orgs/{org}/profiles.
func (c *Client) Profiles(ctx context.Context, org string) ([]wire.Profile, error) {
	return call[[]wire.Profile](ctx, c, http.MethodGet, "/orgs/"+esc(org)+"/profiles", nil)
}

// Apps is GET /apps.
func (c *Client) Apps(ctx context.Context) ([]wire.App, error) {
	return call[[]wire.App](ctx, c, http.MethodGet, "/apps", nil)
}

// LoginHistory is every page of GET /orgs/{org}/login-history.
func (c *Client) LoginHistory(ctx context.Context, org string) ([]wire.LoginEvent, error) {
	return everyPage[wire.LoginEvent](ctx, c, "/orgs/"+esc(org)+"/login-history")
}

// Events is GET /orgs/{org}/events.
func (c *Client) Events(ctx context.Context, org string) ([]wire.PlatformEvent, error) {
	return call[[]wire.PlatformEvent](ctx, c, http.MethodGet, "/orgs/"+esc(org)+"/events", nil)
}

// SetClientIP is PUT (or, for "", DELETE) /orgs/{org}/client-ip.
func (c *Client) SetClientIP(ctx context.Context, org, ip string) error {
	if ip == "" {
		return c.Do(ctx, http.MethodDelete, "/orgs/"+esc(org)+"/client-ip", nil, nil)
	}
	return c.Do(ctx, http.MethodPut, "/orgs/"+esc(org)+"/client-ip", wire.ClientIP{IP: ip}, nil)
}

// Sessions is every page of GET /sessions: each token by its prefix and
// length.
func (c *Client) Sessions(ctx context.Context) ([]wire.Session, error) {
	return everyPage[wire.Session](ctx, c, "/sessions")
}

// RevealedSessions is every page of GET /sessions?reveal=true: the tokens
// in full, for a client with the control token (or over loopback to an
// sfemu without one).
func (c *Client) RevealedSessions(ctx context.Context) ([]wire.Session, error) {
	return everyPage[wire.Session](ctx, c, "/sessions?reveal=true")
}

// ExpireSessions is POST /sessions/expire.
func (c *Client) ExpireSessions(ctx context.Context, username string) (int, error) {
	out, err := call[wire.Expired](ctx, c, http.MethodPost, "/sessions/expire", wire.ExpireSessions{Username: username})
	return out.Expired, err
}

// TokenRequests is every page of GET /token-requests.
func (c *Client) TokenRequests(ctx context.Context) ([]wire.TokenRequest, error) {
	return everyPage[wire.TokenRequest](ctx, c, "/token-requests")
}

// APIRequests is every page of GET /requests.
func (c *Client) APIRequests(ctx context.Context) ([]wire.APIRequest, error) {
	return everyPage[wire.APIRequest](ctx, c, "/requests")
}

// APIRequest is GET /requests/{id}.
func (c *Client) APIRequest(ctx context.Context, id int64) (wire.APIExchange, error) {
	return call[wire.APIExchange](ctx, c, http.MethodGet, "/requests/"+strconv.FormatInt(id, 10), nil)
}

// Faults is GET /faults.
func (c *Client) Faults(ctx context.Context) ([]wire.Fault, error) {
	return call[[]wire.Fault](ctx, c, http.MethodGet, "/faults", nil)
}

// AddFault is POST /faults.
func (c *Client) AddFault(ctx context.Context, f wire.Fault) (wire.Fault, error) {
	return call[wire.Fault](ctx, c, http.MethodPost, "/faults", f)
}

// ClearFaults is DELETE /faults (id 0) or /faults/{id}.
func (c *Client) ClearFaults(ctx context.Context, id int) error {
	path := "/faults"
	if id != 0 {
		path += "/" + strconv.Itoa(id)
	}
	return c.Do(ctx, http.MethodDelete, path, nil, nil)
}

// Clock is GET /clock.
func (c *Client) Clock(ctx context.Context) (wire.Clock, error) {
	return call[wire.Clock](ctx, c, http.MethodGet, "/clock", nil)
}

// Advance is POST /clock/advance.
func (c *Client) Advance(ctx context.Context, a wire.Advance) (wire.Clock, error) {
	return call[wire.Clock](ctx, c, http.MethodPost, "/clock/advance", a)
}

// CreateRecord is POST /orgs/{org}/records.
func (c *Client) CreateRecord(ctx context.Context, org string, req wire.CreateRecord) (wire.Record, error) {
	return call[wire.Record](ctx, c, http.MethodPost, "/orgs/"+esc(org)+"/records", req)
}

// UpdateRecord is PATCH /orgs/{org}/records/{id}.
func (c *Client) UpdateRecord(ctx context.Context, org, id string, req wire.UpdateRecord) (wire.Record, error) {
	seg, err := idSegment("record", id)
	if err != nil {
		return wire.Record{}, err
	}
	return call[wire.Record](ctx, c, http.MethodPatch, "/orgs/"+esc(org)+"/records/"+seg, req)
}

// Query is GET /orgs/{org}/query?q=.
func (c *Client) Query(ctx context.Context, org, soql string) (wire.Rows, error) {
	return call[wire.Rows](ctx, c, http.MethodGet, "/orgs/"+esc(org)+"/query?q="+url.QueryEscape(soql), nil)
}

// QueryPage is GET /orgs/{org}/query?q=&offset=&limit=.
func (c *Client) QueryPage(ctx context.Context, org string, q wire.QueryPage) (wire.Rows, error) {
	return call[wire.Rows](ctx, c, http.MethodGet, fmt.Sprintf("/orgs/%s/query?q=%s&offset=%d&limit=%d",
		esc(org), url.QueryEscape(q.Query), q.Offset, q.Limit), nil)
}

// OutboundMessages is GET /outbound/messages.
func (c *Client) OutboundMessages(ctx context.Context) ([]wire.OutboundMessage, error) {
	return call[[]wire.OutboundMessage](ctx, c, http.MethodGet, "/outbound/messages", nil)
}

// SendOutbound is POST /outbound/{message}/send.
func (c *Client) SendOutbound(ctx context.Context, message string, req wire.Send) (wire.Sent, error) {
	return call[wire.Sent](ctx, c, http.MethodPost, "/outbound/"+esc(message)+"/send", req)
}

// Queue is every page of GET /outbound/queue[?all=true].
func (c *Client) Queue(ctx context.Context, all bool) ([]wire.QueueEntry, error) {
	return everyPage[wire.QueueEntry](ctx, c, queuePath(all))
}

// RetryNow is POST /outbound/queue/{id}/retry.
func (c *Client) RetryNow(ctx context.Context, notification string) error {
	seg, err := idSegment("notification", notification)
	if err != nil {
		return err
	}
	return c.Do(ctx, http.MethodPost, "/outbound/queue/"+seg+"/retry", nil, nil)
}

// DeleteQueued is DELETE /outbound/queue/{id}.
func (c *Client) DeleteQueued(ctx context.Context, notification string) error {
	seg, err := idSegment("notification", notification)
	if err != nil {
		return err
	}
	return c.Do(ctx, http.MethodDelete, "/outbound/queue/"+seg, nil, nil)
}

// Deliveries is every page of GET /outbound/deliveries.
func (c *Client) Deliveries(ctx context.Context) ([]wire.Delivery, error) {
	return everyPage[wire.Delivery](ctx, c, "/outbound/deliveries")
}

// OutboundFaults is GET /outbound/faults.
func (c *Client) OutboundFaults(ctx context.Context) (wire.OutboundFaults, error) {
	return call[wire.OutboundFaults](ctx, c, http.MethodGet, "/outbound/faults", nil)
}

// SetOutboundFaults is PUT /outbound/faults (DELETE for the zero value).
func (c *Client) SetOutboundFaults(ctx context.Context, f wire.OutboundFaults) (wire.OutboundFaults, error) {
	if f == (wire.OutboundFaults{}) {
		return f, c.Do(ctx, http.MethodDelete, "/outbound/faults", nil, nil)
	}
	return call[wire.OutboundFaults](ctx, c, http.MethodPut, "/outbound/faults", f)
}

// Idle is POST /outbound/idle.
func (c *Client) Idle(ctx context.Context) error {
	return c.Do(ctx, http.MethodPost, "/outbound/idle", nil, nil)
}

// OutboundWSDL is GET /outbound/{message}/wsdl[?org=].
func (c *Client) OutboundWSDL(ctx context.Context, message, org string) ([]byte, error) {
	path := "/outbound/" + esc(message) + "/wsdl"
	if org != "" {
		path += "?org=" + url.QueryEscape(org)
	}
	return c.raw(ctx, http.MethodGet, path, nil)
}

// ClientCertificate is GET /outbound/client-certificate.
func (c *Client) ClientCertificate(ctx context.Context) ([]byte, error) {
	return c.raw(ctx, http.MethodGet, "/outbound/client-certificate", nil)
}

// TLSCA is GET /tls/ca.pem: the CA to trust for the emulator's https
// listener. Fetch it over http (a side-by-side listener) or with a client
// that does not verify yet, once.
func (c *Client) TLSCA(ctx context.Context) ([]byte, error) {
	return c.raw(ctx, http.MethodGet, "/tls/ca.pem", nil)
}
