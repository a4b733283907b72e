package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/internal/soapxml"
	"github.com/sfemu/sfemu/emulator/org"
)

// wsdlSmallOrg is the org of the Enterprise golden file: custom fields on
// Account (a restricted picklist and an int) and a custom object with a
// lookup to Account.
const wsdlSmallOrg = `
org: {name: Small & Co, id: 00Dxx0000002WSD}
users:
  - {username: admin@small.example, profile: Standard User}
objects:
  Account:
    fields:
      Region__c: {type: picklist, values: [EMEA, APAC], restricted: true}
      Tier__c: {type: int}
  Shipment__c:
    fields:
      Account__c: {type: lookup, reference_to: Account}
      Shipped__c: {type: datetime}
`

const (
	wsdlPartnerURL    = "http://127.0.0.1:8085/services/Soap/u/66.0"
	wsdlEnterpriseURL = "http://127.0.0.1:8085/services/Soap/c/66.0/00Dxx0000002WSD?a=1&b=2"
)

// wsdlOperationNames are the calls both WSDLs must describe, and no others.
var wsdlOperationNames = []string{
	"login", "logout", "getUserInfo", "getServerTimestamp", "query", "queryAll", "queryMore", "retrieve",
	"create", "update", "upsert", "delete", "undelete", "search", "describeGlobal", "describeSObject", "describeSObjects",
}

func wsdlTestOrg(t *testing.T, fixture string) *org.Org {
	t.Helper()
	store, err := org.NewStore(clock.NewVirtual(soapNow), org.Source{Name: "small.yaml", Data: []byte(fixture)})
	if err != nil {
		t.Fatal(err)
	}
	orgs := store.Orgs()
	if len(orgs) != 1 {
		t.Fatalf("fixture has %d orgs", len(orgs))
	}
	return orgs[0]
}

func wsdlGenerated(t *testing.T) map[string][]byte {
	t.Helper()
	return map[string][]byte{
		"partner.wsdl":          PartnerWSDL("66.0", wsdlPartnerURL),
		"enterprise_small.wsdl": EnterpriseWSDL(wsdlTestOrg(t, wsdlSmallOrg), "66.0", wsdlEnterpriseURL),
	}
}

func TestWSDLGoldenFiles(t *testing.T) {
	for name, got := range wsdlGenerated(t) {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run WSDLGolden -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generated WSDL (go test -run WSDLGolden -update rewrites it)", path)
		}
	}
}

func TestWSDLIsDeterministic(t *testing.T) {
	a, b := wsdlGenerated(t), wsdlGenerated(t)
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s differs between two runs", name)
		}
	}
}

// ---- the WSDL document: messages, port type, binding, service ----

type wsdlTestDefs struct {
	TargetNamespace string     `xml:"targetNamespace,attr"`
	Attrs           []xml.Attr `xml:",any,attr"`
	Messages        []struct {
		Name  string `xml:"name,attr"`
		Parts []struct {
			Name    string `xml:"name,attr"`
			Element string `xml:"element,attr"`
		} `xml:"part"`
	} `xml:"message"`
	PortTypes []struct {
		Name       string `xml:"name,attr"`
		Operations []struct {
			Name   string         `xml:"name,attr"`
			Input  wsdlTestMsgRef `xml:"input"`
			Output wsdlTestMsgRef `xml:"output"`
			Faults []struct {
				Name    string `xml:"name,attr"`
				Message string `xml:"message,attr"`
			} `xml:"fault"`
		} `xml:"operation"`
	} `xml:"portType"`
	Bindings []struct {
		Name string `xml:"name,attr"`
		Type string `xml:"type,attr"`
		SOAP struct {
			Style     string `xml:"style,attr"`
			Transport string `xml:"transport,attr"`
		} `xml:"http://schemas.xmlsoap.org/wsdl/soap/ binding"`
		Operations []struct {
			Name          string `xml:"name,attr"`
			SOAPOperation *struct {
				SOAPAction *string `xml:"soapAction,attr"`
			} `xml:"http://schemas.xmlsoap.org/wsdl/soap/ operation"`
			Input  wsdlTestBindingIO `xml:"input"`
			Output wsdlTestBindingIO `xml:"output"`
			Faults []struct {
				Name string `xml:"name,attr"`
				SOAP struct {
					Name string `xml:"name,attr"`
					Use  string `xml:"use,attr"`
				} `xml:"http://schemas.xmlsoap.org/wsdl/soap/ fault"`
			} `xml:"fault"`
		} `xml:"operation"`
	} `xml:"binding"`
	Services []struct {
		Name  string `xml:"name,attr"`
		Ports []struct {
			Name    string `xml:"name,attr"`
			Binding string `xml:"binding,attr"`
			Address struct {
				Location string `xml:"location,attr"`
			} `xml:"http://schemas.xmlsoap.org/wsdl/soap/ address"`
		} `xml:"port"`
	} `xml:"service"`
}

