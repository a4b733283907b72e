// Package soql parses and runs SOQL queries against an org's records.
//
// It owns the query language: a lexer and a hand-written recursive-descent
// parser producing an AST with source positions ([Parse]), a binder that
// resolves object, field and relationship names against an [org.Schema], and
// an evaluator that filters, sorts, groups and projects [org.Record]s
// ([Query.Run]). Errors are [*Error] values carrying Salesforce's errorCode and
// its full message text, including the query window, caret line and
// "ERROR at Row:R:Column:C" header (see errors.go for the sources of that
// layout).
//
// It does not own HTTP, JSON, paging or query locators: the rest package turns
// a [Result] into Salesforce's wire format. It does not store records: the org
// package does, and this package only reads them.
//
// Where the fake differs from Salesforce, candidly:
//   - The fiscal year is the calendar year (Salesforce's default); custom
//     fiscal years are not modelled, so *_FISCAL_* literals equal their
//     calendar counterparts.
//   - Date functions (CALENDAR_YEAR…), TYPEOF, toLabel, FORMAT,
//     convertCurrency, GROUP BY ROLLUP/CUBE, WITH DATA CATEGORY and
//     DISTANCE/GEOLOCATION are rejected with MALFORMED_QUERY.
//   - Text ordering is a case-insensitive comparison of Unicode code points,
//     not Salesforce's locale collation.
package soql
