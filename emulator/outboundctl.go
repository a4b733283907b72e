package emulator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/outbound"
	"github.com/sfemu/sfemu/emulator/soql"
)

func (e *Emulator) outboundRoutes(r *mux.Router) {
	r.HandleFunc("/outbound/messages", e.listOutboundMessages).Methods(http.MethodGet)
	r.HandleFunc("/outbound/queue", e.outboundQueue).Methods(http.MethodGet)
	r.HandleFunc("/outbound/queue/{id}/retry", e.outboundRetry).Methods(http.MethodPost)
	r.HandleFunc("/outbound/queue/{id}", e.outboundDelete).Methods(http.MethodDelete)
	r.HandleFunc("/outbound/deliveries", e.outboundDeliveries).Methods(http.MethodGet)
	r.HandleFunc("/outbound/faults", e.getOutboundFaults).Methods(http.MethodGet)
	r.HandleFunc("/outbound/faults", e.setOutboundFaults).Methods(http.MethodPut)
	r.HandleFunc("/outbound/faults", e.clearOutboundFaults).Methods(http.MethodDelete)
	r.HandleFunc("/outbound/idle", e.outboundIdle).Methods(http.MethodPost)
	r.HandleFunc("/outbound/client-certificate", e.clientCertificate).Methods(http.MethodGet)
	r.HandleFunc("/test-receiver/{answer}", e.testReceiver).Methods(http.MethodPost)
	r.HandleFunc("/outbound/{name}/send", e.outboundSend).Methods(http.MethodPost)
	r.HandleFunc("/outbound/{name}/wsdl", e.outboundWSDL).Methods(http.MethodGet)
}

// Outbound is the outbound-message dispatcher.
func (e *Emulator) Outbound() *outbound.Dispatcher { return e.state.Load().outbound }