type wsdlTestMsgRef struct {
	Message string `xml:"message,attr"`
}

type wsdlTestBindingIO struct {
	Headers []struct {
		Message string `xml:"message,attr"`
		Part    string `xml:"part,attr"`
		Use     string `xml:"use,attr"`
	} `xml:"http://schemas.xmlsoap.org/wsdl/soap/ header"`
	Body struct {
		Use string `xml:"use,attr"`
	} `xml:"http://schemas.xmlsoap.org/wsdl/soap/ body"`
}

func wsdlWellFormed(doc []byte) error {
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

func TestWSDLDocuments(t *testing.T) {
	for _, tt := range []struct {
		name, url string
		ns        wsdlNamespaces
		wsdl      []byte
	}{
		{"partner", wsdlPartnerURL, wsdlPartnerNS, PartnerWSDL("66.0", wsdlPartnerURL)},
		{"enterprise", wsdlEnterpriseURL, wsdlEnterpriseNS, EnterpriseWSDL(wsdlTestOrg(t, wsdlSmallOrg), "66.0", wsdlEnterpriseURL)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := wsdlWellFormed(tt.wsdl); err != nil {
				t.Fatalf("does not parse: %v", err)
			}
			var d wsdlTestDefs
			if err := xml.Unmarshal(tt.wsdl, &d); err != nil {
				t.Fatal(err)
			}
			prefixes := map[string]string{}
			for _, a := range d.Attrs {
				if a.Name.Space == "xmlns" {
					prefixes[a.Name.Local] = a.Value
				}
			}
			if d.TargetNamespace != tt.ns.tns || prefixes["tns"] != tt.ns.tns || prefixes["ens"] != tt.ns.ens || prefixes["fns"] != tt.ns.fns {
				t.Errorf("namespaces: target %s, prefixes %v", d.TargetNamespace, prefixes)
			}

			messages := map[string][]string{} // message → parts
			for _, m := range d.Messages {
				for _, p := range m.Parts {
					messages["tns:"+m.Name] = append(messages["tns:"+m.Name], p.Name)
				}
			}
			var headerParts []string
			headerParts = append(headerParts, messages["tns:Header"]...)
			for _, h := range []string{"SessionHeader", "CallOptions", "QueryOptions", "AllOrNoneHeader", "LimitInfoHeader"} {
				if !slices.Contains(headerParts, h) {
					t.Errorf("Header message has no part %s", h)
				}
			}

			if len(d.PortTypes) != 1 || d.PortTypes[0].Name != "Soap" {
				t.Fatalf("want one port type Soap, have %d", len(d.PortTypes))
			}
			var portOps []string
			portFaults := map[string][]string{}
			for _, op := range d.PortTypes[0].Operations {
				portOps = append(portOps, op.Name)
				for _, ref := range []string{op.Input.Message, op.Output.Message} {
					if _, ok := messages[ref]; !ok {
						t.Errorf("%s: message %q is not defined", op.Name, ref)
					}
				}
				for _, f := range op.Faults {
					if _, ok := messages[f.Message]; !ok {
						t.Errorf("%s: fault message %q is not defined", op.Name, f.Message)
					}
					portFaults[op.Name] = append(portFaults[op.Name], f.Name)
				}
			}
			want := slices.Sorted(slices.Values(wsdlOperationNames))
			if got := slices.Sorted(slices.Values(portOps)); !slices.Equal(got, want) {
				t.Errorf("port type operations %v, want %v", got, want)
			}

			if len(d.Bindings) != 1 {
				t.Fatalf("want one binding, have %d", len(d.Bindings))
			}
			bd := d.Bindings[0]
			if bd.Name != "SoapBinding" || bd.Type != "tns:Soap" || bd.SOAP.Style != "document" || bd.SOAP.Transport != "http://schemas.xmlsoap.org/soap/http" {
				t.Errorf("binding %s type %s style %s transport %s", bd.Name, bd.Type, bd.SOAP.Style, bd.SOAP.Transport)
			}
			var bindOps []string
			for _, op := range bd.Operations {
				bindOps = append(bindOps, op.Name)
				if op.SOAPOperation == nil || op.SOAPOperation.SOAPAction == nil || *op.SOAPOperation.SOAPAction != "" {
					t.Errorf(`%s: want soap:operation soapAction=""`, op.Name)
				}
				if op.Input.Body.Use != "literal" || op.Output.Body.Use != "literal" {
					t.Errorf("%s: bodies are not literal", op.Name)
				}
				var in, out []string
				for _, h := range op.Input.Headers {
					in = append(in, h.Part)
					if h.Message != "tns:Header" || h.Use != "literal" || !slices.Contains(headerParts, h.Part) {
						t.Errorf("%s: input header %+v", op.Name, h)
					}
				}
				for _, h := range op.Output.Headers {
					out = append(out, h.Part)
					if h.Message != "tns:Header" || !slices.Contains(headerParts, h.Part) {
						t.Errorf("%s: output header %+v", op.Name, h)
					}
				}
				if got, want := strings.Join(in, " "), wsdlTestInputHeaders(op.Name); got != want {
					t.Errorf("%s: input headers %q, want %q", op.Name, got, want)
				}
				wantOut := "LimitInfoHeader"
				if op.Name == "login" {
					wantOut = ""
				}
				if got := strings.Join(out, " "); got != wantOut {
					t.Errorf("%s: output headers %q, want %q", op.Name, got, wantOut)
				}
				var faults []string
				for _, f := range op.Faults {
					faults = append(faults, f.Name)
					if f.SOAP.Name != f.Name || f.SOAP.Use != "literal" {
						t.Errorf("%s: fault %s binds as %+v", op.Name, f.Name, f.SOAP)
					}
				}
				if !slices.Equal(faults, portFaults[op.Name]) {
					t.Errorf("%s: binding faults %v, port type faults %v", op.Name, faults, portFaults[op.Name])
				}
			}
			if got := slices.Sorted(slices.Values(bindOps)); !slices.Equal(got, want) {
				t.Errorf("binding operations %v, want %v", got, want)
			}
			for op, faults := range map[string][]string{
				"login":     {"LoginFault", "UnexpectedErrorFault"},
				"query":     {"InvalidSObjectFault", "InvalidFieldFault", "MalformedQueryFault", "InvalidIdFault", "UnexpectedErrorFault", "InvalidQueryLocatorFault"},
				"queryMore": {"InvalidQueryLocatorFault", "UnexpectedErrorFault"},
				"search":    {"MalformedSearchFault"},
				"create":    {"InvalidSObjectFault", "InvalidFieldFault", "InvalidIdFault"},
				"delete":    {"UnexpectedErrorFault"},
			} {
				for _, f := range faults {
					if !slices.Contains(portFaults[op], f) {
						t.Errorf("%s does not declare %s", op, f)
					}
				}
			}

			if len(d.Services) != 1 || d.Services[0].Name != "SforceService" || len(d.Services[0].Ports) != 1 {
				t.Fatalf("want service SforceService with one port")
			}
			port := d.Services[0].Ports[0]
			if port.Name != "Soap" || port.Binding != "tns:SoapBinding" || port.Address.Location != tt.url {
				t.Errorf("port %s binding %s at %q, want Soap tns:SoapBinding at %q", port.Name, port.Binding, port.Address.Location, tt.url)
			}
		})
	}
}

