package gateway

import (
	"net/http"
	"strings"

	"github.com/sfemu/sfemu/emulator/org"
)

// BearerToken extracts the access token from "Authorization: Bearer <t>"
// (or "OAuth <t>", which Salesforce also takes), or "" when there is none.
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok {
		return ""
	}
	if strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "OAuth") {
		return strings.TrimSpace(token)
	}
	return ""
}

// RequestBaseURL derives a base URL from the request's Host.
func RequestBaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// IdentityURL is the user's identity URL: the "id" of a token response,
// the "identity" REST resource, the SOAP login result's userId link.
func IdentityURL(base string, u *org.User) string {
	return base + "/id/" + string(u.Org.ID) + "/" + string(u.ID)
}
