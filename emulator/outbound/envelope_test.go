package outbound

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

// The ids of the documented example envelope.
const (
	docOrgID    org.ID = "00Dxx0000001gPFEAY"
	docActionID org.ID = "04kxx00000000blAAA"
)

// shipmentObject is a custom object with a field of every type sfemu knows.
func shipmentObject() *org.Object {
	fields := []*org.Field{
		{Name: "Account__c", Type: org.TypeReference},
		{Name: "Active__c", Type: org.TypeBoolean},
		{Name: "Comment__c", Type: org.TypeString}, // always null: never written
		{Name: "CreatedDate", Type: org.TypeDateTime},
		{Name: "Delivered_On__c", Type: org.TypeDate},
		{Name: "Discount__c", Type: org.TypePercent},
		{Name: "Email__c", Type: org.TypeEmail},
		{Name: "Name", Type: org.TypeString},
		{Name: "Notes__c", Type: org.TypeTextArea},
		{Name: "Phone__c", Type: org.TypePhone},
		{Name: "Price__c", Type: org.TypeCurrency},
		{Name: "Quantity__c", Type: org.TypeInt},
		{Name: "Region__c", Type: org.TypePicklist},
		{Name: "Tags__c", Type: org.TypeMultiPicklist},
		{Name: "Type__c", Type: org.TypeCombobox},
		{Name: "Website__c", Type: org.TypeURL},
		{Name: "Weight__c", Type: org.TypeDouble},
	}
	sort.Slice(fields, func(i, j int) bool { return fields[i].Name < fields[j].Name })
	fields = append([]*org.Field{{Name: "Id", Type: org.TypeID}}, fields...)
	for i, f := range fields {
		f.Index = i
	}
	return &org.Object{Name: "Shipment__c", KeyPrefix: "a01", Custom: true, Fields: fields}
}

// shipmentMessage is an outbound message definition sending every field.
func shipmentMessage() *org.OutboundMessage {
	obj := shipmentObject()
	return &org.OutboundMessage{ID: docActionID, Name: "Shipment_To_ERP", Object: obj, Fields: obj.Fields,
		EndpointURL: "https://erp.example.com/salesforce/outbound?token=a&b", APIVersion: "60.0"}
}

// shipment builds a record from field values by name.
func shipment(obj *org.Object, id org.ID, values map[string]any) *org.Record {
	r := &org.Record{ID: id, Object: obj, Values: make([]any, len(obj.Fields))}
	r.Values[0] = string(id)
	for _, f := range obj.Fields {
		if v, ok := values[f.Name]; ok {
			r.Values[f.Index] = v
		}
	}
	return r
}

func fullShipment(obj *org.Object, seq uint64) *org.Record {
	return shipment(obj, org.MakeID("a01", seq), map[string]any{
		"Account__c":      string(org.MakeID(org.PrefixAccount, 7)),
		"Active__c":       true,
		"CreatedDate":     time.Date(2026, 9, 8, 23, 40, 33, 0, time.UTC),
		"Delivered_On__c": time.Date(2026, 7, 11, 0, 0, 0, 0, time.UTC),
		"Discount__c":     12.5,
		"Email__c":        "dock@edge.example",
		"Name":            "SHP-000" + string(rune('0'+seq%10)),
		"Notes__c":        "Fragile.\nKeep upright.",
		"Phone__c":        "(512) 757-6000",
		"Price__c":        45000.0,
		"Quantity__c":     3.0,
		"Region__c":       "EMEA",
		"Tags__c":         "Express;Insured",
		"Type__c":         "Pallet",
		"Website__c":      "https://edge.example/track?id=42",
		"Weight__c":       1.39e8,
	})
}

func baseEnvelope(m *org.OutboundMessage) *Envelope {
	e := &Envelope{OrganizationID: docOrgID, ActionID: m.ID, ObjectName: m.Object.Name, Fields: m.Fields}
	e.EnterpriseURL, e.PartnerURL = EndpointURLs("https://acme.my.salesforce.com", docOrgID, m.APIVersion)
	return e
}

