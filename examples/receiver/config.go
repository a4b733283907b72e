package main

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// Modes of the receiver.
const (
	// ModeMigrated uses the message's session ID when there is one, else
	// logs in with the JWT bearer flow as the org's registered send user.
	ModeMigrated = "migrated"
	// ModeUnmigrated is a receiver written before February 2026: it only
	// knows the session ID and fails when the message carries none.
	ModeUnmigrated = "unmigrated"
)

// Write-back kinds: how the outcome is recorded in the org.
const (
	WritebackField = "field" // PATCH the record's status field
	WritebackTask  = "task"  // create a completed Task on the record
	WritebackEvent = "event" // publish a platform event naming the record

	// OutboundProcessedEvent is the platform event the event write-back
	// publishes: Record_Id__c and Notification_Id__c, both text.
	OutboundProcessedEvent = "Outbound_Processed__e"
)

// APIs the receiver calls back with.
const (
	APIREST = "rest" // /services/data (query, PATCH or POST)
	APISOAP = "soap" // the Partner API at the message's PartnerUrl (query, update or create)
)

// Logins of a migrated receiver when the message carries no session ID.
const (
	LoginJWT       = "jwt"        // OAuth 2.0 JWT bearer as the send user
	LoginSOAPLogin = "soap-login" // SOAP login() with username and password: retired in Summer '27
)

// Audiences of the JWT bearer assertion.
const (
	AudienceProduction = "https://login.salesforce.com"
	AudienceSandbox    = "https://test.salesforce.com"
)

// Config is the whole configuration of a receiver.
type Config struct {
	Listen      string
	Path        string
	Mode        string
	API         string // rest | soap
	Login       string // jwt | soap-login
	APIVersion  string // "60.0"
	Writeback   string
	StatusField string
	// Fields are the fields queried from the record (default Id).
	Fields []string
	// DedupeSize bounds the remembered notification ids.
	DedupeSize int
	Orgs       []*OrgConfig
}

// OrgConfig is one org the receiver accepts messages from, with the
// credentials of its registered send user.
type OrgConfig struct {
	OrgID          string `json:"org_id"`
	LoginURL       string `json:"login_url"`
	Audience       string `json:"audience"`
	ConsumerKey    string `json:"consumer_key"`
	Username       string `json:"username"`
	PrivateKey     string `json:"private_key"`
	PrivateKeyFile string `json:"private_key_file"`
	// Password is the send user's, for SOAP login() (--login soap-login).
	Password string `json:"password"`

	key *rsa.PrivateKey
}

// setting names where a value came from, for error messages: the flag
// when it was given on the command line, else the environment variable,
// else a config-file path.
type setting string

func (s setting) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: "+format, append([]any{string(s)}, args...)...)
}

// orgNames are the names to blame for each org setting.
type orgNames struct {
	OrgID, LoginURL, Audience, ConsumerKey, Username, PrivateKey, PrivateKeyFile, Password setting
}

var idPattern = regexp.MustCompile(`^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$`)

// finish validates o and loads its key. login is how the receiver logs in
// (LoginJWT or LoginSOAPLogin), "" for unmigrated receivers, which never do.
func (o *OrgConfig) finish(n orgNames, login string) error {
	o.OrgID = strings.TrimSpace(o.OrgID)
	if o.OrgID == "" {
		return n.OrgID.errorf("missing: the organization id (15 or 18 characters, 00D…) messages come from")
	}
	if !idPattern.MatchString(o.OrgID) || !strings.HasPrefix(o.OrgID, "00D") {
		return n.OrgID.errorf("%q is not an organization id (15 or 18 letters and digits starting 00D)", o.OrgID)
	}
	if o.LoginURL == "" {
		o.LoginURL = AudienceProduction
	}
	o.LoginURL = strings.TrimRight(strings.TrimSpace(o.LoginURL), "/")
	u, err := url.Parse(o.LoginURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return n.LoginURL.errorf("%q is not an http(s) URL (e.g. https://login.salesforce.com or http://127.0.0.1:8085)", o.LoginURL)
	}
	if o.Audience == "" {
		o.Audience = defaultAudience(u)
	}
	switch login {
	case "":
		return nil
	case LoginSOAPLogin:
		if o.Username == "" {
			return n.Username.errorf("missing: the username login() signs in as")
		}
		if o.Password == "" {
			return n.Password.errorf("missing: the password login() signs in with (and the security token appended, where the org asks for one)")
		}
		return nil
	}
	if o.ConsumerKey == "" {
		return n.ConsumerKey.errorf("missing: the consumer key of the app the send user logs in through")
	}
	if o.Username == "" {
		return n.Username.errorf("missing: the username of the org's registered send user")
	}
	switch {
	case o.PrivateKey != "" && o.PrivateKeyFile != "":
		return fmt.Errorf("%s and %s: give one private key, not both", n.PrivateKey, n.PrivateKeyFile)
	case o.PrivateKey != "":
		if o.key, err = ParsePrivateKey(o.PrivateKey); err != nil {
			return n.PrivateKey.errorf("%v", err)
		}
	case o.PrivateKeyFile != "":
		data, err := os.ReadFile(o.PrivateKeyFile)
		if err != nil {
			return n.PrivateKeyFile.errorf("%v", err)
		}
		if o.key, err = ParsePrivateKey(string(data)); err != nil {
			return n.PrivateKeyFile.errorf("%s: %v", o.PrivateKeyFile, err)
		}
	default:
		return fmt.Errorf("%s or %s: missing: the private key whose certificate the app holds", n.PrivateKey, n.PrivateKeyFile)
	}
	return nil
}

