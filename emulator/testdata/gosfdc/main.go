// Command gosfdc drives sfemu with github.com/g8rswimmer/go-sfdc, unmodified:
// it logs in (JWT bearer and username-password), then runs sObject,
// sObject Collections, Composite, Composite Batch, sObject Tree, SOQL and
// Bulk API 2.0 calls exactly as go-sfdc's READMEs show them, printing one
// JSON line per operation: {"op": …, "ok": …, "error": …, "data": {…}}.
//
// It lives under testdata because go-sfdc has no go.mod and the Go module
// proxy will not serve it; emulator/gosfdc_test.go builds it in a temporary
// module that replaces go-sfdc with a local checkout.
package main

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	sfdc "github.com/g8rswimmer/go-sfdc"
	"github.com/g8rswimmer/go-sfdc/bulk"
	"github.com/g8rswimmer/go-sfdc/composite"
	"github.com/g8rswimmer/go-sfdc/composite/batch"
	"github.com/g8rswimmer/go-sfdc/credentials"
	"github.com/g8rswimmer/go-sfdc/session"
	"github.com/g8rswimmer/go-sfdc/sobject"
	"github.com/g8rswimmer/go-sfdc/sobject/collections"
	"github.com/g8rswimmer/go-sfdc/sobject/tree"
	"github.com/g8rswimmer/go-sfdc/soql"
)

var (
	baseURL      = flag.String("url", "", "sfemu's base URL (login and JWT audience)")
	username     = flag.String("username", "", "user to log in as")
	keyFile      = flag.String("key", "", "PEM RSA key for the JWT bearer flow")
	clientID     = flag.String("client-id", "", "the app's consumer key")
	clientSecret = flag.String("client-secret", "", "the app's consumer secret (username-password flow)")
	password     = flag.String("password", "", "the user's password (username-password flow)")
	version      = flag.Int("version", 62, "API version")
	bulkWait     = flag.Duration("bulk-wait", 30*time.Second, "how long to wait for a bulk job to finish")
)

// emit prints one operation's outcome as a JSON line.
func emit(op string, err error, data map[string]any) {
	line := map[string]any{"op": op, "ok": err == nil, "data": data}
	if err != nil {
		line["error"] = err.Error()
	}
	b, mErr := json.Marshal(line)
	if mErr != nil {
		b, _ = json.Marshal(map[string]any{"op": op, "ok": false, "error": "marshal: " + mErr.Error()})
	}
	fmt.Println(string(b))
}

// dml is the README's Inserter/Updater/Deleter/Upserter.
type dml struct {
	sobject       string
	fields        map[string]any
	id            string
	externalField string
}

func (d *dml) SObject() string        { return d.sobject }
func (d *dml) Fields() map[string]any { return d.fields }
func (d *dml) ID() string             { return d.id }
func (d *dml) ExternalField() string  { return d.externalField }
func (d *dml) InsertNull() bool       { return false }

// querier is the README's Querier.
type querier struct {
	sobject string
	id      string
	fields  []string
}

func (q *querier) SObject() string  { return q.sobject }
func (q *querier) ID() string       { return q.id }
func (q *querier) Fields() []string { return q.fields }

// compositeSub is the README's composite Subrequester.
type compositeSub struct {
	url         string
	body        map[string]any
	method      string
	httpHeaders http.Header
	referenceID string
}

func (s *compositeSub) URL() string              { return s.url }
func (s *compositeSub) ReferenceID() string      { return s.referenceID }
func (s *compositeSub) Method() string           { return s.method }
func (s *compositeSub) HTTPHeaders() http.Header { return s.httpHeaders }
func (s *compositeSub) Body() map[string]any     { return s.body }

// batchSub is the README's batch Subrequester.
type batchSub struct {
	url       string
	method    string
	richInput map[string]any
}

func (b *batchSub) URL() string                 { return b.url }
func (b *batchSub) Method() string              { return b.method }
func (b *batchSub) BinaryPartName() string      { return "" }
func (b *batchSub) BinaryPartNameAlias() string { return "" }
func (b *batchSub) RichInput() map[string]any   { return b.richInput }

