// Package soap serves Salesforce's SOAP API — Partner at
// /services/Soap/u/{version}[/{orgId}] and Enterprise at
// /services/Soap/c/{version}[/{orgId}], the URLs outbound messages carry as
// PartnerUrl and EnterpriseUrl — over the same org, schema, SOQL engine,
// DML checks and sessions as the REST API, and the WSDL downloads Setup's
// API page links to (/soap/wsdl.jsp).
//
// It owns the SOAP wire format: the request envelope and its headers
// (SessionHeader, QueryOptions, AllOrNoneHeader, CallOptions), Partner's
// generic sObject and Enterprise's typed records, results, faults with
// their typed details, LimitInfoHeader, gzip. Sessions, faults and the
// request journal are the gateway's; docs/SOAP.md lists every call and every
// choice made where Salesforce's behaviour is not public.
package soap

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"

	"github.com/sfemu/sfemu/emulator/internal/cursor"
	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/internal/soapxml"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/wire"
)

// Config configures the SOAP service.
type Config struct {
	Store *org.Store
	// Cursors hold query results being paged (queryMore); shared with REST.
	Cursors *cursor.Store
	// LatestVersion is the newest API version served, e.g. 66.0.
	LatestVersion float64
	// MaxRequestBytes bounds a request body after decompression
	// (Salesforce: 50 MB); larger ones get EXCEEDED_MAX_SIZE_REQUEST.
	MaxRequestBytes int64
}

// DefaultLatestVersion is the newest version served unless told otherwise
// (the emulator passes the same as to REST).
const DefaultLatestVersion = 66.0

// DefaultMaxRequestBytes is Salesforce's SOAP request size limit, 50 MB.
const DefaultMaxRequestBytes = 50 << 20

// OldestVersion is the oldest version the SOAP endpoints accept at all;
// an org's release retires more (org.Settings.APIRetiredBelow).
const OldestVersion = 20.0