func wsdlTestInputHeaders(op string) string {
	switch op {
	case "login":
		return "LoginScopeHeader CallOptions"
	case "query", "queryAll", "queryMore", "retrieve":
		return "SessionHeader CallOptions QueryOptions"
	case "create", "update", "upsert", "delete", "undelete":
		return "SessionHeader CallOptions AllOrNoneHeader"
	}
	return "SessionHeader CallOptions"
}

// ---- the schemas ----

// wsdlTestSchemas reads the WSDL's schemas: every named type and global
// element by namespace, the sequence of each complex type (its own
// elements, the extension's for derived types) and every QName a type,
// base, element or message part refers to.
type wsdlTestSchemas struct {
	targets  []string
	declared map[wsdlTestRef]bool // kind and name; at is empty
	types    map[xml.Name]wsdlTestComplexType
	elements map[xml.Name][]wsdlTestParticle // global elements' anonymous types
	refs     []wsdlTestRef
	codes    []string // ExceptionCode values
}

type wsdlTestComplexType struct {
	base      xml.Name
	particles []wsdlTestParticle
	any       bool
}

type wsdlTestParticle struct {
	name, typ           string // typ as written
	nillable            bool
	minOccurs, maxOccur string
}

type wsdlTestRef struct {
	kind string // "type" or "element"
	name xml.Name
	at   string
}

