package oauth

import (
	"net/http"
	"strings"
	"time"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
)

type identityURLs struct {
	Enterprise   string `json:"enterprise"`
	Metadata     string `json:"metadata"`
	Partner      string `json:"partner"`
	REST         string `json:"rest"`
	SObjects     string `json:"sobjects"`
	Search       string `json:"search"`
	Query        string `json:"query"`
	Recent       string `json:"recent"`
	ToolingSOAP  string `json:"tooling_soap"`
	ToolingREST  string `json:"tooling_rest"`
	Profile      string `json:"profile"`
	Feeds        string `json:"feeds"`
	Groups       string `json:"groups"`
	Users        string `json:"users"`
	FeedItems    string `json:"feed_items"`
	FeedElements string `json:"feed_elements"`
	CustomDomain string `json:"custom_domain,omitempty"`
}

// urlsFor lists the user's API URLs with Salesforce's literal "{version}"
// placeholder, as the identity service returns them.
func urlsFor(base string, u *org.User) identityURLs {
	org15 := u.Org.ID.Short()
	data := base + "/services/data/v{version}/"
	return identityURLs{
		Enterprise:   base + "/services/Soap/c/{version}/" + org15,
		Metadata:     base + "/services/Soap/m/{version}/" + org15,
		Partner:      base + "/services/Soap/u/{version}/" + org15,
		REST:         data,
		SObjects:     data + "sobjects/",
		Search:       data + "search/",
		Query:        data + "query/",
		Recent:       data + "recent/",
		ToolingSOAP:  base + "/services/Soap/T/{version}/" + org15,
		ToolingREST:  data + "tooling/",
		Profile:      base + "/" + string(u.ID),
		Feeds:        data + "chatter/feeds",
		Groups:       data + "chatter/groups",
		Users:        data + "chatter/users",
		FeedItems:    data + "chatter/feed-items",
		FeedElements: data + "chatter/feed-elements",
		CustomDomain: base,
	}
}

func utcOffsetMillis(loc *time.Location, now time.Time) int {
	_, off := now.In(loc).Zone()
	return off * 1000
}

// identity serves the identity URL GET /id/{orgId}/{userId}. A token may
// only read its own user's identity.
func (s *Service) identity(c *gateway.Call) (gateway.Response, error) {
	sess := c.Session
	if sess == nil {
		return gateway.Response{}, errBadOAuthToken
	}
	orgID, err1 := org.ParseID(c.Var("org"))
	userID, err2 := org.ParseID(c.Var("user"))
	u := sess.User
	if err1 != nil || err2 != nil || orgID != u.Org.ID || userID != u.ID {
		return gateway.Response{}, errBadOAuthToken
	}
	base := c.BaseURL
	now := c.Now
	return gateway.JSON(http.StatusOK, struct {
		ID               string       `json:"id"`
		AssertedUser     bool         `json:"asserted_user"`
		UserID           org.ID       `json:"user_id"`
		OrganizationID   org.ID       `json:"organization_id"`
		Username         string       `json:"username"`
		NickName         string       `json:"nick_name"`
		DisplayName      string       `json:"display_name"`
		Email            string       `json:"email"`
		EmailVerified    bool         `json:"email_verified"`
		FirstName        string       `json:"first_name"`
		LastName         string       `json:"last_name"`
		Timezone         string       `json:"timezone"`
		URLs             identityURLs `json:"urls"`
		Active           bool         `json:"active"`
		UserType         string       `json:"user_type"`
		Language         string       `json:"language"`
		Locale           string       `json:"locale"`
		UTCOffset        int          `json:"utcOffset"`
		LastModifiedDate string       `json:"last_modified_date"`
		IsAppInstalled   bool         `json:"is_app_installed"`
	}{
		ID: gateway.IdentityURL(base, u), AssertedUser: true, UserID: u.ID, OrganizationID: u.Org.ID,
		Username: u.Username, NickName: nickname(u), DisplayName: u.Name(), Email: u.Email, EmailVerified: true,
		FirstName: u.FirstName, LastName: u.LastName, Timezone: u.Org.TimeZone.String(), URLs: urlsFor(base, u),
		Active: u.Active, UserType: "STANDARD", Language: "en_US", Locale: "en_US",
		UTCOffset: utcOffsetMillis(u.Org.TimeZone, now), LastModifiedDate: sess.Created.UTC().Format("2006-01-02T15:04:05.000+0000"),
		IsAppInstalled: true,
	})
}

