package jwtbearer

import (
	"strings"
	"testing"
)

// FuzzLoadPrivateKey: LoadPrivateKey never panics and returns either a key or an error, never both or neither.
func FuzzLoadPrivateKey(f *testing.F) {
	key := testKey()
	p1, p8 := pkcs1PEM(key), pkcs8PEM(f, key)
	for _, seed := range []string{
		"", "-----BEGIN", "-----BEGIN PRIVATE KEY-----", "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----",
		"-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END X-----", `"'\n\\n\r\n\/`,
		p1, p8, oneLine(p8), `"` + oneLine(p1) + `"`, strings.ReplaceAll(p1, "\n", "\r\n"),
		certFor(f, key), p8[:len(p8)/2], p8 + p1, "/etc/server.key",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		key, err := LoadPrivateKey(data)
		if (key == nil) == (err == nil) {
			t.Fatalf("LoadPrivateKey(%q) = %v, %v: want exactly one of key and error", data, key, err)
		}
		if err != nil && err.Error() == "" {
			t.Fatalf("LoadPrivateKey(%q): empty error message", data)
		}
	})
}
