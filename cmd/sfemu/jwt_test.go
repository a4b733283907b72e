package main

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// jwtCmd runs `sfemu jwt args...` and returns its exit code, stdout and stderr.
func jwtCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runJWT(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// keyPair makes server.key and server.crt in a temporary directory with `sfemu keygen`.
func keyPair(t *testing.T) (keyPath, certPath string) {
	t.Helper()
	dir := t.TempDir()
	if code, _, stderr := keygen(t, "--out", dir); code != 0 {
		t.Fatalf("keygen: exit %d, %s", code, stderr)
	}
	return filepath.Join(dir, "server.key"), filepath.Join(dir, "server.crt")
}

// verify checks token against the certificate at certPath and returns its claims.
func verify(t *testing.T, token, certPath string, opts ...jwt.ParserOption) jwt.MapClaims {
	t.Helper()
	cert := readCert(t, certPath)
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return cert.PublicKey.(*rsa.PublicKey), nil },
		append(opts, jwt.WithValidMethods([]string{"RS256"}))...)
	if err != nil {
		t.Fatalf("assertion does not verify with %s: %v", certPath, err)
	}
	return claims
}

func TestJWTPrintsAnAssertionThatVerifiesWithTheCertificate(t *testing.T) {
	keyPath, certPath := keyPair(t)
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	const envVar = "SFEMU_TEST_JWT_KEY"
	t.Setenv(envVar, `"`+strings.ReplaceAll(string(keyPEM), "\n", `\n`)+`"`) // as pasted into a .env file

	tests := []struct {
		name    string
		args    []string
		want    map[string]any // claims other than exp
		wantExp time.Duration  // from now
	}{
		{"--key with defaults: login.salesforce.com, 3 minutes",
			[]string{"--key", keyPath, "--iss", "3MVG9CK", "--sub", "sender@acme.example"},
			map[string]any{"iss": "3MVG9CK", "sub": "sender@acme.example", "aud": "https://login.salesforce.com"}, 3 * time.Minute},
		{`--key-env with the one-line \n-escaped, quoted form`,
			[]string{"--key-env", envVar, "--iss", "CK", "--sub", "u@x.example", "--aud", "https://test.salesforce.com"},
			map[string]any{"iss": "CK", "sub": "u@x.example", "aud": "https://test.salesforce.com"}, 3 * time.Minute},
		{"--claim adds string claims; --exp sets the expiry",
			[]string{"--key", keyPath, "--iss", "CK", "--sub", "u@x.example", "--claim", "jti=abc-1", "--claim", "prn=legacy@x.example", "--exp", "10m"},
			map[string]any{"iss": "CK", "sub": "u@x.example", "aud": "https://login.salesforce.com", "jti": "abc-1", "prn": "legacy@x.example"},
			10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := jwtCmd(t, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr: %s", code, stderr)
			}
			if stderr != "" {
				t.Errorf("stderr = %q, want nothing without --decode", stderr)
			}
			token, ok := strings.CutSuffix(stdout, "\n")
			if !ok || strings.ContainsAny(token, "\n ") {
				t.Fatalf("stdout = %q, want the compact JWT and a newline", stdout)
			}
			claims := verify(t, token, certPath)
			exp, err := claims.GetExpirationTime()
			if err != nil || exp == nil {
				t.Fatalf("exp: %v", err)
			}
			if d := time.Until(exp.Time); d > tt.wantExp || d < tt.wantExp-time.Minute {
				t.Errorf("exp is %s from now, want about %s", d, tt.wantExp)
			}
			delete(claims, "exp")
			if len(claims) != len(tt.want) {
				t.Errorf("claims %v, want %v and exp", claims, tt.want)
			}
			for k, v := range tt.want {
				if claims[k] != v {
					t.Errorf("claim %s = %v, want %v", k, claims[k], v)
				}
			}
		})
	}
}