// userInfo serves GET /services/oauth2/userinfo (OpenID Connect claims).
func (s *Service) userInfo(c *gateway.Call) (gateway.Response, error) {
	sess := c.Session
	if sess == nil {
		return gateway.Response{}, errBadOAuthToken
	}
	u := sess.User
	base := c.BaseURL
	now := c.Now
	return gateway.JSON(http.StatusOK, struct {
		Sub               string       `json:"sub"`
		UserID            org.ID       `json:"user_id"`
		OrganizationID    org.ID       `json:"organization_id"`
		PreferredUsername string       `json:"preferred_username"`
		Nickname          string       `json:"nickname"`
		Name              string       `json:"name"`
		Email             string       `json:"email"`
		EmailVerified     bool         `json:"email_verified"`
		GivenName         string       `json:"given_name"`
		FamilyName        string       `json:"family_name"`
		Zoneinfo          string       `json:"zoneinfo"`
		URLs              identityURLs `json:"urls"`
		Active            bool         `json:"active"`
		UserType          string       `json:"user_type"`
		Language          string       `json:"language"`
		Locale            string       `json:"locale"`
		UTCOffset         int          `json:"utcOffset"`
		UpdatedAt         string       `json:"updated_at"`
		IsAppInstalled    bool         `json:"is_app_installed"`
	}{
		Sub: gateway.IdentityURL(base, u), UserID: u.ID, OrganizationID: u.Org.ID, PreferredUsername: u.Username,
		Nickname: nickname(u), Name: u.Name(), Email: u.Email, EmailVerified: true, GivenName: u.FirstName,
		FamilyName: u.LastName, Zoneinfo: u.Org.TimeZone.String(), URLs: urlsFor(base, u), Active: u.Active,
		UserType: "STANDARD", Language: "en_US", Locale: "en_US", UTCOffset: utcOffsetMillis(u.Org.TimeZone, now),
		UpdatedAt: sess.Created.UTC().Format("2006-01-02T15:04:05Z"), IsAppInstalled: true,
	})
}

func nickname(u *org.User) string {
	name, _, _ := strings.Cut(u.Username, "@")
	return name
}

// revoke serves /services/oauth2/revoke: POST token=… (form) or a GET with
// ?token=. An access token ends its session; a refresh token is forgotten
// along with the access tokens it issued (REST API Developer Guide, "Revoke
// OAuth Tokens"). 200 with an empty body on success; 400 otherwise.
func (s *Service) revoke(c *gateway.Call) (gateway.Response, error) {
	unsupported := &tokenError{status: http.StatusBadRequest, code: "unsupported_token_type", description: "Token type not supported"}
	form, err := readForm(c)
	if err != nil {
		return gateway.Response{}, unsupported
	}
	token := form.Get("token")
	if token == "" {
		return gateway.Response{}, unsupported
	}
	if accessTokens, ok := s.store.Grants.RevokeRefresh(token); ok {
		for _, t := range accessTokens {
			s.store.Sessions.Revoke(t, "revoked with its refresh token at /services/oauth2/revoke")
		}
		return gateway.Response{Status: http.StatusOK}, nil
	}
	if !s.store.Sessions.Revoke(token, "revoked at /services/oauth2/revoke") {
		return gateway.Response{}, &tokenError{status: http.StatusBadRequest, code: "invalid_token", description: "Token was invalid"}
	}
	return gateway.Response{Status: http.StatusOK}, nil
}
