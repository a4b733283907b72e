package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// How a notification was authenticated.
const (
	authNone    = "none"       // not processed (duplicate, or refused before any call)
	authSession = "session"    // the message's SessionId
	authJWT     = "jwt"        // a JWT bearer login as the org's send user
	authLogin   = "soap-login" // a SOAP login() with the send user's password
)

// Outcomes of a notification.
const (
	outcomeProcessed = "processed"
	outcomeDuplicate = "duplicate"
	outcomeFailed    = "failed"
)

// errNotMigrated is what an unmigrated receiver meets once Salesforce stops
// sending session IDs.
var errNotMigrated = errors.New("no session ID in the outbound message: this receiver was not migrated to the JWT bearer flow")

// result is what happened to one notification.
type result struct {
	auth    string
	outcome string
	relogin bool   // the API refused the token and the receiver logged in again
	step    string // where it failed: org, auth, login, query, writeback
	err     error
}

var objectPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// process does the work for one notification, once per Notification Id.
func (rc *Receiver) process(ctx context.Context, org *OrgConfig, msg *OutboundMessage, n Notification) result {
	dup, err := rc.seen.Claim(ctx, n.ID)
	if err != nil {
		return result{auth: authNone, outcome: outcomeFailed, step: "dedupe", err: err}
	}
	if dup {
		return result{auth: authNone, outcome: outcomeDuplicate}
	}
	j := &job{rc: rc, org: org}
	res := j.run(ctx, msg, n)
	rc.seen.Finish(n.ID, res.outcome == outcomeProcessed)
	return res
}

// job is one notification's conversation with Salesforce.
type job struct {
	rc      *Receiver
	org     *OrgConfig
	tok     *Token
	auth    string
	relogin bool
	step    string
	// SOAP mode: the message's API version and the Partner endpoint the
	// credentials go with (the PartnerUrl, or the instance's after a login).
	version string
	soapURL string
}

func (j *job) fail(err error) result {
	return result{auth: j.auth, outcome: outcomeFailed, relogin: j.relogin, step: j.step, err: err}
}

func (j *job) run(ctx context.Context, msg *OutboundMessage, n Notification) result {
	j.auth, j.step = authNone, "auth"
	if !objectPattern.MatchString(n.Object) {
		return j.fail(fmt.Errorf("the notification's sObject has no usable xsi:type (got %q)", n.Object))
	}
	if !idPattern.MatchString(n.RecordID) {
		return j.fail(fmt.Errorf("the notification's sObject has no usable Id (got %q)", n.RecordID))
	}
	j.version = versionOf(msg.PartnerURL, versionOf(msg.EnterpriseURL, j.rc.cfg.APIVersion))
	if err := j.authenticate(ctx, msg); err != nil {
		return j.fail(err)
	}

	j.step = "query"
	soql := fmt.Sprintf("SELECT %s FROM %s WHERE Id = '%s'", strings.Join(j.rc.cfg.Fields, ", "), n.Object, n.RecordID)
	records, err := j.query(ctx, soql)
	if err != nil {
		return j.fail(err)
	}
	if len(records) == 0 {
		return j.fail(fmt.Errorf("%s %s not found: deleted, or not visible to the user", n.Object, n.RecordID))
	}

	j.step = "writeback"
	switch j.rc.cfg.Writeback {
	case WritebackTask:
		task := map[string]any{
			"Subject": "Outbound message processed",
			"Status":  "Completed",
			"Description": fmt.Sprintf("Notification %s of outbound message %s processed for %s %s%s.",
				n.ID, msg.ActionID, n.Object, n.RecordID, nameSuffix(records[0])),
		}
		if n.Object == "Lead" || n.Object == "Contact" {
			task["WhoId"] = n.RecordID
		} else {
			task["WhatId"] = n.RecordID
		}
		err = j.create(ctx, "Task", task)
	case WritebackEvent:
		// A platform event tells the rest of the org the message was
		// processed (Platform Events Developer Guide: publish through the
		// sObject API, as for any create).
		err = j.create(ctx, OutboundProcessedEvent, map[string]any{"Record_Id__c": n.RecordID, "Notification_Id__c": n.ID})
	default:
		err = j.update(ctx, n.Object, n.RecordID, map[string]any{j.rc.cfg.StatusField: "processed " + n.ID})
	}
	if err != nil {
		return j.fail(err)
	}
	return result{auth: j.auth, outcome: outcomeProcessed, relogin: j.relogin}
}

