package org

import (
	"strings"
	"testing"

	"github.com/sfemu/sfemu/emulator/clock"
)

func TestEditionAndAPIAccess(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		org     string
		edition Edition
		api     bool
		orgType string // the Organization record's OrganizationType
	}{
		{"a production org without an edition is Enterprise Edition", "{name: A}", EditionEnterprise, true, "Enterprise Edition"},
		{"a developer org is Developer Edition", "{name: A, type: developer}", EditionDeveloper, true, "Developer Edition"},
		{"Unlimited has the API", "{name: A, edition: unlimited}", EditionUnlimited, true, "Unlimited Edition"},
		{"Performance has the API", "{name: A, edition: Performance}", EditionPerformance, true, "Performance Edition"},
		{"Professional has no API without the add-on", "{name: A, edition: professional}", EditionProfessional, false, "Professional Edition"},
		{"api_access: true is the add-on", "{name: A, edition: professional, api_access: true}", EditionProfessional, true, "Professional Edition"},
		{"Essentials has no API", "{name: A, edition: essentials}", EditionEssentials, false, "Essentials Edition"},
		{"Group has no API", "{name: A, edition: group}", EditionGroup, false, "Group Edition"},
		{"api_access: false switches the API off", "{name: A, api_access: false}", EditionEnterprise, false, "Enterprise Edition"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewStore(clock.Real{}, Source{Name: "a.yaml", Data: []byte("org: " + tt.org + "\n")})
			if err != nil {
				t.Fatal(err)
			}
			o := s.Orgs()[0]
			if o.Edition != tt.edition || o.APIAccess != tt.api {
				t.Errorf("edition %s, API access %v; want %s, %v", o.Edition, o.APIAccess, tt.edition, tt.api)
			}
			if got := o.Data.Get(o.ID).GetName("OrganizationType"); got != tt.orgType {
				t.Errorf("OrganizationType %v, want %s", got, tt.orgType)
			}
			if want := map[bool]APIDenial{true: APIAllowed, false: APIDisabledForOrg}[tt.api]; o.APIDenied(nil) != want {
				t.Errorf("APIDenied = %v, want %v", o.APIDenied(nil), want)
			}
		})
	}
	_, err := NewStore(clock.Real{}, Source{Name: "a.yaml", Data: []byte("org:\n  name: A\n  edition: team\n")})
	if want := `a.yaml:3:12: org.edition "team": want developer, enterprise, unlimited, performance, professional, essentials, group`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want %s", err, want)
	}
}