// findOutbound resolves a definition by name, in one org or the only org that has it.
func (e *Emulator) findOutbound(name, orgName string) (*org.OutboundMessage, error) {
	orgs := e.Store().Orgs()
	if orgName != "" {
		o := e.Store().Org(orgName) // by id or name
		if o == nil {
			return nil, fmt.Errorf("no org %q", orgName)
		}
		orgs = []*org.Org{o}
	}
	var found []*org.OutboundMessage
	for _, o := range orgs {
		if m := o.OutboundMessage(name); m != nil {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no outbound message %q (GET %s/outbound/messages lists them)", name, ControlPrefix)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("outbound message %q exists in several orgs: give \"org\"", name)
}

// SendOutbound queues notifications of message name for the given records,
// or for the records matching a SOQL condition ("where"). orgName may be
// empty when only one org has the message.
func (e *Emulator) SendOutbound(name, orgName string, records []string, where string) ([]org.ID, error) {
	m, err := e.findOutbound(name, orgName)
	if err != nil {
		return nil, err
	}
	var ids []org.ID
	for _, r := range records {
		id, err := org.ParseID(r)
		if err != nil {
			return nil, err
		}
		rec := m.Org.Data.Get(id)
		if rec == nil || rec.Object != m.Object {
			return nil, fmt.Errorf("record %s is not a%s %s of org %q", r, article(m.Object.Name), m.Object.Name, m.Org.Name)
		}
		ids = append(ids, id)
	}
	if where != "" {
		matched, err := e.matching(m.Org, m.Object, where)
		if err != nil {
			return nil, err
		}
		ids = append(ids, matched...)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no records to send: give record ids or a where condition that matches some")
	}
	return e.Outbound().Send(m, ids)
}

func article(s string) string {
	if s != "" && strings.ContainsRune("AEIOU", rune(s[0])) {
		return "n"
	}
	return ""
}

// matching runs SELECT Id FROM object WHERE condition in o.
func (e *Emulator) matching(o *org.Org, obj *org.Object, condition string) ([]org.ID, error) {
	q, err := soql.Parse("SELECT Id FROM " + obj.Name + " WHERE " + condition)
	if err != nil {
		return nil, err
	}
	res, err := q.Run(soql.Env{Schema: o.Schema, Data: o.Data, Now: e.clock.Now(), Location: o.TimeZone})
	if err != nil {
		return nil, err
	}
	ids := make([]org.ID, 0, len(res.Rows))
	for _, row := range res.Rows {
		ids = append(ids, row.ID)
	}
	return ids, nil
}

// fireRules is the workflow rule of each definition with one: it queues a
// notification when a saved record meets the rule.
func (e *Emulator) fireRules(st *state, o *org.Org, before, after *org.Record) {
	for _, m := range o.OutboundMessages {
		if m.Rule == nil || m.Object != after.Object {
			continue
		}
		if m.Rule.When == org.RuleOnCreate && before != nil {
			continue
		}
		meets, err := e.meetsRule(o, m, after)
		if err != nil {
			e.opts.Logger.Warn("outbound rule condition failed", "message", m.Name, "error", err)
			continue
		}
		if !meets {
			continue
		}
		if m.Rule.When == org.RuleOnCreateOrEditToMet && before != nil {
			// Only a save that newly meets the criteria fires: the previous
			// version is judged from the values it had.
			if met, _ := e.meetsRuleValues(o, m, before); met {
				continue
			}
		}
		if _, err := st.outbound.Send(m, []org.ID{after.ID}); err != nil {
			e.opts.Logger.Warn("outbound rule could not queue", "message", m.Name, "error", err)
		}
	}
}

func (e *Emulator) meetsRule(o *org.Org, m *org.OutboundMessage, rec *org.Record) (bool, error) {
	if m.Rule.Condition == "" {
		return true, nil
	}
	ids, err := e.matching(o, m.Object, "Id = '"+string(rec.ID)+"' AND ("+m.Rule.Condition+")")
	return len(ids) == 1, err
}

// meetsRuleValues judges an earlier version of a record against the rule:
// the condition is evaluated over a one-record copy holding that version.
func (e *Emulator) meetsRuleValues(o *org.Org, m *org.OutboundMessage, rec *org.Record) (bool, error) {
	if m.Rule.Condition == "" {
		return true, nil
	}
	q, err := soql.Parse("SELECT Id FROM " + m.Object.Name + " WHERE " + m.Rule.Condition)
	if err != nil {
		return false, err
	}
	res, err := q.Run(soql.Env{Schema: o.Schema, Data: o.Data.WithVersion(rec), Now: e.clock.Now(), Location: o.TimeZone})
	if err != nil {
		return false, err
	}
	for _, row := range res.Rows {
		if row.ID == rec.ID {
			return true, nil
		}
	}
	return false, nil
}

type outboundMessageSummary struct {
	ID               org.ID   `json:"action_id"`
	Name             string   `json:"name"`
	Org              string   `json:"org"`
	Object           string   `json:"object"`
	Fields           []string `json:"fields"`
	EndpointURL      string   `json:"endpoint_url"`
	UserToSendAs     string   `json:"user_to_send_as"`
	IncludeSessionID bool     `json:"include_session_id"`
	SessionIDSent    bool     `json:"session_id_sent"`
	APIVersion       string   `json:"api_version"`
	Rule             string   `json:"rule,omitempty"`
}

func (e *Emulator) listOutboundMessages(w http.ResponseWriter, r *http.Request) {
	out := []outboundMessageSummary{}
	for _, o := range e.Store().Orgs() {
		for _, m := range o.OutboundMessages {
			s := outboundMessageSummary{ID: m.ID, Name: m.Name, Org: o.Name, Object: m.Object.Name, EndpointURL: m.EndpointURL,
				UserToSendAs: m.UserToSendAs.Username, IncludeSessionID: m.IncludeSessionID, APIVersion: m.APIVersion,
				SessionIDSent: m.IncludeSessionID && o.OutboundSessionID == org.SessionIDLegacy}
			for _, f := range m.Fields {
				s.Fields = append(s.Fields, f.Name)
			}
			if m.Rule != nil {
				s.Rule = m.Rule.When
				if m.Rule.Condition != "" {
					s.Rule += " when " + m.Rule.Condition
				}
			}
			out = append(out, s)
		}
	}
	controlJSON(w, http.StatusOK, out)
}

func (e *Emulator) outboundSend(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Org     string   `json:"org"`
		Records []string `json:"records"`
		Where   string   `json:"where"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	ids, err := e.SendOutbound(mux.Vars(r)["name"], body.Org, body.Records, body.Where)
	if err != nil {
		var qe *soql.Error
		if errors.As(err, &qe) {
			controlError(w, http.StatusBadRequest, "where: %s: %s", qe.Code, qe.Message)
			return
		}
		controlError(w, http.StatusBadRequest, "%v", err)
		return
	}
	controlJSON(w, http.StatusAccepted, map[string]any{"notifications": ids})
}

func (e *Emulator) outboundQueue(w http.ResponseWriter, r *http.Request) {
	out := e.Outbound().Queue(r.URL.Query().Get("all") == "true")
	if out == nil {
		out = []outbound.Status{}
	}
	controlJSON(w, http.StatusOK, out)
}

func (e *Emulator) queuedID(w http.ResponseWriter, r *http.Request) (org.ID, bool) {
	id, err := org.ParseID(mux.Vars(r)["id"])
	if err != nil {
		controlError(w, http.StatusBadRequest, "%v", err)
		return "", false
	}
	return id, true
}

func (e *Emulator) outboundRetry(w http.ResponseWriter, r *http.Request) {
	id, ok := e.queuedID(w, r)
	if !ok {
		return
	}
	if err := e.Outbound().RetryNow(id); err != nil {
		controlError(w, http.StatusNotFound, "%s: %v", id, err)
		return
	}
	controlJSON(w, http.StatusAccepted, map[string]any{"retrying": id})
}

func (e *Emulator) outboundDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := e.queuedID(w, r)
	if !ok {
		return
	}
	if err := e.Outbound().Delete(id); err != nil {
		controlError(w, http.StatusNotFound, "%s: %v", id, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) outboundDeliveries(w http.ResponseWriter, r *http.Request) {
	out := e.Outbound().Attempts()
	controlJSON(w, http.StatusOK, out)
}

// faultsRequest is outbound.Faults with durations as strings.
type faultsRequest struct {
	Seed                 int64   `json:"seed"`
	Message              string  `json:"message"`
	DuplicateProbability float64 `json:"duplicate_probability"`
	DuplicateAfter       string  `json:"duplicate_after"`
	ReorderProbability   float64 `json:"reorder_probability"`
	ReorderHold          string  `json:"reorder_hold"`
	DelayProbability     float64 `json:"delay_probability"`
	Delay                string  `json:"delay"`
}

func (e *Emulator) getOutboundFaults(w http.ResponseWriter, r *http.Request) {
	controlJSON(w, http.StatusOK, e.Outbound().Faults())
}

func (e *Emulator) setOutboundFaults(w http.ResponseWriter, r *http.Request) {
	var body faultsRequest
	if !decodeBody(w, r, &body) {
		return
	}
	f := outbound.Faults{Seed: body.Seed, Message: body.Message, DuplicateProbability: body.DuplicateProbability,
		ReorderProbability: body.ReorderProbability, DelayProbability: body.DelayProbability}
	for _, d := range []struct {
		name, text string
		dst        *time.Duration
	}{{"duplicate_after", body.DuplicateAfter, &f.DuplicateAfter}, {"reorder_hold", body.ReorderHold, &f.ReorderHold}, {"delay", body.Delay, &f.Delay}} {
		if d.text == "" {
			continue
		}
		v, err := time.ParseDuration(d.text)
		if err != nil || v < 0 {
			controlError(w, http.StatusBadRequest, "%s %q is not a duration such as 30s", d.name, d.text)
			return
		}
		*d.dst = v
	}
	for _, p := range []float64{f.DuplicateProbability, f.ReorderProbability, f.DelayProbability} {
		if p < 0 || p > 1 {
			controlError(w, http.StatusBadRequest, "probabilities are between 0 and 1, got %v", p)
			return
		}
	}
	e.Outbound().SetFaults(f)
	controlJSON(w, http.StatusOK, f)
}

func (e *Emulator) clearOutboundFaults(w http.ResponseWriter, r *http.Request) {
	e.Outbound().SetFaults(outbound.Faults{})
	w.WriteHeader(http.StatusNoContent)
}

// outboundIdle waits (up to 30 s) until no delivery is due in real time or in flight.
func (e *Emulator) outboundIdle(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	if err := e.Outbound().Idle(ctx); err != nil {
		controlError(w, http.StatusGatewayTimeout, "deliveries still running: %v", err)
		return
	}
	controlJSON(w, http.StatusOK, map[string]string{"status": "idle"})
}

func (e *Emulator) outboundWSDL(w http.ResponseWriter, r *http.Request) {
	m, err := e.findOutbound(mux.Vars(r)["name"], r.URL.Query().Get("org"))
	if err != nil {
		controlError(w, http.StatusNotFound, "%v", err)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
	_, _ = w.Write(outbound.WSDL(m))
}
