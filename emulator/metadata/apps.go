package metadata

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/sfemu/sfemu/emulator/org/fixturedoc"
)

// Elements that describe a component to people and change nothing a
// client can notice; read without being listed as ignored.
var descriptive = []string{"label", "masterLabel", "description", "contactEmail", "contactPhone", "iconUrl",
	"infoUrl", "logoUrl", "distributionState", "isProtected", "orgScopedExternalApp", "fullName",
	"shouldRotateConsumerKey", "shouldRotateConsumerSecret", "userLicense", "custom"}

func usedWith(names ...string) []string { return append(names, descriptive...) }

// app is the apps: entry of an app, made on first mention by any of its
// files; kind is external_client_app or connected_app.
func (rd *reader) app(f *file, e *element, name, kind string) *mapping {
	m := rd.apps.get(name, f.at(e))
	if prev, ok := rd.appKinds[strings.ToLower(name)]; ok && prev != kind {
		rd.errs = append(rd.errs, f.errAt(e, "%q is both a connected app and an external client app", name))
	}
	if !m.has("kind") {
		m.set("kind", kind, f.at(e))
		rd.appKinds[strings.ToLower(name)] = kind
	}
	return m
}

// ecaFor is the external client app a settings or policies file belongs to:
// its <externalClientApplication> element.
func (rd *reader) ecaFor(f *file) (*mapping, error) {
	ref := f.root.child("externalClientApplication")
	if ref == nil || ref.Text == "" {
		return nil, f.errAt(f.root, "<%s> needs <externalClientApplication>, the app it configures", f.k.typeName)
	}
	return rd.app(f, ref, ref.Text, "external_client_app"), nil
}

func (rd *reader) readECA(f *file) error {
	rd.app(f, f.root, f.name, "external_client_app")
	rd.unused(f, f.root, usedWith()...)
	return nil
}

func (rd *reader) readECAOauth(f *file) error {
	app, err := rd.ecaFor(f)
	if err != nil {
		return err
	}
	if e := f.root.child("commaSeparatedOauthScopes"); e != nil {
		if err := rd.setScopes(f, app, e, splitList(e.Text)); err != nil {
			return err
		}
	}
	rd.unused(f, f.root, usedWith("externalClientApplication", "commaSeparatedOauthScopes")...)
	return nil
}

func (rd *reader) readECAGlobalOauth(f *file) error {
	app, err := rd.ecaFor(f)
	if err != nil {
		return err
	}
	if err := rd.oauthConfig(f, app, f.root); err != nil {
		return err
	}
	rd.unused(f, f.root, usedWith("externalClientApplication", "callbackUrl", "certificate", "consumerKey",
		"consumerSecret", "isConsumerSecretOptional", "isPkceRequired", "isSecretRequiredForRefreshToken",
		"isClientCredentialsFlowEnabled")...)
	return nil
}

// oauthConfig reads what an ECA's global OAuth settings and a connected
// app's <oauthConfig> share: callback URLs, certificate, consumer key and
// secret, PKCE and secret requirements.
func (rd *reader) oauthConfig(f *file, app *mapping, e *element) error {
	if c := e.child("callbackUrl"); c != nil && c.Text != "" {
		for _, u := range splitLines(c.Text) {
			app.add("callback_urls", u, f.at(c))
		}
	}
	if c := e.child("consumerKey"); c != nil && c.Text != "" {
		app.set("consumer_key", c.Text, f.at(c))
	}
	if c := e.child("consumerSecret"); c != nil && c.Text != "" {
		app.set("consumer_secret", c.Text, f.at(c))
	}
	if c := e.child("certificate"); c != nil && c.Text != "" {
		rd.certRefs = append(rd.certRefs, certRef{app: app, text: c.Text, at: f.at(c), f: f, e: c})
	}
	for _, b := range []struct {
		elem, key string
		invert    bool
	}{
		{"isConsumerSecretOptional", "require_secret", true},
		{"isPkceRequired", "require_pkce", false},
		{"isSecretRequiredForRefreshToken", "require_secret_for_refresh", false},
		{"isClientCredentialsFlowEnabled", "client_credentials", false},
		{"isClientCredentialFlowEnabled", "client_credentials", false},
	} {
		c := e.child(b.elem)
		if c == nil {
			continue
		}
		v, err := boolean(f, c)
		if err != nil {
			return err
		}
		if b.invert {
			v = !v
		}
		app.set(b.key, v, f.at(c))
	}
	return nil
}

