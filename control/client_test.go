package control

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClientDecodesAnswersAndErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/_sfemu/clock":
			w.Write([]byte(`{"mode":"virtual"}`))
		case "/_sfemu/clock/advance":
			w.WriteHeader(http.StatusConflict)
			w.Write([]byte(`{"error":"the clock is real"}`))
		default:
			http.Error(w, "plain failure", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	c := New(srv.URL + "/")
	var clock struct{ Mode string }
	if err := c.Do(context.Background(), "GET", "/clock", nil, &clock); err != nil || clock.Mode != "virtual" {
		t.Errorf("GET /clock: %+v %v", clock, err)
	}
	err := c.Do(context.Background(), "POST", "/clock/advance", map[string]string{"by": "1h"}, nil)
	var ce *Error
	if !errors.As(err, &ce) || ce.Status != 409 || ce.Message != "the clock is real" {
		t.Errorf("refused call: %v", err)
	}
	if err := c.Do(context.Background(), "GET", "/other", nil, nil); err == nil || err.Error() != "GET /other: plain failure" {
		t.Errorf("non-JSON error: %v", err)
	}
}