// goldenEnvelopes are the envelopes pinned in testdata/, by file name.
func goldenEnvelopes() []struct {
	name, file string
	env        *Envelope
} {
	m := shipmentMessage()
	obj := m.Object

	legacy := baseEnvelope(m)
	legacy.SessionID = "00Dxx0000001gPF!AQ8AQHwogrxFUHYyM3M65BM_mzU63mbZl78iW8nEItuuU.GRQJ6r6.nGSAaNzIfqNWwITcnpLAmzO2L2ZQqlL7VD3wNUGecD"
	legacy.Notifications = []Notification{{ID: org.MakeID(org.PrefixNotification, 1), RecordID: org.MakeID("a01", 1), Record: fullShipment(obj, 1)}}

	removed := baseEnvelope(m)
	removed.Notifications = legacy.Notifications

	batch := baseEnvelope(m)
	for i := uint64(1); i <= 3; i++ {
		r := fullShipment(obj, i)
		if i == 2 { // a sparse record: only what is set is sent
			r = shipment(obj, org.MakeID("a01", i), map[string]any{"Name": "SHP-0002", "Active__c": false, "Quantity__c": 0.0, "Price__c": 0.0})
		}
		batch.Notifications = append(batch.Notifications, Notification{ID: org.MakeID(org.PrefixNotification, 10+i), RecordID: r.ID, Record: r})
	}

	deleted := baseEnvelope(m)
	deleted.Notifications = []Notification{
		{ID: org.MakeID(org.PrefixNotification, 20), RecordID: org.MakeID("a01", 4)}, // deleted before sending
		{ID: org.MakeID(org.PrefixNotification, 21), RecordID: org.MakeID("a01", 5), Record: fullShipment(obj, 5)},
	}

	special := baseEnvelope(m)
	r := shipment(obj, org.MakeID("a01", 6), map[string]any{
		"Name":       `Smith & Sons <"Best"> 'Ltd' ]]> done`,
		"Notes__c":   "line one\r\nline two\ttabbed\x01bell Zoë — 東京 \xff",
		"Tags__c":    "R&D;<Core>",
		"Website__c": "https://edge.example/?a=1&b=2",
	})
	special.Notifications = []Notification{{ID: org.MakeID(org.PrefixNotification, 30), RecordID: r.ID, Record: r}}

	return []struct {
		name, file string
		env        *Envelope
	}{
		{"every field type, with a session ID (before the February 2026 change)", "every_field_type_session_id.xml", legacy},
		{"every field type, SessionId xsi:nil (after the change)", "every_field_type_no_session.xml", removed},
		{"a batch of three notifications, nulls omitted", "batch_of_three.xml", batch},
		{"a record deleted before sending carries only its Id", "deleted_record.xml", deleted},
		{"XML-special and control characters in text", "xml_special_characters.xml", special},
	}
}

func TestEnvelopeGoldenFiles(t *testing.T) {
	for _, tt := range goldenEnvelopes() {
		t.Run(tt.file, func(t *testing.T) {
			got := tt.env.AppendXML(nil)
			path := filepath.Join("testdata", tt.file)
			if *updateGolden {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run Golden -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: envelope differs from %s\ngot:\n%s", tt.name, path, got)
			}
			if err := wellFormed(want); err != nil {
				t.Errorf("%s: golden envelope does not parse: %v", tt.name, err)
			}
		})
	}
}