// Salesforce's metadata names of OAuth scopes (the ConnectedAppOauthAccessScope
// enumeration) and the names a scope parameter uses (Salesforce Help,
// "OAuth Tokens and Scopes").
var scopeNames = map[string]string{
	"basic": "id", "api": "api", "web": "web", "full": "full", "chatter": "chatter_api",
	"customapplications": "visualforce", "refreshtoken": "refresh_token", "openid": "openid",
	"profile": "profile", "email": "email", "address": "address", "phone": "phone",
	"offlineaccess": "offline_access", "custompermissions": "custom_permissions", "wave": "wave_api",
	"eclair": "eclair_api", "pardot": "pardot_api", "lightning": "lightning", "content": "content",
	"cdpquery": "cdp_api", "cdpprofile": "cdp_api", "cdpingest": "cdp_api",
}

func (rd *reader) setScopes(f *file, app *mapping, at *element, names []string) error {
	var scopes []*node
	for _, n := range names {
		s, ok := scopeNames[strings.ToLower(n)]
		if !ok {
			return f.errAt(at, "OAuth scope %q is not one sfemu knows (Api, RefreshToken, Web, Full, Basic, OpenID, OfflineAccess, …)", n)
		}
		scopes = append(scopes, &node{val: s, at: f.at(at)})
	}
	app.set("scopes", scopes, f.at(at))
	return nil
}

func (rd *reader) readECAPolicies(f *file) error {
	app, err := rd.ecaFor(f)
	if err != nil {
		return err
	}
	pol := app.sub("policy", f.at(f.root))
	r := f.root
	if e := r.child("permittedUsersPolicyType"); e != nil {
		switch e.Text {
		case "AdminApprovedPreAuthorized":
			pol.set("permitted_users", "admin_approved", f.at(e))
		case "AllSelfAuthorized":
			pol.set("permitted_users", "all_users", f.at(e))
		default:
			return f.errAt(e, "permittedUsersPolicyType %q: want AdminApprovedPreAuthorized or AllSelfAuthorized", e.Text)
		}
	}
	for _, l := range []struct{ elem, key string }{
		{"commaSeparatedProfile", "profiles"}, {"commaSeparatedPermissionSet", "permission_sets"},
	} {
		if e := r.child(l.elem); e != nil {
			for _, n := range splitList(e.Text) {
				pol.add(l.key, n, f.at(e))
			}
		}
	}
	if e := r.child("ipRelaxationPolicyType"); e != nil {
		if err := ipRelaxation(f, pol, e); err != nil {
			return err
		}
	}
	if e := r.child("clientCredentialsFlowUser"); e != nil && e.Text != "" {
		pol.set("run_as", e.Text, f.at(e))
	}
	if err := setBool(f, app, "client_credentials", r.child("isClientCredentialsFlowEnabled")); err != nil {
		return err
	}
	if e := r.child("isNamedUserJwtEnabled"); e != nil {
		v, err := boolean(f, e)
		if err != nil {
			return err
		}
		if !v {
			app.set("jwt_enabled", false, f.at(e))
		}
	}
	if e := r.child("sessionTimeoutInMinutes"); e != nil && e.Text != "" {
		n, err := strconv.Atoi(e.Text)
		if err != nil || n <= 0 {
			return f.errAt(e, "sessionTimeoutInMinutes %q is not a number of minutes", e.Text)
		}
		pol.set("session_timeout", fmt.Sprintf("%dm", n), f.at(e))
	}
	if e := r.child("refreshTokenPolicyType"); e != nil {
		if err := refreshPolicy(f, pol, e, r.child("refreshTokenValidityPeriod"), r.child("refreshTokenValidityUnit")); err != nil {
			return err
		}
	}
	rd.unused(f, r, usedWith("externalClientApplication", "permittedUsersPolicyType", "commaSeparatedProfile",
		"commaSeparatedPermissionSet", "ipRelaxationPolicyType", "clientCredentialsFlowUser",
		"isClientCredentialsFlowEnabled", "isNamedUserJwtEnabled", "sessionTimeoutInMinutes",
		"refreshTokenPolicyType", "refreshTokenValidityPeriod", "refreshTokenValidityUnit")...)
	return nil
}

func (rd *reader) readECAAppPolicies(f *file) error {
	if _, err := rd.ecaFor(f); err != nil {
		return err
	}
	rd.unused(f, f.root, usedWith("externalClientApplication")...)
	return nil
}

