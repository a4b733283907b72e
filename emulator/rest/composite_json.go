package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
)

// maxJSONDepth bounds how deeply a composite body may nest: Jackson's
// default StreamReadConstraints (2.15 and later) allow 1,000 levels. Which
// Jackson Salesforce runs, and so whether it applies this limit, is UNKNOWN;
// sfemu applies it so that a 10,000-deep body is refused in one linear scan.
const maxJSONDepth = 1000

// checkDepth refuses JSON nested deeper than maxJSONDepth, naming where.
// It only counts brackets outside strings; the decoder judges the rest.
func checkDepth(data []byte) error {
	depth, inString, escaped := 0, false, false
	for i, ch := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case ch == '\\':
				escaped = true
			case ch == '"':
				inString = false
			}
		case ch == '"':
			inString = true
		case ch == '{' || ch == '[':
			depth++
			if depth > maxJSONDepth {
				line, col := lineCol(data, int64(i))
				return badRequest("JSON_PARSER_ERROR", fmt.Sprintf("Document nesting depth (%d) exceeds the maximum allowed (%d, from `StreamReadConstraints.getMaxNestingDepth()`) at [line:%d, column:%d]",
					depth, maxJSONDepth, line, col+1))
			}
		case ch == '}' || ch == ']':
			depth--
		}
	}
	return nil
}

// decodeJSON decodes a composite resource's body into v (numbers as
// json.Number). A syntax or type error is JSON_PARSER_ERROR naming line and
// column, as readCollection words it.
func decodeJSON(data []byte, v any) error {
	if err := checkDepth(data); err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return badRequest("JSON_PARSER_ERROR", "No content to map due to end-of-input at [line:1, column:1]")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		off := int64(len(data))
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			off = se.Offset
		case errors.As(err, &te):
			off = te.Offset
		case errors.Is(err, io.ErrUnexpectedEOF):
			err = errors.New("unexpected end of JSON input")
		}
		line, col := lineCol(data, off)
		return badRequest("JSON_PARSER_ERROR", fmt.Sprintf("%v at [line:%d, column:%d]", err, line, col))
	}
	return nil
}

// rawBody is a sub-request's body as given: nil for none or JSON null.
func rawBody(m json.RawMessage) []byte {
	if len(m) == 0 || string(bytes.TrimSpace(m)) == "null" {
		return nil
	}
	return m
}

// compositeJSON answers v as JSON without encoding/json's HTML escaping,
// so that sub-responses' bodies (written by appendString, which does not
// escape <, > and &, as Salesforce does not) keep their bytes.
func compositeJSON(status int, v any) (gateway.Response, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return gateway.Response{}, err
	}
	return jsonBody(status, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}
