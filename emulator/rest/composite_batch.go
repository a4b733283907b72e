package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
)

// maxBatchSubrequests is Composite Batch's limit ("Composite Batch": "up
// to 25 subrequests in a single request").
const maxBatchSubrequests = 25

type batchBody struct {
	HaltOnError   bool `json:"haltOnError"`
	BatchRequests []struct {
		Method    string          `json:"method"`
		URL       string          `json:"url"`
		RichInput json.RawMessage `json:"richInput"`
	} `json:"batchRequests"`
}

type batchResult struct {
	StatusCode int             `json:"statusCode"`
	Result     json.RawMessage `json:"result"`
}

// batchHalted is what the subrequests after a failure get with
// haltOnError (guide, "Composite Batch": 412 BATCH_PROCESSING_HALTED).
var batchHalted = compositeErrorBody("BATCH_PROCESSING_HALTED", "Batch processing halted per request")

// compositeBatch serves POST /composite/batch (guide, "Composite Batch"):
// independent subrequests, each its own transaction, their urls relative
// to /services/data ("v66.0/sobjects/Account/…"). haltOnError stops at the
// first failure.
func (s *Service) compositeBatch(c *call) (gateway.Response, error) {
	tmpl := compositeTemplate(c)
	data, err := c.Body(maxBodyBytes)
	if err != nil {
		return gateway.Response{}, err
	}
	var req batchBody
	if err := decodeJSON(data, &req); err != nil {
		return gateway.Response{}, err
	}
	if len(req.BatchRequests) > maxBatchSubrequests {
		// UNKNOWN wording, as for /composite.
		return gateway.Response{}, badRequest("LIMIT_EXCEEDED", fmt.Sprintf("Maximum number of subrequests allowed is %d.", maxBatchSubrequests))
	}
	out := struct {
		HasErrors bool          `json:"hasErrors"`
		Results   []batchResult `json:"results"`
	}{Results: make([]batchResult, 0, len(req.BatchRequests))}
	halted := false
	for _, br := range req.BatchRequests {
		if halted {
			out.Results = append(out.Results, batchResult{http.StatusPreconditionFailed, batchHalted})
			continue
		}
		if br.Method == "" || br.URL == "" {
			return gateway.Response{}, badRequest("INVALID_INPUT", "A batch subrequest needs its method and url.") // UNKNOWN wording
		}
		u := br.URL
		switch {
		case strings.HasPrefix(u, Prefix+"/"):
		case strings.HasPrefix(u, "/"):
			u = Prefix + u
		default:
			u = Prefix + "/" + u
		}
		res := s.dispatch(tmpl, subRequest{method: br.Method, url: u, body: rawBody(br.RichInput)}, nil)
		out.Results = append(out.Results, batchResult{res.resp.Status, responseBody(res.resp)})
		if res.resp.Status >= 400 {
			out.HasErrors = true
			halted = req.HaltOnError
		}
	}
	return compositeJSON(http.StatusOK, out)
}