// ipRelaxation maps an ECA's ipRelaxationPolicyType (Enforce, Bypass,
// Bypass_2factor, Enforce_RelaxRefresh) or a connected app's ipRelaxation
// (ENFORCE, BYPASS, …) to the fixture's ip_relaxation.
func ipRelaxation(f *file, pol *mapping, e *element) error {
	key := strings.ToLower(strings.ReplaceAll(e.Text, "_", ""))
	v, ok := map[string]string{
		"enforce": "enforce", "bypass": "relax", "bypass2factor": "relax_for_activated_devices",
		"enforcerelaxrefresh": "relax_for_refresh_tokens",
	}[key]
	if !ok {
		return f.errAt(e, "%s %q: want Enforce, Bypass, Bypass_2factor or Enforce_RelaxRefresh", e.Name, e.Text)
	}
	pol.set("ip_relaxation", v, f.at(e))
	return nil
}

// refreshPolicy maps a refresh token policy: Infinite, Zero,
// SpecificLifetime or SpecificInactivity (ECA) — infinite, zero,
// specific_lifetime, specific_inactivity (connected app) — with its
// validity period and unit (Hours, Days, Months; sfemu counts a month as
// 30 days).
func refreshPolicy(f *file, pol *mapping, e, period, unit *element) error {
	key := strings.ToLower(strings.ReplaceAll(e.Text, "_", ""))
	v, ok := map[string]string{
		"infinite": "until_revoked", "zero": "immediately", "immediately": "immediately",
		"specificlifetime": "expire_after", "specificinactivity": "expire_if_unused",
	}[key]
	if !ok {
		return f.errAt(e, "%s %q: want Infinite, Zero, SpecificLifetime or SpecificInactivity", e.Name, e.Text)
	}
	pol.set("refresh_token_policy", v, f.at(e))
	if v != "expire_after" && v != "expire_if_unused" {
		return nil
	}
	if period == nil || period.Text == "" {
		return f.errAt(e, "%s %s needs refreshTokenValidityPeriod", e.Name, e.Text)
	}
	n, err := strconv.Atoi(period.Text)
	if err != nil || n <= 0 {
		return f.errAt(period, "refreshTokenValidityPeriod %q is not a positive number", period.Text)
	}
	hours := 0
	u := "Days"
	if unit != nil && unit.Text != "" {
		u = unit.Text
	}
	switch strings.ToLower(u) {
	case "hours":
		hours = n
	case "days":
		hours = n * 24
	case "months":
		hours = n * 30 * 24
	default:
		return f.errAt(unit, "refreshTokenValidityUnit %q: want Hours, Days or Months", u)
	}
	pol.set("refresh_token_validity", fmt.Sprintf("%dh", hours), f.at(period))
	return nil
}

func (rd *reader) readConnectedApp(f *file) error {
	r := f.root
	app := rd.app(f, r, f.name, "connected_app")
	if oc := r.child("oauthConfig"); oc != nil {
		if err := rd.oauthConfig(f, app, oc); err != nil {
			return err
		}
		var scopes []string
		var at *element
		for _, s := range oc.all("scopes") {
			if at == nil {
				at = s
			}
			if len(s.Children) > 0 { // <scopes><scopes>Api</scopes>…</scopes>
				for _, c := range s.all("scopes") {
					scopes = append(scopes, c.Text)
				}
				continue
			}
			scopes = append(scopes, s.Text)
		}
		if at != nil {
			if err := rd.setScopes(f, app, at, scopes); err != nil {
				return err
			}
		}
		pol := app.sub("policy", f.at(oc))
		if e := oc.child("isAdminApproved"); e != nil {
			v, err := boolean(f, e)
			if err != nil {
				return err
			}
			pol.set("permitted_users", map[bool]string{true: "admin_approved", false: "all_users"}[v], f.at(e))
		}
		if e := oc.child("oauthClientCredentialUser"); e != nil && e.Text != "" {
			pol.set("run_as", e.Text, f.at(e))
		}
		rd.unused(f, oc, "callbackUrl", "certificate", "consumerKey", "consumerSecret", "isConsumerSecretOptional",
			"isPkceRequired", "isSecretRequiredForRefreshToken", "isClientCredentialFlowEnabled",
			"isClientCredentialsFlowEnabled", "scopes", "isAdminApproved", "oauthClientCredentialUser")
	}
	pol := app.sub("policy", f.at(r))
	if op := r.child("oauthPolicy"); op != nil {
		if e := op.child("ipRelaxation"); e != nil {
			if err := ipRelaxation(f, pol, e); err != nil {
				return err
			}
		}
		if e := op.child("refreshTokenPolicy"); e != nil {
			if err := refreshPolicy(f, pol, e, op.child("refreshTokenValidityPeriod"), op.child("refreshTokenValidityUnit")); err != nil {
				return err
			}
		}
		rd.unused(f, op, "ipRelaxation", "refreshTokenPolicy", "refreshTokenValidityPeriod", "refreshTokenValidityUnit")
	}
	if sp := r.child("sessionPolicy"); sp != nil {
		if e := sp.child("sessionTimeout"); e != nil && e.Text != "" {
			n, err := strconv.Atoi(e.Text)
			if err != nil || n <= 0 {
				return f.errAt(e, "sessionTimeout %q is not a number of minutes", e.Text)
			}
			pol.set("session_timeout", fmt.Sprintf("%dm", n), f.at(e))
		}
		rd.unused(f, sp, "sessionTimeout")
	}
	for _, e := range r.all("profileName") {
		pol.add("profiles", e.Text, f.at(e))
	}
	for _, e := range r.all("permissionSetName") {
		pol.add("permission_sets", e.Text, f.at(e))
	}
	rd.unused(f, r, usedWith("oauthConfig", "oauthPolicy", "sessionPolicy", "profileName", "permissionSetName")...)
	return nil
}

