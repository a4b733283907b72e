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
	// Columns are the rows' keys in SELECT order; set by QueryPage only.
	Columns []string `json:"columns,omitempty"`
	// Offset is where Rows start among the query's rows; set by QueryPage.
	Offset int `json:"offset,omitempty"`
}

// QueryPage is GET /_sfemu/orgs/{org}/query?q=SOQL&offset=N&limit=M: one
// page of a query's rows, flattened as Rows are, with their columns in
// SELECT order, for a caller that shows them (the console). The query runs
// whole (TotalSize counts every row); only the page is flattened.
type QueryPage struct {
	Query  string `json:"q"`
	Offset int    `json:"offset,omitempty"`
	// Limit is the page size, 1 to MaxQueryPage; 0 means MaxQueryPage.
	Limit int `json:"limit,omitempty"`
}

// MaxQueryPage bounds QueryPage.Limit.
const MaxQueryPage = 2000
