package wire

import (
	"strings"
	"time"
)

// Health is GET /_sfemu/health: 200 once the fixtures are loaded.
type Health struct {
	Status string `json:"status"`
	Orgs   int    `json:"orgs"`
	// Connections counts the connections the server closed on its bounds
	// (`sfemu serve`'s and the harness's servers; absent for an emulator
	// served some other way).
	Connections *ConnectionCuts `json:"connections,omitempty"`
}

// ConnectionCuts count, since the server started, the connections it
// closed for being too slow or stalled, by the bound they met
// (docs/CONTROL.md "Timeouts").
type ConnectionCuts struct {
	// SlowHeaders: a request's line and headers (or a TLS handshake) did
	// not arrive within the header timeout.
	SlowHeaders uint64 `json:"slow_headers"`
	// SlowBodies: 64 KiB of a request body did not arrive within the read
	// timeout (a body dripping, or stopped).
	SlowBodies uint64 `json:"slow_bodies"`
	// StalledResponses: the client did not take 64 KiB of a response within
	// the write timeout (it stopped reading).
	StalledResponses uint64 `json:"stalled_responses"`
	// IdleClosed: keep-alive connections closed after the idle timeout
	// without a next request (normal, counted to show it happens).
	IdleClosed uint64 `json:"idle_closed"`
	// AtCapacity: a client connected while the server held its most open
	// connections (`--max-connections`) and waited for one to close.
	AtCapacity uint64 `json:"at_capacity"`
}

// Org is how the control API lists an org: the Setup facts a login depends on.
type Org struct {
	ID                string   `json:"id"`
	Name              string   `json:"name"`
	Type              string   `json:"type"`
	MyDomain          string   `json:"my_domain,omitempty"`
	TimeZone          string   `json:"time_zone"`
	OutboundSessionID string   `json:"outbound_session_id"`
	LoginAudiences    []string `json:"login_audiences"`
	Users             int      `json:"users"`
	InstalledApps     []string `json:"installed_apps"`
	ClientIP          string   `json:"client_ip,omitempty"`
	Source            string   `json:"source"`
	// Release is the Salesforce release the org runs (winter-27, summer-27…)
	// and Changes the dated changes in effect in it (docs/RELEASES.md),
	// e.g. "session_id_removed", "api_21_30_retired".
	Release string   `json:"release"`
	Changes []string `json:"changes"`
}

// User is how the control API lists a user.
type User struct {
	ID             string   `json:"id"`
	Username       string   `json:"username"`
	Name           string   `json:"name"`
	Email          string   `json:"email"`
	Profile        string   `json:"profile"`
	PermissionSets []string `json:"permission_sets"`
	Active         bool     `json:"active"`
	Frozen         bool     `json:"frozen"`
}

// Profile is how the control API lists a profile: the settings that
// decide a login and a session.
type Profile struct {
	Name string `json:"name"`
	// SessionTimeout is the profile's own; 0: the org's default applies.
	SessionTimeout Duration `json:"session_timeout,omitempty"`
	// LoginIPRanges are Setup's Login IP Ranges; empty: any address.
	LoginIPRanges []IPRange `json:"login_ip_ranges"`
	// LoginHours are the allowed windows per weekday in the org's time
	// zone; null: any time, and a weekday not listed allows no login.
	LoginHours []LoginWindow `json:"login_hours"`
	// UserPermissions are the system permissions it enables (ApiEnabled,
	// DisableNotifications, UseAnyApiClient), sorted.
	UserPermissions []string `json:"user_permissions"`
	// Users is how many of the org's users have the profile.
	Users int `json:"users"`
}

// IPRange is an inclusive range of IP addresses.
type IPRange struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// LoginWindow is one weekday's login hours, [Start, End) as "15:04".
type LoginWindow struct {
	Day   string `json:"day"` // Monday…Sunday
	Start string `json:"start"`
	End   string `json:"end"`
}