// treeInserter is the README's tree Inserter.
type treeInserter struct {
	sobject string
	records []*tree.Record
}

func (t *treeInserter) SObject() string         { return t.sobject }
func (t *treeInserter) Records() []*tree.Record { return t.records }

func readKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM block in " + path)
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return rk, nil
}

func open(creds *credentials.Credentials, credErr error) (*session.Session, error) {
	return openAt(*version, creds, credErr)
}

func openAt(version int, creds *credentials.Credentials, credErr error) (*session.Session, error) {
	if credErr != nil {
		return nil, credErr
	}
	return session.Open(sfdc.Configuration{
		Credentials: creds,
		Client:      &http.Client{Timeout: 30 * time.Second},
		Version:     version,
	})
}

// login is the credentials main opened its session with.
var login func(version int) (*session.Session, error)

// sobjectsAt opens a session at another API version and its sObject resources.
func sobjectsAt(version int) (*sobject.Resources, error) {
	s, err := login(version)
	if err != nil {
		return nil, err
	}
	return sobject.NewResources(s)
}

func main() {
	flag.Parse()
	v := fmt.Sprintf("v%d.0", *version)

	// Log in both ways; the JWT session does the work when it opened.
	var sess *session.Session
	if *password != "" {
		pw := credentials.PasswordCredentials{
			URL: *baseURL, Username: *username, Password: *password, ClientID: *clientID, ClientSecret: *clientSecret,
		}
		s, err := open(credentials.NewPasswordCredentials(pw))
		data := map[string]any{}
		if err == nil {
			data["instance_url"] = s.InstanceURL()
			data["service_url"] = s.ServiceURL()
			sess = s
			login = func(v int) (*session.Session, error) {
				c, err := credentials.NewPasswordCredentials(pw)
				return openAt(v, c, err)
			}
		}
		emit("login_password", err, data)
	}
	if *keyFile != "" {
		key, err := readKey(*keyFile)
		jc := credentials.JwtCredentials{URL: *baseURL, ClientId: *clientID, ClientUsername: *username, ClientKey: key}
		var s *session.Session
		if err == nil {
			s, err = open(credentials.NewJWTCredentials(jc))
		}
		data := map[string]any{}
		if err == nil {
			data["instance_url"] = s.InstanceURL()
			data["service_url"] = s.ServiceURL()
			sess = s
			login = func(v int) (*session.Session, error) {
				c, err := credentials.NewJWTCredentials(jc)
				return openAt(v, c, err)
			}
		}
		emit("login_jwt", err, data)
	}
	if sess == nil {
		os.Exit(1)
	}

	sobjects(sess)
	collectionsOps(sess)
	accountID := compositeOps(sess, v)
	batchOps(sess, v, accountID)
	treeOps(sess)
	bulkOps(sess)
}

