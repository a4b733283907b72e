package org

import (
	"fmt"
	"slices"
	"strings"
)

// Edition is a Salesforce edition. Whether it has API access decides
// whether any user of the org may call the REST, SOAP or Bulk API.
type Edition string

// Editions. Enterprise, Unlimited, Performance and Developer Edition
// include API access; Professional has it only with the API add-on
// (org api_access: true), Essentials and Group not (Salesforce Help, "API
// Enabled Permission Requirements for Salesforce Connected Apps": the API
// allowlisting program for "Professional, Group and Contact Manager"
// editions, "that do not support API access").
const (
	EditionDeveloper    Edition = "developer"
	EditionEnterprise   Edition = "enterprise"
	EditionUnlimited    Edition = "unlimited"
	EditionPerformance  Edition = "performance"
	EditionProfessional Edition = "professional"
	EditionEssentials   Edition = "essentials"
	EditionGroup        Edition = "group"
)

var editions = []Edition{EditionDeveloper, EditionEnterprise, EditionUnlimited, EditionPerformance, EditionProfessional, EditionEssentials, EditionGroup}

// Editions lists the editions a fixture's org.edition may name.
func Editions() []Edition { return slices.Clone(editions) }

// HasAPIAccess reports whether the edition includes API access without an add-on.
func (e Edition) HasAPIAccess() bool {
	switch e {
	case EditionProfessional, EditionEssentials, EditionGroup:
		return false
	}
	return true
}

// OrganizationType is the Organization record's OrganizationType
// ("Enterprise Edition"). Salesforce's values for the newer editions
// (Performance, Essentials, Group) are UNKNOWN; sfemu names them likewise.
func (e Edition) OrganizationType() string {
	return strings.ToUpper(string(e[:1])) + string(e[1:]) + " Edition"
}

// APIDenial is why a user's API calls are refused, if they are.
type APIDenial int

// Reasons API calls are refused.
const (
	APIAllowed         APIDenial = iota
	APIDisabledForOrg            // the org's edition has no API access (and no add-on)
	APIDisabledForUser           // the user lacks "API Enabled"
)

// APIDenied says whether u may call the org's APIs (REST, SOAP, Bulk): the
// org must have API access and u the "API Enabled" permission.
func (o *Org) APIDenied(u *User) APIDenial {
	switch {
	case !o.APIAccess:
		return APIDisabledForOrg
	case u != nil && !u.APIEnabled():
		return APIDisabledForUser
	}
	return APIAllowed
}

// APIDenialReason says why u's API call was refused, for the request
// journal (Salesforce's own message names neither cause).
func (o *Org) APIDenialReason(u *User, why APIDenial) string {
	if why == APIDisabledForOrg {
		return fmt.Sprintf("org %q has no API access: its edition is %s (org.edition; org.api_access: true for the API add-on)", o.Name, o.Edition)
	}
	return fmt.Sprintf("user %s lacks API Enabled (profile %q has api_enabled: false, and no permission set grants ApiEnabled)", u.Username, u.Profile.Name)
}
