package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readKey(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(keysDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParsePrivateKey(t *testing.T) {
	pkcs8, pkcs1, cert := readKey(t, "server.key"), readKey(t, "server-pkcs1.key"), readKey(t, "server.crt")
	// The PEM block alone, without the TEST-ONLY line before it.
	block := pkcs8[strings.Index(pkcs8, "-----BEGIN"):]
	tests := []struct {
		name    string
		text    string
		wantErr string
	}{
		{name: "PKCS#8 (PRIVATE KEY), with text before the block", text: pkcs8},
		{name: "PKCS#1 (RSA PRIVATE KEY), openssl genrsa's format", text: pkcs1},
		{name: "one line with literal \\n sequences, as pasted into a secret store", text: strings.ReplaceAll(block, "\n", `\n`)},
		{name: "one line with literal \\r\\n sequences", text: strings.ReplaceAll(block, "\n", `\r\n`)},
		{name: "CRLF line ends", text: strings.ReplaceAll(block, "\n", "\r\n")},
		{name: "quoted, as in a .env file", text: `"` + strings.ReplaceAll(strings.TrimSpace(block), "\n", `\n`) + `"`},
		{name: "newlines flattened to spaces", text: strings.ReplaceAll(block, "\n", " ")},
		{name: "a certificate instead of the key", text: cert, wantErr: "not a PEM private key: found CERTIFICATE"},
		{name: "garbage", text: "hunter2", wantErr: "not a PEM private key: no -----BEGIN PRIVATE KEY-----"},
		{name: "a PKCS#1 header on PKCS#8 content", text: strings.ReplaceAll(block, "PRIVATE KEY", "RSA PRIVATE KEY"), wantErr: "is not PKCS#1"},
		{name: "an encrypted key", text: "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n", wantErr: "encrypted with a passphrase"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := ParsePrivateKey(tt.text)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v; want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if key.N.BitLen() != 2048 {
				t.Errorf("key of %d bits; want the 2048-bit test key", key.N.BitLen())
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	writeFile := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyFile := keysDir + "/server.key"
	orgsFile := writeFile("orgs.json", `{"orgs":[
		{"org_id":"00Dxx0000001gPLEAY","login_url":"http://127.0.0.1:8085/","consumer_key":"k1","username":"a@x.example","private_key_file":"`+keyFile+`"},
		{"org_id":"00Dxx0000002abc","login_url":"https://test.salesforce.com","consumer_key":"k2","username":"b@x.example","private_key_file":"`+keyFile+`"}]}`)
	badOrgsFile := writeFile("bad.json", `{"orgs":[{"org_id":"00Dxx0000001gPL","consumer_key":"k","username":"u","private_key_file":"/nonexistent.key"}]}`)
	typoFile := writeFile("typo.json", `{"orgs":[{"orgid":"00Dxx0000001gPL"}]}`)
	oneOrg := map[string]string{"SF_ORG_ID": "00Dxx0000001gPL", "SF_LOGIN_URL": "http://127.0.0.1:8085",
		"SF_CONSUMER_KEY": "k", "SF_USERNAME": "u@x.example", "SF_PRIVATE_KEY_FILE": keyFile}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	type summary struct {
		Listen, Path, Mode, APIVersion, Writeback, StatusField string
		Fields                                                 []string
		Orgs                                                   []string // org_id audience login_url
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    *summary
		wantErr string
	}{
		{
			name: "one org from the environment, defaults for the rest",
			env:  oneOrg,
			want: &summary{Listen: "127.0.0.1:8086", Path: "/outbound", Mode: "migrated", APIVersion: "60.0", Writeback: "field",
				StatusField: "Receiver_Status__c", Fields: []string{"Id"},
				Orgs: []string{"00Dxx0000001gPL https://login.salesforce.com http://127.0.0.1:8085"}},
		},
		{
			name: "flags win over the environment",
			args: []string{"--listen", ":9000", "--mode", "unmigrated", "--api-version", "v62.0", "--writeback", "task",
				"--fields", "Id, Name", "--path", "/sf/outbound"},
			env: with(oneOrg, "RECEIVER_LISTEN", ":1", "RECEIVER_MODE", "migrated"),
			want: &summary{Listen: ":9000", Path: "/sf/outbound", Mode: "unmigrated", APIVersion: "62.0", Writeback: "task",
				StatusField: "Receiver_Status__c", Fields: []string{"Id", "Name"},
				Orgs: []string{"00Dxx0000001gPL https://login.salesforce.com http://127.0.0.1:8085"}},
		},
		{
			name: "a sandbox login host defaults the audience to test.salesforce.com",
			env:  with(oneOrg, "SF_LOGIN_URL", "https://test.salesforce.com"),
			want: &summary{Listen: "127.0.0.1:8086", Path: "/outbound", Mode: "migrated", APIVersion: "60.0", Writeback: "field",
				StatusField: "Receiver_Status__c", Fields: []string{"Id"},
				Orgs: []string{"00Dxx0000001gPL https://test.salesforce.com https://test.salesforce.com"}},
		},
		{
			name: "several orgs from a JSON file",
			env:  map[string]string{"RECEIVER_CONFIG": orgsFile},
			want: &summary{Listen: "127.0.0.1:8086", Path: "/outbound", Mode: "migrated", APIVersion: "60.0", Writeback: "field",
				StatusField: "Receiver_Status__c", Fields: []string{"Id"},
				Orgs: []string{"00Dxx0000001gPLEAY https://login.salesforce.com http://127.0.0.1:8085",
					"00Dxx0000002abc https://test.salesforce.com https://test.salesforce.com"}},
		},
		{
			name: "an unmigrated receiver needs only the org id",
			env:  map[string]string{"SF_ORG_ID": "00Dxx0000001gPL", "RECEIVER_MODE": "unmigrated"},
			want: &summary{Listen: "127.0.0.1:8086", Path: "/outbound", Mode: "unmigrated", APIVersion: "60.0", Writeback: "field",
				StatusField: "Receiver_Status__c", Fields: []string{"Id"},
				Orgs: []string{"00Dxx0000001gPL https://login.salesforce.com https://login.salesforce.com"}},
		},
		{name: "no org at all", env: map[string]string{}, wantErr: "no org configured: set --org-id / SF_ORG_ID"},
		{name: "a key file that does not exist names the variable", env: with(oneOrg, "SF_PRIVATE_KEY_FILE", "/nonexistent.key"),
			wantErr: "SF_PRIVATE_KEY_FILE: open /nonexistent.key: no such file"},
		{name: "an inline key that is not PEM names the variable", env: with(oneOrg, "SF_PRIVATE_KEY_FILE", "", "SF_PRIVATE_KEY", "MIIEvQIBADANBg"),
			wantErr: "SF_PRIVATE_KEY: not a PEM private key"},
		{name: "a bad key given as a flag names the flag", args: []string{"--private-key", "nope"}, env: with(oneOrg, "SF_PRIVATE_KEY_FILE", ""),
			wantErr: "--private-key: not a PEM private key"},
		{name: "two keys", env: with(oneOrg, "SF_PRIVATE_KEY", "x"), wantErr: "SF_PRIVATE_KEY and SF_PRIVATE_KEY_FILE: give one private key, not both"},
		{name: "no key", env: with(oneOrg, "SF_PRIVATE_KEY_FILE", ""), wantErr: "SF_PRIVATE_KEY or --private-key-file / SF_PRIVATE_KEY_FILE: missing"},
		{name: "no consumer key", env: with(oneOrg, "SF_CONSUMER_KEY", ""), wantErr: "--consumer-key / SF_CONSUMER_KEY: missing"},
		{name: "no username", env: with(oneOrg, "SF_USERNAME", ""), wantErr: "--username / SF_USERNAME: missing"},
		{name: "an org id that is not one", env: with(oneOrg, "SF_ORG_ID", "001xx000003DGb2"), wantErr: `SF_ORG_ID: "001xx000003DGb2" is not an organization id`},
		{name: "a login URL that is not one", env: with(oneOrg, "SF_LOGIN_URL", "login.salesforce.com"), wantErr: "SF_LOGIN_URL: \"login.salesforce.com\" is not an http(s) URL"},
		{name: "an unknown mode", env: with(oneOrg, "RECEIVER_MODE", "legacy"), wantErr: `RECEIVER_MODE: "legacy": want migrated or unmigrated`},
		{name: "an unknown write-back", env: with(oneOrg, "RECEIVER_WRITEBACK", "carrier pigeon"), wantErr: `RECEIVER_WRITEBACK: "carrier pigeon": want field, task or event`},
		{name: "a bad API version", env: with(oneOrg, "SF_API_VERSION", "latest"), wantErr: `SF_API_VERSION: "latest": want a REST API version`},
		{name: "a status field that is not a field name", env: with(oneOrg, "RECEIVER_STATUS_FIELD", "Status; DROP"), wantErr: "RECEIVER_STATUS_FIELD:"},
		{name: "a path without a slash", args: []string{"--path", "outbound"}, env: oneOrg, wantErr: `--path: "outbound": want a path starting with /`},
		{name: "a config file that does not exist", env: map[string]string{"RECEIVER_CONFIG": "/nonexistent.json"}, wantErr: "RECEIVER_CONFIG: open /nonexistent.json"},
		{name: "a config file whose org has a missing key file names the entry", env: map[string]string{"RECEIVER_CONFIG": badOrgsFile},
			wantErr: "bad.json: orgs[0].private_key_file: open /nonexistent.key"},
		{name: "a config file with an unknown key", env: map[string]string{"RECEIVER_CONFIG": typoFile}, wantErr: `unknown field "orgid"`},
		{name: "the same org in the file and the environment", env: with(oneOrg, "RECEIVER_CONFIG", orgsFile), wantErr: "org 00Dxx0000001gPL is configured twice"},
		{name: "a stray argument", args: []string{"serve"}, env: oneOrg, wantErr: `unexpected argument "serve"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := loadConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v; want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := &summary{Listen: cfg.Listen, Path: cfg.Path, Mode: cfg.Mode, APIVersion: cfg.APIVersion,
				Writeback: cfg.Writeback, StatusField: cfg.StatusField, Fields: cfg.Fields}
			for _, o := range cfg.Orgs {
				got.Orgs = append(got.Orgs, o.OrgID+" "+o.Audience+" "+o.LoginURL)
				if cfg.Mode == ModeMigrated && o.key == nil {
					t.Errorf("org %s: key not loaded", o.OrgID)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestOrgsMatchOnTheFirst15Characters(t *testing.T) {
	for _, tt := range []struct{ configured, sent string }{
		{"00Dxx0000001gPL", "00Dxx0000001gPLEAY"},
		{"00Dxx0000001gPLEAY", "00Dxx0000001gPL"},
		{"00Dxx0000001gPLEAY", "00Dxx0000001gPLEAY"},
	} {
		if orgKey(tt.configured) != orgKey(tt.sent) {
			t.Errorf("%s configured does not match %s sent", tt.configured, tt.sent)
		}
	}
	if orgKey("00Dxx0000001gPL") == orgKey("00Dxx0000001gpl") {
		t.Error("ids are case-sensitive: 00Dxx0000001gPL matched 00Dxx0000001gpl")
	}
}

func TestLoadConfigAPIAndLogin(t *testing.T) {
	dir := t.TempDir()
	orgsFile := filepath.Join(dir, "orgs.json")
	if err := os.WriteFile(orgsFile, []byte(`{"orgs":[{"org_id":"00Dxx0000001gPL","login_url":"http://127.0.0.1:8085","username":"a@x.example","password":"pw<&>"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	noPassword := filepath.Join(dir, "nopw.json")
	if err := os.WriteFile(noPassword, []byte(`{"orgs":[{"org_id":"00Dxx0000001gPL","username":"a@x.example"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	jwtOrg := map[string]string{"SF_ORG_ID": "00Dxx0000001gPL", "SF_LOGIN_URL": "http://127.0.0.1:8085",
		"SF_CONSUMER_KEY": "k", "SF_USERNAME": "u@x.example", "SF_PRIVATE_KEY_FILE": keysDir + "/server.key"}
	loginOrg := map[string]string{"SF_ORG_ID": "00Dxx0000001gPL", "SF_USERNAME": "u@x.example", "SF_PASSWORD": "pw",
		"RECEIVER_LOGIN": "soap-login"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name                 string
		args                 []string
		env                  map[string]string
		api, login, password string
		wantErr              string
	}{
		{name: "defaults: REST and JWT bearer, as before", env: jwtOrg, api: "rest", login: "jwt"},
		{name: "RECEIVER_API=soap", env: with(jwtOrg, "RECEIVER_API", "SOAP"), api: "soap", login: "jwt"},
		{name: "flags win", args: []string{"--api", "soap", "--login", "soap-login", "--password", "flagpw"},
			env: with(loginOrg, "RECEIVER_API", "rest", "RECEIVER_LOGIN", "jwt"), api: "soap", login: "soap-login", password: "flagpw"},
		{name: "soap-login needs neither consumer key nor private key", env: loginOrg, api: "rest", login: "soap-login", password: "pw"},
		{name: "the password from the config file", env: map[string]string{"RECEIVER_CONFIG": orgsFile, "RECEIVER_LOGIN": "soap-login"},
			api: "rest", login: "soap-login", password: "pw<&>"},
		{name: "an unmigrated receiver needs no password", env: map[string]string{"SF_ORG_ID": "00Dxx0000001gPL", "RECEIVER_MODE": "unmigrated",
			"RECEIVER_LOGIN": "soap-login", "RECEIVER_API": "soap"}, api: "soap", login: "soap-login"},
		{name: "an unknown API", env: with(jwtOrg, "RECEIVER_API", "bulk"), wantErr: `RECEIVER_API: "bulk": want rest or soap`},
		{name: "an unknown login", args: []string{"--login", "password"}, env: jwtOrg, wantErr: `--login: "password": want jwt or soap-login`},
		{name: "soap-login without a password", env: with(loginOrg, "SF_PASSWORD", ""), wantErr: "--password / SF_PASSWORD: missing"},
		{name: "soap-login without a username", env: with(loginOrg, "SF_USERNAME", ""), wantErr: "--username / SF_USERNAME: missing"},
		{name: "soap-login, a config file entry without a password", env: map[string]string{"RECEIVER_CONFIG": noPassword, "RECEIVER_LOGIN": "soap-login"},
			wantErr: "nopw.json: orgs[0].password: missing"},
		{name: "jwt still needs its key", env: with(loginOrg, "RECEIVER_LOGIN", "jwt"), wantErr: "--consumer-key / SF_CONSUMER_KEY: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := loadConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v; want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.API != tt.api || cfg.Login != tt.login || cfg.Orgs[0].Password != tt.password {
				t.Errorf("api %q login %q password %q; want %q %q %q", cfg.API, cfg.Login, cfg.Orgs[0].Password, tt.api, tt.login, tt.password)
			}
		})
	}
}
