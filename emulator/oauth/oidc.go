package oauth

import (
	"net/http"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
)

// WellKnownPrefix is where OpenID Connect discovery is mounted.
const WellKnownPrefix = "/.well-known"

// WellKnownRoutes are the discovery document, under WellKnownPrefix.
func (s *Service) WellKnownRoutes() []gateway.Route {
	return []gateway.Route{{Methods: []string{http.MethodGet}, Path: "/openid-configuration", Handler: s.discovery, Public: true}}
}

// discovery serves /.well-known/openid-configuration (OpenID Connect
// Discovery 1.0) with the endpoints as the client reached sfemu.
func (s *Service) discovery(c *gateway.Call) (gateway.Response, error) {
	base := trimSlash(c.BaseURL)
	return gateway.JSON(http.StatusOK, struct {
		Issuer                string   `json:"issuer"`
		AuthorizationEndpoint string   `json:"authorization_endpoint"`
		TokenEndpoint         string   `json:"token_endpoint"`
		RevocationEndpoint    string   `json:"revocation_endpoint"`
		UserinfoEndpoint      string   `json:"userinfo_endpoint"`
		JWKSURI               string   `json:"jwks_uri"`
		IntrospectionEndpoint string   `json:"introspection_endpoint"`
		ScopesSupported       []string `json:"scopes_supported"`
		ResponseTypes         []string `json:"response_types_supported"`
		SubjectTypes          []string `json:"subject_types_supported"`
		SigningAlgs           []string `json:"id_token_signing_alg_values_supported"`
		DisplayValues         []string `json:"display_values_supported"`
		AuthMethods           []string `json:"token_endpoint_auth_methods_supported"`
		ClaimsSupported       []string `json:"claims_supported"`
		CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
	}{
		Issuer:                base,
		AuthorizationEndpoint: base + Prefix + "/authorize",
		TokenEndpoint:         base + Prefix + "/token",
		RevocationEndpoint:    base + Prefix + "/revoke",
		UserinfoEndpoint:      base + Prefix + "/userinfo",
		JWKSURI:               base + IdentityPrefix + "/keys",
		IntrospectionEndpoint: base + Prefix + "/introspect",
		ScopesSupported:       []string{"id", "api", "web", "full", "chatter_api", "visualforce", "refresh_token", "openid", "profile", "email", "address", "phone", "offline_access", "custom_permissions", "wave_api", "eclair_api"},
		ResponseTypes:         []string{"code", "token", "token id_token"},
		SubjectTypes:          []string{"public"},
		SigningAlgs:           []string{"RS256"},
		DisplayValues:         []string{"page", "popup", "touch"},
		AuthMethods:           []string{"client_secret_post", "client_secret_basic", "private_key_jwt"},
		ClaimsSupported:       []string{"active", "address", "email", "email_verified", "family_name", "given_name", "is_app_installed", "language", "locale", "name", "nickname", "organization_id", "phone_number", "photos", "picture", "preferred_username", "profile", "sub", "updated_at", "urls", "user_id", "user_type", "zoneinfo"},
		CodeChallengeMethods:  []string{"S256", "plain"},
	})
}

// keys serves /id/keys: the JWKS an id_token verifies against.
func (s *Service) keys(c *gateway.Call) (gateway.Response, error) {
	pub, kid, err := s.cfg.SigningKey.Public()
	if err != nil {
		return gateway.Response{}, err
	}
	return gateway.JSON(http.StatusOK, struct {
		Keys []jwk `json:"keys"`
	}{[]jwk{publicJWK(pub, kid)}})
}

// introspect serves POST /services/oauth2/introspect (RFC 7662): the
// client authenticates with its key and secret; any token, access or
// refresh, is described when live and is {"active":false} otherwise.
func (s *Service) introspect(c *gateway.Call) (gateway.Response, error) {
	req := &tokenRequest{r: c.Request, peer: c.PeerAddr(), base: c.BaseURL}
	form, terr := readTokenForm(c)
	if terr != nil {
		return gateway.Response{}, terr
	}
	req.r.Form = form
	if _, terr := s.authenticateClient(req, always); terr != nil {
		terr.status = http.StatusUnauthorized
		return gateway.Response{}, terr
	}
	token := form.Get("token")
	if token == "" {
		return gateway.Response{}, &tokenError{status: http.StatusBadRequest, code: "invalid_request", description: "missing token parameter"}
	}
	type active struct {
		Active    bool   `json:"active"`
		Scope     string `json:"scope,omitempty"`
		ClientID  string `json:"client_id,omitempty"`
		Username  string `json:"username,omitempty"`
		Sub       string `json:"sub,omitempty"`
		TokenType string `json:"token_type,omitempty"`
		Exp       int64  `json:"exp,omitempty"`
		Iat       int64  `json:"iat,omitempty"`
		Nbf       int64  `json:"nbf,omitempty"`
	}
	if sess := s.store.Sessions.Peek(token); sess != nil {
		scopes := []string(nil)
		if sess.App != nil {
			scopes = sess.App.Scopes
		}
		return gateway.JSON(http.StatusOK, active{Active: true, Scope: org.JoinScopes(scopes), ClientID: appKey(sess.App), Username: sess.User.Username,
			Sub: gateway.IdentityURL(c.BaseURL, sess.User), TokenType: "access_token", Exp: sess.ExpiresAt().Unix(), Iat: sess.Created.Unix(), Nbf: sess.Created.Unix()})
	}
	if rt := s.store.Grants.Refresh(token); rt != nil {
		if in := s.store.Installation(rt.User.Org, rt.App); in != nil {
			if gone, _ := in.Policy.RefreshTokens.Expired(rt.Issued, rt.LastUsed, c.Now); !gone {
				return gateway.JSON(http.StatusOK, active{Active: true, Scope: org.JoinScopes(rt.Scopes), ClientID: rt.App.ConsumerKey, Username: rt.User.Username,
					Sub: gateway.IdentityURL(c.BaseURL, rt.User), TokenType: "refresh_token", Iat: rt.Issued.Unix(), Nbf: rt.Issued.Unix()})
			}
		}
	}
	return gateway.JSON(http.StatusOK, active{Active: false})
}
