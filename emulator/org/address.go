package org

import "strings"

// AddressKeys are the keys of a compound address value as Salesforce's REST
// JSON writes them (alphabetical), and componentSuffixes the component field
// each is read from: BillingAddress.city is BillingCity. countryCode and
// stateCode exist only in orgs with state and country picklists, which sfemu
// does not model.
var (
	AddressKeys       = [...]string{"city", "country", "geocodeAccuracy", "latitude", "longitude", "postalCode", "state", "street"}
	componentSuffixes = [...]string{"City", "Country", "GeocodeAccuracy", "Latitude", "Longitude", "PostalCode", "State", "Street"}
)

// Address is a compound address field's value, computed on read from its
// components (nothing is stored for it): Values[i] is the value of the
// component AddressKeys[i] names (string, float64 for latitude and
// longitude, or nil).
type Address struct {
	Values [len(AddressKeys)]any
}

// linkAddress finds the components of address field f (BillingAddress:
// BillingCity, …; Address: City, …), which the schema lists before it, and
// marks them with f's name.
func (o *Object) linkAddress(f *Field) {
	prefix := strings.TrimSuffix(f.Name, "Address")
	f.Components = make([]*Field, len(componentSuffixes))
	for i, suffix := range componentSuffixes {
		c := o.byExact[prefix+suffix]
		if c == nil {
			continue
		}
		c.CompoundFieldName = f.Name
		f.Components[i] = c
	}
}

// address computes the value of address field f for r: nil when every
// component is null, as Salesforce answers.
func (r *Record) address(f *Field) any {
	var a Address
	set := false
	for i, c := range f.Components {
		if c != nil && c.Index < len(r.Values) {
			if v := r.Values[c.Index]; v != nil {
				a.Values[i], set = v, true
			}
		}
	}
	if !set {
		return nil
	}
	return &a
}