// sobjects: the single-record sObject resources.
func sobjects(sess *session.Session) {
	r, err := sobject.NewResources(sess)
	if err != nil {
		emit("sobject_resources", err, nil)
		return
	}
	md, err := r.Metadata("Account")
	emit("sobject_metadata", err, map[string]any{"name": md.ObjectDescribe.Name, "key_prefix": md.ObjectDescribe.KeyPrefix})
	desc, err := r.Describe("Account")
	emit("sobject_describe", err, map[string]any{"name": desc.Name, "fields": len(desc.Fields)})

	ins, err := r.Insert(&dml{sobject: "Account", fields: map[string]any{"Name": "go-sfdc Single", "Phone": "9045551212"}})
	emit("sobject_insert", err, map[string]any{"id": ins.ID, "success": ins.Success})
	if err != nil {
		return
	}
	err = r.Update(&dml{sobject: "Account", id: ins.ID, fields: map[string]any{"Name": "go-sfdc Single Updated", "Industry": "Technology"}})
	emit("sobject_update", err, map[string]any{"id": ins.ID})
	rec, err := r.Query(&querier{sobject: "Account", id: ins.ID, fields: []string{"Name", "Industry", "Phone"}})
	data := map[string]any{}
	if err == nil {
		data["sobject"] = rec.SObject()
		data["fields"] = rec.Fields()
	}
	emit("sobject_query", err, data)

	up, err := r.Upsert(&dml{sobject: "Account", externalField: "External_Key__c", id: "GOSFDC-1", fields: map[string]any{"Name": "go-sfdc Upserted"}})
	emit("sobject_upsert_insert", err, map[string]any{"id": up.ID, "inserted": up.Inserted, "success": up.Success})
	up2, err := r.Upsert(&dml{sobject: "Account", externalField: "External_Key__c", id: "GOSFDC-1", fields: map[string]any{"Name": "go-sfdc Upserted Again"}})
	emit("sobject_upsert_update", err, map[string]any{"id": up2.ID, "inserted": up2.Inserted})
	ext, err := r.ExternalQuery(&querier2{querier{sobject: "Account", id: "GOSFDC-1", fields: []string{"Name"}}, "External_Key__c"})
	data = map[string]any{}
	if err == nil {
		data["fields"] = ext.Fields()
	}
	emit("sobject_external_query", err, data)
	// go-sfdc expects 204 for an upsert that updates, which Salesforce
	// answers before API 46.0 (200 with a body since): the same at 45.0.
	if r45, err := sobjectsAt(45); err != nil {
		emit("sobject_upsert_update_v45", err, nil)
	} else {
		up3, err := r45.Upsert(&dml{sobject: "Account", externalField: "External_Key__c", id: "GOSFDC-1", fields: map[string]any{"Name": "go-sfdc Upserted v45"}})
		emit("sobject_upsert_update_v45", err, map[string]any{"id": up3.ID, "inserted": up3.Inserted})
	}

	err = r.Delete(&dml{sobject: "Account", id: ins.ID})
	emit("sobject_delete", err, map[string]any{"id": ins.ID})
}

type querier2 struct {
	querier
	externalField string
}

func (q *querier2) ExternalField() string { return q.externalField }

// collectionsOps: sObject Collections, mixed Accounts and Contacts as in
// the README.
func collectionsOps(sess *session.Session) {
	r, err := collections.NewResources(sess)
	if err != nil {
		emit("collections_resources", err, nil)
		return
	}
	ins, err := r.Insert(true, []sobject.Inserter{
		&dml{sobject: "Account", fields: map[string]any{"Name": "Collections Demo", "Phone": "9045551212"}},
		&dml{sobject: "Account", fields: map[string]any{"Name": "Collections Demo Two"}},
		&dml{sobject: "Contact", fields: map[string]any{"LastName": "Last Name Demo", "Title": "Demo"}},
		&dml{sobject: "Contact", fields: map[string]any{"LastName": "Last Name Demo Two"}},
	})
	var ids []string
	var results []map[string]any
	for _, v := range ins {
		ids = append(ids, v.ID)
		results = append(results, map[string]any{"id": v.ID, "success": v.Success, "errors": v.Errors})
	}
	emit("collections_insert", err, map[string]any{"results": results})
	if err != nil || len(ids) != 4 {
		return
	}

	upd, err := r.Update(true, []sobject.Updater{
		&dml{sobject: "Account", id: ids[0], fields: map[string]any{"Name": "Collections Demo Update", "Phone": "4805551212"}},
		&dml{sobject: "Account", id: ids[1], fields: map[string]any{"Name": "Collections Demo Two Update"}},
		&dml{sobject: "Contact", id: ids[2], fields: map[string]any{"LastName": "Last Name Demo Update"}},
	})
	results = nil
	for _, v := range upd {
		results = append(results, map[string]any{"id": v.ID, "success": v.Success, "errors": v.Errors})
	}
	emit("collections_update", err, map[string]any{"results": results})

	recs, err := r.Query("Account", []sobject.Querier{
		&querier{sobject: "Account", id: ids[0], fields: []string{"Name", "Phone"}},
		&querier{sobject: "Account", id: ids[1], fields: []string{"Name"}},
	})
	results = nil
	for _, rec := range recs {
		if rec == nil {
			results = append(results, nil)
			continue
		}
		results = append(results, map[string]any{"sobject": rec.SObject(), "fields": rec.Fields()})
	}
	emit("collections_query", err, map[string]any{"records": results})

	del, err := r.Delete(false, ids)
	results = nil
	for _, v := range del {
		results = append(results, map[string]any{"id": v.ID, "success": v.Success})
	}
	emit("collections_delete", err, map[string]any{"results": results, "ids": ids})
}

