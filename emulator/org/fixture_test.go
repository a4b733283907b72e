package org

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
)

func loadYAML(t testing.TB, name, yaml string) (*Store, error) {
	t.Helper()
	return NewStore(clock.Real{}, Source{Name: name, Data: []byte(yaml), ReadFile: func(rel string) ([]byte, error) {
		return os.ReadFile(filepath.Join("../../fixtures/orgs", rel))
	}})
}

const minimalOrg = `org: {name: Acme}
permission_sets: [{name: SendUserPS}]
users:
  - {username: sender@acme.example, profile: Standard User, permission_sets: [SendUserPS]}
`

// TestFixtureErrorsNameFileAndLine: each row is a mistake a support engineer
// makes while copying a customer's Setup; the error must say where and what.
func TestFixtureErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string // the whole error must contain this
	}{
		{"unknown top-level key", "org: {name: A}\nprofils: []\n", `acme.yaml:2:1: unknown key: "profils"`},
		{"unknown key inside a user", minimalOrg + "  - {username: b@acme.example, profile: Standard User, permisson_sets: []}\n", `acme.yaml:5:`},
		{"org name missing", "org: {type: production}\n", `acme.yaml:1:`},
		{"bad org type", "org:\n  name: A\n  type: prod\n", `acme.yaml:3:9: org.type "prod": want production, developer, sandbox or scratch`},
		{"bad time zone", "org:\n  name: A\n  time_zone: Mars/Olympus\n", `acme.yaml:3:14: org.time_zone "Mars/Olympus" is not a known time zone`},
		{"bad session-id era", "org:\n  name: A\n  outbound_session_id: maybe\n", `acme.yaml:3:24: org.outbound_session_id "maybe"`},
		{"user's profile missing", "org: {name: A}\nusers:\n  - username: u@a.example\n    profile: Integraton\n", `acme.yaml:4:14: user "u@a.example": profile "Integraton" does not exist in org "A"`},
		{"user without profile", "org: {name: A}\nusers:\n  - username: u@a.example\n", `acme.yaml:3:13: user "u@a.example" needs a profile`},
		{"user's permission set missing", "org: {name: A}\nusers:\n  - username: u@a.example\n    profile: Standard User\n    permission_sets: [SendUserPS]\n", `acme.yaml:5:23: user "u@a.example": permission set "SendUserPS" does not exist`},
		{"duplicate username", minimalOrg + "  - {username: SENDER@acme.example, profile: Standard User}\n", `acme.yaml:5:`},
		{"username not an e-mail", "org: {name: A}\nusers:\n  - {username: sender, profile: Standard User}\n", `username "sender" is not in e-mail form`},
		{"certificate unreadable", "org: {name: A}\napps:\n  - name: eca\n    consumer_key: K\n    certificate: ../keys/missing.crt\n", `acme.yaml:5:18: app "eca": certificate "../keys/missing.crt" is unreadable: no such file or directory`},
		{"private key given as certificate", "org: {name: A}\napps:\n  - name: eca\n    consumer_key: K\n    certificate: ../keys/server.key\n", `acme.yaml:5:18: app "eca": this is a private key, not a certificate`},
		{"not PEM at all", "org: {name: A}\napps:\n  - name: eca\n    consumer_key: K\n    certificate: default.yaml\n", `app "eca": not a certificate`},
		{"duplicate consumer key", "org: {name: A}\napps:\n  - {name: a, consumer_key: K}\n  - {name: b, consumer_key: K}\n", `acme.yaml:4:29: app "b" has the same consumer_key as app "a"`},
		{"policy names a missing permission set", "org: {name: A}\napps:\n  - name: eca\n    consumer_key: K\n    policy: {permission_sets: [SendUserPS]}\n", `acme.yaml:5:32: app "eca": policy names permission set "SendUserPS", which this org does not have`},
		{"bad permitted users", "org: {name: A}\napps:\n  - name: eca\n    consumer_key: K\n    policy: {permitted_users: everyone}\n", `permitted_users "everyone": want admin_approved or all_users`},
		{"bad IP range", "org: {name: A}\nprofiles:\n  - name: P\n    login_ip_ranges: [{start: 54.249.48.300, end: 54.249.48.120}]\n", `acme.yaml:4:`},
		{"IP range backwards", "org: {name: A}\nprofiles:\n  - name: P\n    login_ip_ranges: [{start: 10.0.0.9, end: 10.0.0.1}]\n", `start 10.0.0.9 is after end 10.0.0.1`},
		{"bad session timeout", "org: {name: A}\nprofiles:\n  - {name: P, session_timeout: two hours}\n", `acme.yaml:3:`},
		{"approved app unknown", "org: {name: A}\nusers:\n  - {username: u@a.example, profile: Standard User, approved_apps: [nope]}\n", `approved app "nope" is not an app of this fixture`},
		{"YAML syntax error", "org: {name: A\n", `acme.yaml:`},
		{"wrong type for a key", "org: {name: A}\nusers: {username: u}\n", `acme.yaml:2:`},
		{"empty file", "", `acme.yaml: want one YAML document`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadYAML(t, "acme.yaml", tt.yaml)
			if err == nil {
				t.Fatalf("loaded without error; want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n  %v\nwant it to contain:\n  %s", err, tt.want)
			}
		})
	}
}

