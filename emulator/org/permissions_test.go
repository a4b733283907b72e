package org

import (
	"strings"
	"testing"

	"github.com/sfemu/sfemu/emulator/clock"
)

const permsYAML = `org: {name: A}
profiles:
  - {name: Integration, disable_outbound_messages: true}
  - {name: No_API, api_enabled: false}
  - {name: Listed, user_permissions: [apienabled, UseAnyApiClient]}
  - {name: No_API_But_Granted, api_enabled: false}
permission_sets:
  - {name: Legacy_Any_Client, use_any_api_client: true}
  - {name: Grants_API, user_permissions: [ApiEnabled]}
users:
  - {username: sender@a.example, profile: Integration}
  - {username: noapi@a.example, profile: No_API}
  - {username: listed@a.example, profile: Listed}
  - {username: granted@a.example, profile: No_API_But_Granted, permission_sets: [Grants_API]}
  - {username: legacy@a.example, profile: Standard User, permission_sets: [Legacy_Any_Client]}
  - {username: minimum@a.example, profile: Minimum Access - Salesforce}
`

func TestUserPermissions(t *testing.T) {
	t.Parallel()
	s, err := NewStore(clock.Real{}, Source{Name: "a.yaml", Data: []byte(permsYAML)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name                     string
		user                     string
		api, quiet, anyAPIClient bool
	}{
		{"a profile is API Enabled unless it says otherwise", "sender@a.example", true, true, false},
		{"disable_outbound_messages on the profile", "sender@a.example", true, true, false},
		{"api_enabled: false turns API Enabled off", "noapi@a.example", false, false, false},
		{"user_permissions on a profile, in any case", "listed@a.example", true, false, true},
		{"a permission set grants what its profile lacks", "granted@a.example", true, false, false},
		{"use_any_api_client on a permission set still works", "legacy@a.example", true, false, true},
		{"the built-in profiles are API Enabled", "minimum@a.example", true, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := s.User(tt.user)
			if got := u.APIEnabled(); got != tt.api {
				t.Errorf("APIEnabled = %v, want %v", got, tt.api)
			}
			if got := u.OutboundMessagesDisabled(); got != tt.quiet {
				t.Errorf("OutboundMessagesDisabled = %v, want %v", got, tt.quiet)
			}
			if got := u.UseAnyAPIClient(); got != tt.anyAPIClient {
				t.Errorf("UseAnyAPIClient = %v, want %v", got, tt.anyAPIClient)
			}
		})
	}
}

func TestUserPermissionErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, yaml, want string }{
		{"an unknown permission on a profile", "profiles:\n  - {name: P, user_permissions: [ApiEnabld]}\n",
			`a.yaml:3:34: profile "P": user permission "ApiEnabld" is not one sfemu knows (Metadata API names: ApiEnabled, DisableNotifications, UseAnyApiClient)`},
		{"an unknown permission on a permission set", "permission_sets:\n  - name: PS\n    user_permissions:\n      - ModifyAllData\n",
			`a.yaml:5:9: permission set "PS": user permission "ModifyAllData" is not one sfemu knows`},
		{"api_enabled false and ApiEnabled listed", "profiles:\n  - {name: P, api_enabled: false, user_permissions: [ApiEnabled]}\n",
			`a.yaml:3:28: profile "P": api_enabled is false but user_permissions lists ApiEnabled: say it once`},
		{"disable_outbound_messages false and DisableNotifications listed", "profiles:\n  - {name: P, disable_outbound_messages: false, user_permissions: [DisableNotifications]}\n",
			`profile "P": disable_outbound_messages is false but user_permissions lists DisableNotifications`},
		{"api_enabled that is not a boolean", "profiles:\n  - {name: P, api_enabled: sometimes}\n", `a.yaml:3:`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewStore(clock.Real{}, Source{Name: "a.yaml", Data: []byte("org: {name: A}\n" + tt.yaml)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v\nwant it to contain %s", err, tt.want)
			}
		})
	}
}
