package oauth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func seg(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// TestAssertionSyntaxErrorsNameTheClaim: what the journal says about a
// malformed assertion (the client only sees "invalid assertion").
func TestAssertionSyntaxErrorsNameTheClaim(t *testing.T) {
	hdr := seg(`{"alg":"RS256"}`)
	tests := []struct {
		name, compact, want string
	}{
		{"empty", "", "assertion parameter is missing"},
		{"not three parts", "a.b", "want 3 dot-separated parts"},
		{"header not base64", "!!!." + seg(`{}`) + ".c2ln", "JWT header is not base64url"},
		{"header not JSON", seg("nope") + "." + seg(`{}`) + ".c2ln", "JWT header is not a JSON object"},
		{"alg missing", seg(`{"typ":"JWT"}`) + "." + seg(`{}`) + ".c2ln", "alg is missing"},
		{"claims not JSON", hdr + "." + seg(`[1,2]`) + ".c2ln", "JWT claims are not a JSON object"},
		{"iss not a string", hdr + "." + seg(`{"iss":42}`) + ".c2ln", "claim iss: want a string, got 42"},
		{"aud wrong type", hdr + "." + seg(`{"aud":{"x":1}}`) + ".c2ln", "claim aud: want a string or an array of strings"},
		{"exp not a number", hdr + "." + seg(`{"exp":"soon"}`) + ".c2ln", `claim exp: want seconds since 1970-01-01T00:00:00Z, got "soon"`},
		{"exp in milliseconds", hdr + "." + seg(`{"exp":1772445780000000}`) + ".c2ln", "milliseconds instead of seconds"},
		{"signature not base64", hdr + "." + seg(`{}`) + ".***", "JWT signature is not base64url"},
		{"a claim twice", hdr + "." + seg(`{"sub":"a@x.example","sub":"b@x.example"}`) + ".c2ln", `JWT claims: claim "sub" appears twice (RFC 7519 §4: a name appears once)`},
		{"a header parameter twice", seg(`{"alg":"none","alg":"RS256"}`) + "." + seg(`{}`) + ".c2ln", `JWT header: parameter "alg" appears twice`},
		{"alg spelt in capitals", seg(`{"ALG":"RS256"}`) + "." + seg(`{}`) + ".c2ln", "alg is missing"},
		{"claims followed by more JSON", hdr + "." + seg(`{}{}`) + ".c2ln", "JWT claims are not a JSON object: invalid character '{' after top-level value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseAssertion(tt.compact)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseAssertion error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestAssertionClaimForms(t *testing.T) {
	hdr := seg(`{"alg":"RS256"}`)
	a, err := parseAssertion(hdr + "." + seg(`{"iss":"K","sub":"s@x.example","prn":"p@x.example","aud":["https://login.salesforce.com","x"],"exp":"1772445780"}`) + ".c2ln")
	if err != nil {
		t.Fatal(err)
	}
	if a.subject != "p@x.example" {
		t.Errorf("subject = %q, want prn to win over sub", a.subject)
	}
	if len(a.audience) != 2 || !a.expiry.Equal(time.Unix(1772445780, 0)) {
		t.Errorf("audience %v expiry %v", a.audience, a.expiry)
	}
}

// TestClaimNamesAreCaseSensitive: RFC 7519 §4 claim names are
// case-sensitive: "SUB" or "Sub" is another claim, never the subject.
func TestClaimNamesAreCaseSensitive(t *testing.T) {
	hdr := seg(`{"alg":"RS256"}`)
	for _, tc := range []struct {
		claims        string
		sub, iss, aud string
	}{
		{`{"SUB":"a@x.example","ISS":"K","AUD":"https://login.salesforce.com"}`, "", "", ""},
		{`{"sub":"a@x.example","Sub":"b@x.example"}`, "a@x.example", "", ""},
		{`{"Sub":"b@x.example","sub":"a@x.example","Iss":"X","iss":"K"}`, "a@x.example", "K", ""},
		{`{"Aud":"x","aud":"https://login.salesforce.com"}`, "", "", "https://login.salesforce.com"},
	} {
		a, err := parseAssertion(hdr + "." + seg(tc.claims) + ".c2ln")
		if err != nil {
			t.Fatalf("%s: %v", tc.claims, err)
		}
		aud := ""
		if len(a.audience) > 0 {
			aud = a.audience[0]
		}
		if a.subject != tc.sub || a.issuer != tc.iss || aud != tc.aud {
			t.Errorf("%s: sub %q iss %q aud %q; want %q %q %q", tc.claims, a.subject, a.issuer, aud, tc.sub, tc.iss, tc.aud)
		}
	}
}

func FuzzAssertion(f *testing.F) {
	f.Add(seg(`{"alg":"RS256"}`) + "." + seg(`{"iss":"K","sub":"u@x.example","aud":"https://login.salesforce.com","exp":1772445780}`) + ".c2ln")
	f.Add(seg(`{"alg":"none"}`) + "." + seg(`{"exp":"12"}`) + ".")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, compact string) {
		a, err := parseAssertion(compact)
		if err == nil && a == nil {
			t.Fatal("no assertion and no error")
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error message")
		}
	})
}

// FuzzTokenEndpoint drives the whole JWT path with arbitrary assertions:
// the answer is always one of Salesforce's 400 bodies, never a panic.
func FuzzTokenEndpoint(f *testing.F) {
	env := newTestEnv(f, "")
	f.Add(sign(f, env.keys.key, goodClaims()))
	f.Add(seg(`{"alg":"RS256"}`) + "." + seg(`{"iss":"KEY_ECA","sub":"sender@acme.example","aud":"https://login.salesforce.com","exp":"99999999999"}`) + ".c2ln")
	f.Fuzz(func(t *testing.T, assertion string) {
		got := env.postToken(t, jwtForm(assertion))
		if got.status != 200 && got.status != 400 && got.status != 413 {
			t.Fatalf("status %d: %s", got.status, got.body)
		}
		if got.status != 200 && !strings.HasPrefix(got.body, `{"error":"`) {
			t.Fatalf("body %s is not an OAuth error", got.body)
		}
	})
}

func TestClaimNamesAreCaseSensitiveAndJunkIsRejected(t *testing.T) {
	hdr := seg(`{"alg":"RS256","typ":"JWT"}`)
	a, err := parseAssertion(hdr + "." + seg(`{"iss":"K","Sub":"s@x.example","aud":"https://login.salesforce.com","exp":1772445780}`) + ".c2ln")
	if err != nil {
		t.Fatal(err)
	}
	if a.subject != "" {
		t.Errorf("a claim spelt Sub was read as sub (%q)", a.subject)
	}
	if _, err := parseAssertion(hdr + "." + seg(`{"iss":"K"}garbage`) + ".c2ln"); err == nil {
		t.Error("claims followed by junk were accepted")
	}
}

// BenchmarkParseAssertion: reading a typical assertion's parts, which the
// token endpoint does before it verifies the signature.
func BenchmarkParseAssertion(b *testing.B) {
	compact := seg(`{"alg":"RS256","typ":"JWT"}`) + "." + seg(`{"iss":"3MVG9acmeConnectorConsumerKey","sub":"sender@acme.example","aud":"https://login.salesforce.com","exp":1772445780}`) + "." + seg(strings.Repeat("s", 256))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseAssertion(compact); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/assertion")
}

// FuzzExactMembers: the one-pass member scan agrees with encoding/json on
// every object without a repeated name, and refuses exactly those with one.
func FuzzExactMembers(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":"x\"}","b":[1,{"c":"]"}],"a\u0062":null}`, `{"a":1,"a":2}`, ` { "x" : { } } `, `[1]`, `{"\u0061":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := exactMembers(claimsPart, data)
		var want map[string]json.RawMessage
		if json.Unmarshal(data, &want) != nil || want == nil {
			if err == nil {
				t.Fatalf("%q: accepted, encoding/json refuses it", data)
			}
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.Token()
		seen, dup := map[string]bool{}, false
		for dec.More() {
			k, _ := dec.Token()
			var v json.RawMessage
			_ = dec.Decode(&v)
			dup = dup || seen[k.(string)]
			seen[k.(string)] = true
		}
		if dup != (err != nil) {
			t.Fatalf("%q: repeated name %v, error %v", data, dup, err)
		}
		if err != nil {
			return
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d members, encoding/json %d", data, len(got), len(want))
		}
		for k, v := range want {
			if !bytes.Equal(bytes.TrimSpace(got[k]), bytes.TrimSpace(v)) {
				t.Fatalf("%q: member %q = %s, encoding/json %s", data, k, got[k], v)
			}
		}
	})
}