func parseWSDLSchemas(t *testing.T, wsdl []byte) *wsdlTestSchemas {
	t.Helper()
	s := &wsdlTestSchemas{declared: map[wsdlTestRef]bool{}, types: map[xml.Name]wsdlTestComplexType{}, elements: map[xml.Name][]wsdlTestParticle{}}
	d := xml.NewDecoder(bytes.NewReader(wsdl))
	type frame struct {
		prefixes map[string]string
		name     xml.Name
	}
	var stack []frame
	prefix := func(p string) (string, bool) {
		for i := len(stack) - 1; i >= 0; i-- {
			if ns, ok := stack[i].prefixes[p]; ok {
				return ns, true
			}
		}
		return "", false
	}
	resolve := func(q string) xml.Name {
		p, local, ok := strings.Cut(q, ":")
		if !ok {
			t.Errorf("unqualified reference %q", q)
			return xml.Name{Local: q}
		}
		ns, ok := prefix(p)
		if !ok {
			t.Errorf("unbound prefix in %q", q)
		}
		return xml.Name{Space: ns, Local: local}
	}
	var target string
	var ctName xml.Name   // complex type being read (named)
	var globalEl xml.Name // global element being read
	var current *[]wsdlTestParticle
	depthOf := func() int { return len(stack) }
	ctDepth, elDepth := -1, -1
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			attr := func(name string) string {
				for _, a := range x.Attr {
					if a.Name.Space == "" && a.Name.Local == name {
						return a.Value
					}
				}
				return ""
			}
			f := frame{prefixes: map[string]string{}, name: x.Name}
			for _, a := range x.Attr {
				if a.Name.Space == "xmlns" {
					f.prefixes[a.Name.Local] = a.Value
				}
			}
			stack = append(stack, f)
			at := x.Name.Local + " " + attr("name")
			if x.Name.Space != soapxml.XSDNS {
				if x.Name.Local == "part" && attr("element") != "" {
					s.refs = append(s.refs, wsdlTestRef{"element", resolve(attr("element")), "message part " + attr("name")})
				}
				continue
			}
			parent := stack[len(stack)-2].name.Local
			switch x.Name.Local {
			case "schema":
				target = attr("targetNamespace")
				s.targets = append(s.targets, target)
			case "simpleType", "complexType":
				if n := attr("name"); n != "" {
					qn := xml.Name{Space: target, Local: n}
					if s.declared[wsdlTestRef{kind: "type", name: qn}] {
						t.Errorf("type %v declared twice", qn)
					}
					s.declared[wsdlTestRef{kind: "type", name: qn}] = true
					if x.Name.Local == "complexType" {
						ctName, ctDepth = qn, depthOf()
						s.types[qn] = wsdlTestComplexType{}
					}
				}
			case "element":
				if parent == "schema" {
					qn := xml.Name{Space: target, Local: attr("name")}
					if s.declared[wsdlTestRef{kind: "element", name: qn}] {
						t.Errorf("element %v declared twice", qn)
					}
					s.declared[wsdlTestRef{kind: "element", name: qn}] = true
					if typ := attr("type"); typ != "" {
						s.refs = append(s.refs, wsdlTestRef{"type", resolve(typ), at})
					} else {
						globalEl, elDepth = qn, depthOf()
						s.elements[qn] = []wsdlTestParticle{}
						els := s.elements[qn]
						current = &els
					}
					continue
				}
				if typ := attr("type"); typ != "" {
					s.refs = append(s.refs, wsdlTestRef{"type", resolve(typ), at})
				}
				p := wsdlTestParticle{name: attr("name"), typ: attr("type"), nillable: attr("nillable") == "true", minOccurs: attr("minOccurs"), maxOccur: attr("maxOccurs")}
				switch {
				case elDepth >= 0:
					*current = append(*current, p)
				case ctDepth >= 0:
					ct := s.types[ctName]
					ct.particles = append(ct.particles, p)
					s.types[ctName] = ct
				}
			case "extension", "restriction":
				s.refs = append(s.refs, wsdlTestRef{"type", resolve(attr("base")), x.Name.Local + " in " + ctName.Local})
				if ctDepth >= 0 && x.Name.Local == "extension" {
					ct := s.types[ctName]
					ct.base = resolve(attr("base"))
					s.types[ctName] = ct
				}
			case "any":
				if ctDepth >= 0 {
					ct := s.types[ctName]
					ct.any = true
					s.types[ctName] = ct
				}
			case "enumeration":
				s.codes = append(s.codes, attr("value"))
			}
		case xml.EndElement:
			if depthOf() == ctDepth {
				ctDepth = -1
			}
			if depthOf() == elDepth {
				s.elements[globalEl] = *current
				elDepth, current = -1, nil
			}
			stack = stack[:len(stack)-1]
		}
	}
	return s
}

