package soql

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Salesforce error codes a query can fail with.
const (
	CodeMalformedQuery   = "MALFORMED_QUERY"
	CodeInvalidField     = "INVALID_FIELD"
	CodeInvalidType      = "INVALID_TYPE"
	CodeNumberOutOfRange = "NUMBER_OUTSIDE_VALID_RANGE"
	// CodeQueryTooComplicated: nested deeper than Limits.MaxDepth.
	CodeQueryTooComplicated = "QUERY_TOO_COMPLICATED"
)

// wsdlHint ends Salesforce's INVALID_FIELD and INVALID_TYPE texts.
const wsdlHint = " Please reference your WSDL or the describe call for the appropriate names."

// Error is a query failure as Salesforce reports it: the REST body is
// [{"message": Message, "errorCode": Code}].
type Error struct {
	Code string
	// Row and Column are the numbers printed in "ERROR at Row:R:Column:C";
	// both are 0 for errors that carry no position (OFFSET > 2000).
	Row, Column int
	// Message is Salesforce's full message: for positioned errors a newline,
	// the query window, a caret line, the ERROR line, then Text.
	Message string
	// Text is the explanation alone, e.g. "unexpected token: 'FROM'".
	Text string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// ErrorCode is the Salesforce error code, as the request journal records it.
func (e *Error) ErrorCode() string { return e.Code }

// The message layout, reconstructed from bodies captured against real orgs
// and published in public repositories:
//
//   - "\nSELECT Bacon__c FROM Account LIMIT 2\n       ^\nERROR at Row:1:Column:8\nNo such column 'Bacon__c' …"
//     (jsforce-era test of a REST client, INVALID_FIELD): the message starts
//     with a newline; a short query is shown whole; the caret sits under the
//     first character of the bad name, whose 1-based column is reported.
//   - "\nLastModifiedById, LastModifiedDate, From Account \n                                   ^\nERROR at Row:1:Column:78\nunexpected token: 'From'"
//     (a Java REST client's comment quoting a 400 body), and
//     "\nContentVersion WHERE ContentDocumentId = ”'\n                                          ^\nERROR at Row:1:Column:239\nunexpected token: ”'"
//     (an Aura error published in a 2025 write-up), and the ANTLR-era
//     "\nselect Id from Account where id = $sfid\n                                 ^\nERROR at Row:1:Column:34\nline 1:34 …":
//     for syntax errors the column is the parser's 0-based offset of the
//     offending token, printed as is, so the caret lands one character
//     before the token. Both cases are one rule: the caret is drawn at
//     (Column-1) from the start of the line.
//   - "\nCreatedById,OCE__ActualCap__c,TPI_Product__c,Name,OCE__JobId__c\n                              ^\nERROR at Row:1:Column:114"
//     and "\na.Id, a.Name FROM Account a WHERE Idd='00111000002zYnu'\n                                  ^\nERROR at Row:1:Column:42":
//     long lines are cut to a window of whole tokens, starting with the first
//     token that begins at most 36 characters before the caret and ending with
//     the last token that begins fewer than 32 characters after it; when the
//     window reaches an end of the line it keeps the line's remaining text
//     (the captured "From Account \n" keeps a trailing space).
//
// Not every capture fits one rule (the ContentVersion window starts 42
// characters before its caret); the limits above fit the others.
const (
	windowBefore = 36
	windowAfter  = 32
)

// errorAt builds a positioned error. col0 true means Column is the 0-based
// offset of the token (syntax errors); false means the 1-based column of the
// name (binding errors).
func errorAt(code, query string, offset int, zeroBased bool, text string) *Error {
	if offset > len(query) {
		offset = len(query)
	}
	if offset < 0 {
		offset = 0
	}
	lineStart := strings.LastIndexByte(query[:offset], '\n') + 1
	row := 1 + strings.Count(query[:lineStart], "\n")
	lineEnd := strings.IndexByte(query[offset:], '\n')
	if lineEnd < 0 {
		lineEnd = len(query)
	} else {
		lineEnd += offset
	}
	line := strings.TrimSuffix(query[lineStart:lineEnd], "\r")
	col0 := utf8.RuneCountInString(query[lineStart:offset]) // 0-based rune column
	column := col0 + 1
	if zeroBased {
		column = col0
	}
	caret := column - 1 // rune index of the caret within the line
	if caret < 0 {
		caret = 0
	}
	win, winStart := window(line, caret)
	var b strings.Builder
	b.WriteByte('\n')
	b.WriteString(win)
	b.WriteByte('\n')
	b.WriteString(strings.Repeat(" ", max(caret-winStart, 0)))
	b.WriteString("^\nERROR at Row:")
	b.WriteString(strconv.Itoa(row))
	b.WriteString(":Column:")
	b.WriteString(strconv.Itoa(column))
	b.WriteByte('\n')
	b.WriteString(text)
	return &Error{Code: code, Row: row, Column: column, Message: b.String(), Text: text}
}

// errorBare is an error Salesforce reports without a query window.
func errorBare(code, text string) *Error {
	return &Error{Code: code, Message: text, Text: text}
}

// window cuts line (runes) to the tokens around caret; it returns the window
// text and the rune index where it starts.
func window(line string, caret int) (string, int) {
	runes := []rune(line)
	starts := tokenStarts(runes)
	from, to := 0, len(runes)
	first := true
	for i, s := range starts {
		if s < caret-windowBefore {
			continue
		}
		if first {
			first = false
			if i > 0 {
				from = s
			}
		}
		if s-caret >= windowAfter {
			to = tokenEndBefore(runes, s)
			break
		}
	}
	if first { // no token starts inside the window: show from the caret's token
		from = 0
	}
	if from > to {
		from = to
	}
	return string(runes[from:to]), from
}

// tokenStarts lists the rune offsets where SOQL tokens start: runs of name
// characters, quoted strings, and single punctuation characters.
func tokenStarts(r []rune) []int {
	var out []int
	for i := 0; i < len(r); {
		c := r[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '\'':
			out = append(out, i)
			i++
			for i < len(r) && r[i] != '\'' {
				if r[i] == '\\' {
					i++
				}
				i++
			}
			i++
		case isNameRune(c):
			out = append(out, i)
			for i < len(r) && (isNameRune(r[i]) || r[i] == '.' || r[i] == ':' || r[i] == '-' || r[i] == '+') {
				i++
			}
		default:
			out = append(out, i)
			i++
		}
	}
	return out
}

// tokenEndBefore is the end of the last token before rune offset next.
func tokenEndBefore(r []rune, next int) int {
	for next > 0 && (r[next-1] == ' ' || r[next-1] == '\t') {
		next--
	}
	return next
}

func isNameRune(c rune) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= utf8.RuneSelf
}