func TestDuplicateUsernameAcrossOrgs(t *testing.T) {
	_, err := NewStore(clock.Real{},
		Source{Name: "a.yaml", Data: []byte(minimalOrg)},
		Source{Name: "b.yaml", Data: []byte("org: {name: B}\nusers:\n  - {username: Sender@Acme.example, profile: Standard User}\n")},
	)
	if err == nil || !strings.Contains(err.Error(), `b.yaml:3:16: username "Sender@Acme.example" is already a user of org "Acme" (a.yaml)`) {
		t.Errorf("got %v", err)
	}
}

func TestSameAppInstalledInTwoOrgsSharesOneApp(t *testing.T) {
	cert := "    certificate: ../keys/server.crt\n"
	s, err := loadYAMLs(t,
		"org: {name: A}\napps:\n  - name: vendor_eca\n    consumer_key: VENDOR\n"+cert,
		"org: {name: B}\napps:\n  - name: vendor_eca\n    consumer_key: VENDOR\n"+cert+"    policy: {permitted_users: all_users}\n",
	)
	if err != nil {
		t.Fatal(err)
	}
	app := s.AppByConsumerKey("VENDOR")
	a, b := s.Org("A"), s.Org("B")
	if a.Installations["VENDOR"].App != app || b.Installations["VENDOR"].App != app {
		t.Error("the two installations do not share one app")
	}
	if b.Installations["VENDOR"].Policy.PermittedUsers != AllUsers || a.Installations["VENDOR"].Policy.PermittedUsers != AdminApproved {
		t.Error("each org should keep its own policy")
	}
	_, err = loadYAMLs(t,
		"org: {name: A}\napps:\n  - name: vendor_eca\n    consumer_key: VENDOR\n"+cert,
		"org: {name: B}\napps:\n  - name: other\n    consumer_key: VENDOR\n    certificate: ../keys/other.crt\n",
	)
	if err == nil || !strings.Contains(err.Error(), "b.yaml:4:19: app \"other\": consumer_key is already used by app \"vendor_eca\" with a different certificate") {
		t.Errorf("same key, different certificate: %v", err)
	}
}

func loadYAMLs(t testing.TB, yamls ...string) (*Store, error) {
	var srcs []Source
	for i, y := range yamls {
		srcs = append(srcs, Source{Name: string(rune('a'+i)) + ".yaml", Data: []byte(y), ReadFile: func(rel string) ([]byte, error) {
			return os.ReadFile(filepath.Join("../../fixtures/orgs", rel))
		}})
	}
	return NewStore(clock.Real{}, srcs...)
}