// certRef is an app's certificate element: PEM text, base64 DER, or the
// name of a Certificate component; resolved once every file is read.
type certRef struct {
	app  *mapping
	text string
	at   fixturedoc.Place
	f    *file
	e    *element
}

func (rd *reader) readCertificate(f *file) error {
	text := strings.TrimSpace(string(f.content))
	if !strings.Contains(text, "-----BEGIN") {
		pem, ok := derToPEM(text)
		if !ok {
			return f.errAt(f.root, "the certificate beside it is neither PEM nor base64")
		}
		text = pem
	}
	rd.certs[strings.ToLower(f.name)] = text
	rd.unused(f, f.root, usedWith("caSigned", "keySize", "encryptedWithPlatformEncryption", "privateKeyExportable", "expirationDate")...)
	return nil
}

func (rd *reader) resolveCertificates() {
	for _, c := range rd.certRefs {
		text := strings.TrimSpace(c.text)
		switch {
		case strings.Contains(text, "-----BEGIN"):
		case rd.certs[strings.ToLower(text)] != "":
			text = rd.certs[strings.ToLower(text)]
		default:
			pem, ok := derToPEM(text)
			if !ok {
				rd.errs = append(rd.errs, c.f.errAt(c.e, "<certificate> is not a PEM certificate, base64, or the name of a Certificate in these folders"))
				continue
			}
			text = pem
		}
		c.app.set("certificate_pem", text+"\n", c.at)
	}
}

// derToPEM wraps base64 DER (a certificate without its PEM armour) as PEM.
func derToPEM(b64 string) (string, bool) {
	clean := strings.Join(strings.Fields(b64), "")
	der, err := base64.StdEncoding.DecodeString(clean)
	if err != nil || len(der) == 0 {
		return "", false
	}
	enc := base64.StdEncoding.EncodeToString(der)
	var b strings.Builder
	b.WriteString("-----BEGIN CERTIFICATE-----\n")
	for len(enc) > 64 {
		b.WriteString(enc[:64] + "\n")
		enc = enc[64:]
	}
	b.WriteString(enc + "\n-----END CERTIFICATE-----")
	return b.String(), true
}

// setBool sets key to the xsd:boolean e holds, when e is there.
func setBool(f *file, m *mapping, key string, e *element) error {
	if e == nil {
		return nil
	}
	v, err := boolean(f, e)
	if err != nil {
		return err
	}
	m.set(key, v, f.at(e))
	return nil
}

// boolean reads an xsd:boolean element.
func boolean(f *file, e *element) (bool, error) {
	switch e.Text {
	case "true", "1":
		return true, nil
	case "false", "0", "":
		return false, nil
	}
	return false, f.errAt(e, "<%s> %q is not true or false", e.Name, e.Text)
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// splitLines splits callback URLs, which metadata separates by line
// breaks (a connected app's Callback URL field holds one per line).
func splitLines(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