// defaultAudience: test.salesforce.com for sandbox login hosts, else
// login.salesforce.com (which a local emulator also accepts).
func defaultAudience(login *url.URL) string {
	h := strings.ToLower(login.Hostname())
	if h == "test.salesforce.com" || strings.HasSuffix(h, ".sandbox.my.salesforce.com") {
		return AudienceSandbox
	}
	return AudienceProduction
}

// orgKey is how orgs are matched: the first 15 characters of the id
// (the 18-character form only adds a case-checksum).
func orgKey(id string) string {
	id = strings.TrimSpace(id)
	if len(id) > 15 {
		return id[:15]
	}
	return id
}

// configFile is the JSON file of --config.
type configFile struct {
	Orgs []*OrgConfig `json:"orgs"`
}

// loadConfigFile reads the orgs of a JSON config file.
func loadConfigFile(name setting, path string, login string) ([]*OrgConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, name.errorf("%v", err)
	}
	var f configFile
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, name.errorf("%s: %v (want {\"orgs\":[{\"org_id\":…,\"login_url\":…,\"consumer_key\":…,\"username\":…,\"private_key_file\":…}]})", path, err)
	}
	if len(f.Orgs) == 0 {
		return nil, name.errorf("%s: no orgs", path)
	}
	for i, o := range f.Orgs {
		if o == nil {
			return nil, name.errorf("%s: orgs[%d] is null", path, i)
		}
		p := func(k string) setting { return setting(fmt.Sprintf("%s: orgs[%d].%s", path, i, k)) }
		n := orgNames{p("org_id"), p("login_url"), p("audience"), p("consumer_key"), p("username"), p("private_key"), p("private_key_file"), p("password")}
		if err := o.finish(n, login); err != nil {
			return nil, err
		}
	}
	return f.Orgs, nil
}

// ParsePrivateKey reads an RSA private key in PEM, PKCS#1 ("RSA PRIVATE
// KEY") or PKCS#8 ("PRIVATE KEY"). It accepts the forms keys take once
// pasted into environment variables and secret stores: literal "\n"
// sequences instead of newlines, CRLF line ends, surrounding quotes, and
// newlines flattened to spaces. Text around the PEM block is ignored.
func ParsePrivateKey(text string) (*rsa.PrivateKey, error) {
	text = normalizePEM(text)
	rest := []byte(text)
	var sawOther []string
	for {
		block, r := pem.Decode(rest)
		if block == nil {
			break
		}
		rest = r
		if k, err := keyFromBlock(block); k != nil || err != nil {
			return k, err
		}
		sawOther = append(sawOther, block.Type)
	}
	if block := looseBlock(text); block != nil && len(sawOther) == 0 {
		if k, err := keyFromBlock(block); k != nil || err != nil {
			return k, err
		}
		sawOther = append(sawOther, block.Type)
	}
	if len(sawOther) > 0 {
		return nil, fmt.Errorf("not a PEM private key: found %s; want -----BEGIN PRIVATE KEY----- (PKCS#8) or -----BEGIN RSA PRIVATE KEY----- (PKCS#1)", strings.Join(sawOther, ", "))
	}
	return nil, errors.New("not a PEM private key: no -----BEGIN PRIVATE KEY----- (PKCS#8) or -----BEGIN RSA PRIVATE KEY----- (PKCS#1) block")
}

// keyFromBlock returns (nil, nil) for blocks that are not private keys.
func keyFromBlock(b *pem.Block) (*rsa.PrivateKey, error) {
	switch b.Type {
	case "RSA PRIVATE KEY":
		if _, ok := b.Headers["DEK-Info"]; ok {
			return nil, errors.New("the key is encrypted with a passphrase; decrypt it first (openssl rsa -in key.pem -out plain.pem)")
		}
		k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("not a PEM private key: RSA PRIVATE KEY block is not PKCS#1: %v", err)
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("not a PEM private key: PRIVATE KEY block is not PKCS#8: %v", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("the key is %T; JWT bearer assertions are signed RS256 and need an RSA key", k)
		}
		return rk, nil
	case "ENCRYPTED PRIVATE KEY":
		return nil, errors.New("the key is encrypted with a passphrase; decrypt it first (openssl pkcs8 -in key.pem -out plain.pem)")
	}
	return nil, nil
}

// normalizePEM undoes what secret stores and .env files do to PEM text.
func normalizePEM(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		s = s[1 : len(s)-1]
	}
	s = strings.ReplaceAll(s, `\r\n`, "\n")
	s = strings.ReplaceAll(s, `\n`, "\n")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return s
}

var looseBlockPattern = regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\s]*)-----END ([A-Z0-9 ]+)-----`)

// looseBlock finds a PEM block whose line breaks were lost (flattened to
// spaces or removed), which pem.Decode rejects.
func looseBlock(s string) *pem.Block {
	m := looseBlockPattern.FindStringSubmatch(s)
	if m == nil || m[1] != m[3] {
		return nil
	}
	b64 := strings.Join(strings.Fields(m[2]), "")
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil
	}
	return &pem.Block{Type: m[1], Bytes: der}
}
