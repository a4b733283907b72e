package oauth

import (
	"time"

	"github.com/sfemu/sfemu/emulator/org"
)

// issued is what a grant hands out when every check has passed: the token
// response is built from it, the same way for every flow.
type issued struct {
	session *org.Session
	scopes  []string
	refresh *org.RefreshToken // issued with this response; nil: none
	// openID adds an id_token (the openid scope was granted); nonce goes in it.
	openID bool
	nonce  string
	// signed adds issued_at and signature (every flow but JWT bearer, where
	// it is a setting).
	signed bool
}

// grantHandler runs one grant type's checks, in Salesforce's order, and
// issues its tokens. It fills req.app and req.user as soon as it knows them,
// so a failure is recorded against them.
type grantHandler func(s *Service, req *tokenRequest, now time.Time) (*issued, *tokenError)

// grantHandlers is the token endpoint's table of grant types, one file each
// (the shape of navikt/mock-oauth2-server's grant handlers).
var grantHandlers = map[string]grantHandler{
	GrantJWTBearer:         (*Service).jwtBearer,
	GrantAuthorizationCode: (*Service).authorizationCode,
	GrantRefreshToken:      (*Service).refreshToken,
	GrantClientCredentials: (*Service).clientCredentials,
	GrantPassword:          (*Service).password,
}
