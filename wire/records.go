package wire

// CreateRecord is POST /_sfemu/orgs/{org}/records: insert a record as a
// user of the org would through the API (rules fire), with the same checks.
type CreateRecord struct {
	Object string         `json:"object"`
	Fields map[string]any `json:"fields"`
	// As is the username to act as; empty: the org's first administrator.
	As string `json:"as,omitempty"`
}

// UpdateRecord is PATCH /_sfemu/orgs/{org}/records/{id}.
type UpdateRecord struct {
	Fields map[string]any `json:"fields"`
	As     string         `json:"as,omitempty"`
}

// Record answers CreateRecord and UpdateRecord. A DML failure is an
// *Error whose Code is Salesforce's status code.
type Record struct {
	ID string `json:"id"`
}

// Rows answers GET /_sfemu/orgs/{org}/query?q=SOQL: every row (no paging),
// flattened for comparison — parent fields by path ("Account.Name"),
// child subqueries as their row count, datetimes in RFC 3339, numbers as
// JSON numbers. A SOQL error is an *Error whose Code is Salesforce's.
type Rows struct {
	TotalSize int              `json:"total_size"`
	Rows      []map[string]any `json:"rows"`
}