func (s *wsdlTestSchemas) sequence(ns, typ string) []string {
	var out []string
	for _, p := range s.types[xml.Name{Space: ns, Local: typ}].particles {
		out = append(out, p.name)
	}
	return out
}

func (s *wsdlTestSchemas) particle(ns, typ, name string) (wsdlTestParticle, bool) {
	for _, p := range s.types[xml.Name{Space: ns, Local: typ}].particles {
		if p.name == name {
			return p, true
		}
	}
	return wsdlTestParticle{}, false
}

func TestWSDLSchemasResolve(t *testing.T) {
	for name, wsdl := range wsdlGenerated(t) {
		t.Run(name, func(t *testing.T) {
			s := parseWSDLSchemas(t, wsdl)
			if len(s.targets) != 3 {
				t.Errorf("want 3 schemas, have %v", s.targets)
			}
			for _, r := range s.refs {
				if r.name.Space == soapxml.XSDNS {
					continue
				}
				if !s.declared[wsdlTestRef{kind: r.kind, name: r.name}] {
					t.Errorf("%s refers to %s %v, which is not declared", r.at, r.kind, r.name)
				}
			}
			for _, c := range []string{"API_CURRENTLY_DISABLED", "API_DISABLED_FOR_ORG", "EXCEEDED_ID_LIMIT", "EXCEEDED_MAX_SIZE_REQUEST",
				"INVALID_FIELD", "INVALID_ID_FIELD", "INVALID_LOGIN", "INVALID_OPERATION", "INVALID_QUERY_LOCATOR", "INVALID_SESSION_ID",
				"INVALID_SOAP_HEADER", "INVALID_TYPE", "LOGIN_MUST_USE_SECURITY_TOKEN", "MALFORMED_ID", "MALFORMED_QUERY", "MALFORMED_SEARCH",
				"REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE", "UNKNOWN_EXCEPTION", "UNSUPPORTED_API_VERSION", "UNSUPPORTED_CLIENT"} {
				if !slices.Contains(s.codes, c) {
					t.Errorf("ExceptionCode lacks %s", c)
				}
			}
		})
	}
}

// TestWSDLResultTypesMatchWhatTheServiceWrites pins the sequences clients
// bind to: the service writes these elements in this order.
func TestWSDLResultTypesMatchWhatTheServiceWrites(t *testing.T) {
	s := parseWSDLSchemas(t, PartnerWSDL("66.0", wsdlPartnerURL))
	tns, ens := soapxml.PartnerNS, soapxml.PartnerSObjectNS
	for _, tt := range []struct {
		typ  string
		want string
	}{
		{"LoginResult", "metadataServerUrl passwordExpired sandbox serverUrl sessionId userId userInfo"},
		{"GetUserInfoResult", "accessibilityMode chatterExternal currencySymbol orgAttachmentFileSizeLimit orgDefaultCurrencyIsoCode orgDefaultCurrencyLocale " +
			"orgDisallowHtmlAttachments orgHasPersonAccounts organizationId organizationMultiCurrency organizationName profileId roleId sessionSecondsValid " +
			"userDefaultCurrencyIsoCode userEmail userFullName userId userLanguage userLocale userName userTimeZone userType userUiSkin"},
		{"QueryResult", "done queryLocator records size"},
		{"SearchResult", "queryId searchRecords searchResultsMetadata"},
		{"SaveResult", "errors id success"},
		{"UpsertResult", "created errors id success"},
		{"Error", "fields message statusCode"},
		{"PicklistEntry", "active defaultValue label validFor value"},
		{"LimitInfo", "current limit type"},
	} {
		if got := strings.Join(s.sequence(tns, tt.typ), " "); got != tt.want {
			t.Errorf("%s: %s\nwant %s", tt.typ, got, tt.want)
		}
	}
	// Sequences with optional elements sfemu leaves out: what it sends must
	// appear in this order, and everything else must be optional.
	for _, tt := range []struct {
		typ  string
		sent string
	}{
		{"DescribeSObjectResult", "activateable childRelationships createable custom customSetting deletable deprecatedAndHidden feedEnabled fields " +
			"keyPrefix label labelPlural layoutable mergeable mruEnabled name queryable replicateable retrieveable searchable triggerable " +
			"undeletable updateable urlDetail urlEdit urlNew"},
		{"DescribeGlobalSObjectResult", "activateable createable custom customSetting deletable deprecatedAndHidden feedEnabled hasSubtypes idEnabled " +
			"keyPrefix label labelPlural layoutable mergeable mruEnabled name queryable replicateable retrieveable searchable triggerable undeletable updateable"},
		{"Field", "aggregatable autoNumber byteLength calculated caseSensitive compoundFieldName createable custom defaultValue defaultedOnCreate deprecatedAndHidden " +
			"digits externalId filterable groupable idLookup label length name nameField nillable permissionable picklistValues precision " +
			"queryByDistance referenceTo relationshipName restrictedPicklist scale soapType sortable type unique updateable"},
		{"ChildRelationship", "cascadeDelete childSObject deprecatedAndHidden field relationshipName restrictedDelete"},
	} {
		sent := strings.Fields(tt.sent)
		var inOrder []string
		for _, p := range s.types[xml.Name{Space: tns, Local: tt.typ}].particles {
			if slices.Contains(sent, p.name) {
				inOrder = append(inOrder, p.name)
			} else if p.minOccurs != "0" {
				t.Errorf("%s.%s is required but sfemu does not send it", tt.typ, p.name)
			}
		}
		if !slices.Equal(inOrder, sent) {
			t.Errorf("%s declares %v\nwant, in order, %v", tt.typ, inOrder, sent)
		}
	}
	for _, tt := range []struct {
		typ, name, typeName string
		optional            bool
	}{
		{"GetUserInfoResult", "chatterExternal", "xsd:boolean", true},
		{"GetUserInfoResult", "orgDefaultCurrencyLocale", "xsd:string", true},
		{"Field", "defaultValue", "xsd:anyType", true},
		{"Field", "soapType", "xsd:string", false},
		{"Field", "type", "xsd:string", false},
		{"QueryResult", "records", "ens:sObject", true},
		{"DescribeSObjectResult", "triggerable", "xsd:boolean", true},
	} {
		p, ok := s.particle(tns, tt.typ, tt.name)
		if !ok || p.typ != tt.typeName || (p.minOccurs == "0") != tt.optional {
			t.Errorf("%s.%s: %+v, want type %s optional %v", tt.typ, tt.name, p, tt.typeName, tt.optional)
		}
	}
	sobj := s.types[xml.Name{Space: ens, Local: "sObject"}]
	if got := fmt.Sprint(sobj.particles); !sobj.any || !strings.HasPrefix(got, "[{type xsd:string") || len(sobj.particles) != 3 {
		t.Errorf("Partner sObject: %s any=%v", got, sobj.any)
	}
}