func TestFixtureShapeFromDesign(t *testing.T) {
	s, err := loadYAML(t, "acme.yaml", `
org: {name: Acme, type: sandbox, my_domain: acme, sandbox_name: uat, time_zone: Asia/Tokyo, outbound_session_id: legacy, id: 00Dxx0000001gPL}
profiles:
  - {name: Integration, session_timeout: 4h, login_ip_ranges: [{start: 54.249.48.100, end: 54.249.48.120}]}
permission_sets: [{name: SendUserPS}]
users:
  - {username: sender@acme.example, id: 005xx000001SwiU, profile: Integration, permission_sets: [SendUserPS]}
apps:
  - name: opro_connector_eca
    kind: external_client_app
    consumer_key: 3MVG9acme
    certificate: ../keys/server.crt
    policy: {permitted_users: admin_approved, permission_sets: [SendUserPS], profiles: [], ip_relaxation: enforce, session_timeout: 30m}
`)
	if err != nil {
		t.Fatal(err)
	}
	o := s.Org("00Dxx0000001gPL")
	if o == nil || o.Name != "Acme" || o.ID != "00Dxx0000001gPLEAY" {
		t.Fatalf("org by 15-char id: %+v", o)
	}
	if o.MyDomainURL() != "https://acme--uat.sandbox.my.salesforce.com" || o.Type.LoginAudience() != "https://test.salesforce.com" {
		t.Errorf("sandbox URLs: %s %s", o.MyDomainURL(), o.Type.LoginAudience())
	}
	u := s.User("SENDER@acme.example")
	if u == nil || u.ID != "005xx000001SwiUAAS" {
		t.Fatalf("user by username, case-insensitively: %+v", u)
	}
	in := o.Installations["3MVG9acme"]
	if !in.AdminApproves(u) {
		t.Error("the app policy's permission set should pre-authorize the send user")
	}
	if got := in.SessionTimeout(u); got != 30*time.Minute {
		t.Errorf("session timeout = %s, want the app policy's 30m", got)
	}
	in.Policy.SessionTimeout = 0
	if got := in.SessionTimeout(u); got != 4*time.Hour {
		t.Errorf("session timeout = %s, want the profile's 4h", got)
	}
	u.Profile.SessionTimeout = 0
	if got := in.SessionTimeout(u); got != 2*time.Hour {
		t.Errorf("session timeout = %s, want the org default 2h", got)
	}
}

func TestEmbeddedDefaultOrgLoads(t *testing.T) {
	data, err := os.ReadFile("../../fixtures/orgs/default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := loadYAML(t, "default.yaml", string(data))
	if err != nil {
		t.Fatal(err)
	}
	if u := s.User("sender@sfemu.example"); u == nil || !s.Orgs()[0].Installations["3MVG9sfemuDefaultTestOnlyConsumerKey.receiver"].AdminApproves(u) {
		t.Error("the default org's send user must be admin-approved for its app")
	}
}

func FuzzFixture(f *testing.F) {
	f.Add([]byte(minimalOrg))
	f.Add([]byte("org: {name: A}\nprofiles:\n  - name: P\n    login_hours: {monday: {start: \"08:00\", end: \"18:00\"}}\n"))
	f.Add([]byte("org: {name: A}\napps:\n  - {name: a, consumer_key: K, certificate_pem: \"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n\"}\n"))
	f.Add([]byte("org: [\n"))
	f.Add([]byte(permsYAML))
	f.Add([]byte(assignHead + "  - {name: R, entries: [{criteria: \"Country = 'Japan'\", assign_to: tokyo@a.example}]}\n"))
	f.Add([]byte(ruleHead + "    rules: [{name: R, kind: flow, active: false}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := NewStore(clock.Real{}, Source{Name: "fuzz.yaml", Data: data})
		if err == nil && len(s.Orgs()) != 1 {
			t.Fatalf("loaded %d orgs from one fixture", len(s.Orgs()))
		}
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.yaml") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}