// App is a connected app or External Client App, with its policy in each
// org that installs it.
type App struct {
	ID                  string            `json:"id"`
	Name                string            `json:"name"`
	Kind                string            `json:"kind"`
	ConsumerKey         string            `json:"consumer_key"`
	JWTEnabled          bool              `json:"jwt_enabled"`
	CertificateSubject  string            `json:"certificate_subject,omitempty"`
	CertificateNotAfter *time.Time        `json:"certificate_not_after,omitempty"`
	Installations       map[string]Policy `json:"installations"`
}

// Policy is an app's OAuth policy in one org.
type Policy struct {
	PermittedUsers string   `json:"permitted_users"`
	Profiles       []string `json:"profiles"`
	PermissionSets []string `json:"permission_sets"`
	IPRelaxation   string   `json:"ip_relaxation"`
	SessionTimeout Duration `json:"session_timeout,omitempty"`
}

// Session is a live session (an access token, or a legacy outbound
// session ID). GET /_sfemu/sessions lists a token by TokenPrefix and
// TokenLength, enough to tell tokens apart; Token, the token in full (it
// works on the REST API), only with ?reveal=true from a caller holding the
// control token or, with none set, over a loopback connection
// (docs/CONTROL.md "Security"). In-process, the emulator fills all three.
type Session struct {
	// ID numbers the session in the order sessions were opened, from 1
	// since the last reset: the listing's order and its pages' cursor.
	ID          int64     `json:"id"`
	Token       string    `json:"access_token,omitempty"`
	TokenPrefix string    `json:"access_token_prefix"`
	TokenLength int       `json:"access_token_length"`
	OrgID       string    `json:"org_id"`
	Username    string    `json:"username"`
	App         string    `json:"app,omitempty"`
	Created     time.Time `json:"created"`
	LastUsed    time.Time `json:"last_used"`
	ExpiresAt   time.Time `json:"expires_at"`
	Timeout     Duration  `json:"timeout"`
}

// TokenPrefix is the start of a token that tells it apart without making
// it usable: a Salesforce access token's org id, the "!" and four more
// characters, never more than half of it.
func TokenPrefix(token string) string {
	n := 8
	if i := strings.IndexByte(token, '!'); i >= 0 {
		n = i + 5
	}
	return token[:min(n, len(token)/2)]
}

// ClientIP is PUT /_sfemu/orgs/{org}/client-ip: the apparent source IP of
// requests made for the org's users (empty: back to the TCP peer).
type ClientIP struct {
	Org      string `json:"org,omitempty"`
	ClientIP string `json:"client_ip,omitempty"`
	IP       string `json:"ip,omitempty"`
}

// ExpireSessions is POST /_sfemu/sessions/expire: one user's sessions, or
// everyone's when Username is empty.
type ExpireSessions struct {
	Username string `json:"username,omitempty"`
}

// Expired answers ExpireSessions.
type Expired struct {
	Expired int `json:"expired"`
}

// Clock is GET /_sfemu/clock.
type Clock struct {
	Mode string    `json:"mode"` // real or virtual
	Now  time.Time `json:"now"`
}

// Advance is POST /_sfemu/clock/advance: by a duration, or to a time.
type Advance struct {
	By Duration  `json:"by,omitempty"`
	To time.Time `json:"to,omitzero"`
}

// Fixture is an org fixture sent over the wire: its YAML and the files it
// names (certificates), by the relative path the YAML uses.
type Fixture struct {
	Name  string            `json:"name"`
	YAML  string            `json:"yaml"`
	Files map[string]string `json:"files,omitempty"`
}

// LoadOrgs is PUT /_sfemu/orgs: replace every org with these fixtures, as
// a reset does, so a harness can drive an emulator it did not start.
type LoadOrgs struct {
	Fixtures []Fixture `json:"fixtures"`
	// NotificationIDBase numbers outbound Notification Ids from here, so a
	// receiver that outlives one set of orgs never sees an id twice.
	NotificationIDBase uint64 `json:"notification_id_base,omitempty"`
	// ClockStart puts a virtual clock at this time, earlier or later: loading
	// orgs is a fresh start (queue, sessions and journals begin empty), so
	// each scenario run against one running sfemu starts where it expects.
	// A 409 on the real clock.
	ClockStart time.Time `json:"clock_start,omitzero"`
}
