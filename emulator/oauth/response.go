package oauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
)

// tokenResponse is the success body, fields in Salesforce's order (REST
// API Developer Guide, "OAuth 2.0 Web Server Flow for Web App Integration").
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Signature    string `json:"signature,omitempty"`
	Scope        string `json:"scope"`
	IDToken      string `json:"id_token,omitempty"`
	InstanceURL  string `json:"instance_url"`
	ID           string `json:"id"`
	TokenType    string `json:"token_type"`
	IssuedAt     string `json:"issued_at,omitempty"`
}

// respond turns what a grant issued into the token response body.
func (s *Service) respond(req *tokenRequest, out *issued, now time.Time) []byte {
	resp := s.tokenFields(req.base, out, now)
	body, _ := json.Marshal(resp) // strings only: cannot fail
	return body
}

func (s *Service) tokenFields(base string, out *issued, now time.Time) tokenResponse {
	sess := out.session
	resp := tokenResponse{
		AccessToken: sess.Token,
		Scope:       org.JoinScopes(out.scopes),
		InstanceURL: base,
		ID:          gateway.IdentityURL(base, sess.User),
		TokenType:   "Bearer",
	}
	if out.refresh != nil {
		resp.RefreshToken = out.refresh.Token
	}
	if out.signed {
		resp.IssuedAt = strconv.FormatInt(now.UnixMilli(), 10)
		resp.Signature = signature(sess.App, resp.ID, resp.IssuedAt)
	}
	if out.openID {
		resp.IDToken = s.idToken(base, sess, out.nonce, now)
	}
	return resp
}

// signature is Base64 of HMAC-SHA256 over id + issued_at keyed with the
// app's consumer secret: clients verify it to know the response came from
// Salesforce unchanged.
func signature(app *org.App, id, issuedAt string) string {
	secret := ""
	if app != nil {
		secret = app.ConsumerSecret
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(id + issuedAt))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
