package org

import (
	"fmt"
	"strconv"
	"strings"
)

// Release is a Salesforce release an org can be run as: the changes in
// effect in it follow from its place in the calendar. A scenario phase
// names one, so one story can be run before and after a removal.
type Release struct {
	Name       string // winter-27
	Label      string // Winter '27
	Month      string // when it reached production orgs, e.g. 2026-10
	APIVersion string // the API version it introduced, e.g. 68.0
}

// Releases are the releases sfemu knows, oldest first. Each introduced
// the next API version (Salesforce's release numbering: Spring '25 = 63.0 …
// Winter '27 = 68.0).
var Releases = []Release{
	{"spring-25", "Spring '25", "2025-02", "63.0"},
	{"summer-25", "Summer '25", "2025-06", "64.0"},
	{"winter-26", "Winter '26", "2025-10", "65.0"},
	{"spring-26", "Spring '26", "2026-02", "66.0"},
	{"summer-26", "Summer '26", "2026-06", "67.0"},
	{"winter-27", "Winter '27", "2026-10", "68.0"},
	{"spring-27", "Spring '27", "2027-02", "69.0"},
	{"summer-27", "Summer '27", "2027-06", "70.0"},
	{"winter-28", "Winter '28", "2027-10", "71.0"},
	{"spring-28", "Spring '28", "2028-02", "72.0"},
	{"summer-28", "Summer '28", "2028-06", "73.0"},
}

// CurrentRelease is the release an org runs when its fixture names none:
// the one in production on the day this table was written (2026-12-01).
const CurrentRelease = "winter-27"

// Release aliases: the session-ID eras scenarios named before releases.
var releaseAliases = map[string]string{
	"legacy":  "winter-26", // the last release before the session ID was removed
	"removed": "spring-26", // the release the session ID was removed in
}

// The dated changes sfemu reproduces. Sources: Salesforce knowledge articles
// "Salesforce Platform API Versions 21.0 through 30.0 Retirement" and "… 31.0
// through 40.0 Retirement" (2026), "Platform SOAP API login() Retirement"
// (2026), and security update KB 005232763 ("Security Updates to the
// 'Outbound Message with Session ID'"), enforced the week of 23 February 2026.
const (
	ChangeAPI21To30Retired    = "api_21_30_retired"
	ChangeSOAPLoginFrom65     = "soap_login_unavailable_from_65"
	ChangeSessionIDRemoved    = "session_id_removed"
	ChangeSOAPLoginRetired    = "soap_login_retired"
	ChangeAPI31To40Deprecated = "api_31_40_deprecated"
	ChangeAPI31To40Retired    = "api_31_40_retired"
)

// Change is one dated Salesforce change.
type Change struct {
	Name    string
	Release string // the release it takes effect in
	Summary string
}

// Changes are the changes, in calendar order.
var Changes = []Change{
	{ChangeAPI21To30Retired, "summer-25", "API versions 21.0–30.0 retired: REST 410, SOAP 500 UNSUPPORTED_API_VERSION, Bulk 400 InvalidVersion"},
	{ChangeSOAPLoginFrom65, "winter-26", "SOAP login() not available in API 65.0 and later"},
	{ChangeSessionIDRemoved, "spring-26", "outbound messages no longer carry a session ID (week of 23 February 2026)"},
	{ChangeSOAPLoginRetired, "summer-27", "SOAP login() retired in every API version"},
	{ChangeAPI31To40Deprecated, "summer-27", "API versions 31.0–40.0 deprecated: still served, with a Warning header"},
	{ChangeAPI31To40Retired, "summer-28", "API versions 31.0–40.0 retired"},
}

// LookupRelease finds a release by name (or the aliases legacy and removed).
func LookupRelease(name string) (Release, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	if alias, ok := releaseAliases[name]; ok {
		name = alias
	}
	for _, r := range Releases {
		if r.Name == name {
			return r, true
		}
	}
	return Release{}, false
}

// ReleaseNames lists the names a fixture or phase may give.
func ReleaseNames() []string {
	out := []string{"legacy", "removed"}
	for _, r := range Releases {
		out = append(out, r.Name)
	}
	return out
}

func releaseIndex(name string) int {
	for i, r := range Releases {
		if r.Name == name {
			return i
		}
	}
	return -1
}

// ChangesIn lists the changes in effect in a release, in calendar order.
func ChangesIn(release string) []string {
	at := releaseIndex(release)
	var out []string
	for _, c := range Changes {
		if releaseIndex(c.Release) <= at {
			out = append(out, c.Name)
		}
	}
	return out
}

// Changes lists the dated changes in effect in the org's release.
func (o *Org) Changes() []string { return ChangesIn(o.Release.Name) }

// releaseSettings are what a release decides of an org, before the fixture's
// own settings override any of them.
func releaseSettings(r Release, s *Settings, era *SessionIDEra) {
	s.APIRetiredBelow, s.APIDeprecatedBelow = 21, 0
	s.SOAPLogin, s.SOAPLoginMaxVersion = SOAPLoginEnabled, 0
	*era = SessionIDLegacy
	for _, c := range ChangesIn(r.Name) {
		switch c {
		case ChangeAPI21To30Retired:
			s.APIRetiredBelow = 31
		case ChangeSOAPLoginFrom65:
			s.SOAPLoginMaxVersion = 64
		case ChangeSessionIDRemoved:
			*era = SessionIDRemoved
		case ChangeSOAPLoginRetired:
			s.SOAPLogin = SOAPLoginRetired
		case ChangeAPI31To40Deprecated:
			s.APIDeprecatedBelow = 41
		case ChangeAPI31To40Retired:
			s.APIRetiredBelow, s.APIDeprecatedBelow = 41, 0
		}
	}
}

// SOAP login() states (settings.soap_login).
const (
	SOAPLoginEnabled  = "enabled"
	SOAPLoginDisabled = "disabled" // off in this org, as in orgs created since the retirement was announced
	SOAPLoginRetired  = "retired"  // gone in every version (Summer '27)
)

// APIVersionStatus is how an org answers a request of one API version.
type APIVersionStatus int

// API version statuses.
const (
	APIVersionSupported APIVersionStatus = iota
	APIVersionDeprecated
	APIVersionRetired
)

// APIVersion judges version v ("29.0") in the org.
func (o *Org) APIVersion(v string) APIVersionStatus {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return APIVersionRetired
	}
	switch {
	case f < o.Settings.APIRetiredBelow:
		return APIVersionRetired
	case f < o.Settings.APIDeprecatedBelow:
		return APIVersionDeprecated
	}
	return APIVersionSupported
}

// RetiredVersionText is the message for a request of a retired version.
func (o *Org) RetiredVersionText(v string) string {
	return strings.NewReplacer("{version}", v, "{oldest}", strconv.FormatFloat(o.Settings.APIRetiredBelow, 'f', 1, 64)).Replace(o.Settings.APIRetiredText)
}

// DeprecatedVersionWarning is the Warning header of a deprecated version's answers.
func (o *Org) DeprecatedVersionWarning(v string) string {
	return strings.ReplaceAll(o.Settings.APIDeprecatedWarning, "{version}", v)
}

func releaseError(name string) string {
	return fmt.Sprintf("org.release %q: want one of %s", name, strings.Join(ReleaseNames(), ", "))
}