func TestEnterpriseWSDLTypesTheOrgsObjects(t *testing.T) {
	o := wsdlTestOrg(t, wsdlSmallOrg)
	s := parseWSDLSchemas(t, EnterpriseWSDL(o, "66.0", wsdlEnterpriseURL))
	ens := soapxml.EnterpriseSObjectNS
	for _, obj := range o.Schema.Objects() {
		ct, ok := s.types[xml.Name{Space: ens, Local: obj.Name}]
		if !ok {
			t.Errorf("no complex type for %s", obj.Name)
			continue
		}
		if ct.base != (xml.Name{Space: ens, Local: "sObject"}) {
			t.Errorf("%s extends %v", obj.Name, ct.base)
		}
		names := s.sequence(ens, obj.Name)
		if !sort.StringsAreSorted(names) {
			t.Errorf("%s: elements not in alphabetical order: %v", obj.Name, names)
		}
		if slices.Contains(names, "Id") {
			t.Errorf("%s redeclares Id", obj.Name)
		}
		for _, f := range obj.Fields {
			if f.Name == "Id" {
				continue
			}
			want := f.Type.SOAPType()
			if f.Type == org.TypeAddress {
				want = "tns:address" // the WSDL's type for describe's urn:address
			}
			p, ok := s.particle(ens, obj.Name, f.Name)
			if !ok || p.typ != want || !p.nillable || p.minOccurs != "0" {
				t.Errorf("%s.%s: %+v, want nillable optional %s", obj.Name, f.Name, p, want)
			}
		}
	}
	base := s.types[xml.Name{Space: ens, Local: "sObject"}]
	if got := fmt.Sprint(base.particles); got != "[{fieldsToNull xsd:string true 0 unbounded} {Id tns:ID true 0 }]" || base.any {
		t.Errorf("Enterprise sObject: %s", got)
	}
	if agg := s.types[xml.Name{Space: ens, Local: "AggregateResult"}]; !agg.any || agg.base.Local != "sObject" {
		t.Errorf("AggregateResult: %+v", agg)
	}

	account := s.sequence(ens, "Account")
	i := slices.Index(account, "Region__c")
	if i <= 0 || account[i-1] != "Rating" || account[i+1] != "ServiceAppointments" {
		t.Errorf("Account: Region__c not between Rating and ServiceAppointments: %v", account)
	}
	for _, tt := range []struct{ object, name, typ string }{
		{"Account", "Region__c", "xsd:string"},
		{"Account", "Tier__c", "xsd:int"},
		{"Account", "AnnualRevenue", "xsd:double"},
		{"Account", "ParentId", "tns:ID"},
		{"Account", "Parent", "ens:Account"},
		{"Account", "Owner", "ens:User"},
		{"Account", "Contacts", "tns:QueryResult"},
		{"Account", "Shipments__r", "tns:QueryResult"},
		{"Contact", "Account", "ens:Account"},
		{"Contact", "AccountId", "tns:ID"},
		{"Contact", "Birthdate", "xsd:date"},
		{"Contact", "DoNotCall", "xsd:boolean"},
		{"Shipment__c", "Account__c", "tns:ID"},
		{"Shipment__c", "Account__r", "ens:Account"},
		{"Shipment__c", "Shipped__c", "xsd:dateTime"},
		{"Task", "What", "ens:sObject"},
		{"Task", "WhoId", "tns:ID"},
	} {
		p, ok := s.particle(ens, tt.object, tt.name)
		if !ok || p.typ != tt.typ || !p.nillable || p.minOccurs != "0" {
			t.Errorf("%s.%s: %+v (present %v), want nillable optional %s", tt.object, tt.name, p, ok, tt.typ)
		}
	}
	// The API's elements take the base sObject.
	if got := s.elements[xml.Name{Space: soapxml.EnterpriseNS, Local: "create"}]; len(got) != 1 || got[0].typ != "ens:sObject" {
		t.Errorf("create: %+v", got)
	}
}

