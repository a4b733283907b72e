package outbound

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/org"
)

func TestWSDLGoldenFile(t *testing.T) {
	got := WSDL(shipmentMessage())
	path := filepath.Join("testdata", "shipment.wsdl")
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
		t.Errorf("WSDL differs from %s\ngot:\n%s", path, got)
	}
	if err := wellFormed(got); err != nil {
		t.Errorf("WSDL does not parse: %v", err)
	}
}

func TestWSDLDescribesTheDefinition(t *testing.T) {
	s := mustSchema(t, WSDL(shipmentMessage()))
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"target namespace is the outbound namespace", s.defs.TargetNamespace == outboundNS},
		{"ID is an 18-character string", s.idLength == 18 && s.idPattern.String() == "^(?:[a-zA-Z0-9]{18})$"},
		{"port type NotificationPort", s.defs.PortType.Name == "NotificationPort" && s.defs.PortType.Operation.Name == "notifications"},
		{"binding NotificationBinding, document style over HTTP", s.defs.Binding.Name == "NotificationBinding" && s.defs.Binding.Type == "tns:NotificationPort" &&
			s.defs.Binding.SOAP.Style == "document" && s.defs.Binding.SOAP.Transport == "http://schemas.xmlsoap.org/soap/http"},
		{`soapAction ""`, s.defs.Binding.Operation.SOAPOperation.SOAPAction != nil && *s.defs.Binding.Operation.SOAPOperation.SOAPAction == ""},
		{"literal bodies", s.defs.Binding.Operation.Input.Body.Use == "literal" && s.defs.Binding.Operation.Output.Body.Use == "literal"},
		{"service NotificationService at the endpoint URL", s.defs.Service.Name == "NotificationService" &&
			s.defs.Service.Port.Address.Location == "https://erp.example.com/salesforce/outbound?token=a&b"},
		{"request and response messages", len(s.defs.Messages) == 2 && s.defs.Messages[0].Part.Element == "tns:notifications" &&
			s.defs.Messages[1].Part.Element == "tns:notificationsResponse"},
	} {
		if !tt.ok {
			t.Errorf("%s: not so", tt.name)
		}
	}

	var got []string
	for _, p := range s.elements[qn(outboundNS, "notifications")].particles {
		got = append(got, fmt.Sprintf("%s %s min=%d max=%d nillable=%v", p.name.Local, p.typ.Local, p.min, p.max, p.nillable))
	}
	want := []string{
		"OrganizationId ID min=1 max=1 nillable=false",
		"ActionId ID min=1 max=1 nillable=false",
		"SessionId string min=1 max=1 nillable=true",
		"EnterpriseUrl string min=1 max=1 nillable=false",
		"PartnerUrl string min=1 max=1 nillable=false",
		"Notification Shipment__cNotification min=1 max=100 nillable=false",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("notifications:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	got = nil
	for _, p := range s.complexTypes[qn(sobjectNS, "Shipment__c")].particles {
		got = append(got, fmt.Sprintf("%s %s min=%d nillable=%v", p.name.Local, p.typ.Local, p.min, p.nillable))
	}
	want = []string{
		"fieldsToNull string min=0 nillable=true", "Id ID min=1 nillable=true",
		"Account__c ID min=0 nillable=true", "Active__c boolean min=0 nillable=true", "Comment__c string min=0 nillable=true",
		"CreatedDate dateTime min=0 nillable=true", "Delivered_On__c date min=0 nillable=true", "Discount__c double min=0 nillable=true",
		"Email__c string min=0 nillable=true", "Name string min=0 nillable=true", "Notes__c string min=0 nillable=true",
		"Phone__c string min=0 nillable=true", "Price__c double min=0 nillable=true", "Quantity__c int min=0 nillable=true",
		"Region__c string min=0 nillable=true", "Tags__c string min=0 nillable=true", "Type__c string min=0 nillable=true",
		"Website__c string min=0 nillable=true", "Weight__c double min=0 nillable=true",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Shipment__c:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ack := s.elements[qn(outboundNS, "notificationsResponse")].particles; len(ack) != 1 || ack[0].name.Local != "Ack" || ack[0].typ != qn(xsdNS, "boolean") {
		t.Errorf("notificationsResponse should hold one xsd:boolean Ack, got %+v", ack)
	}
}

func TestWSDLOfAFixtureDefinition(t *testing.T) {
	s, err := org.NewStore(clock.NewVirtual(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)), org.Source{Name: "acme.yaml", Data: []byte(`
org: {name: Acme}
users: [{username: sender@acme.example, profile: Standard User}]
outbound_messages:
  - name: Account_To_ERP
    object: Account
    fields: [Name, AnnualRevenue, NumberOfEmployees, OwnerId, CreatedDate, Industry]
    endpoint_url: https://erp.example.com/in
    user_to_send_as: sender@acme.example
`)})
	if err != nil {
		t.Fatal(err)
	}
	m := s.Orgs()[0].OutboundMessage("Account_To_ERP")
	sch := mustSchema(t, WSDL(m))
	var got []string
	for _, p := range sch.complexTypes[qn(sobjectNS, "Account")].particles[2:] {
		got = append(got, p.name.Local+":"+p.typ.Local)
	}
	want := "AnnualRevenue:double CreatedDate:dateTime Industry:string Name:string NumberOfEmployees:int OwnerId:ID"
	if strings.Join(got, " ") != want {
		t.Errorf("Account fields: got %s, want %s", strings.Join(got, " "), want)
	}
	if _, ok := sch.complexTypes[qn(outboundNS, "AccountNotification")]; !ok {
		t.Errorf("no AccountNotification type")
	}
}

func TestGoldenEnvelopesValidateAgainstTheWSDL(t *testing.T) {
	s := mustSchema(t, WSDL(shipmentMessage()))
	for _, tt := range goldenEnvelopes() {
		doc, err := os.ReadFile(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.validateEnvelope(doc); err != nil {
			t.Errorf("%s (%s): %v", tt.name, tt.file, err)
		}
	}
}

// A strict receiver generated from the WSDL rejects what the schema forbids;
// the validator must too, or the golden test above proves nothing.
func TestStrictReceiverRejects(t *testing.T) {
	s := mustSchema(t, WSDL(shipmentMessage()))
	valid, err := os.ReadFile(filepath.Join("testdata", "every_field_type_no_session.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.validateEnvelope(valid); err != nil {
		t.Fatalf("the valid envelope fails: %v", err)
	}
	notification := regexp.MustCompile(`(?s)   <Notification>.*?</Notification>\n`).Find(valid)
	for _, tt := range []struct {
		name    string
		mutate  func(string) string
		wantErr string
	}{
		{"a 15-character OrganizationId", replace("00Dxx0000001gPFEAY</OrganizationId>", "00Dxx0000001gPF</OrganizationId>"), "OrganizationId"},
		{"a 15-character record id", replace("<sf:Id>a01xx0000000001AAA</sf:Id>", "<sf:Id>a01xx0000000001</sf:Id>"), "Id"},
		{"an ActionId with a dash", replace("<ActionId>04kxx0", "<ActionId>04kxx-"), "ActionId"},
		{"101 notifications", func(s string) string {
			return strings.Replace(s, string(notification), strings.Repeat(string(notification), 101), 1)
		}, "more than 100"},
		{"no notification", replace(string(notification), ""), "Notification"},
		{"fields out of alphabetical order", func(s string) string {
			s = strings.Replace(s, "     <sf:Active__c>true</sf:Active__c>\n", "", 1)
			return strings.Replace(s, "     <sf:Weight__c>", "     <sf:Active__c>true</sf:Active__c>\n     <sf:Weight__c>", 1)
		}, "Active__c"},
		{"Id after the fields", func(s string) string {
			s = strings.Replace(s, "     <sf:Id>a01xx0000000001AAA</sf:Id>\n", "", 1)
			return strings.Replace(s, "    </sObject>", "     <sf:Id>a01xx0000000001AAA</sf:Id>\n    </sObject>", 1)
		}, "Id"},
		{"an sObject without Id", replace("     <sf:Id>a01xx0000000001AAA</sf:Id>\n", ""), "Id"},
		{"PartnerUrl before EnterpriseUrl", func(s string) string {
			e := regexp.MustCompile(`   <EnterpriseUrl>.*\n`).FindString(s)
			s = strings.Replace(s, e, "", 1)
			return strings.Replace(s, "   <Notification>", e+"   <Notification>", 1)
		}, "EnterpriseUrl"},
		{"no ActionId", func(s string) string { return regexp.MustCompile(`   <ActionId>.*\n`).ReplaceAllString(s, "") }, "ActionId"},
		{"a nil that is not nillable", replace("<PartnerUrl>", `<PartnerUrl xsi:nil="true">`), "nil"},
		{"a field unknown to the WSDL", replace("<sf:Name>", "<sf:Secret__c>x</sf:Secret__c><sf:Name>"), "Secret__c"},
		{"a double with a comma", replace("<sf:Price__c>45000.0<", "<sf:Price__c>45000,0<"), "xsd:double"},
		{"an int with a point", replace("<sf:Quantity__c>3<", "<sf:Quantity__c>3.0<"), "xsd:int"},
		{"a dateTime without T", replace("2026-09-08T23:40:33.000Z", "2026-09-08 23:40:33"), "xsd:dateTime"},
		{"a date with a time", replace("<sf:Delivered_On__c>2026-07-11<", "<sf:Delivered_On__c>2026-07-11T00:00:00Z<"), "xsd:date"},
		{"a boolean yes", replace("<sf:Active__c>true<", "<sf:Active__c>yes<"), "xsd:boolean"},
		{"another object's xsi:type", replace(`xsi:type="sf:Shipment__c"`, `xsi:type="sf:Account"`), "Account"},
		{"the wrong namespace for notifications", replace(`<notifications xmlns="http://soap.sforce.com/2005/09/outbound">`, `<notifications xmlns="urn:other">`), "notifications"},
	} {
		bad := tt.mutate(string(valid))
		if bad == string(valid) {
			t.Errorf("%s: the mutation changed nothing", tt.name)
			continue
		}
		err := s.validateEnvelope([]byte(bad))
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: got %v, want an error about %s", tt.name, err, tt.wantErr)
		}
	}
}

func replace(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}

// TestXmllintValidatesEnvelopes checks the same with libxml2's schema
// validator when xmllint is installed; CI does not need it.
func TestXmllintValidatesEnvelopes(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (apt-get install libxml2-utils)")
	}
	dir := t.TempDir()
	wsdl := string(WSDL(shipmentMessage()))
	schemas := regexp.MustCompile(`(?s)<schema .*?</schema>`).FindAllString(wsdl, -1)
	if len(schemas) != 3 {
		t.Fatalf("want 3 schemas in the WSDL, found %d", len(schemas))
	}
	files := []string{"ent.xsd", "ens.xsd", "tns.xsd"}
	for i, sc := range schemas {
		sc = strings.Replace(sc, "<schema ", `<schema xmlns:xsd="`+xsdNS+`" xmlns:ent="`+enterpriseNS+`" xmlns:ens="`+sobjectNS+`" xmlns:tns="`+outboundNS+`" `, 1)
		sc = strings.ReplaceAll(sc, `<import namespace="`+enterpriseNS+`" />`, `<import namespace="`+enterpriseNS+`" schemaLocation="ent.xsd"/>`)
		sc = strings.ReplaceAll(sc, `<import namespace="`+sobjectNS+`" />`, `<import namespace="`+sobjectNS+`" schemaLocation="ens.xsd"/>`)
		if err := os.WriteFile(filepath.Join(dir, files[i]), []byte(sc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	validate := func(envelope []byte) error {
		body := regexp.MustCompile(`(?s)<notifications .*</notifications>`).Find(envelope)
		doc := strings.Replace(string(body), "<notifications ", `<notifications xmlns:xsi="`+xsiNS+`" `, 1)
		path := filepath.Join(dir, "doc.xml")
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			return err
		}
		out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", filepath.Join(dir, "tns.xsd"), path).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}
	for _, tt := range goldenEnvelopes() {
		if err := validate(tt.env.AppendXML(nil)); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	bad := strings.Replace(string(goldenEnvelopes()[0].env.AppendXML(nil)), "00Dxx0000001gPFEAY<", "00Dxx0000001gPF<", 1)
	if err := validate([]byte(bad)); err == nil {
		t.Errorf("xmllint accepts a 15-character OrganizationId")
	}
}

// ---- a small validator for the schema facts strict receivers rely on ----

func qn(space, local string) xml.Name { return xml.Name{Space: space, Local: local} }

type particle struct {
	name     xml.Name
	typ      xml.Name
	min, max int
	nillable bool
}

type contentModel struct {
	particles []particle
	base      xml.Name // for extensions
}

type wsdlSchema struct {
	defs         wsdlDefinitions
	idLength     int
	idPattern    *regexp.Regexp
	elements     map[xml.Name]contentModel // global elements with anonymous complex types
	complexTypes map[xml.Name]contentModel // with base particles flattened in
}

type xsdElement struct {
	Name      string `xml:"name,attr"`
	Type      string `xml:"type,attr"`
	MinOccurs string `xml:"minOccurs,attr"`
	MaxOccurs string `xml:"maxOccurs,attr"`
	Nillable  string `xml:"nillable,attr"`
}

type xsdComplexType struct {
	Name      string       `xml:"name,attr"`
	Sequence  []xsdElement `xml:"sequence>element"`
	Extension *struct {
		Base     string       `xml:"base,attr"`
		Sequence []xsdElement `xml:"sequence>element"`
	} `xml:"complexContent>extension"`
}

type wsdlDefinitions struct {
	TargetNamespace string     `xml:"targetNamespace,attr"`
	Attrs           []xml.Attr `xml:",any,attr"`
	Schemas         []struct {
		TargetNamespace string `xml:"targetNamespace,attr"`
		SimpleTypes     []struct {
			Name        string `xml:"name,attr"`
			Restriction struct {
				Base   string `xml:"base,attr"`
				Length struct {
					Value string `xml:"value,attr"`
				} `xml:"length"`
				Pattern struct {
					Value string `xml:"value,attr"`
				} `xml:"pattern"`
			} `xml:"restriction"`
		} `xml:"simpleType"`
		ComplexTypes []xsdComplexType `xml:"complexType"`
		Elements     []struct {
			Name        string         `xml:"name,attr"`
			ComplexType xsdComplexType `xml:"complexType"`
		} `xml:"element"`
	} `xml:"types>schema"`
	Messages []struct {
		Name string `xml:"name,attr"`
		Part struct {
			Element string `xml:"element,attr"`
		} `xml:"part"`
	} `xml:"message"`
	PortType struct {
		Name      string `xml:"name,attr"`
		Operation struct {
			Name string `xml:"name,attr"`
		} `xml:"operation"`
	} `xml:"portType"`
	Binding struct {
		Name string `xml:"name,attr"`
		Type string `xml:"type,attr"`
		SOAP struct {
			Style     string `xml:"style,attr"`
			Transport string `xml:"transport,attr"`
		} `xml:"http://schemas.xmlsoap.org/wsdl/soap/ binding"`
		Operation struct {
			SOAPOperation struct {
				SOAPAction *string `xml:"soapAction,attr"`
			} `xml:"http://schemas.xmlsoap.org/wsdl/soap/ operation"`
			Input struct {
				Body struct {
					Use string `xml:"use,attr"`
				} `xml:"body"`
			} `xml:"input"`
			Output struct {
				Body struct {
					Use string `xml:"use,attr"`
				} `xml:"body"`
			} `xml:"output"`
		} `xml:"operation"`
	} `xml:"binding"`
	Service struct {
		Name string `xml:"name,attr"`
		Port struct {
			Address struct {
				Location string `xml:"location,attr"`
			} `xml:"address"`
		} `xml:"port"`
	} `xml:"service"`
}

func mustSchema(t *testing.T, wsdl []byte) *wsdlSchema {
	t.Helper()
	s, err := parseWSDLSchema(wsdl)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func parseWSDLSchema(wsdl []byte) (*wsdlSchema, error) {
	s := &wsdlSchema{elements: map[xml.Name]contentModel{}, complexTypes: map[xml.Name]contentModel{}}
	if err := xml.Unmarshal(wsdl, &s.defs); err != nil {
		return nil, err
	}
	prefixes := map[string]string{}
	for _, a := range s.defs.Attrs {
		if a.Name.Space == "xmlns" {
			prefixes[a.Name.Local] = a.Value
		}
	}
	resolve := func(q string) (xml.Name, error) {
		p, local, ok := strings.Cut(q, ":")
		if !ok {
			return xml.Name{}, fmt.Errorf("unqualified type %q", q)
		}
		ns, ok := prefixes[p]
		if !ok {
			return xml.Name{}, fmt.Errorf("unbound prefix in %q", q)
		}
		return qn(ns, local), nil
	}
	particles := func(ns string, els []xsdElement) ([]particle, error) {
		var ps []particle
		for _, e := range els {
			typ, err := resolve(e.Type)
			if err != nil {
				return nil, err
			}
			p := particle{name: qn(ns, e.Name), typ: typ, min: 1, max: 1, nillable: e.Nillable == "true"}
			if e.MinOccurs != "" {
				p.min, _ = strconv.Atoi(e.MinOccurs)
			}
			switch e.MaxOccurs {
			case "":
			case "unbounded":
				p.max = -1
			default:
				p.max, _ = strconv.Atoi(e.MaxOccurs)
			}
			ps = append(ps, p)
		}
		return ps, nil
	}
	for _, sc := range s.defs.Schemas {
		for _, st := range sc.SimpleTypes {
			if sc.TargetNamespace == enterpriseNS && st.Name == "ID" {
				s.idLength, _ = strconv.Atoi(st.Restriction.Length.Value)
				re, err := regexp.Compile("^(?:" + st.Restriction.Pattern.Value + ")$") // XSD patterns are anchored
				if err != nil {
					return nil, err
				}
				s.idPattern = re
			}
		}
		for _, ct := range sc.ComplexTypes {
			var cm contentModel
			var err error
			if ct.Extension != nil {
				if cm.base, err = resolve(ct.Extension.Base); err != nil {
					return nil, err
				}
				cm.particles, err = particles(sc.TargetNamespace, ct.Extension.Sequence)
			} else {
				cm.particles, err = particles(sc.TargetNamespace, ct.Sequence)
			}
			if err != nil {
				return nil, err
			}
			s.complexTypes[qn(sc.TargetNamespace, ct.Name)] = cm
		}
		for _, el := range sc.Elements {
			ps, err := particles(sc.TargetNamespace, el.ComplexType.Sequence)
			if err != nil {
				return nil, err
			}
			s.elements[qn(sc.TargetNamespace, el.Name)] = contentModel{particles: ps}
		}
	}
	for name, cm := range s.complexTypes { // flatten bases (one level is all the WSDL has)
		if cm.base != (xml.Name{}) {
			base, ok := s.complexTypes[cm.base]
			if !ok {
				return nil, fmt.Errorf("type %s extends unknown %s", name.Local, cm.base.Local)
			}
			cm.particles = append(append([]particle{}, base.particles...), cm.particles...)
			s.complexTypes[name] = cm
		}
	}
	if s.idPattern == nil {
		return nil, errors.New("the WSDL defines no ent:ID type")
	}
	return s, nil
}

// node is an element of an instance document, namespaces resolved.
type node struct {
	name     xml.Name
	attrs    []xml.Attr
	text     string
	children []*node
	// scope maps prefixes to namespaces where the element stands.
	scope map[string]string
}

func (n *node) attr(space, local string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Space == space && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

func parseInstance(doc []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return root, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name, attrs: t.Attr, scope: map[string]string{}}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				for k, v := range parent.scope {
					n.scope[k] = v
				}
				parent.children = append(parent.children, n)
			} else {
				root = n
			}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" {
					n.scope[a.Name.Local] = a.Value
				}
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
}

// validateEnvelope checks a SOAP request against the WSDL's schema.
func (s *wsdlSchema) validateEnvelope(doc []byte) error {
	root, err := parseInstance(doc)
	if err != nil {
		return err
	}
	if root.name != qn(soapEnvelopeNS, "Envelope") || len(root.children) != 1 || root.children[0].name != qn(soapEnvelopeNS, "Body") {
		return errors.New("not a SOAP 1.1 Envelope holding only a Body")
	}
	body := root.children[0]
	if len(body.children) != 1 || body.children[0].name != qn(outboundNS, "notifications") {
		return errors.New("the Body does not hold exactly one {" + outboundNS + "}notifications")
	}
	return s.validateSequence(body.children[0], s.elements[qn(outboundNS, "notifications")].particles)
}

func (s *wsdlSchema) validateSequence(parent *node, ps []particle) error {
	i := 0
	for _, p := range ps {
		n := 0
		for i < len(parent.children) && parent.children[i].name == p.name {
			if err := s.validateElement(parent.children[i], p); err != nil {
				return err
			}
			i++
			n++
		}
		if n < p.min {
			return fmt.Errorf("<%s>: missing required <%s> (or it is out of order)", parent.name.Local, p.name.Local)
		}
		if p.max >= 0 && n > p.max {
			return fmt.Errorf("<%s>: %d <%s>, more than %d", parent.name.Local, n, p.name.Local, p.max)
		}
	}
	if i < len(parent.children) {
		c := parent.children[i].name
		return fmt.Errorf("<%s>: unexpected <%s> in namespace %s (not in the schema, or out of order)", parent.name.Local, c.Local, c.Space)
	}
	return nil
}

func (s *wsdlSchema) validateElement(n *node, p particle) error {
	if v, ok := n.attr(xsiNS, "nil"); ok && (v == "true" || v == "1") {
		if !p.nillable {
			return fmt.Errorf("<%s> is xsi:nil but not nillable", n.name.Local)
		}
		if len(n.children) > 0 || n.text != "" {
			return fmt.Errorf("<%s> is xsi:nil but has content", n.name.Local)
		}
		return nil
	}
	typ := p.typ
	if xt, ok := n.attr(xsiNS, "type"); ok {
		prefix, local, _ := strings.Cut(xt, ":")
		actual := qn(n.scope[prefix], local)
		cm, ok := s.complexTypes[actual]
		if !ok || (actual != typ && cm.base != typ) {
			return fmt.Errorf("<%s> xsi:type %s is not %s or derived from it", n.name.Local, xt, typ.Local)
		}
		typ = actual
	}
	if cm, ok := s.complexTypes[typ]; ok {
		if strings.TrimSpace(n.text) != "" {
			return fmt.Errorf("<%s> has text in element-only content", n.name.Local)
		}
		return s.validateSequence(n, cm.particles)
	}
	if len(n.children) > 0 {
		return fmt.Errorf("<%s> has elements but type %s is simple", n.name.Local, typ.Local)
	}
	return s.validateSimple(n.name.Local, typ, n.text)
}

var (
	xsdDoubleRE   = regexp.MustCompile(`^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|-?INF|NaN)$`)
	xsdIntRE      = regexp.MustCompile(`^[+-]?\d+$`)
	xsdDateRE     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?$`)
	xsdDateTimeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$`)
)

func (s *wsdlSchema) validateSimple(name string, typ xml.Name, text string) error {
	v := strings.Trim(text, " \t\r\n") // whitespace collapse of the non-string types
	bad := func(kind string) error { return fmt.Errorf("<%s>%s</%s> is not a valid %s", name, text, name, kind) }
	switch typ {
	case qn(enterpriseNS, "ID"):
		if len(text) != s.idLength || !s.idPattern.MatchString(text) {
			return bad("ent:ID (18 letters or digits)")
		}
	case qn(xsdNS, "string"):
	case qn(xsdNS, "boolean"):
		if v != "true" && v != "false" && v != "1" && v != "0" {
			return bad("xsd:boolean")
		}
	case qn(xsdNS, "double"):
		if !xsdDoubleRE.MatchString(v) {
			return bad("xsd:double")
		}
	case qn(xsdNS, "int"):
		if !xsdIntRE.MatchString(v) {
			return bad("xsd:int")
		}
		if _, err := strconv.ParseInt(v, 10, 32); err != nil {
			return bad("xsd:int")
		}
	case qn(xsdNS, "date"):
		if !xsdDateRE.MatchString(v) {
			return bad("xsd:date")
		}
		if _, err := time.Parse(time.DateOnly, v[:10]); err != nil {
			return bad("xsd:date")
		}
	case qn(xsdNS, "dateTime"):
		if !xsdDateTimeRE.MatchString(v) {
			return bad("xsd:dateTime")
		}
		if _, err := time.Parse("2006-01-02T15:04:05", v[:19]); err != nil {
			return bad("xsd:dateTime")
		}
	default:
		return fmt.Errorf("<%s>: unknown type %s", name, typ.Local)
	}
	return nil
}
