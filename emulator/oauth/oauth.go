// Package oauth serves Salesforce's OAuth 2.0 and OpenID Connect endpoints —
// /services/oauth2/authorize (a login page and an approval page), token,
// userinfo, revoke, introspect, /.well-known/openid-configuration, /id/keys —
// and the identity URL /id/{org}/{user}, with Salesforce's statuses and
// error bodies.
//
// Each grant type is one handler in its own file, chosen from a table
// (grants.go): JWT bearer, authorization code (with PKCE), refresh token,
// client credentials and username-password. Every check runs in
// Salesforce's order; every request leaves a journal entry with the precise
// reason for its answer and, when a user is known, a Login History row.
// Codes, refresh tokens and sessions live on the emulator's clock. Faults
// and the request journal are the gateway's, as on every surface.
package oauth

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/wire"
)

// Config configures a Service.
type Config struct {
	Store       *org.Store
	Logger      *slog.Logger
	JournalSize int
	// SigningKey signs id_tokens; nil: a key of the Service's own. The
	// emulator passes one key to every Service it builds, so a reset
	// does not change the published key set.
	SigningKey *SigningKey
}

// Service implements the OAuth endpoints over one org.Store.
type Service struct {
	cfg     Config
	store   *org.Store
	log     *slog.Logger
	journal *Journal
	rate    loginRate
	browser *browserLogins // who is logged in on the authorize page
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SigningKey == nil {
		cfg.SigningKey = NewSigningKey()
	}
	return &Service{cfg: cfg, store: cfg.Store, log: cfg.Logger, journal: newJournal(cfg.JournalSize), rate: loginRate{counts: map[org.ID]*rateWindow{}}, browser: newBrowserLogins()}
}

// Journal returns the token-attempt journal.
func (s *Service) Journal() *Journal { return s.journal }

// Prefixes where the OAuth surface is mounted.
const (
	Prefix         = "/services/oauth2"
	IdentityPrefix = "/id"
)

// Routes are the endpoints under Prefix. None needs a session to be
// reached: each answers a missing or bad one in its own way.
func (s *Service) Routes() []gateway.Route {
	all := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodOptions}
	return []gateway.Route{
		// Any method: a GET gets Salesforce's "must use HTTP POST".
		{Methods: all, Path: "/token", Handler: s.token, Public: true},
		{Methods: []string{http.MethodGet, http.MethodPost}, Path: "/userinfo", Handler: s.userInfo, Public: true},
		{Methods: []string{http.MethodGet, http.MethodPost}, Path: "/revoke", Handler: s.revoke, Public: true},
		{Methods: []string{http.MethodPost}, Path: "/introspect", Handler: s.introspect, Public: true},
		{Methods: []string{http.MethodGet, http.MethodPost}, Path: "/authorize", Handler: s.authorize, Public: true},
	}
}

// IdentityRoutes are the identity URL, under IdentityPrefix.
func (s *Service) IdentityRoutes() []gateway.Route {
	return []gateway.Route{
		{Methods: []string{http.MethodGet}, Path: "/keys", Handler: s.keys, Public: true},
		{Methods: []string{http.MethodGet, http.MethodPost}, Path: "/{org}/{user}", Handler: s.identity, Public: true},
	}
}

// Surface is OAuth's conventions for the gateway: errors as OAuth's error
// object; the identity URL's bad token as its plain-text 403.
func (s *Service) Surface() gateway.Surface { return surface{} }

type surface struct{}

func (surface) Name() string    { return wire.SurfaceOAuth }
func (surface) CountsAPI() bool { return false }

// Credentials is the access token of userinfo and the identity URL: the
// Authorization header, or the oauth_token parameter the identity URL takes.
func (surface) Credentials(c *gateway.Call) (string, error) {
	if t := gateway.BearerToken(c.Request); t != "" {
		return t, nil
	}
	return c.Request.URL.Query().Get("oauth_token"), nil
}

func (surface) Admit(c *gateway.Call) error {
	c.RelPath = c.Request.URL.Path
	if rel, ok := cutPrefix(c.Request.URL.Path, Prefix); ok {
		c.RelPath = rel
	}
	return nil
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return s, false
}

func (surface) NoSession(*gateway.Call) error { return errBadOAuthToken }

// NotFound: what Salesforce answers for an unknown OAuth path is UNKNOWN;
// sfemu answers as for any unknown resource (REST's NOT_FOUND array).
func (surface) NotFound(*gateway.Call) error { return errNoSuchEndpoint }

func (surface) MethodNotAllowed(*gateway.Call, []string) error { return errNoSuchEndpoint }

func (surface) FaultError(_ *gateway.Call, f wire.Fault) error {
	return &tokenError{status: f.Status, code: f.ErrorCode, description: f.Message, reason: "injected fault"}
}

func (surface) Encode(_ *gateway.Call, err error) gateway.Response {
	var te *tokenError
	switch {
	case errors.As(err, &te):
		return oauthError(te.status, te.code, te.description)
	case errors.Is(err, errBadOAuthToken):
		// Salesforce's answer to an identity request with a bad token.
		return gateway.Bytes(http.StatusForbidden, "text/plain;charset=UTF-8", []byte("Bad_OAuth_Token"))
	case errors.Is(err, errNoSuchEndpoint):
		return gateway.Bytes(http.StatusNotFound, gateway.JSONContentType,
			[]byte(`[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]`))
	}
	return oauthError(http.StatusInternalServerError, "server_error", err.Error())
}

type oauthSentinel string

func (e oauthSentinel) Error() string     { return string(e) }
func (e oauthSentinel) ErrorCode() string { return string(e) }

const (
	errBadOAuthToken  oauthSentinel = "Bad_OAuth_Token"
	errNoSuchEndpoint oauthSentinel = "NOT_FOUND"
)