func TestWSDLEscapesNames(t *testing.T) {
	o := wsdlTestOrg(t, wsdlSmallOrg)
	o.Name = "A <b> & --c-"
	wsdl := EnterpriseWSDL(o, "66.0", `http://h/x?a="1"&b=<2>`)
	if err := wsdlWellFormed(wsdl); err != nil {
		t.Fatalf("does not parse: %v", err)
	}
	var d wsdlTestDefs
	if err := xml.Unmarshal(wsdl, &d); err != nil {
		t.Fatal(err)
	}
	if got := d.Services[0].Ports[0].Address.Location; got != `http://h/x?a="1"&b=<2>` {
		t.Errorf("address %q", got)
	}
}

// ---- xmllint, when installed ----

func TestWSDLXmllint(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (apt-get install libxml2-utils)")
	}
	dir := t.TempDir()
	for name, wsdl := range wsdlGenerated(t) {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, wsdl, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(xmllint, "--noout", "--nonet", path).CombinedOutput(); err != nil {
			t.Errorf("%s: %v: %s", name, err, out)
		}
	}
}

// TestWSDLXmllintValidatesTheServicesResponses validates the SOAP bodies
// and headers of the service's golden responses (testdata/*.xml) against
// the WSDLs' schemas with libxml2, when xmllint is installed: Partner
// responses against the Partner WSDL, Enterprise ones against the
// Enterprise WSDL of the test org (acmeOrg).
func TestWSDLXmllintValidatesTheServicesResponses(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (apt-get install libxml2-utils)")
	}
	store, err := org.NewStore(clock.NewVirtual(soapNow), org.Source{Name: "acme.yaml", Data: []byte(acmeOrg)})
	if err != nil {
		t.Fatal(err)
	}
	schemas := map[string]string{
		soapxml.PartnerNS:    wsdlXSDs(t, PartnerWSDL("66.0", wsdlPartnerURL)),
		soapxml.EnterpriseNS: wsdlXSDs(t, EnterpriseWSDL(store.Orgs()[0], "66.0", wsdlEnterpriseURL)),
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.xml"))
	if len(files) == 0 {
		t.Skip("no golden responses yet")
	}
	envTag := regexp.MustCompile(`<soapenv:Envelope[^>]*>`)
	nsDecl := regexp.MustCompile(`xmlns(:[A-Za-z0-9]+)?="[^"]*"`)
	defaultNS := regexp.MustCompile(`xmlns="([^"]*)"`)
	header := regexp.MustCompile(`(?s)<soapenv:Header>(.*)</soapenv:Header>`)
	body := regexp.MustCompile(`(?s)<soapenv:Body>(.*)</soapenv:Body>`)
	detail := regexp.MustCompile(`(?s)<detail>(.*)</detail>`)
	firstTag := regexp.MustCompile(`^<[A-Za-z0-9_:]+`)
	validate := func(main string, doc []byte) error {
		path := filepath.Join(t.TempDir(), "doc.xml")
		if err := os.WriteFile(path, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		if res, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", main, path).CombinedOutput(); err != nil {
			return fmt.Errorf("%v: %s", err, res)
		}
		return nil
	}
	// The harness rejects what the schema does: a QueryResult without size.
	bad := `<queryResponse xmlns="` + soapxml.PartnerNS + `"><result><done>true</done><queryLocator/></result></queryResponse>`
	if validate(schemas[soapxml.PartnerNS], []byte(bad)) == nil {
		t.Errorf("xmllint accepts a QueryResult without size")
	}
	validated := 0
	for _, file := range files {
		doc, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		tag := envTag.Find(doc)
		m := defaultNS.FindSubmatch(tag)
		if m == nil {
			continue
		}
		main, ok := schemas[string(m[1])]
		if !ok {
			continue
		}
		var decls []string
		for _, d := range nsDecl.FindAll(tag, -1) {
			if !bytes.HasPrefix(d, []byte("xmlns:soapenv=")) {
				decls = append(decls, string(d))
			}
		}
		var fragments [][]byte
		if h := header.FindSubmatch(doc); h != nil {
			fragments = append(fragments, h[1])
		}
		if b := body.FindSubmatch(doc); b != nil {
			if dm := detail.FindSubmatch(b[1]); dm != nil {
				fragments = append(fragments, dm[1])
			} else if !bytes.Contains(b[1], []byte("<soapenv:Fault>")) {
				fragments = append(fragments, b[1])
			}
		}
		for i, frag := range fragments {
			start := firstTag.Find(frag)
			if start == nil {
				t.Errorf("%s: fragment %d does not start with an element", file, i)
				continue
			}
			out := append(append([]byte{}, start...), " "+strings.Join(decls, " ")...)
			out = append(out, frag[len(start):]...)
			if err := validate(main, out); err != nil {
				t.Errorf("%s: %v", file, err)
			}
			validated++
		}
	}
	t.Logf("validated %d headers and bodies of %d files", validated, len(files))
}

