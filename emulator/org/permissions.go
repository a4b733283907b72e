package org

import (
	"slices"
	"strings"
)

// The user permissions sfemu honours, by their Metadata API names (the
// userPermissions of the Profile and PermissionSet metadata types; the
// Profile and PermissionSet objects name them Permissions<Name>, e.g.
// PermissionsApiEnabled in the Field Reference's Profile page).
const (
	// PermAPIEnabled is "API Enabled": without it the user's REST, SOAP and
	// Bulk API calls are refused (API_DISABLED_FOR_ORG, API_CURRENTLY_DISABLED).
	PermAPIEnabled = "ApiEnabled"
	// PermDisableNotifications is "Disable Outbound Messages": the user's
	// saves fire no outbound message — the SOAP API Developer Guide's
	// Outbound Messaging chapter ("Setting Up User Profiles") recommends it
	// for the user a listener writes back as, against circular updates.
	PermDisableNotifications = "DisableNotifications"
	// PermUseAnyAPIClient is "Use Any API Client": its holders pass
	// admin-approved app policies without being assigned to the app.
	PermUseAnyAPIClient = "UseAnyApiClient"
)

var knownUserPermissions = []string{PermAPIEnabled, PermDisableNotifications, PermUseAnyAPIClient}

// KnownUserPermissions are the user permission names a fixture's
// user_permissions may list (what sfemu does something with), sorted.
func KnownUserPermissions() []string { return slices.Clone(knownUserPermissions) }

// UserPermissionName returns the Metadata API spelling of a user
// permission named in any case ("apienabled" → "ApiEnabled"), and whether
// sfemu knows it.
func UserPermissionName(name string) (string, bool) {
	for _, p := range knownUserPermissions {
		if strings.EqualFold(p, name) {
			return p, true
		}
	}
	return name, false
}

// UserPermissions are the user permissions a profile or permission set
// enables, by Metadata API name.
type UserPermissions map[string]bool

// Has reports whether the permission is enabled.
func (p UserPermissions) Has(name string) bool { return p[name] }

// Names lists the enabled permissions, sorted.
func (p UserPermissions) Names() []string {
	var out []string
	for name, on := range p {
		if on {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// HasPermission reports whether the user's profile or one of their
// permission sets enables the user permission (a Metadata API name).
func (u *User) HasPermission(name string) bool {
	if u.Profile != nil && u.Profile.UserPermissions.Has(name) {
		return true
	}
	for _, ps := range u.PermissionSets {
		if ps.UserPermissions.Has(name) {
			return true
		}
	}
	return false
}

// APIEnabled reports whether the user holds "API Enabled".
func (u *User) APIEnabled() bool { return u.HasPermission(PermAPIEnabled) }

// OutboundMessagesDisabled reports whether the user holds "Disable
// Outbound Messages": saves the user makes fire no outbound message.
func (u *User) OutboundMessagesDisabled() bool { return u.HasPermission(PermDisableNotifications) }

// UseAnyAPIClient reports whether the user holds "Use Any API Client".
func (u *User) UseAnyAPIClient() bool { return u.HasPermission(PermUseAnyAPIClient) }
