package wire

import "time"

// TokenRequest is one request to the token endpoint as sfemu saw it: what
// was asked, what Salesforce answered, and why. Unlike Login History it
// keeps requests that named no known user.
type TokenRequest struct {
	// ID is the request's place in the journal, from 1 since the last
	// reset: it stays the request's while older ones are dropped.
	ID          int64     `json:"id"`
	Time        time.Time `json:"time"`
	GrantType   string    `json:"grant_type"`
	SourceIP    string    `json:"source_ip"`
	ClientID    string    `json:"client_id,omitempty"` // iss, or client_id
	Username    string    `json:"username,omitempty"`  // sub/prn, or username
	Audience    []string  `json:"audience,omitempty"`
	Status      int       `json:"status"`
	Error       string    `json:"error,omitempty"`
	Description string    `json:"error_description,omitempty"`
	// Reason explains the outcome precisely (which claim, which check), for
	// people; Salesforce never says this much.
	Reason      string `json:"reason,omitempty"`
	OrgID       string `json:"org_id,omitempty"`
	UserID      string `json:"user_id,omitempty"`
	Application string `json:"application,omitempty"`
}

// LoginEvent is one Login History row. JSON names are the LoginHistory
// object's field names; Reason is sfemu's own explanation of the outcome
// (never part of Salesforce's data).
type LoginEvent struct {
	ID          string    `json:"Id"`
	UserID      string    `json:"UserId"`
	Username    string    `json:"Username"`
	LoginTime   time.Time `json:"LoginTime"`
	LoginType   string    `json:"LoginType"`
	LoginURL    string    `json:"LoginUrl"`
	SourceIP    string    `json:"SourceIp"`
	Status      string    `json:"Status"`
	Application string    `json:"Application"`
	APIType     string    `json:"ApiType"`
	APIVersion  string    `json:"ApiVersion"`
	Browser     string    `json:"Browser"`
	Platform    string    `json:"Platform"`
	Reason      string    `json:"SfemuReason,omitempty"`
}

// API surfaces, as the request journal and faults name them.
const (
	SurfaceREST  = "rest"  // /services/data/…
	SurfaceSOAP  = "soap"  // /services/Soap/u|c/…
	SurfaceOAuth = "oauth" // /services/oauth2/… and /id/…
)

// APIRequest is one request to an API surface, as sfemu answered it — also
// requests for resources that do not exist.
type APIRequest struct {
	// ID is the request's place in the journal, from 1 since the last
	// reset (GET /_sfemu/requests/{id} opens it).
	ID      int64     `json:"id"`
	Time    time.Time `json:"time"`
	Surface string    `json:"surface"`
	Method  string    `json:"method"`
	Path    string    `json:"path"`
	Query   string    `json:"query,omitempty"`
	// Operation is the SOAP call (query, create, login…), empty elsewhere.
	Operation string `json:"operation,omitempty"`
	// APIVersion is the version the request named ("66.0"), if any.
	APIVersion string `json:"api_version,omitempty"`
	Username   string `json:"username,omitempty"`
	OrgID      string `json:"org_id,omitempty"`
	Status     int    `json:"status"`
	ErrorCode  string `json:"error_code,omitempty"`
	Fault      string `json:"fault,omitempty"`
	// Reason says why sfemu answered so, when the answer alone does not
	// (which check a SOAP login() failed); Salesforce never says this much.
	Reason string `json:"reason,omitempty"`
}

// APIExchange is GET /_sfemu/requests/{id}: one journal entry with the
// request and response as recorded. Bodies are kept for the most recent
// requests only, each clipped (BodiesKept says whether they still are);
// credentials are never kept: the Authorization and Cookie headers, the
// OAuth surface's bodies (secrets, assertions, tokens), the values of SOAP
// <sessionId> and <password> elements, and JSON string values of keys
// that name a password, secret or token, each replaced by "(redacted)".
type APIExchange struct {
	APIRequest
	BodiesKept      bool                `json:"bodies_kept"`
	RequestHeaders  map[string][]string `json:"request_headers,omitempty"`
	RequestBody     string              `json:"request_body,omitempty"`
	ResponseHeaders map[string][]string `json:"response_headers,omitempty"`
	ResponseBody    string              `json:"response_body,omitempty"`
}

// Fault is an injected failure of API requests that match it: an error
// answer in the surface's own format, added latency, or the caller's
// session ending.
type Fault struct {
	ID int `json:"id"`
	// Surface limits the fault to rest, soap or oauth; empty: rest (the
	// only surface faults had before there were others).
	Surface string `json:"surface,omitempty"`
	// Org limits the fault to one org (id or name); empty: every org.
	Org string `json:"org,omitempty"`
	// Method limits it to one HTTP method; empty: any.
	Method string `json:"method,omitempty"`
	// Path limits it to requests whose path inside the surface starts with
	// this: after /services/data/vNN.N for REST ("/query"), after
	// /services/oauth2 for OAuth ("/token"); empty: any.
	Path string `json:"path,omitempty"`
	// Operation limits a SOAP fault to one call (query, create, login…).
	Operation string `json:"operation,omitempty"`
	// Status and ErrorCode make matching requests fail, with Message; a
	// known code alone brings Salesforce's status and message.
	Status    int    `json:"status,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
	Message   string `json:"message,omitempty"`
	// Latency delays matching requests (wall-clock time, at most 1m).
	Latency Duration `json:"latency,omitempty"`
	// ExpireSession ends the caller's session first, so the request gets
	// INVALID_SESSION_ID and the client must log in again.
	ExpireSession bool `json:"expire_session,omitempty"`
	// Times is how many matching requests the fault affects (0: all).
	Times int `json:"times,omitempty"`
	// Hits counts the requests it affected.
	Hits int `json:"hits"`
}

// PlatformEvent is one platform event published in an org (an __e object's
// create): what a subscriber would receive.
type PlatformEvent struct {
	Object          string         `json:"object"`
	ReplayID        int64          `json:"replay_id"`
	EventUUID       string         `json:"event_uuid"`
	PublishedAt     time.Time      `json:"published_at"`
	PublishedBy     string         `json:"published_by,omitempty"` // username
	PublishBehavior string         `json:"publish_behavior"`
	Fields          map[string]any `json:"fields"`
}
