package oauth

import (
	"strings"
	"testing"
)

func TestParseAuthorizeNamesWhatIsWrong(t *testing.T) {
	tests := []struct {
		name, query, wantErr string
	}{
		{"a well-formed request", "response_type=code&client_id=K&redirect_uri=https%3A%2F%2Fa.example%2Fcb&scope=api+refresh_token&state=x", ""},
		{"a repeated parameter", "client_id=A&client_id=B", "duplicate parameter: client_id"},
		{"a bad escape", "client_id=%zz", "invalid request"},
		{"an oversized parameter", "state=" + strings.Repeat("a", maxAuthorizeParam+1), "parameter too long: state"},
		{"an oversized query", strings.Repeat("a=b&", maxAuthorizeQuery/4+1), "request too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseAuthorize(tt.query)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error %v; want none", err)
			case tt.wantErr != "" && (err == nil || err.description != tt.wantErr):
				t.Errorf("error %v; want %q", err, tt.wantErr)
			}
		})
	}
}

func TestAuthorizeResponseChecks(t *testing.T) {
	tests := []struct {
		query, want string
	}{
		{"response_type=code", ""},
		{"response_type=token", ""},
		{"", "unsupported_response_type"},
		{"response_type=code&prompt=login+consent", ""},
		{"response_type=code&prompt=sometimes", "invalid_request"},
		{"response_type=code&code_challenge=short", "invalid_request"},
		{"response_type=code&code_challenge=" + strings.Repeat("a", 43) + "&code_challenge_method=MD5", "invalid_request"},
		{"response_type=code&code_challenge=" + strings.Repeat("a", 43), ""},
	}
	for _, tt := range tests {
		a, perr := parseAuthorize(tt.query)
		if perr != nil {
			t.Fatalf("%q: %v", tt.query, perr)
		}
		err := a.checkResponse()
		if got := ""; err != nil {
			got = err.code
			if got != tt.want {
				t.Errorf("%q: %s; want %q", tt.query, got, tt.want)
			}
		} else if tt.want != "" {
			t.Errorf("%q: accepted; want %s", tt.query, tt.want)
		}
	}
}

// FuzzParseAuthorize: any query string is parsed or refused with a code,
// never a panic, and what is parsed stays within the limits.
func FuzzParseAuthorize(f *testing.F) {
	for _, s := range []string{
		"response_type=code&client_id=K&redirect_uri=https%3A%2F%2Fa%2Fcb&state=s&scope=api%20openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		"prompt=login%20consent&immediate=true", "a=%", "a=1&a=2", ";;;", "scope=" + strings.Repeat("api ", 100),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		a, err := parseAuthorize(q)
		if err != nil {
			if err.code == "" || err.description == "" {
				t.Fatalf("error without code or description: %+v", err)
			}
			return
		}
		if len(a.state) > maxAuthorizeParam || len(a.redirectURI) > maxAuthorizeParam {
			t.Fatal("a parameter over the limit was accepted")
		}
		if e := a.checkResponse(); e != nil && e.code == "" {
			t.Fatal("check error without a code")
		}
	})
}