// wsdlXSDs writes the WSDL's three schemas as files that import each other
// and a main schema importing all three, and returns the main one's path.
func wsdlXSDs(t *testing.T, wsdl []byte) string {
	t.Helper()
	dir := t.TempDir()
	var d wsdlTestDefs
	if err := xml.Unmarshal(wsdl, &d); err != nil {
		t.Fatal(err)
	}
	var decls []string
	for _, a := range d.Attrs {
		if a.Name.Space == "xmlns" {
			decls = append(decls, `xmlns:`+a.Name.Local+`="`+a.Value+`"`)
		}
	}
	found := regexp.MustCompile(`(?s)<schema .*?</schema>`).FindAll(wsdl, -1)
	targetOf := regexp.MustCompile(`targetNamespace="([^"]*)"`)
	targets := make([]string, len(found))
	for i := range found {
		targets[i] = string(targetOf.FindSubmatch(found[i])[1])
	}
	mainXSD := `<schema xmlns="` + soapxml.XSDNS + `" targetNamespace="urn:sfemu:test">`
	for i, sc := range found {
		text := strings.Replace(string(sc), "<schema ", "<schema "+strings.Join(decls, " ")+" ", 1)
		for j, ns := range targets {
			text = strings.ReplaceAll(text, `<import namespace="`+ns+`"/>`, `<import namespace="`+ns+`" schemaLocation="`+fmt.Sprintf("s%d.xsd", j)+`"/>`)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("s%d.xsd", i)), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		mainXSD += `<import namespace="` + targets[i] + `" schemaLocation="` + fmt.Sprintf("s%d.xsd", i) + `"/>`
	}
	mainXSD += "</schema>"
	path := filepath.Join(dir, "main.xsd")
	if err := os.WriteFile(path, []byte(mainXSD), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// ---- zeep, when installed ----

// TestWSDLZeep runs testdata/zeep_check.py — zeep builds a client from each
// WSDL and reads canned replies with it — when a python3 with zeep is
// installed (Debian: python3-zeep); CI does not need it.
func TestWSDLZeep(t *testing.T) {
	python := ""
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import zeep").Run() == nil {
			python = path
			break
		}
	}
	if python == "" {
		t.Skip("no python3 with zeep (apt-get install python3-zeep)")
	}
	store, err := org.NewStore(clock.NewVirtual(soapNow), org.Source{Name: "acme.yaml", Data: []byte(acmeOrg)})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	wsdls := wsdlGenerated(t)
	wsdls["enterprise_acme.wsdl"] = EnterpriseWSDL(store.Orgs()[0], "66.0", wsdlEnterpriseURL)
	args := []string{filepath.Join("testdata", "zeep_check.py")}
	for _, name := range slices.Sorted(maps.Keys(wsdls)) {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, wsdls[name], 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, path)
	}
	out, err := exec.Command(python, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("zeep_check.py: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