// wellFormed reads a document to its end with encoding/xml.
func wellFormed(doc []byte) error {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		if _, err := d.Token(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// The shape of the envelope in Salesforce's Outbound Messaging chapter and in
// deliveries captured from real orgs, byte for byte (plus the final newline).
const documentedEnvelope = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>00Dxx0000001gPFEAY</OrganizationId>
   <ActionId>04kxx00000000blAAA</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://acme.my.salesforce.com/services/Soap/c/60.0/00Dxx0000001gPF</EnterpriseUrl>
   <PartnerUrl>https://acme.my.salesforce.com/services/Soap/u/60.0/00Dxx0000001gPF</PartnerUrl>
   <Notification>
    <Id>04lxx000000CaSdAAK</Id>
    <sObject xsi:type="sf:Account" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>001xx000003DGb2AAG</sf:Id>
     <sf:CreatedDate>2026-09-08T23:40:33.000Z</sf:CreatedDate>
     <sf:Name>Edge Communications</sf:Name>
    </sObject>
   </Notification>
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>
`

func TestEnvelopeIsTheDocumentedExample(t *testing.T) {
	fields := []*org.Field{{Name: "Id", Type: org.TypeID, Index: 0}, {Name: "CreatedDate", Type: org.TypeDateTime, Index: 1}, {Name: "Name", Type: org.TypeString, Index: 2}}
	acct := &org.Object{Name: "Account", Fields: fields}
	rec := &org.Record{ID: "001xx000003DGb2AAG", Object: acct, Values: []any{"001xx000003DGb2AAG", time.Date(2026, 9, 8, 23, 40, 33, 0, time.UTC), "Edge Communications"}}
	e := &Envelope{OrganizationID: docOrgID, ActionID: docActionID, ObjectName: "Account", Fields: fields,
		Notifications: []Notification{{ID: "04lxx000000CaSdAAK", RecordID: rec.ID, Record: rec}}}
	e.EnterpriseURL, e.PartnerURL = EndpointURLs("https://acme.my.salesforce.com/", docOrgID, "60.0")
	if got := string(e.AppendXML(nil)); got != documentedEnvelope {
		t.Errorf("got:\n%s\nwant:\n%s", got, documentedEnvelope)
	}
}

func TestAppendXMLAppends(t *testing.T) {
	e := goldenEnvelopes()[1].env
	prefix := []byte("POST body: ")
	got := e.AppendXML(append([]byte{}, prefix...))
	if !bytes.HasPrefix(got, prefix) || !bytes.Equal(got[len(prefix):], e.AppendXML(nil)) {
		t.Errorf("AppendXML must append to the slice it is given")
	}
}

func TestFieldValuesAreWrittenAsSalesforceSOAPWritesThem(t *testing.T) {
	utc := time.UTC
	tokyo := time.FixedZone("JST", 9*3600)
	for _, tt := range []struct {
		name  string
		typ   org.FieldType
		value any
		want  string // "" → the field is omitted
	}{
		{"double keeps one digit after the point", org.TypeDouble, 45000.0, "45000.0"},
		{"double below 10^7 stays plain", org.TypeDouble, 1234567.0, "1234567.0"},
		{"double from 10^7 switches to Java's E notation (KB 000221617)", org.TypeDouble, 12345678.0, "1.2345678E7"},
		{"currency 139 million is 1.39E8", org.TypeCurrency, 1.39e8, "1.39E8"},
		{"percent with a fraction", org.TypePercent, 12.5, "12.5"},
		{"negative double", org.TypeDouble, -2.75, "-2.75"},
		{"zero double", org.TypeDouble, 0.0, "0.0"},
		{"small double 0.001 stays plain", org.TypeDouble, 0.001, "0.001"},
		{"smaller double goes to E notation", org.TypeDouble, 0.0001, "1.0E-4"},
		{"large whole double", org.TypeCurrency, 1e21, "1.0E21"},
		{"int without a point", org.TypeInt, 250.0, "250"},
		{"negative int", org.TypeInt, -3.0, "-3"},
		{"int held as a Go int", org.TypeInt, 42, "42"},
		{"boolean true", org.TypeBoolean, true, "true"},
		{"boolean false is sent, not omitted", org.TypeBoolean, false, "false"},
		{"date as yyyy-mm-dd", org.TypeDate, time.Date(2026, 7, 11, 0, 0, 0, 0, utc), "2026-07-11"},
		{"dateTime in UTC with milliseconds", org.TypeDateTime, time.Date(2026, 9, 9, 8, 40, 33, 123456789, tokyo), "2026-09-08T23:40:33.123Z"},
		{"dateTime on the second still has .000", org.TypeDateTime, time.Date(2026, 9, 8, 23, 40, 33, 0, utc), "2026-09-08T23:40:33.000Z"},
		{"reference id with 18 characters", org.TypeReference, "001xx000003DGb2AAG", "001xx000003DGb2AAG"},
		{"reference held as an org.ID", org.TypeReference, org.ID("001xx000003DGb2AAG"), "001xx000003DGb2AAG"},
		{"multi-select picklist as a;b", org.TypeMultiPicklist, "Express;Insured", "Express;Insured"},
		{"text escapes & < > but not quotes", org.TypeString, `a & b < c > d "e" 'f'`, `a &amp; b &lt; c &gt; d "e" 'f'`},
		{"carriage return survives as &#13;", org.TypeTextArea, "a\r\nb", "a&#13;\nb"},
		{"empty text is null to Salesforce: omitted", org.TypeString, "", ""},
		{"null is omitted", org.TypeString, nil, ""},
		{"NaN cannot be stored: omitted", org.TypeDouble, nanValue(), ""},
	} {
		f := &org.Field{Name: "F__c", Type: tt.typ, Index: 1}
		obj := &org.Object{Name: "X__c", Fields: []*org.Field{{Name: "Id", Type: org.TypeID}, f}}
		rec := &org.Record{ID: "a01xx0000000001AAA", Object: obj, Values: []any{"a01xx0000000001AAA", tt.value}}
		e := &Envelope{Fields: obj.Fields}
		got := string(e.appendRecordFields(nil, rec))
		want := "     <sf:Id>a01xx0000000001AAA</sf:Id>\n"
		if tt.want != "" {
			want += "     <sf:F__c>" + tt.want + "</sf:F__c>\n"
		}
		if got != want {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, got, want)
		}
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

func TestSObjectListsIdFirstThenTheGivenFieldsInOrder(t *testing.T) {
	m := shipmentMessage()
	e := baseEnvelope(m)
	e.Notifications = []Notification{{ID: org.MakeID(org.PrefixNotification, 1), RecordID: org.MakeID("a01", 1), Record: fullShipment(m.Object, 1)}}
	var names []string
	d := xml.NewDecoder(bytes.NewReader(e.AppendXML(nil)))
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		if s, ok := tok.(xml.StartElement); ok && s.Name.Space == sobjectNS {
			names = append(names, s.Name.Local)
		}
	}
	want := []string{"Id"}
	for _, f := range m.Fields[1:] {
		if f.Name != "Comment__c" { // null
			want = append(want, f.Name)
		}
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("sObject fields:\n got %v\nwant %v", names, want)
	}
}

func TestEndpointURLs(t *testing.T) {
	for _, tt := range []struct {
		name, base, version, enterprise, partner string
	}{
		{"My Domain", "https://acme.my.salesforce.com", "60.0",
			"https://acme.my.salesforce.com/services/Soap/c/60.0/00Dxx0000001gPF", "https://acme.my.salesforce.com/services/Soap/u/60.0/00Dxx0000001gPF"},
		{"trailing slash on the base URL", "http://127.0.0.1:8443/", "66.0",
			"http://127.0.0.1:8443/services/Soap/c/66.0/00Dxx0000001gPF", "http://127.0.0.1:8443/services/Soap/u/66.0/00Dxx0000001gPF"},
	} {
		ent, par := EndpointURLs(tt.base, docOrgID, tt.version)
		if ent != tt.enterprise || par != tt.partner {
			t.Errorf("%s: got %s, %s", tt.name, ent, par)
		}
	}
}

func BenchmarkEnvelopeAppendXML(b *testing.B) {
	m := shipmentMessage()
	e := baseEnvelope(m)
	for i := uint64(0); i < 100; i++ {
		r := fullShipment(m.Object, i)
		e.Notifications = append(e.Notifications, Notification{ID: org.MakeID(org.PrefixNotification, i), RecordID: r.ID, Record: r})
	}
	buf := e.AppendXML(nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		buf = e.AppendXML(buf[:0])
	}
	b.ReportMetric(float64(b.N*len(e.Notifications))/b.Elapsed().Seconds(), "notifications/s")
}
