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
	authNone    = "none"    // not processed (duplicate, or refused before any call)
	authSession = "session" // the message's SessionId
	authJWT     = "jwt"     // a JWT bearer login as the org's send user
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
	if err := j.authenticate(ctx, msg); err != nil {
		return j.fail(err)
	}

	j.step = "query"
	soql := fmt.Sprintf("SELECT %s FROM %s WHERE Id = '%s'", strings.Join(j.rc.cfg.Fields, ", "), n.Object, n.RecordID)
	var page struct {
		TotalSize int              `json:"totalSize"`
		Records   []map[string]any `json:"records"`
	}
	if err := j.call(ctx, http.MethodGet, "/query?q="+url.QueryEscape(soql), nil, &page); err != nil {
		return j.fail(err)
	}
	if len(page.Records) == 0 {
		return j.fail(fmt.Errorf("%s %s not found: deleted, or not visible to the user", n.Object, n.RecordID))
	}

	j.step = "writeback"
	switch j.rc.cfg.Writeback {
	case WritebackTask:
		task := map[string]any{
			"Subject": "Outbound message processed",
			"Status":  "Completed",
			"Description": fmt.Sprintf("Notification %s of outbound message %s processed for %s %s%s.",
				n.ID, msg.ActionID, n.Object, n.RecordID, nameSuffix(page.Records[0])),
		}
		if n.Object == "Lead" || n.Object == "Contact" {
			task["WhoId"] = n.RecordID
		} else {
			task["WhatId"] = n.RecordID
		}
		var created struct {
			ID string `json:"id"`
		}
		if err := j.call(ctx, http.MethodPost, "/sobjects/Task/", task, &created); err != nil {
			return j.fail(err)
		}
	default:
		patch := map[string]any{j.rc.cfg.StatusField: "processed " + n.ID}
		if err := j.call(ctx, http.MethodPatch, "/sobjects/"+n.Object+"/"+n.RecordID, patch, nil); err != nil {
			return j.fail(err)
		}
	}
	return result{auth: j.auth, outcome: outcomeProcessed, relogin: j.relogin}
}

// authenticate picks the credentials: the message's session when it has
// one, else (migrated receivers only) a JWT bearer login.
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
		return nil
	}
	if j.rc.cfg.Mode == ModeUnmigrated {
		return errNotMigrated
	}
	j.auth, j.step = authJWT, "login"
	tok, err := j.rc.sf.Token(ctx, j.org, nil)
	if err != nil {
		return err
	}
	j.tok = tok
	return nil
}

// call makes a REST call; on 401 INVALID_SESSION_ID it logs in again once
// (a migrated receiver whose message session was refused falls back to
// JWT bearer) and retries.
func (j *job) call(ctx context.Context, method, path string, in, out any) error {
	err := j.rc.sf.Call(ctx, j.tok, method, path, in, out)
	if !isInvalidSession(err) || j.relogin || j.rc.cfg.Mode == ModeUnmigrated {
		return err
	}
	stale := j.tok
	if j.auth == authSession {
		stale = nil // the cached JWT token, if any, was not the one refused
	}
	step := j.step
	j.step = "login"
	tok, lerr := j.rc.sf.Token(ctx, j.org, stale)
	if lerr != nil {
		if j.auth == authSession {
			return fmt.Errorf("the message's session ID was refused (%v) and logging in with JWT bearer failed: %w", err, lerr)
		}
		return lerr
	}
	j.tok, j.auth, j.relogin, j.step = tok, authJWT, true, step
	return j.rc.sf.Call(ctx, j.tok, method, path, in, out)
}

func nameSuffix(rec map[string]any) string {
	if name, ok := rec["Name"].(string); ok && name != "" {
		return " (" + name + ")"
	}
	return ""
}