// compositeOps: the composite README's request, @{ref.field} references and
// all; returns the new Account's id.
func compositeOps(sess *session.Session, v string) string {
	// Exactly the README's request: MailingCity from the compound
	// BillingAddress field's city.
	compositeRun(sess, v, "composite_readme", "@{NewAccountInfo.BillingAddress.city}")
	// The same with MailingCity from BillingCity.
	return compositeRun(sess, v, "composite", "@{NewAccountInfo.BillingCity}")
}

func compositeRun(sess *session.Session, v, op, cityRef string) string {
	r, err := composite.NewResource(sess)
	if err != nil {
		emit(op, err, nil)
		return ""
	}
	value, err := r.Retrieve(false, []composite.Subrequester{
		&compositeSub{
			url: "/services/data/" + v + "/sobjects/Account", method: http.MethodPost, referenceID: "NewAccount",
			body: map[string]any{
				"Name":          "Salesforce",
				"BillingStreet": "Landmark @ 1 Market Street",
				"BillingCity":   "San Francisco",
				"BillingState":  "California",
				"Industry":      "Technology",
			},
		},
		&compositeSub{url: "/services/data/" + v + "/sobjects/Account/@{NewAccount.id}", method: http.MethodGet, referenceID: "NewAccountInfo"},
		&compositeSub{
			url: "/services/data/" + v + "/sobjects/Contact", method: http.MethodPost, referenceID: "NewContact",
			body: map[string]any{
				"lastname":      "John Doe",
				"Title":         "CTO of @{NewAccountInfo.Name}",
				"MailingStreet": "@{NewAccountInfo.BillingStreet}",
				"MailingCity":   cityRef,
				"MailingState":  "@{NewAccountInfo.BillingState}",
				"AccountId":     "@{NewAccountInfo.Id}",
				"Email":         "jdoe@salesforce.com",
				"Phone":         "1234567890",
			},
		},
		&compositeSub{url: "/services/data/" + v + "/sobjects/Contact/@{NewContact.id}", method: http.MethodGet, referenceID: "NewContactInfo"},
	})
	var subs []map[string]any
	var accountID string
	for _, s := range value.Response {
		subs = append(subs, map[string]any{"referenceId": s.ReferenceID, "status": s.HTTPStatusCode, "body": s.Body})
		if s.ReferenceID == "NewAccount" {
			if m, ok := s.Body.(map[string]any); ok {
				accountID, _ = m["id"].(string)
			}
		}
	}
	emit(op, err, map[string]any{"subresponses": subs})
	return accountID
}

// batchOps: the batch README's PATCH then GET of one Account.
func batchOps(sess *session.Session, v, accountID string) {
	r, err := batch.NewResource(sess)
	if err != nil || accountID == "" {
		if err == nil {
			err = errors.New("no account from the composite call")
		}
		emit("batch", err, nil)
		return
	}
	value, err := r.Retrieve(false, []batch.Subrequester{
		&batchSub{url: v + "/sobjects/Account/" + accountID, method: http.MethodPatch, richInput: map[string]any{"Name": "NewName"}},
		&batchSub{url: v + "/sobjects/Account/" + accountID, method: http.MethodGet},
		&batchSub{url: v + "/query?q=" + strings.ReplaceAll("SELECT Id, Name FROM Account WHERE Id = '"+accountID+"'", " ", "+"), method: http.MethodGet},
		&batchSub{url: v + "/sobjects/Account/001000000000000AAA", method: http.MethodGet},
	})
	var results []map[string]any
	for _, s := range value.Results {
		results = append(results, map[string]any{"status": s.StatusCode, "result": s.Result})
	}
	emit("batch", err, map[string]any{"hasErrors": value.HasErrors, "results": results, "account_id": accountID})
}

