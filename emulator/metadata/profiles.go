package metadata

import (
	"fmt"
	"strconv"
	"strings"
)

// Standard profiles are retrieved under short file names (Admin.profile is
// "System Administrator"); the fixture knows them by the name Setup shows.
var standardProfileFiles = map[string]string{
	"admin": "System Administrator", "standard": "Standard User", "readonly": "Read Only",
	"contractmanager": "Contract Manager", "marketingprofile": "Marketing User",
	"solutionmanager": "Solution Manager", "standardaul": "Standard Platform User",
}

func profileName(file string) string {
	if n, ok := standardProfileFiles[strings.ToLower(file)]; ok {
		return n
	}
	return file
}

// User permissions sfemu models, by their Metadata API names, and the
// fixture key each sets when enabled (or, for ApiEnabled, when disabled).
const (
	permAPIEnabled           = "ApiEnabled"
	permDisableNotifications = "DisableNotifications" // "Disable Outbound Messages"
	permUseAnyAPIClient      = "UseAnyApiClient"
)

func (rd *reader) readProfile(f *file) error {
	r := f.root
	p := rd.profiles.get(profileName(f.name), f.at(r))
	for i, e := range r.all("loginIpRanges") {
		start, end := e.child("startAddress"), e.child("endAddress")
		if start == nil || end == nil {
			return f.errAt(e, "loginIpRanges[%d] needs <startAddress> and <endAddress>", i)
		}
		rg := newMapping()
		rg.set("start", start.Text, f.at(start))
		rg.set("end", end.Text, f.at(end))
		p.add("login_ip_ranges", rg, f.at(e))
		rd.unused(f, e, "startAddress", "endAddress", "description")
	}
	if lh := r.child("loginHours"); lh != nil {
		if err := loginHours(f, p, lh); err != nil {
			return err
		}
	}
	if err := rd.userPermissions(f, p, r, true); err != nil {
		return err
	}
	if err := fieldPermissions(f, p, r); err != nil {
		return err
	}
	rd.unused(f, r, usedWith("loginIpRanges", "loginHours", "userPermissions", "fieldPermissions")...)
	return nil
}

func (rd *reader) readPermissionSet(f *file) error {
	r := f.root
	ps := rd.permSets.get(f.name, f.at(r))
	if err := rd.userPermissions(f, ps, r, false); err != nil {
		return err
	}
	if err := fieldPermissions(f, ps, r); err != nil {
		return err
	}
	rd.unused(f, r, usedWith("userPermissions", "fieldPermissions", "hasActivationRequired", "license")...)
	return nil
}

// userPermissions reads the permissions sfemu models; others are listed
// as ignored once each.
func (rd *reader) userPermissions(f *file, m *mapping, r *element, profile bool) error {
	for _, e := range r.all("userPermissions") {
		name := e.text("name")
		en := e.child("enabled")
		if name == "" || en == nil {
			return f.errAt(e, "<userPermissions> needs <name> and <enabled>")
		}
		on, err := boolean(f, en)
		if err != nil {
			return err
		}
		switch {
		case name == permDisableNotifications && profile:
			m.set("disable_outbound_messages", on, f.at(en))
		case name == permAPIEnabled && profile:
			m.set("api_enabled", on, f.at(en))
		case name == permUseAnyAPIClient && !profile:
			m.set("use_any_api_client", on, f.at(en))
		default:
			rd.ignore(f.at(e), fmt.Sprintf("%s user permission %s is not modelled", f.k.typeName, name))
		}
	}
	return nil
}

// fieldPermissions reads <fieldPermissions> as the fixture's
// field_permissions: Object.Field → edit, read or none.
func fieldPermissions(f *file, m *mapping, r *element) error {
	for _, e := range r.all("fieldPermissions") {
		field := e.child("field")
		if field == nil || !strings.Contains(field.Text, ".") {
			return f.errAt(e, "<fieldPermissions> needs <field> as Object.Field")
		}
		edit, read := false, false
		var err error
		if c := e.child("editable"); c != nil {
			if edit, err = boolean(f, c); err != nil {
				return err
			}
		}
		if c := e.child("readable"); c != nil {
			if read, err = boolean(f, c); err != nil {
				return err
			}
		}
		access := "none"
		switch {
		case edit:
			access = "edit"
		case read:
			access = "read"
		}
		m.sub("field_permissions", f.at(e)).set(field.Text, access, f.at(field))
	}
	return nil
}

var days = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

// loginHours reads a profile's login hours: <mondayStart>480</mondayStart>
// is minutes after midnight in the org's time zone. A day without hours
// allows no login, as in a fixture (what Salesforce does with a day left
// unset is UNKNOWN; docs/METADATA.md).
func loginHours(f *file, p *mapping, lh *element) error {
	hours := p.sub("login_hours", f.at(lh))
	for _, d := range days {
		start, end := lh.child(d+"Start"), lh.child(d+"End")
		if start == nil && end == nil {
			continue
		}
		if start == nil || end == nil {
			return f.errAt(lh, "loginHours has %s without its pair", map[bool]string{true: d + "End", false: d + "Start"}[start == nil])
		}
		s, err := minutes(f, start)
		if err != nil {
			return err
		}
		e, err := minutes(f, end)
		if err != nil {
			return err
		}
		w := newMapping()
		w.set("start", s, f.at(start))
		w.set("end", e, f.at(end))
		hours.set(d, w, f.at(start))
	}
	return nil
}

func minutes(f *file, e *element) (string, error) {
	n, err := strconv.Atoi(e.Text)
	if err != nil || n < 0 || n > 1440 {
		return "", f.errAt(e, "<%s> %q is not minutes after midnight (0–1440)", e.Name, e.Text)
	}
	return fmt.Sprintf("%02d:%02d", n/60, n%60), nil
}
