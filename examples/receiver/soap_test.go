package main

import (
	"encoding/xml"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// capturedDir holds envelopes byte for byte as the emulator (and Salesforce) sends them.
const capturedDir = "../../emulator/outbound/testdata"

func TestParseOutboundMessageReadsCapturedEnvelopes(t *testing.T) {
	tests := []struct {
		file      string
		session   string
		ids       []string
		object    string
		records   []string
		someField [2]string // a field of the first notification and its value
	}{
		{file: "batch_of_three.xml", ids: []string{"04lxx000000000BAAQ", "04lxx000000000CAAQ", "04lxx000000000DAAQ"},
			object: "Shipment__c", records: []string{"a01xx0000000001AAA", "a01xx0000000002AAA", "a01xx0000000003AAA"},
			someField: [2]string{"Notes__c", "Fragile.\nKeep upright."}},
		{file: "deleted_record.xml", ids: []string{"04lxx000000000KAAQ", "04lxx000000000LAAQ"},
			object: "Shipment__c", records: []string{"a01xx0000000004AAA", "a01xx0000000005AAA"},
			someField: [2]string{"Id", "a01xx0000000004AAA"}},
		{file: "every_field_type_no_session.xml"},
		{file: "every_field_type_session_id.xml", session: "any"},
		{file: "xml_special_characters.xml"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(capturedDir, tt.file))
			if err != nil {
				t.Skipf("captured envelope not available: %v", err)
			}
			msg, err := ParseOutboundMessage(body)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(msg.OrganizationID, "00D") || !strings.HasPrefix(msg.ActionID, "04k") ||
				!strings.Contains(msg.PartnerURL, "/services/Soap/u/") || !strings.Contains(msg.EnterpriseURL, "/services/Soap/c/") {
				t.Errorf("header = %+v", msg)
			}
			if (msg.SessionID != "") != (tt.session != "") {
				t.Errorf("SessionID = %q; want present: %v", msg.SessionID, tt.session != "")
			}
			for _, n := range msg.Notifications {
				if !strings.HasPrefix(n.ID, "04l") || len(n.RecordID) != 18 || n.Object == "" || n.Fields["Id"] != n.RecordID {
					t.Errorf("notification = %+v", n)
				}
			}
			if tt.ids == nil {
				return
			}
			var ids, records []string
			for _, n := range msg.Notifications {
				ids, records = append(ids, n.ID), append(records, n.RecordID)
				if n.Object != tt.object {
					t.Errorf("object = %q; want %q", n.Object, tt.object)
				}
			}
			if diff := cmp.Diff(tt.ids, ids); diff != "" {
				t.Errorf("notification ids (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.records, records); diff != "" {
				t.Errorf("record ids (-want +got):\n%s", diff)
			}
			if got := msg.Notifications[0].Fields[tt.someField[0]]; got != tt.someField[1] {
				t.Errorf("%s = %q; want %q", tt.someField[0], got, tt.someField[1])
			}
		})
	}
}

