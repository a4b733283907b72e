package org

import "strings"

// The OAuth scopes an app can select (Salesforce Help, "OAuth Tokens and
// Scopes"), by the name a request's scope parameter uses.
var scopeNames = []string{
	"api", "chatter_api", "cdp_api", "custom_permissions", "eclair_api", "full", "id", "lightning",
	"openid", "pardot_api", "profile", "email", "address", "phone", "refresh_token", "offline_access",
	"visualforce", "web", "wave_api", "content", "sfap_api", "einstein_gpt_api",
}

// KnownScope reports whether s is an OAuth scope Salesforce offers.
func KnownScope(s string) bool {
	for _, n := range scopeNames {
		if n == s {
			return true
		}
	}
	return false
}

// ScopeNames lists the scopes KnownScope accepts.
func ScopeNames() []string { return append([]string(nil), scopeNames...) }

// GrantsRefreshToken reports whether scopes allow a refresh token:
// refresh_token or its synonym offline_access. ("full" does not include it.)
func GrantsRefreshToken(scopes []string) bool {
	for _, s := range scopes {
		if s == "refresh_token" || s == "offline_access" {
			return true
		}
	}
	return false
}

// HasScope reports whether scopes holds s.
func HasScope(scopes []string, s string) bool {
	for _, have := range scopes {
		if have == s {
			return true
		}
	}
	return false
}

// JoinScopes is scopes as a scope parameter or token response's scope.
func JoinScopes(scopes []string) string { return strings.Join(scopes, " ") }
