package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
)

// concurrency is how many notifications of one message are processed at once.
const concurrency = 4

// Receiver is the HTTP handler: POST <path> takes outbound messages,
// GET /healthz answers "ok", GET /processed lists processed Notification Ids.
type Receiver struct {
	cfg  *Config
	orgs map[string]*OrgConfig // by orgKey
	sf   *Salesforce
	seen *Dedupe
	log  *slog.Logger
}

// NewReceiver builds a receiver from a validated Config. hc is the HTTP
// client for Salesforce; nil means a default one.
func NewReceiver(cfg *Config, log *slog.Logger, hc *http.Client) *Receiver {
	r := &Receiver{
		cfg:  cfg,
		orgs: map[string]*OrgConfig{},
		sf:   NewSalesforce(hc, cfg.APIVersion, cfg.Login),
		seen: NewDedupe(cfg.DedupeSize),
		log:  log,
	}
	for _, o := range cfg.Orgs {
		r.orgs[orgKey(o.OrgID)] = o
	}
	return r
}

func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == rc.cfg.Path:
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeFault(w, http.StatusMethodNotAllowed, faultClient, "outbound messages are POSTed; got "+r.Method)
			return
		}
		rc.handleOutbound(w, r)
	case r.URL.Path == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	case r.URL.Path == "/processed" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(rc.seen.Processed())
	default:
		http.NotFound(w, r)
	}
}

// handleOutbound answers one delivery: Ack only when every notification
// succeeded (or was a duplicate), otherwise a SOAP Fault naming the first
// failure, so Salesforce retries the message.
func (rc *Receiver) handleOutbound(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, errBodyTooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		rc.log.Warn("message refused", "remote", r.RemoteAddr, "error", err)
		writeFault(w, status, faultClient, err.Error())
		return
	}
	msg, err := ParseOutboundMessage(body)
	if err != nil {
		rc.log.Warn("message refused", "remote", r.RemoteAddr, "error", err)
		writeFault(w, http.StatusInternalServerError, faultClient, "not an outbound message: "+err.Error())
		return
	}
	org := rc.orgs[orgKey(msg.OrganizationID)]
	if org == nil {
		reason := fmt.Sprintf("organization %s is not configured", msg.OrganizationID)
		for _, n := range msg.Notifications {
			rc.logOutcome(msg, n, result{auth: authNone, outcome: outcomeFailed, step: "org", err: errors.New(reason)})
		}
		writeFault(w, http.StatusInternalServerError, faultClient, reason)
		return
	}

	results := make([]result, len(msg.Notifications))
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i, n := range msg.Notifications {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = rc.process(r.Context(), org, msg, n)
			rc.logOutcome(msg, n, results[i])
		}()
	}
	wg.Wait()
	for i, res := range results {
		if res.outcome == outcomeFailed {
			writeFault(w, http.StatusInternalServerError, faultServer,
				fmt.Sprintf("notification %s: %v", msg.Notifications[i].ID, res.err))
			return
		}
	}
	writeAck(w)
}

// logOutcome writes the one line per notification.
func (rc *Receiver) logOutcome(msg *OutboundMessage, n Notification, res result) {
	attrs := []any{"notification", n.ID, "org", msg.OrganizationID, "record", n.RecordID, "object", n.Object,
		"auth", res.auth, "outcome", res.outcome}
	if res.relogin {
		attrs = append(attrs, "relogin", true)
	}
	if res.err != nil {
		attrs = append(attrs, "step", res.step, "error", res.err.Error())
	}
	// REST mode's lines are as they always were; SOAP mode's say so.
	if rc.cfg.API == APISOAP {
		attrs = append(attrs, "api", APISOAP)
	}
	if res.err != nil {
		rc.log.Error("notification", attrs...)
		return
	}
	rc.log.Info("notification", attrs...)
}
