package wire

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a control call the emulator refused: the HTTP status it answers
// with, and a message for people. Code, when set, is the Salesforce error
// code behind it (a DML status code such as REQUIRED_FIELD_MISSING, or a
// SOQL error code), for callers that branch on it.
//
// The emulator's in-process methods return the same *Error the control
// client decodes from an answer, so code that drives either sees one thing.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code,omitempty"`
	Message string `json:"error"`
}

func (e *Error) Error() string {
	if e.Code != "" && !startsWith(e.Message, e.Code) {
		return e.Code + ": " + e.Message
	}
	return e.Message
}

func startsWith(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

// Errorf makes an *Error with an HTTP status.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// NotFound is a 404 *Error: no such org, message, fault, notification…
func NotFound(format string, args ...any) *Error { return Errorf(http.StatusNotFound, format, args...) }

// BadRequest is a 400 *Error: the request itself is wrong.
func BadRequest(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, format, args...)
}

// Conflict is a 409 *Error: the request is right but the emulator's state
// forbids it (moving a real clock).
func Conflict(format string, args ...any) *Error { return Errorf(http.StatusConflict, format, args...) }

// StatusOf is the HTTP status of err: its *Error's, else 500.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) && e.Status != 0 {
		return e.Status
	}
	return http.StatusInternalServerError
}
