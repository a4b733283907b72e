package soap

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/sfemu/sfemu/emulator/internal/soapxml"
	"github.com/sfemu/sfemu/emulator/org"
)

// LoginType is the Login History LoginType of a SOAP login(). Salesforce's
// value for API logins by username and password is widely reported as
// "Other Apex API" (UNKNOWN for certain; docs/SOAP.md).
const LoginType = "Other Apex API"

// invalidLogin is login()'s one answer to every credential problem, as
// Salesforce words it (a captured LoginFault).
func invalidLogin() *fault {
	return &fault{code: "INVALID_LOGIN", message: "Invalid username, password, security token; or user locked out.", kind: "LoginFault"}
}

// login checks, in order: the user, login() in the user's org (retired,
// not available in this version, disabled), the password (with or without
// the security token), the profile's Login IP Ranges and login hours, the
// user active and not frozen; then opens a session for the user, timing out
// as the profile says. Every attempt naming a known user leaves a Login
// History row; the journal entry says why.
func login(c *call, b []byte) ([]byte, error) {
	username := c.req.body.childText("username")
	password := c.req.body.childText("password")
	u := c.s.store.User(username)
	if u == nil {
		c.Entry.Reason = fmt.Sprintf("no user has username %q", username)
		return nil, invalidLogin()
	}
	o := u.Org
	fail := func(status, reason string, f *fault) ([]byte, error) {
		c.Entry.Reason = reason
		c.recordLogin(u, status, reason)
		return nil, f
	}
	blocked := func(text string) *fault {
		return &fault{code: o.Settings.SOAPLoginFaultCode, message: text, kind: "LoginFault"}
	}
	v, _ := strconv.ParseFloat(c.version, 64)
	switch {
	case o.Settings.SOAPLogin == org.SOAPLoginRetired:
		return fail(statusLoginBlocked, "SOAP login() is retired in org "+strconv.Quote(o.Name)+" (settings.soap_login: retired, the Summer '27 release)", blocked(o.Settings.SOAPLoginRetiredText))
	case o.Settings.SOAPLoginMaxVersion > 0 && v > o.Settings.SOAPLoginMaxVersion:
		return fail(statusLoginBlocked, fmt.Sprintf("SOAP login() is not available in API %s: the last version that has it is %.1f (settings.soap_login_max_version)", c.version, o.Settings.SOAPLoginMaxVersion),
			blocked(replaceVersion(o.Settings.SOAPLoginUnavailableText, c.version)))
	case o.Settings.SOAPLogin == org.SOAPLoginDisabled:
		return fail(statusLoginBlocked, "SOAP login() is disabled in org "+strconv.Quote(o.Name)+" (settings.soap_login: disabled)", blocked(o.Settings.SOAPLoginDisabledText))
	case u.Password == "":
		return fail(org.LoginInvalidPassword, "user "+u.Username+" has no password in the fixture (users[].password), so cannot log in with one", invalidLogin())
	case !u.PasswordMatches(password):
		return fail(org.LoginInvalidPassword, "the password does not match users[].password of "+u.Username+" (with or without its security token)", invalidLogin())
	}
	ip := c.s.store.ClientIP(o, c.PeerAddr())
	switch {
	case !u.Profile.AllowsIP(ip):
		return fail(org.LoginRestrictedIP, fmt.Sprintf("source IP %s is outside the Login IP Ranges of profile %q", ip, u.Profile.Name), invalidLogin())
	case !u.Profile.LoginHours.Allows(c.Now, o.TimeZone):
		return fail(org.LoginInvalidHours, fmt.Sprintf("%s is outside the login hours of profile %q", c.Now.In(o.TimeZone).Format("Monday 15:04 MST"), u.Profile.Name), invalidLogin())
	case !u.Active:
		return fail(org.LoginUserInactive, "user "+u.Username+" is inactive", invalidLogin())
	case u.Frozen:
		return fail(org.LoginUserFrozen, "user "+u.Username+" is frozen", invalidLogin())
	}
	if why := o.APIDenied(u); why != org.APIAllowed && o.Settings.SOAPLoginChecksAPI {
		// settings.soap_login_checks_api; by default login() succeeds and
		// the calls after it fail (what Salesforce does is UNKNOWN).
		return fail(statusAPIDisabled, o.APIDenialReason(u, why)+" (settings.soap_login_checks_api)", apiDisabled(o, why))
	}
	sess := c.s.store.Sessions.Open(u, nil, u.SessionTimeout(), false)
	c.recordLogin(u, org.LoginSuccess, "")
	c.Entry.Username, c.Entry.OrgID = u.Username, string(o.ID)
	org15 := o.ID.Short()
	b = append(b, "<loginResponse><result>"...)
	b = appendElem(b, "metadataServerUrl", c.BaseURL+"/services/Soap/m/"+c.version+"/"+org15)
	b = appendBool(b, "passwordExpired", false)
	b = appendBool(b, "sandbox", o.Type == org.Sandbox || o.Type == org.Scratch)
	b = appendElem(b, "serverUrl", c.BaseURL+"/services/Soap/"+c.api.letter+"/"+c.version+"/"+org15)
	b = appendElem(b, "sessionId", sess.Token)
	b = appendElem(b, "userId", string(u.ID))
	b = append(b, "<userInfo>"...)
	b = appendUserInfo(b, u, int(sess.Timeout.Seconds()))
	return append(b, "</userInfo></result></loginResponse>"...), nil
}

