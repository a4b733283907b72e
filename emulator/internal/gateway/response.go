package gateway

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Response is what a handler answers: a status, headers and an encoded
// body. The surface packages build them (JSON, XML, text).
type Response struct {
	Status      int
	ContentType string
	Header      http.Header
	Body        []byte
}

// Bytes is a response with an already encoded body.
func Bytes(status int, contentType string, body []byte) Response {
	return Response{Status: status, ContentType: contentType, Body: body}
}

// JSONContentType is what Salesforce's JSON answers carry.
const JSONContentType = "application/json;charset=UTF-8"

// JSON is a response of v encoded with encoding/json.
func JSON(status int, v any) (Response, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return Response{}, err
	}
	return Bytes(status, JSONContentType, body), nil
}

// NoContent is a 204.
func NoContent() Response { return Response{Status: http.StatusNoContent} }

// SetHeader sets a response header.
func (r *Response) SetHeader(key, value string) {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	r.Header.Set(key, value)
}

func (r Response) write(w http.ResponseWriter) {
	for k, v := range r.Header {
		w.Header()[k] = v
	}
	if r.ContentType != "" {
		w.Header().Set("Content-Type", r.ContentType)
	}
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	w.WriteHeader(r.Status)
	if len(r.Body) > 0 {
		_, _ = w.Write(r.Body)
	}
}

// BodyError is a request body that could not be read: over the limit, or
// a compressed body that does not decompress.
type BodyError struct {
	// TooLarge is set when the body (decompressed) is over Limit bytes.
	TooLarge bool
	Limit    int64
	Err      error
}

func (e *BodyError) Error() string {
	if e.TooLarge {
		return fmt.Sprintf("request body over %d bytes", e.Limit)
	}
	return "request body: " + e.Err.Error()
}

func (e *BodyError) Unwrap() error { return e.Err }

// Body reads the request body once, at most limit bytes after
// decompression. A body sent with Content-Encoding: gzip (as SOAP clients
// and some REST clients send it) is decompressed; the limit applies to what
// it expands to, so a small bomb cannot grow memory past it. Errors are
// *BodyError.
func (c *Call) Body(limit int64) ([]byte, error) {
	if c.read {
		return c.body, c.bErr
	}
	c.read = true
	c.body, c.bErr = readBody(c.Request, limit)
	return c.body, c.bErr
}

func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	var src io.Reader = r.Body
	gzipped := false
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		if r.ContentLength > limit {
			return nil, &BodyError{TooLarge: true, Limit: limit}
		}
	case "gzip", "x-gzip":
		// The compressed stream may be a little larger than what it expands
		// to (data that does not compress); its own bound only stops a
		// stream of empty members from being read for ever.
		zr, err := gzip.NewReader(io.LimitReader(r.Body, 2*limit+64<<10))
		if err != nil {
			return nil, &BodyError{Err: fmt.Errorf("Content-Encoding gzip: %v", err)}
		}
		defer zr.Close()
		src, gzipped = zr, true
	default:
		return nil, &BodyError{Err: fmt.Errorf("Content-Encoding %q is not supported (send gzip or none)", enc)}
	}
	data, err := io.ReadAll(io.LimitReader(src, limit+1))
	if err != nil {
		if gzipped && (errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF)) {
			return nil, &BodyError{Err: fmt.Errorf("Content-Encoding gzip: %v", err)}
		}
		return nil, &BodyError{Err: err}
	}
	if int64(len(data)) > limit {
		return nil, &BodyError{TooLarge: true, Limit: limit}
	}
	return data, nil
}