// Service serves the SOAP API.
type Service struct {
	cfg     Config
	store   *org.Store
	cursors *cursor.Store
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.LatestVersion == 0 {
		cfg.LatestVersion = DefaultLatestVersion
	}
	if cfg.MaxRequestBytes == 0 {
		cfg.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if cfg.Cursors == nil {
		cfg.Cursors = cursor.New(cfg.Store.Clock, 0)
	}
	return &Service{cfg: cfg, store: cfg.Store, cursors: cfg.Cursors}
}

// api is one of the two SOAP APIs: Partner (generic) or Enterprise (typed).
type api struct {
	letter    string // u or c, in the URL
	ns        string // the calls' and results' namespace
	sobjectNS string
	faultNS   string
	loginType string // Login History ApiType
}

var (
	partner = &api{letter: "u", ns: soapxml.PartnerNS, sobjectNS: soapxml.PartnerSObjectNS,
		faultNS: soapxml.PartnerFaultNS, loginType: "SOAP Partner"}
	enterprise = &api{letter: "c", ns: soapxml.EnterpriseNS, sobjectNS: soapxml.EnterpriseSObjectNS,
		faultNS: soapxml.EnterpriseFaultNS, loginType: "SOAP Enterprise"}
)

func (a *api) typed() bool { return a == enterprise }

// Prefixes where the service is mounted.
const (
	Prefix     = "/services/Soap"
	WSDLPrefix = "/soap"
)

// Routes are the two APIs' endpoints, relative to Prefix: every call is a
// POST to one URL; the session, if any, is in the envelope.
func (s *Service) Routes() []gateway.Route {
	var routes []gateway.Route
	for _, p := range []string{"/{api:u|c}/{version}", "/{api:u|c}/{version}/{org}", "/{api:u|c}/{version}/{org}/{extra}"} {
		routes = append(routes, gateway.Route{Methods: []string{http.MethodPost}, Path: p, Handler: s.serve, Public: true})
	}
	return routes
}

// WSDLRoutes are the WSDL downloads, relative to WSDLPrefix.
func (s *Service) WSDLRoutes() []gateway.Route {
	return []gateway.Route{{Methods: []string{http.MethodGet}, Path: "/wsdl.jsp", Handler: s.wsdl, Public: true}}
}

// contentType is what SOAP answers carry.
const contentType = "text/xml;charset=UTF-8"

// apiOf is the API a request is for, from its path (Partner by default).
func apiOf(c *gateway.Call) *api {
	if strings.HasPrefix(c.Request.URL.Path, Prefix+"/c/") {
		return enterprise
	}
	return partner
}

// Surface is the SOAP API's conventions for the gateway.
func (s *Service) Surface() gateway.Surface { return surface{s} }

type surface struct{ s *Service }

func (surface) Name() string    { return wire.SurfaceSOAP }
func (surface) CountsAPI() bool { return true }

// Credentials parses the envelope — the session is in its header — and
// names the call in the journal. The WSDL download takes a session from
// the Authorization header or Salesforce's sid cookie.
func (sf surface) Credentials(c *gateway.Call) (string, error) {
	if !strings.HasPrefix(c.Request.URL.Path, Prefix+"/") {
		if t := gateway.BearerToken(c.Request); t != "" {
			return t, nil
		}
		if ck, err := c.Request.Cookie("sid"); err == nil {
			return ck.Value, nil
		}
		return "", nil
	}
	if c.Request.Method != http.MethodPost {
		return "", nil
	}
	body, err := c.Body(sf.s.cfg.MaxRequestBytes)
	if err != nil {
		return "", err
	}
	req, err := parseRequest(body)
	if err != nil {
		return "", err
	}
	c.State = req
	c.Entry.Operation = req.op
	return req.header.sessionID, nil
}

// Admit checks the version in the URL: a version sfemu does not serve is
// UNSUPPORTED_API_VERSION, and so is one the org's release retired.
func (sf surface) Admit(c *gateway.Call) error {
	v := c.Var("version")
	if v == "" {
		return nil
	}
	c.Entry.APIVersion = v
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !strings.Contains(v, ".") || f < OldestVersion || f > sf.s.cfg.LatestVersion || f != float64(int(f)) {
		return unexpected("UNSUPPORTED_API_VERSION", "Invalid Api version specified on URL")
	}
	if o := c.DefaultOrg(); o != nil && o.APIVersion(v) == org.APIVersionRetired {
		return unexpected("UNSUPPORTED_API_VERSION", o.RetiredVersionText(v))
	}
	return nil
}

func (sf surface) Encode(c *gateway.Call, err error) gateway.Response { return encode(c, err) }

// NoSession: every endpoint is public (login needs none); calls that need
// one refuse it themselves.
func (surface) NoSession(c *gateway.Call) error { return invalidSession(c) }

// apiDisabled is the SOAP API's refusal of an org without API access
// (API_DISABLED_FOR_ORG, "API is not enabled for this Organization or
// Partner") or of a user without "API Enabled" (API_CURRENTLY_DISABLED,
// "API is disabled for this User", as integrators quote it: Microsoft's
// Salesforce connector troubleshooting, Apsona's knowledge base). The
// texts are settings.
func apiDisabled(o *org.Org, why org.APIDenial) *fault {
	if why == org.APIDisabledForOrg {
		return unexpected("API_DISABLED_FOR_ORG", o.Settings.APIDisabledSOAPOrgText)
	}
	return unexpected("API_CURRENTLY_DISABLED", o.Settings.APIDisabledSOAPUserText)
}

func invalidSession(c *gateway.Call) *fault {
	text := org.DefaultSettings().SOAPInvalidSessionText
	if o := c.DefaultOrg(); o != nil {
		text = o.Settings.SOAPInvalidSessionText
	}
	return unexpected("INVALID_SESSION_ID", text)
}

// NotFound: a path under /services/Soap that names no endpoint. What
// Salesforce answers is UNKNOWN; sfemu answers a client fault naming the
// endpoints, with HTTP 404.
func (surface) NotFound(c *gateway.Call) error {
	f := clientFault("no SOAP endpoint at %s: use /services/Soap/u/{version} (Partner) or /services/Soap/c/{version} (Enterprise)", c.Request.URL.Path)
	f.status = http.StatusNotFound
	return f
}

func (surface) MethodNotAllowed(c *gateway.Call, allowed []string) error {
	f := clientFault("%s is not allowed: a SOAP call is an HTTP POST (allowed: %s)", c.Request.Method, strings.Join(allowed, ", "))
	f.status = http.StatusMethodNotAllowed
	return f
}

func (surface) FaultError(_ *gateway.Call, f wire.Fault) error {
	return unexpected(f.ErrorCode, f.Message)
}

// call is one SOAP call on its way to its operation.
type call struct {
	*gateway.Call
	s       *Service
	api     *api
	version string
	req     *request
	session *org.Session
	org     *org.Org
	order   fieldOrder // Enterprise field orders of the rows written so far
}

// operation answers one call, appending its response element to b.
type operation struct {
	run          func(c *call, b []byte) ([]byte, error)
	needsSession bool
}

var operations map[string]operation

func init() {
	operations = map[string]operation{
		"login":              {login, false},
		"logout":             {logout, true},
		"getUserInfo":        {getUserInfo, true},
		"getServerTimestamp": {getServerTimestamp, true},
		"query":              {queryOp(false), true},
		"queryAll":           {queryOp(true), true},
		"queryMore":          {queryMore, true},
		"retrieve":           {retrieve, true},
		"search":             {search, true},
		"create":             {create, true},
		"update":             {updateOp, true},
		"upsert":             {upsert, true},
		"delete":             {deleteOp, true},
		"undelete":           {undelete, true},
		"describeGlobal":     {describeGlobal, true},
		"describeSObject":    {describeSObject, true},
		"describeSObjects":   {describeSObjects, true},
	}
}

// serve dispatches a call to its operation and writes the envelope around
// its answer.
func (s *Service) serve(gc *gateway.Call) (gateway.Response, error) {
	req, _ := gc.State.(*request)
	if req == nil {
		return gateway.Response{}, clientFault("the request has no SOAP envelope")
	}
	a := apiOf(gc)
	op, known := operations[req.op]
	if !known || req.opNS != a.ns {
		return gateway.Response{}, clientFault("No operation available for request {%s}%s, please check the WSDL for the service.", req.opNS, req.op)
	}
	c := &call{Call: gc, s: s, api: a, version: gc.Var("version"), req: req, session: gc.Session, org: gc.Org}
	if op.needsSession && c.session == nil {
		return gateway.Response{}, invalidSession(gc)
	}
	if op.needsSession {
		if why := c.org.APIDenied(c.session.User); why != org.APIAllowed {
			gc.Entry.Reason = c.org.APIDenialReason(c.session.User, why)
			return gateway.Response{}, apiDisabled(c.org, why)
		}
	}
	b := make([]byte, 0, 4096)
	b = c.openEnvelope(b)
	b, err := op.run(c, b)
	if err != nil {
		return gateway.Response{}, err
	}
	b = append(b, "</soapenv:Body></soapenv:Envelope>"...)
	resp := gateway.Bytes(http.StatusOK, contentType, b)
	if c.org != nil && c.org.APIVersion(c.version) == org.APIVersionDeprecated {
		resp.SetHeader("Warning", c.org.DeprecatedVersionWarning(c.version))
	}
	return compress(gc.Request, resp), nil
}

// openEnvelope writes the envelope up to the Body, with LimitInfoHeader
// (the org's API usage) when the caller has a session — as a real query
// response shows it.
func (c *call) openEnvelope(b []byte) []byte {
	b = append(b, `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="`+soapxml.EnvelopeNS+`" xmlns="`...)
	b = append(b, c.api.ns...)
	b = append(b, `" xmlns:xsi="`+soapxml.XSINS+`"`...)
	if c.session != nil {
		b = append(b, ` xmlns:sf="`...)
		b = append(b, c.api.sobjectNS...)
		b = append(b, `"><soapenv:Header><LimitInfoHeader><limitInfo><current>`...)
		used, limit := c.APIUsage()
		b = strconv.AppendInt(b, int64(used), 10)
		b = append(b, "</current><limit>"...)
		b = strconv.AppendInt(b, int64(limit), 10)
		b = append(b, "</limit><type>API REQUESTS</type></limitInfo></LimitInfoHeader></soapenv:Header>"...)
	} else {
		b = append(b, '>')
	}
	return append(b, "<soapenv:Body>"...)
}

// compress gzips an answer when the client asked for it, as SOAP clients
// do by default (Accept-Encoding: gzip).
func compress(r *http.Request, resp gateway.Response) gateway.Response {
	if !acceptsGzip(r.Header.Get("Accept-Encoding")) || len(resp.Body) == 0 {
		return resp
	}
	var buf bytes.Buffer
	buf.Grow(len(resp.Body) / 4)
	// The fastest level: compressing must not cost more than the network
	// time it saves a client on the same machine (Salesforce's level is not
	// documented).
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	_, _ = zw.Write(resp.Body)
	_ = zw.Close()
	resp.Body = buf.Bytes()
	resp.SetHeader("Content-Encoding", "gzip")
	resp.SetHeader("Vary", "Accept-Encoding")
	return resp
}

func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			return !strings.Contains(strings.ReplaceAll(q, " ", ""), "q=0")
		}
	}
	return false
}

// Small XML writers for results.

func appendElem(b []byte, name, text string) []byte { return soapxml.AppendElement(b, name, text) }

func appendNil(b []byte, name string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	return append(b, ` xsi:nil="true"/>`...)
}

func appendElemOrNil(b []byte, name, text string) []byte {
	if text == "" {
		return appendNil(b, name)
	}
	return appendElem(b, name, text)
}

func appendBool(b []byte, name string, v bool) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = strconv.AppendBool(b, v)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

func appendIntElem(b []byte, name string, v int) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = appendInt(b, v)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

func appendInt(b []byte, v int) []byte { return strconv.AppendInt(b, int64(v), 10) }