type treeBuilder struct {
	sobject     string
	fields      map[string]any
	referenceID string
}

func (b *treeBuilder) SObject() string        { return b.sobject }
func (b *treeBuilder) Fields() map[string]any { return b.fields }
func (b *treeBuilder) ReferenceID() string    { return b.referenceID }

// treeOps: the tree README's two Accounts, the first with two Contacts
// (lower-case field names and "contacts" as in the README), then a SOQL
// parent-child query to see the children under their parent.
func treeOps(sess *session.Session) {
	build := func(b *treeBuilder) *tree.RecordBuilder {
		rb, err := tree.NewRecordBuilder(b)
		if err != nil {
			emit("tree_builder", err, nil)
			os.Exit(1)
		}
		return rb
	}
	acct1 := build(&treeBuilder{sobject: "Account", referenceID: "ref1", fields: map[string]any{
		"name": "SampleAccount11", "phone": "1234567890", "website": "www.salesforce.com", "numberOfEmployees": 100, "industry": "Banking",
	}})
	acct2 := build(&treeBuilder{sobject: "Account", referenceID: "ref4", fields: map[string]any{
		"name": "SampleAccount112", "Phone": "1234567890", "website": "www.salesforce2.com", "numberOfEmployees": 100, "industry": "Banking",
	}})
	con1 := build(&treeBuilder{sobject: "Contact", referenceID: "ref2", fields: map[string]any{
		"lastname": "Smith11", "title": "President", "email": "sample@salesforce.com",
	}})
	con2 := build(&treeBuilder{sobject: "Contact", referenceID: "ref3", fields: map[string]any{
		"lastname": "Evans11", "title": "Vice President", "email": "sample@salesforce.com",
	}})
	acct1.SubRecords("contacts", con1.Build(), con2.Build())

	r, err := tree.NewResource(sess)
	if err != nil {
		emit("tree_insert", err, nil)
		return
	}
	value, err := r.Insert(&treeInserter{sobject: "Account", records: []*tree.Record{acct1.Build(), acct2.Build()}})
	data := map[string]any{}
	if value != nil {
		var results []map[string]any
		for _, res := range value.Results {
			results = append(results, map[string]any{"referenceId": res.ReferenceID, "id": res.ID, "errors": res.Errors})
		}
		data["hasErrors"] = value.HasErrors
		data["results"] = results
	}
	emit("tree_insert", err, data)

	// SOQL through go-sfdc's builder: the children under their parents.
	sub, err := soql.NewQuery(soql.QueryInput{ObjectType: "Contacts", FieldList: []string{"LastName", "AccountId"}})
	if err != nil {
		emit("soql_tree", err, nil)
		return
	}
	where, err := soql.WhereLike("Name", "SampleAccount11%")
	if err != nil {
		emit("soql_tree", err, nil)
		return
	}
	q, err := soql.NewQuery(soql.QueryInput{ObjectType: "Account", FieldList: []string{"Id", "Name"}, Where: where, SubQuery: []soql.QueryFormatter{sub}})
	if err != nil {
		emit("soql_tree", err, nil)
		return
	}
	sr, err := soql.NewResource(sess)
	if err != nil {
		emit("soql_tree", err, nil)
		return
	}
	result, err := sr.Query(q, false)
	data = map[string]any{}
	if err == nil {
		var accts []map[string]any
		for _, rec := range result.Records() {
			a := map[string]any{"fields": rec.Record().Fields()}
			if children, ok := rec.Subresult("Contacts"); ok {
				var kids []map[string]any
				for _, c := range children.Records() {
					kids = append(kids, c.Record().Fields())
				}
				a["contacts"] = kids
			}
			accts = append(accts, a)
		}
		data["totalSize"] = result.TotalSize()
		data["accounts"] = accts
	}
	emit("soql_tree", err, data)
}