// envelope builds a message; parts replace the defaults.
func envelope(session, notifications string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>00Dxx0000001gPLEAY</OrganizationId>
   <ActionId>04kxx00000000blAAA</ActionId>
   ` + session + `
   <EnterpriseUrl>http://127.0.0.1:8085/services/Soap/c/60.0/00Dxx0000001gPL</EnterpriseUrl>
   <PartnerUrl>http://127.0.0.1:8085/services/Soap/u/60.0/00Dxx0000001gPL</PartnerUrl>
   ` + notifications + `
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>`
}

const oneAccount = `<Notification><Id>04lxx000000CaSdAAK</Id>
    <sObject xsi:type="sf:Account" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>001xx000003DGb2AAG</sf:Id><sf:Name>Edge &amp; Co</sf:Name><sf:Phone xsi:nil="true"/>
    </sObject></Notification>`

func TestParseOutboundMessage(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    *OutboundMessage
		wantErr string
	}{
		{
			name: "after the change: SessionId is xsi:nil, so no session",
			body: envelope(`<SessionId xsi:nil="true"/>`, oneAccount),
			want: &OutboundMessage{OrganizationID: "00Dxx0000001gPLEAY", ActionID: "04kxx00000000blAAA",
				EnterpriseURL: "http://127.0.0.1:8085/services/Soap/c/60.0/00Dxx0000001gPL",
				PartnerURL:    "http://127.0.0.1:8085/services/Soap/u/60.0/00Dxx0000001gPL",
				Notifications: []Notification{{ID: "04lxx000000CaSdAAK", Object: "Account", RecordID: "001xx000003DGb2AAG",
					Fields: map[string]string{"Id": "001xx000003DGb2AAG", "Name": "Edge & Co", "Phone": ""}, Nil: []string{"Phone"}}}},
		},
		{
			name: "before the change: the session ID is read",
			body: envelope(`<SessionId>00Dxx0000001gPL!AQ4AQ.token</SessionId>`, oneAccount),
			want: &OutboundMessage{OrganizationID: "00Dxx0000001gPLEAY", ActionID: "04kxx00000000blAAA", SessionID: "00Dxx0000001gPL!AQ4AQ.token",
				EnterpriseURL: "http://127.0.0.1:8085/services/Soap/c/60.0/00Dxx0000001gPL",
				PartnerURL:    "http://127.0.0.1:8085/services/Soap/u/60.0/00Dxx0000001gPL",
				Notifications: []Notification{{ID: "04lxx000000CaSdAAK", Object: "Account", RecordID: "001xx000003DGb2AAG",
					Fields: map[string]string{"Id": "001xx000003DGb2AAG", "Name": "Edge & Co", "Phone": ""}, Nil: []string{"Phone"}}}},
		},
		{
			name: "other prefixes, same namespaces: matched by namespace",
			body: `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>
				<o:notifications xmlns:o="http://soap.sforce.com/2005/09/outbound" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
				<o:OrganizationId>00Dxx0000001gPL</o:OrganizationId><o:SessionId i:nil="1"/>
				<o:Notification><o:Id>04lxx000000CaSdAAK</o:Id><o:sObject i:type="ens:Lead" xmlns:ens="urn:sobject.enterprise.soap.sforce.com">
				<ens:Id>00Qxx0000000001EAA</ens:Id><other:Id xmlns:other="urn:elsewhere">ignored</other:Id></o:sObject></o:Notification>
				</o:notifications></e:Body></e:Envelope>`,
			want: &OutboundMessage{OrganizationID: "00Dxx0000001gPL",
				Notifications: []Notification{{ID: "04lxx000000CaSdAAK", Object: "Lead", RecordID: "00Qxx0000000001EAA",
					Fields: map[string]string{"Id": "00Qxx0000000001EAA"}}}},
		},
		{
			name:    "right element names in no namespace are not a notification",
			body:    `<Envelope><Body><notifications><OrganizationId>00D</OrganizationId></notifications></Body></Envelope>`,
			wantErr: "not a SOAP 1.1 envelope",
		},
		{
			name:    "a SOAP envelope with another body",
			body:    `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ping/></soapenv:Body></soapenv:Envelope>`,
			wantErr: "no notifications element",
		},
		{name: "an empty body", body: " \n", wantErr: "empty body"},
		{name: "JSON", body: `{"notifications":[]}`, wantErr: "not XML"},
		{name: "truncated XML", body: envelope(`<SessionId xsi:nil="true"/>`, oneAccount)[:300], wantErr: "not XML"},
		{name: "no OrganizationId", body: strings.Replace(envelope("", oneAccount), "<OrganizationId>00Dxx0000001gPLEAY</OrganizationId>", "", 1), wantErr: "no OrganizationId"},
		{name: "no Notification", body: envelope("", ""), wantErr: "holds no Notification"},
		{name: "a Notification without Id", body: envelope("", `<Notification><sObject/></Notification>`), wantErr: "notification 1 has no Id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOutboundMessage([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v; want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestAckAndFaultAreWhatSalesforceReads(t *testing.T) {
	rec := httptest.NewRecorder()
	writeAck(rec)
	var ack struct {
		Body struct {
			Response struct {
				Ack string `xml:"http://soap.sforce.com/2005/09/outbound Ack"`
			} `xml:"http://soap.sforce.com/2005/09/outbound notificationsResponse"`
		} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &ack); err != nil || rec.Code != 200 || ack.Body.Response.Ack != "true" {
		t.Errorf("Ack: %d %q (%v); want 200 with notificationsResponse/Ack true", rec.Code, rec.Body, err)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		t.Errorf("Ack Content-Type = %q", ct)
	}

	rec = httptest.NewRecorder()
	writeFault(rec, 500, faultServer, `notification 04l: <INVALID> & "quoted"`)
	var fault struct {
		Body struct {
			Fault struct {
				Code   string `xml:"faultcode"`
				String string `xml:"faultstring"`
			} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault"`
		} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &fault); err != nil || rec.Code != 500 ||
		fault.Body.Fault.Code != "soapenv:Server" || fault.Body.Fault.String != `notification 04l: <INVALID> & "quoted"` {
		t.Errorf("Fault: %d %q (%v)", rec.Code, rec.Body, err)
	}
}

// FuzzParseOutboundMessage: the parser never panics, and what it accepts
// is a usable message.
func FuzzParseOutboundMessage(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(capturedDir, "*.xml"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(envelope(`<SessionId xsi:nil="true"/>`, oneAccount)))
	f.Add([]byte(envelope(`<SessionId>x</SessionId>`, oneAccount+oneAccount)))
	f.Add([]byte(`<Envelope/>`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		msg, err := ParseOutboundMessage(body)
		if err != nil {
			if msg != nil {
				t.Fatal("a message and an error")
			}
			return
		}
		if msg.OrganizationID == "" || len(msg.Notifications) == 0 {
			t.Fatalf("accepted a message without org or notifications: %+v", msg)
		}
		for _, n := range msg.Notifications {
			if n.ID == "" || n.Fields == nil {
				t.Fatalf("accepted a notification without Id or fields: %+v", n)
			}
		}
	})
}
