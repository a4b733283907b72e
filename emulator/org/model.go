// Package org is the emulator's model of Salesforce orgs as Setup shows them:
// orgs, profiles, permission sets, users, connected apps and External Client
// Apps with their policies and certificates, plus the runtime state that
// belongs to an org — API sessions and Login History.
//
// It loads and validates org fixture YAML (errors name file:line) and answers
// questions other packages ask ("which app has this consumer key?", "is this
// session still valid?"). It does not speak HTTP: the oauth and rest packages
// turn its answers into Salesforce's wire format.
package org

import (
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Type is the kind of org, which decides the JWT audience it accepts.
type Type string

// Org types. Production and developer orgs log in at login.salesforce.com,
// sandboxes and scratch orgs at test.salesforce.com.
const (
	Production Type = "production"
	Developer  Type = "developer"
	Sandbox    Type = "sandbox"
	Scratch    Type = "scratch"
)

// LoginAudience is the login host URL a JWT's aud claim names for this type.
func (t Type) LoginAudience() string {
	if t == Sandbox || t == Scratch {
		return "https://test.salesforce.com"
	}
	return "https://login.salesforce.com"
}

// SessionIDEra says whether outbound messages may carry a session ID: before
// the February 2026 security update (legacy) or after it (removed).
type SessionIDEra string

// Session-ID eras (KB 005232763).
const (
	SessionIDLegacy  SessionIDEra = "legacy"
	SessionIDRemoved SessionIDEra = "removed"
)

// DefaultSessionTimeout is the org-wide session timeout when neither the app
// policy nor the user's profile sets one.
const DefaultSessionTimeout = 2 * time.Hour

// Org is one Salesforce org.
type Org struct {
	ID                ID
	Name              string
	Type              Type
	MyDomain          string // "acme" for https://acme.my.salesforce.com; empty if none
	SandboxName       string // for sandboxes: https://<my_domain>--<sandbox>.sandbox.my.salesforce.com
	TimeZone          *time.Location
	OutboundSessionID SessionIDEra
	// Release is the Salesforce release the org runs; the dated changes in
	// effect follow from it (Changes).
	Release        Release
	SessionTimeout time.Duration
	// TrustedIPRanges are Setup → Network Access ranges. They spare UI users
	// identity verification but never let an API login past the profile's
	// Login IP Ranges, so the token endpoint does not consult them.
	TrustedIPRanges []IPRange
	// ExtraAudiences are further aud values accepted, e.g. an Experience Cloud site URL.
	ExtraAudiences []string
	// Edition is the org's edition; APIAccess whether its users may call
	// the APIs at all: the edition's default, or the fixture's api_access
	// (Professional Edition with the API add-on).
	Edition   Edition
	APIAccess bool
	Settings  Settings

	Profiles       map[string]*Profile       // by lower-cased name
	PermissionSets map[string]*PermissionSet // by lower-cased name
	Users          []*User
	// Installations maps consumer key → the app's installation and policy in this org.
	Installations map[string]*Installation

	// Source is the fixture file the org came from, for messages.
	Source string

	// Schema is the org's objects and fields; Data its records.
	Schema *Schema
	Data   *Data
	// OutboundMessages are the org's outbound message definitions.
	OutboundMessages []*OutboundMessage
	// LeadAssignmentRules are Setup → Lead Assignment Rules (at most one active).
	LeadAssignmentRules []*LeadAssignmentRule

	loginHistory *LoginHistory
	eventBus     *EventBus
}

// MyDomainURL is the org's My Domain login URL, or "" when it has none.
func (o *Org) MyDomainURL() string {
	if o.MyDomain == "" {
		return ""
	}
	if o.Type == Sandbox && o.SandboxName != "" {
		return "https://" + o.MyDomain + "--" + o.SandboxName + ".sandbox.my.salesforce.com"
	}
	if o.Type == Scratch {
		return "https://" + o.MyDomain + ".scratch.my.salesforce.com"
	}
	return "https://" + o.MyDomain + ".my.salesforce.com"
}

func (o *Org) userByID(id ID) *User {
	for _, u := range o.Users {
		if u.ID == id {
			return u
		}
	}
	return nil
}

// LoginHistory returns the org's Login History.
func (o *Org) LoginHistory() *LoginHistory { return o.loginHistory }

// Profile returns the profile with this name (case-insensitive), or nil.
func (o *Org) Profile(name string) *Profile { return o.Profiles[strings.ToLower(name)] }

// PermissionSet returns the permission set with this name (case-insensitive), or nil.
func (o *Org) PermissionSet(name string) *PermissionSet {
	return o.PermissionSets[strings.ToLower(name)]
}

// Settings are the behaviours Salesforce leaves unknown, or that differ
// between orgs of different ages. Every one is named in the fixture's
// `settings:` section and documented in docs/FIXTURES.md with its default.
type Settings struct {
	// StrictCertificateExpiry rejects JWTs signed for an app whose certificate
	// has expired. Salesforce accepts them ("by design"), so the default is false.
	StrictCertificateExpiry bool
	// LegacyApprovalError answers a user who is not admin-approved with
	// invalid_grant / "user hasn't approved this consumer", as older orgs do,
	// instead of invalid_app_access.
	LegacyApprovalError bool
	// IPRestrictedText is the error_description for a login from outside the
	// profile's Login IP Ranges (and outside its login hours).
	IPRestrictedText string
	// UnknownUserText, InactiveUserText and FrozenUserText are the
	// error_description for those users. Salesforce's texts are UNKNOWN.
	UnknownUserText  string
	InactiveUserText string
	FrozenUserText   string
	// RateLimitText is the error_description of rate_limit_exceeded (UNKNOWN).
	RateLimitText string
	// TokenResponseSignature adds issued_at and signature to a JWT bearer
	// token response, as the web-server flow has. UNKNOWN for JWT; off.
	TokenResponseSignature bool
	// ReuseSessions returns the session already open for the same user and
	// app instead of opening a new one. UNKNOWN; on, as widely reported.
	ReuseSessions bool
	// LoginRateLimitPerHour caps logins per user per hour (0: no cap).
	LoginRateLimitPerHour int
	// LoginHistoryLimit caps the Login History rows kept for the org.
	LoginHistoryLimit int
	// AssertionClockSkew is how far past exp an assertion is still taken (UNKNOWN; 0).
	AssertionClockSkew time.Duration
	// MaxAssertionLifetime rejects an exp further ahead than this (0: no limit).
	// Salesforce's docs ask for "within 3 minutes" but do not say it is enforced.
	MaxAssertionLifetime time.Duration
	// IntFractions is what an int field does with 12.5 (UNKNOWN; reject).
	IntFractions IntFractions
	// ClientIP, when valid, is the apparent source IP of every request made
	// for this org's users, e.g. a vendor's fixed egress IP.
	ClientIP netip.Addr

	// APIRetiredBelow: API versions below it are retired (REST 410, SOAP 500
	// UNSUPPORTED_API_VERSION). APIDeprecatedBelow: versions below it are
	// still served, with a Warning header. Both follow the org's release.
	APIRetiredBelow, APIDeprecatedBelow float64
	// APIRetiredText is the message of a retired version's answer, with
	// {version} and {oldest}; APIDeprecatedWarning the Warning header of a
	// deprecated version's answers. Salesforce's texts are UNKNOWN.
	APIRetiredText, APIDeprecatedWarning string
	// SOAPLogin is whether SOAP login() works: enabled, disabled (new orgs
	// since the retirement was announced) or retired (Summer '27).
	// SOAPLoginMaxVersion, when set, is the last version login() works in
	// (64.0 since Winter '26).
	SOAPLogin           string
	SOAPLoginMaxVersion float64
	// SOAPLoginFaultCode and the three texts are the fault a blocked login()
	// answers with: disabled in the org, unavailable in the version asked
	// ({version}), retired. Salesforce's code and texts are UNKNOWN.
	SOAPLoginFaultCode                                                    string
	SOAPLoginDisabledText, SOAPLoginUnavailableText, SOAPLoginRetiredText string
	// SOAPInvalidSessionText is the SOAP API's INVALID_SESSION_ID message.
	// The widely quoted text is the default; newer orgs append "Session not
	// found, missing session hash: …" and a hint.
	SOAPInvalidSessionText string

	// APIDisabledRESTText is the REST (and Bulk) API's API_DISABLED_FOR_ORG
	// message, for an org without API access and for a user without "API
	// Enabled" alike. APIDisabledSOAPOrgText is the SOAP API's
	// API_DISABLED_FOR_ORG message, APIDisabledSOAPUserText its
	// API_CURRENTLY_DISABLED message for a user without API Enabled.
	APIDisabledRESTText, APIDisabledSOAPOrgText, APIDisabledSOAPUserText string
	// SOAPLoginChecksAPI makes login() refuse a user who may not call the
	// API, with the SOAP fault calls get. Off: login() succeeds and every
	// call after it fails (UNKNOWN which Salesforce does).
	SOAPLoginChecksAPI bool

	// UsernamePasswordFlow is Setup → OAuth and OpenID Connect Settings →
	// "Allow OAuth Username-Password Flows". Off by default: orgs created
	// since Summer '23 block the flow.
	UsernamePasswordFlow bool
	// TokenEndpointAudience accepts the token endpoint's own URL
	// (https://login.salesforce.com/services/oauth2/token) as a JWT's aud, as
	// one widely used CLI sends it. UNKNOWN whether Salesforce does; on.
	TokenEndpointAudience bool
	// EmulatorHost is which Salesforce host a request to the emulator's own
	// address (127.0.0.1, localhost, a container name) stands for: the org's
	// My Domain (default) or the shared login host. Requests whose Host
	// header names a Salesforce host are taken at their word (see
	// docs/OAUTH.md, "Hosts").
	EmulatorHost EmulatorHost
}

// EmulatorHost is a Salesforce host kind the emulator's own address can stand for.
type EmulatorHost string

// Host kinds.
const (
	EmulatorHostMyDomain EmulatorHost = "my_domain"
	EmulatorHostLogin    EmulatorHost = "login"
)

// DefaultSettings are the settings an org gets when its fixture says nothing.
func DefaultSettings() Settings {
	return Settings{
		IPRestrictedText:         "ip restricted",
		UnknownUserText:          "user hasn't approved this consumer",
		InactiveUserText:         "inactive user",
		FrozenUserText:           "inactive user",
		RateLimitText:            "rate limit exceeded",
		ReuseSessions:            true,
		LoginRateLimitPerHour:    3600,
		LoginHistoryLimit:        20000,
		APIRetiredBelow:          31,
		APIRetiredText:           "API version {version} is retired and no longer available: use API version {oldest} or later",
		APIDeprecatedWarning:     `299 - "API version {version} is deprecated and will be retired: upgrade to a supported API version"`,
		SOAPLogin:                SOAPLoginEnabled,
		SOAPLoginFaultCode:       "INVALID_OPERATION",
		SOAPLoginDisabledText:    "SOAP API login() is disabled in this org: log in with OAuth instead (an administrator can enable login() in Setup)",
		SOAPLoginUnavailableText: "SOAP API login() is not available in API version {version}: log in with OAuth instead",
		SOAPLoginRetiredText:     "SOAP API login() has been retired: log in with OAuth instead",
		SOAPInvalidSessionText:   "Invalid Session ID found in SessionHeader: Illegal Session",
		APIDisabledRESTText:      "The REST API is not enabled for this Organization.",
		APIDisabledSOAPOrgText:   "API is not enabled for this Organization or Partner",
		APIDisabledSOAPUserText:  "API is disabled for this User",
		TokenEndpointAudience:    true,
		EmulatorHost:             EmulatorHostMyDomain,
		IntFractions:             IntFractionsReject,
	}
}

// IPRange is an inclusive range of addresses of one family.
type IPRange struct {
	Start, End netip.Addr
}

// Contains reports whether a is inside the range.
func (r IPRange) Contains(a netip.Addr) bool {
	a = a.Unmap()
	return a.BitLen() == r.Start.BitLen() && r.Start.Compare(a) <= 0 && a.Compare(r.End) <= 0
}

// LoginHours is a profile's allowed login window per weekday, in the org's
// time zone. A weekday with no entry allows no logins; a nil LoginHours allows all.
type LoginHours map[time.Weekday]DayWindow

// DayWindow is [Start, End) as offsets from midnight.
type DayWindow struct {
	Start, End time.Duration
}

// Allows reports whether t (converted to loc) falls inside the window of its weekday.
func (h LoginHours) Allows(t time.Time, loc *time.Location) bool {
	if h == nil {
		return true
	}
	local := t.In(loc)
	w, ok := h[local.Weekday()]
	if !ok {
		return false
	}
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	since := local.Sub(midnight)
	return since >= w.Start && since < w.End
}

// Profile is a user profile with the settings the token endpoint reads.
type Profile struct {
	ID             ID
	Name           string
	SessionTimeout time.Duration // 0: use the org default
	LoginIPRanges  []IPRange     // empty: any address
	LoginHours     LoginHours    // nil: any time
	// FieldPermissions: field-level security (fieldaccess.go).
	FieldPermissions FieldPermissions
	// UserPermissions are the system permissions it enables (permissions.go):
	// API Enabled unless the fixture turns it off, Disable Outbound Messages…
	UserPermissions UserPermissions
}

// AllowsIP reports whether a login from a passes the profile's Login IP Ranges.
func (p *Profile) AllowsIP(a netip.Addr) bool {
	if len(p.LoginIPRanges) == 0 {
		return true
	}
	for _, r := range p.LoginIPRanges {
		if r.Contains(a) {
			return true
		}
	}
	return false
}

// PermissionSet is a named set of permissions; sfemu models the ones that
// change what a user may do through the API.
type PermissionSet struct {
	ID   ID
	Name string
	// UserPermissions are the system permissions it grants (permissions.go),
	// "Use Any API Client" among them.
	UserPermissions UserPermissions
	// FieldPermissions: field-level security it grants (fieldaccess.go).
	FieldPermissions FieldPermissions
}

// User is an org user.
type User struct {
	ID             ID
	Username       string
	Email          string
	FirstName      string
	LastName       string
	Active         bool
	Frozen         bool
	Org            *Org
	Profile        *Profile
	PermissionSets []*PermissionSet
	// approvedApps are the consumer keys of apps the user has approved
	// before (the OAuth "Allow" screen): from the fixture, and from every
	// Allow pressed on the emulator's approval page.
	approvedMu   sync.Mutex
	approvedApps map[string]bool
	// Password is what a username-password login (SOAP login()) checks;
	// empty: the user cannot log in with a password. SecurityToken, when
	// set, may be appended to it, as Salesforce asks from untrusted networks.
	Password      string
	SecurityToken string

	boxedID any // the user's id as a record value, boxed once
}

// idValue is the user's id as a record field value (OwnerId, CreatedById…),
// boxed once so records share it.
func (u *User) idValue() any {
	return u.boxedID
}

// HasApproved reports whether the user approved app before.
func (u *User) HasApproved(app *App) bool {
	u.approvedMu.Lock()
	defer u.approvedMu.Unlock()
	return u.approvedApps[app.ConsumerKey]
}

// Approve remembers that the user allowed app, as the approval page does.
func (u *User) Approve(app *App) {
	u.approvedMu.Lock()
	defer u.approvedMu.Unlock()
	if u.approvedApps == nil {
		u.approvedApps = map[string]bool{}
	}
	u.approvedApps[app.ConsumerKey] = true
}

// PasswordMatches accepts the user's password, or the password followed by
// the user's security token, as Salesforce does from untrusted networks. A
// user without a password in the fixture matches nothing.
func (u *User) PasswordMatches(given string) bool {
	if u.Password == "" {
		return false
	}
	eq := func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	return eq(given, u.Password) || (u.SecurityToken != "" && eq(given, u.Password+u.SecurityToken))
}

// Name is the user's full name as Salesforce shows it.
func (u *User) Name() string {
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}

// HasPermissionSet reports whether ps is assigned to the user.
func (u *User) HasPermissionSet(ps *PermissionSet) bool {
	for _, p := range u.PermissionSets {
		if p == ps {
			return true
		}
	}
	return false
}

// AppKind distinguishes the two kinds of OAuth app Salesforce has.
type AppKind string

// App kinds.
const (
	ConnectedApp      AppKind = "connected_app"
	ExternalClientApp AppKind = "external_client_app"
)

// App is an OAuth client known to Salesforce by its consumer key. The same
// app (a packaged External Client App, say) can be installed in many orgs,
// each with its own policy.
type App struct {
	ID             ID
	Name           string
	Kind           AppKind
	ConsumerKey    string
	ConsumerSecret string
	// Certificate is the X.509 certificate uploaded for JWT bearer ("Use
	// digital signatures"); nil if none.
	Certificate *x509.Certificate
	PublicKey   *rsa.PublicKey
	JWTEnabled  bool
	Scopes      []string

	// CallbackURLs are the app's Callback URLs: a web-server or user-agent
	// flow's redirect_uri must equal one of them exactly.
	CallbackURLs []string
	// RequirePKCE is "Require Proof Key for Code Exchange (PKCE) Extension
	// for Supported Authorization Flows": an authorize request without a
	// code_challenge is refused.
	RequirePKCE bool
	// RequireSecretWebServer is "Require Secret for Web Server Flow" (on by
	// default); RequireSecretRefresh is "Require Secret for Refresh Token
	// Flow" (on by default). A PKCE client without a secret needs them off.
	RequireSecretWebServer bool
	RequireSecretRefresh   bool
	// ClientCredentials is "Enable Client Credentials Flow"; the user the
	// flow runs as is the installation's policy (Policy.RunAs).
	ClientCredentials bool
}

// AllowsCallback reports whether uri is one of the app's callback URLs.
func (a *App) AllowsCallback(uri string) bool {
	for _, c := range a.CallbackURLs {
		if c == uri {
			return true
		}
	}
	return false
}

// HasScope reports whether the app's selected OAuth scopes include s.
func (a *App) HasScope(s string) bool { return HasScope(a.Scopes, s) }

// PermittedUsers is the app policy's "Permitted Users".
type PermittedUsers string

// Permitted-users policies.
const (
	AdminApproved PermittedUsers = "admin_approved" // "Admin approved users are pre-authorized"
	AllUsers      PermittedUsers = "all_users"      // "All users may self-authorize"
)

// IPRelaxation is the app policy's IP Relaxation. JWT bearer ignores it:
// profile Login IP Ranges are always enforced for that flow.
type IPRelaxation string

// IP relaxation policies.
const (
	IPEnforce               IPRelaxation = "enforce"
	IPRelax                 IPRelaxation = "relax"
	IPRelaxActivatedDevices IPRelaxation = "relax_for_activated_devices"
	IPRelaxRefreshTokens    IPRelaxation = "relax_for_refresh_tokens"
)

// Policy is an app's OAuth policy in one org.
type Policy struct {
	PermittedUsers PermittedUsers
	Profiles       []*Profile
	PermissionSets []*PermissionSet
	IPRelaxation   IPRelaxation
	SessionTimeout time.Duration // 0: use the profile's, then the org's
	// RefreshTokens is the policy's refresh-token policy.
	RefreshTokens RefreshTokenPolicy
	// RunAs is the client credentials flow's "Run As" user; nil: none, so
	// the flow answers "no client credentials user enabled".
	RunAs *User
}

// RefreshTokenKind names one of the refresh-token policies Setup offers.
type RefreshTokenKind string

// Refresh-token policies (Salesforce Help, "Manage OAuth Access Policies for
// a Connected App": Refresh Token Policy).
const (
	RefreshUntilRevoked   RefreshTokenKind = "until_revoked"    // "Refresh token is valid until revoked"
	RefreshImmediately    RefreshTokenKind = "immediately"      // "Immediately expire refresh token"
	RefreshExpireAfter    RefreshTokenKind = "expire_after"     // "Expire refresh token after: N"
	RefreshExpireIfUnused RefreshTokenKind = "expire_if_unused" // "Expire refresh token if not used for: N"
)

// RefreshTokenPolicy is a policy kind and, for the timed kinds, its N.
type RefreshTokenPolicy struct {
	Kind RefreshTokenKind
	For  time.Duration
}

// Expired reports whether a refresh token issued at issued and last used
// at lastUsed is dead at now under the policy, and if so why (for people).
func (p RefreshTokenPolicy) Expired(issued, lastUsed, now time.Time) (bool, string) {
	switch p.Kind {
	case RefreshImmediately:
		return true, "the app's refresh token policy is \"Immediately expire refresh token\""
	case RefreshExpireAfter:
		if !now.Before(issued.Add(p.For)) {
			return true, "the app's refresh token policy expires refresh tokens " + p.For.String() + " after they are issued; this one was issued " + now.Sub(issued).Round(time.Second).String() + " ago"
		}
	case RefreshExpireIfUnused:
		if !now.Before(lastUsed.Add(p.For)) {
			return true, "the app's refresh token policy expires refresh tokens unused for " + p.For.String() + "; this one was last used " + now.Sub(lastUsed).Round(time.Second).String() + " ago"
		}
	}
	return false, ""
}

// Installation is an app installed in an org with that org's policy.
type Installation struct {
	App    *App
	Org    *Org
	Policy Policy
}

// AdminApproves reports whether the policy pre-authorizes u: u's profile or
// one of u's permission sets is assigned to the app, or u may use any API client.
func (in *Installation) AdminApproves(u *User) bool {
	if u.UseAnyAPIClient() {
		return true
	}
	for _, p := range in.Policy.Profiles {
		if p == u.Profile {
			return true
		}
	}
	for _, ps := range in.Policy.PermissionSets {
		if u.HasPermissionSet(ps) {
			return true
		}
	}
	return false
}

// SessionTimeout is the inactivity timeout of a session u opens through this
// installation: the app policy's, else the profile's, else the org's.
func (in *Installation) SessionTimeout(u *User) time.Duration {
	if in.Policy.SessionTimeout > 0 {
		return in.Policy.SessionTimeout
	}
	return u.SessionTimeout()
}

// SessionTimeout is how long the user's sessions live without an app
// policy (a SOAP login()): the profile's "Session Times Out After", else the
// org default, else 2 hours.
func (u *User) SessionTimeout() time.Duration {
	switch {
	case u.Profile != nil && u.Profile.SessionTimeout > 0:
		return u.Profile.SessionTimeout
	case u.Org != nil && u.Org.SessionTimeout > 0:
		return u.Org.SessionTimeout
	}
	return DefaultSessionTimeout
}