// query reads records over the configured API.
func (j *job) query(ctx context.Context, soql string) ([]map[string]any, error) {
	var records []map[string]any
	err := j.retryOnInvalidSession(ctx, func() error {
		if j.rc.cfg.API == APISOAP {
			var err error
			records, err = j.rc.sf.soapQuery(ctx, j.soapURL, j.tok.AccessToken, soql)
			return err
		}
		var page struct {
			Records []map[string]any `json:"records"`
		}
		err := j.rc.sf.Call(ctx, j.tok, http.MethodGet, "/query?q="+url.QueryEscape(soql), nil, &page)
		records = page.Records
		return err
	})
	return records, err
}

// update changes one record over the configured API.
func (j *job) update(ctx context.Context, object, id string, fields map[string]any) error {
	return j.retryOnInvalidSession(ctx, func() error {
		if j.rc.cfg.API == APISOAP {
			with := map[string]any{"Id": id}
			for k, v := range fields {
				with[k] = v
			}
			_, err := j.rc.sf.soapSave(ctx, j.soapURL, j.tok.AccessToken, "update", object, with)
			return err
		}
		return j.rc.sf.Call(ctx, j.tok, http.MethodPatch, "/sobjects/"+object+"/"+id, fields, nil)
	})
}

// create inserts one record over the configured API.
func (j *job) create(ctx context.Context, object string, fields map[string]any) error {
	return j.retryOnInvalidSession(ctx, func() error {
		if j.rc.cfg.API == APISOAP {
			_, err := j.rc.sf.soapSave(ctx, j.soapURL, j.tok.AccessToken, "create", object, fields)
			return err
		}
		var created struct {
			ID string `json:"id"`
		}
		return j.rc.sf.Call(ctx, j.tok, http.MethodPost, "/sobjects/"+object+"/", fields, &created)
	})
}

// authenticate picks the credentials: the message's session when it has
// one, else (migrated receivers only) a login — JWT bearer, or SOAP login().
func (j *job) authenticate(ctx context.Context, msg *OutboundMessage) error {
	if msg.SessionID != "" {
		src := msg.PartnerURL
		if src == "" {
			src = msg.EnterpriseURL
		}
		instance, err := instanceOf(src)
		if err != nil {
			return fmt.Errorf("the message has a session ID but no usable PartnerUrl: %v", err)
		}
		j.tok, j.auth = &Token{AccessToken: msg.SessionID, InstanceURL: instance}, authSession
		j.soapURL = msg.PartnerURL
		if j.soapURL == "" { // only an EnterpriseUrl: the Partner endpoint of its instance
			j.soapURL = partnerURL(instance, j.version, msg.OrganizationID)
		}
		return nil
	}
	if j.rc.cfg.Mode == ModeUnmigrated {
		return errNotMigrated
	}
	return j.login(ctx, nil)
}

// login logs in (again, when stale is the token just refused) and points
// the SOAP calls at the instance the login is good for.
func (j *job) login(ctx context.Context, stale *Token) error {
	j.auth, j.step = authJWT, "login"
	if j.rc.cfg.Login == LoginSOAPLogin {
		j.auth = authLogin
	}
	tok, err := j.rc.sf.Token(ctx, j.org, stale, j.version)
	if err != nil {
		return err
	}
	j.tok = tok
	j.soapURL = tok.SOAPURL
	if j.soapURL == "" {
		j.soapURL = partnerURL(tok.InstanceURL, j.version, j.org.OrgID)
	}
	return nil
}

// retryOnInvalidSession makes a call; when the API refuses the session
// (REST 401 INVALID_SESSION_ID, SOAP fault sf:INVALID_SESSION_ID) it logs
// in again once — a migrated receiver whose message session was refused
// falls back to its login — and retries.
func (j *job) retryOnInvalidSession(ctx context.Context, call func() error) error {
	err := call()
	if !isInvalidSession(err) || j.relogin || j.rc.cfg.Mode == ModeUnmigrated {
		return err
	}
	stale := j.tok
	if j.auth == authSession {
		stale = nil // the cached login, if any, was not the one refused
	}
	step, auth := j.step, j.auth
	if lerr := j.login(ctx, stale); lerr != nil {
		if auth == authSession {
			return fmt.Errorf("the message's session ID was refused (%v) and logging in failed: %w", err, lerr)
		}
		return lerr
	}
	j.relogin, j.step = true, step
	return call()
}

func nameSuffix(rec map[string]any) string {
	if name, ok := rec["Name"].(string); ok && name != "" {
		return " (" + name + ")"
	}
	return ""
}
