package rest

import (
	"net/http"
	"strings"

	"github.com/sfemu/sfemu/emulator/org"
)

// AutoAssignHeader is the REST API's Assignment Rule header.
const AutoAssignHeader = "Sforce-Auto-Assign"

// autoAssign reads the Assignment Rule header as the REST API Developer
// Guide ("Assignment Rule Header") describes it: TRUE or absent runs the
// active assignment rule, FALSE none, a valid AssignmentRule Id that rule
// (TRUE and FALSE in any case). Any other value runs none: what Salesforce
// does with it is UNKNOWN.
func autoAssign(r *http.Request) org.Assignment {
	v := strings.TrimSpace(r.Header.Get(AutoAssignHeader))
	switch {
	case v == "" || strings.EqualFold(v, "true"):
		return org.Assignment{UseActive: true}
	case strings.EqualFold(v, "false"):
		return org.Assignment{}
	}
	if id, err := org.ParseID(v); err == nil && id.Prefix() == org.PrefixAssignRule {
		return org.Assignment{RuleID: id}
	}
	return org.Assignment{}
}

// createOptions are the DML options of a create through this call: the
// lead assignment rule its header asks for, and the composite call's
// transaction it runs in.
func (c *call) createOptions() org.DMLOptions { return c.createOptionsIn(c.tx()) }

// createOptionsIn are createOptions inside tx.
func (c *call) createOptionsIn(tx *org.Tx) org.DMLOptions {
	return org.DMLOptions{Assignment: autoAssign(c.r), Tx: tx}
}

// tx is the transaction of the composite call this request runs in; nil
// for a request on its own.
func (c *call) tx() *org.Tx { return txFrom(c.r.Context()) }