// statusLoginBlocked is the Login History Status of a login() the org's
// release or settings refuse (UNKNOWN; sfemu's choice).
const statusLoginBlocked = "Failed: SOAP API login() Disabled"

// statusAPIDisabled is the Login History Status of a login() refused for
// want of API access (settings.soap_login_checks_api; UNKNOWN, sfemu's choice).
const statusAPIDisabled = "Failed: API Disabled"

func replaceVersion(text, v string) string { return strings.ReplaceAll(text, "{version}", v) }

func (c *call) recordLogin(u *org.User, status, reason string) {
	host := c.Request.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	u.Org.LoginHistory().Add(org.LoginEvent{
		UserID: string(u.ID), Username: u.Username, LoginTime: c.Now, LoginType: LoginType, LoginURL: host,
		SourceIP: c.s.store.ClientIP(u.Org, c.PeerAddr()).String(), Status: status, Application: "N/A",
		APIType: c.api.loginType, APIVersion: c.version, Browser: "Unknown", Platform: "Unknown", Reason: reason,
	})
}

// appendUserInfo writes GetUserInfoResult's elements, in the WSDL's order.
func appendUserInfo(b []byte, u *org.User, sessionSeconds int) []byte {
	o := u.Org
	b = appendBool(b, "accessibilityMode", false)
	b = appendBool(b, "chatterExternal", false)
	b = appendElem(b, "currencySymbol", "$")
	b = appendIntElem(b, "orgAttachmentFileSizeLimit", 5242880)
	b = appendElem(b, "orgDefaultCurrencyIsoCode", "USD")
	b = appendElem(b, "orgDefaultCurrencyLocale", "en_US")
	b = appendBool(b, "orgDisallowHtmlAttachments", false)
	b = appendBool(b, "orgHasPersonAccounts", false)
	b = appendElem(b, "organizationId", string(o.ID))
	b = appendBool(b, "organizationMultiCurrency", false)
	b = appendElem(b, "organizationName", o.Name)
	profileID := ""
	if u.Profile != nil {
		profileID = string(u.Profile.ID)
	}
	b = appendElemOrNil(b, "profileId", profileID)
	b = appendNil(b, "roleId")
	b = appendIntElem(b, "sessionSecondsValid", sessionSeconds)
	b = appendNil(b, "userDefaultCurrencyIsoCode")
	b = appendElem(b, "userEmail", u.Email)
	b = appendElem(b, "userFullName", u.Name())
	b = appendElem(b, "userId", string(u.ID))
	b = appendElem(b, "userLanguage", "en_US")
	b = appendElem(b, "userLocale", "en_US")
	b = appendElem(b, "userName", u.Username)
	b = appendElem(b, "userTimeZone", o.TimeZone.String())
	b = appendElem(b, "userType", "Standard")
	return appendElem(b, "userUiSkin", "Theme3")
}

// logout ends the caller's session.
func logout(c *call, b []byte) ([]byte, error) {
	c.s.store.Sessions.Revoke(c.Token(), "ended by the SOAP API's logout()")
	return append(b, "<logoutResponse/>"...), nil
}

func getUserInfo(c *call, b []byte) ([]byte, error) {
	b = append(b, "<getUserInfoResponse><result>"...)
	b = appendUserInfo(b, c.session.User, int(c.session.Timeout.Seconds()))
	return append(b, "</result></getUserInfoResponse>"...), nil
}

// getServerTimestamp is the emulator's clock.
func getServerTimestamp(c *call, b []byte) ([]byte, error) {
	b = append(b, "<getServerTimestampResponse><result><timestamp>"...)
	b = c.Now.UTC().AppendFormat(b, soapxml.DateTimeLayout)
	return append(b, "</timestamp></result></getServerTimestampResponse>"...), nil
}