// bulkOps: the bulk README's job: PIPE-delimited Account insert with one
// record lacking Name, closed, waited for, then its results.
func bulkOps(sess *session.Session) {
	r, err := bulk.NewResource(sess)
	if err != nil {
		emit("bulk_create", err, nil)
		return
	}
	job, err := r.CreateJob(bulk.Options{ColumnDelimiter: bulk.Pipe, Operation: bulk.Insert, Object: "Account"})
	if err != nil {
		emit("bulk_create", err, nil)
		return
	}
	info, err := job.Info()
	emit("bulk_create", err, map[string]any{"id": info.ID, "state": info.State, "columnDelimiter": info.ColumnDelimiter, "lineEnding": info.LineEnding, "object": info.Object})

	f, err := bulk.NewFormatter(job, []string{"Name", "Site", "AccountNumber"})
	if err != nil {
		emit("bulk_upload", err, nil)
		return
	}
	err = f.Add(
		&dml{fields: map[string]any{"Site": "MySite", "AccountNumber": "FAIL-1"}}, // no Name: fails
		&dml{fields: map[string]any{"Name": "Bulk Person Success 1", "Site": "MySite", "AccountNumber": "B-1"}},
		&dml{fields: map[string]any{"Name": "Bulk Person Success 2", "Site": "MySite", "AccountNumber": "B-2"}},
		&dml{fields: map[string]any{"Name": "Bulk Person Success 3", "Site": "MySite", "AccountNumber": "B-3"}},
	)
	if err == nil {
		err = job.Upload(f.Reader())
	}
	emit("bulk_upload", err, nil)
	if err != nil {
		return
	}
	closed, err := job.Close()
	emit("bulk_close", err, map[string]any{"state": closed.State})
	if err != nil {
		return
	}

	start := time.Now()
	var states []string
	for {
		info, err = job.Info()
		if err != nil {
			break
		}
		if len(states) == 0 || states[len(states)-1] != info.State {
			states = append(states, info.State)
		}
		if info.State == string(bulk.JobComplete) || info.State == string(bulk.Failed) || info.State == string(bulk.Aborted) {
			break
		}
		if time.Since(start) > *bulkWait {
			err = fmt.Errorf("job still %s after %s", info.State, *bulkWait)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	emit("bulk_wait", err, map[string]any{
		"state": info.State, "states": states, "elapsed_ms": time.Since(start).Milliseconds(),
		"numberRecordsProcessed": info.NumberRecordsProcessed, "numberRecordsFailed": info.NumberRecordsFailed,
		"errorMessage": info.ErrorMessage,
	})
	if err != nil {
		return
	}

	succ, err := job.SuccessfulRecords()
	var rows []map[string]any
	for _, s := range succ {
		rows = append(rows, map[string]any{"id": s.ID, "created": s.Created, "fields": s.Fields})
	}
	emit("bulk_successful", err, map[string]any{"records": rows})

	failed, err := job.FailedRecords()
	rows = nil
	for _, fr := range failed {
		rows = append(rows, map[string]any{"id": fr.ID, "error": fr.Error, "fields": fr.Fields})
	}
	emit("bulk_failed", err, map[string]any{"records": rows})

	unprocessed, err := job.UnprocessedRecords()
	emit("bulk_unprocessed", err, map[string]any{"count": len(unprocessed)})

	jobs, err := r.AllJobs(bulk.Parameters{JobType: bulk.V2Ingest})
	data := map[string]any{}
	if err == nil {
		var ids []string
		for _, j := range jobs.Records() {
			ids = append(ids, j.ID)
		}
		data["ids"] = ids
		data["done"] = jobs.Done()
	}
	emit("bulk_all_jobs", err, data)

	err = job.Delete()
	emit("bulk_delete", err, map[string]any{"id": info.ID})
}
