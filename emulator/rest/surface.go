package rest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/soql"
	"github.com/sfemu/sfemu/wire"
)

// Surface is the REST API's conventions for the gateway: the session in the
// Authorization header, the version in the path, errors as Salesforce's
// JSON array.
func (s *Service) Surface() gateway.Surface { return surface{s} }

type surface struct{ s *Service }

func (surface) Name() string    { return wire.SurfaceREST }
func (surface) CountsAPI() bool { return true }

func (surface) Credentials(c *gateway.Call) (string, error) {
	return gateway.BearerToken(c.Request), nil
}

// Admit checks the version of a versioned path (an unserved or malformed
// one is NOT_FOUND, as Salesforce answers v38) and records where in the
// surface the request is.
func (sf surface) Admit(c *gateway.Call) error {
	v, versioned := pathVersion(c)
	if !versioned {
		return nil
	}
	if !sf.s.version(v) {
		return errNotFound
	}
	c.Entry.APIVersion = strings.TrimPrefix(v, "v")
	if o := c.DefaultOrg(); o != nil && o.APIVersion(c.Entry.APIVersion) == org.APIVersionRetired {
		// The knowledge articles on the 21.0–30.0 and 31.0–40.0 retirements:
		// "REST API returns 410: GONE". The body's code and text are UNKNOWN.
		return &apiError{http.StatusGone, "UNSUPPORTED_API_VERSION", o.RetiredVersionText(c.Entry.APIVersion)}
	}
	return nil
}

// pathVersion returns the request's version segment and sets the call's RelPath,
// the path after /services/data/vNN.N.
func pathVersion(c *gateway.Call) (version string, ok bool) {
	rest := strings.TrimPrefix(c.Request.URL.Path, Prefix+"/")
	if rest == c.Request.URL.Path || !strings.HasPrefix(rest, "v") {
		return "", false
	}
	version, rel, _ := strings.Cut(rest, "/")
	if rel != "" {
		rel = "/" + rel
	}
	c.RelPath = rel
	return version, true
}

func (surface) NoSession(*gateway.Call) error {
	return &apiError{http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid"}
}

func (surface) NotFound(*gateway.Call) error { return errNotFound }

// APIDisabled: an org without API access and a user without "API Enabled"
// get the same answer — HTTP 403 API_DISABLED_FOR_ORG, "The REST API is not
// enabled for this Organization." (as integrators quote it for both: the
// restforce and Force.com Toolkit issue threads, Sequin's Salesforce setup
// guide). Bulk API 2.0 answers it too.
func (surface) APIDisabled(c *gateway.Call, _ org.APIDenial) error {
	return &apiError{http.StatusForbidden, "API_DISABLED_FOR_ORG", c.Org.Settings.APIDisabledRESTText}
}

func (surface) MethodNotAllowed(c *gateway.Call, allowed []string) error {
	if len(allowed) == 0 {
		return errNotFound
	}
	return &apiError{http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED",
		fmt.Sprintf("HTTP Method '%s' not allowed. Allowed are %s", c.Request.Method, strings.Join(allowed, ","))}
}

func (surface) FaultError(_ *gateway.Call, f wire.Fault) error {
	return &apiError{f.Status, f.ErrorCode, f.Message}
}

// Decorate adds Sforce-Limit-Info: Salesforce reports the org's API usage
// on every API response; clients such as simple-salesforce and jsforce read it.
func (surface) Decorate(c *gateway.Call, resp *gateway.Response) {
	used, limit := c.APIUsage()
	resp.SetHeader("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", used, limit))
	// REST has answered deprecated versions with a Warning header since
	// Summer '21 (Salesforce Developers blog, "An Important Update to Our
	// Legacy API Retirement Plan", 2023).
	if v := c.Entry.APIVersion; v != "" && c.Org.APIVersion(v) == org.APIVersionDeprecated {
		resp.SetHeader("Warning", c.Org.DeprecatedVersionWarning(v))
	}
}

// Encode answers err as Salesforce's JSON error array.
func (surface) Encode(_ *gateway.Call, err error) gateway.Response {
	var (
		ae  *apiError
		de  *dmlErrors
		be  *gateway.BodyError
		qe  *soql.Error
		out []org.DMLError
	)
	status := http.StatusBadRequest
	switch {
	case errors.As(err, &ae):
		status, out = ae.status, []org.DMLError{{StatusCode: ae.code, Message: ae.message}}
	case errors.As(err, &de):
		return errorArray(de.status, de.errs, true)
	case errors.As(err, &be):
		if be.TooLarge {
			status = http.StatusRequestEntityTooLarge
		}
		out = []org.DMLError{{StatusCode: "JSON_PARSER_ERROR", Message: be.Error()}}
	case errors.As(err, &qe):
		out = []org.DMLError{{StatusCode: qe.Code, Message: qe.Message}}
	default:
		status, out = http.StatusInternalServerError, []org.DMLError{{StatusCode: "UNKNOWN_EXCEPTION", Message: err.Error()}}
	}
	return errorArray(status, out, false)
}

// errorArray writes [{"message","errorCode"}] — with "fields" for DML errors.
func errorArray(status int, errs []org.DMLError, withFields bool) gateway.Response {
	type plain struct {
		Message   string `json:"message"`
		ErrorCode string `json:"errorCode"`
	}
	type dml struct {
		Message   string   `json:"message"`
		ErrorCode string   `json:"errorCode"`
		Fields    []string `json:"fields"`
	}
	var v any
	if withFields {
		out := make([]dml, len(errs))
		for i, e := range errs {
			out[i] = dml{e.Message, e.StatusCode, e.Fields}
			if out[i].Fields == nil {
				out[i].Fields = []string{}
			}
		}
		v = out
	} else {
		out := make([]plain, len(errs))
		for i, e := range errs {
			out[i] = plain{e.Message, e.StatusCode}
		}
		v = out
	}
	body, _ := json.Marshal(v)
	return gateway.Bytes(status, gateway.JSONContentType, body)
}

// apiError is one element of Salesforce's error array.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string     { return e.code + ": " + e.message }
func (e *apiError) ErrorCode() string { return e.code }

func badRequest(code, message string) *apiError {
	return &apiError{http.StatusBadRequest, code, message}
}

var errNotFound = &apiError{http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist"}

// dmlErrors answers with DML errors, which also name their fields.
type dmlErrors struct {
	status int
	errs   []org.DMLError
}

func (e *dmlErrors) Error() string { return e.errs[0].Error() }

func (e *dmlErrors) ErrorCode() string { return e.errs[0].StatusCode }

func dmlFailed(errs ...org.DMLError) *dmlErrors { return &dmlErrors{http.StatusBadRequest, errs} }