func TestJWTExpiredAssertionAndDecode(t *testing.T) {
	keyPath, certPath := keyPair(t)
	code, stdout, stderr := jwtCmd(t, "--key", keyPath, "--iss", "CK", "--sub", "u@x.example", "--exp", "-5m", "--decode")
	if code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, stderr)
	}
	token := strings.TrimSuffix(stdout, "\n")
	claims := verify(t, token, certPath, jwt.WithoutClaimsValidation())
	if exp, _ := claims.GetExpirationTime(); exp == nil || !exp.Before(time.Now().Add(-4*time.Minute)) {
		t.Errorf("exp = %v, want about 5 minutes ago", exp)
	}

	header, rest, ok := strings.Cut(stderr, "\nclaims:\n")
	if !ok {
		t.Fatalf("stderr = %q, want a header: and a claims: section", stderr)
	}
	if want := "header:\n{\n  \"alg\": \"RS256\",\n  \"typ\": \"JWT\"\n}"; header != want {
		t.Errorf("decoded header =\n%s\nwant\n%s", header, want)
	}
	var decoded map[string]any
	if err := json.Unmarshal([]byte(rest), &decoded); err != nil {
		t.Fatalf("decoded claims are not JSON: %v\n%s", err, rest)
	}
	if decoded["iss"] != "CK" || decoded["sub"] != "u@x.example" || decoded["exp"] == nil {
		t.Errorf("decoded claims = %v", decoded)
	}
	if !strings.Contains(rest, "\n  \"iss\": \"CK\"") {
		t.Errorf("claims are not indented:\n%s", rest)
	}
}

func TestJWTErrors(t *testing.T) {
	keyPath, certPath := keyPair(t)
	t.Setenv("SFEMU_TEST_EMPTY", "")
	t.Setenv("SFEMU_TEST_CERT", "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----")
	missing := filepath.Join(t.TempDir(), "nope.key")
	ok := []string{"--iss", "CK", "--sub", "u@x.example"}

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string // all of stderr, or a prefix ending in "…"
	}{
		{"the certificate given as the key", append([]string{"--key", certPath}, ok...), 1,
			"sfemu jwt: private key file " + certPath + ": this is a CERTIFICATE, not a private key: " +
				"the JWT is signed with the private key; the certificate goes into the app\n"},
		{"a key file that does not exist", append([]string{"--key", missing}, ok...), 1,
			"sfemu jwt: reading private key: open " + missing + ": …"},
		{"a certificate in the environment variable", append([]string{"--key-env", "SFEMU_TEST_CERT"}, ok...), 1,
			"sfemu jwt: private key in $SFEMU_TEST_CERT: this is a CERTIFICATE, not a private key: …"},
		{"an unset environment variable", append([]string{"--key-env", "SFEMU_TEST_UNSET_VARIABLE"}, ok...), 1,
			"sfemu jwt: environment variable SFEMU_TEST_UNSET_VARIABLE is not set\n"},
		{"an empty environment variable", append([]string{"--key-env", "SFEMU_TEST_EMPTY"}, ok...), 1,
			"sfemu jwt: environment variable SFEMU_TEST_EMPTY is empty\n"},
		{"missing --iss", []string{"--key", keyPath, "--sub", "u@x.example"}, 2,
			"sfemu jwt: --iss is required (the app's consumer key)\nusage: sfemu jwt …"},
		{"missing --sub", []string{"--key", keyPath, "--iss", "CK"}, 2,
			"sfemu jwt: --sub is required (the username)\nusage: sfemu jwt …"},
		{"no key", ok, 2, "sfemu jwt: --key FILE or --key-env VAR is required\n…"},
		{"both --key and --key-env", append([]string{"--key", keyPath, "--key-env", "X"}, ok...), 2,
			"sfemu jwt: --key and --key-env cannot be used together\n…"},
		{"--claim for a claim that has its own flag", append([]string{"--key", keyPath, "--claim", "sub=x"}, ok...), 2,
			`invalid value "sub=x" for flag -claim: use --sub to set "sub"` + "\n…"},
		{"--claim without =", append([]string{"--key", keyPath, "--claim", "jti"}, ok...), 2,
			`invalid value "jti" for flag -claim: want k=v, got "jti"` + "\n…"},
		{"--exp that is not a duration", append([]string{"--key", keyPath, "--exp", "3"}, ok...), 2,
			`invalid value "3" for flag -exp: …`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := jwtCmd(t, tt.args...)
			prefix, isPrefix := strings.CutSuffix(tt.wantErr, "…")
			if code != tt.wantCode || (isPrefix && !strings.HasPrefix(stderr, prefix)) || (!isPrefix && stderr != tt.wantErr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and:\n%s", code, stderr, tt.wantCode, tt.wantErr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
}
