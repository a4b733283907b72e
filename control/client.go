// Package control is a client of sfemu's control API (/_sfemu/…, see
// docs/CONTROL.md): what the CLI and the container module use to drive a
// running emulator from outside its process.
package control

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Client calls one emulator's control API.
type Client struct {
	// BaseURL is the emulator's base URL, e.g. http://127.0.0.1:8085.
	BaseURL string
	HTTP    *http.Client
}

// New returns a client for the emulator at baseURL.
func New(baseURL string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Timeout: 60 * time.Second}}
}

// maxAnswer bounds a control answer read into memory.
const maxAnswer = 64 << 20

// Do sends method path (relative to /_sfemu) with in as a JSON body (nil:
// none) and decodes a JSON answer into out (nil: ignored). An answer of 400
// or more is an error carrying the emulator's own message.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+"/_sfemu"+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the emulator at %s: %w", c.BaseURL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return &Error{Status: resp.StatusCode, Message: e.Error}
		}
		return &Error{Status: resp.StatusCode, Message: fmt.Sprintf("%s %s: %s", method, path, strings.TrimSpace(string(data)))}
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return nil
}

// Error is the emulator's answer to a control call it refused.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Message }
