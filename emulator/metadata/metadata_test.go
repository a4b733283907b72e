package metadata

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

func render(t *testing.T, r *Result) string {
	t.Helper()
	out, err := yaml.Marshal(r.Doc)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.Write(out)
	b.WriteString("# ignored:\n")
	for _, ig := range r.Ignored {
		b.WriteString("#   " + ig.String() + "\n")
	}
	b.WriteString("# " + r.Summary() + "\n")
	return b.String()
}

// The shipped example SFDX project (a document vendor's connector
// package) reads into the fixture docs/METADATA.md describes.
func TestReadSFDXProject(t *testing.T) {
	r, err := Read("../../fixtures/metadata/docvendor-connector")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "docvendor.golden.yaml", render(t, r))
}

// A folder retrieved in Metadata API format (package.xml, no -meta.xml):
// a connected app with base64 certificate and profile assignments,
// standard profile file names, a workflow rule with a boolean filter.
func TestReadRetrievedFolder(t *testing.T) {
	r, err := Read("testdata/retrieved")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "retrieved.golden.yaml", render(t, r))
}

// writeTree makes a metadata folder from path → content.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const ns = `xmlns="http://soap.sforce.com/2006/04/metadata"`

func TestBadMetadataIsReportedAtItsLine(t *testing.T) {
	laughs := `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Profile ` + ns + `><description>&lol2;</description></Profile>`
	tests := []struct {
		name  string
		files map[string]string
		want  string // in the error
	}{
		{"entity expansion is refused, not expanded",
			map[string]string{"profiles/P.profile-meta.xml": laughs},
			"P.profile-meta.xml:2:1: a <!DOCTYPE> or <!ENTITY> declaration"},
		{"an undefined entity is malformed XML",
			map[string]string{"profiles/P.profile-meta.xml": "<Profile " + ns + ">\n<description>&bomb;</description></Profile>"},
			"P.profile-meta.xml:2: malformed XML"},
		{"unclosed element",
			map[string]string{"profiles/P.profile-meta.xml": "<Profile " + ns + ">\n<loginIpRanges>"},
			"P.profile-meta.xml:2: malformed XML"},
		{"wrong root for the suffix",
			map[string]string{"profiles/P.profile-meta.xml": "<PermissionSet " + ns + "/>"},
			"P.profile-meta.xml:1:1: the root element is <PermissionSet>; a .profile file holds <Profile>"},
		{"not the metadata namespace",
			map[string]string{"profiles/P.profile-meta.xml": "<Profile/>"},
			"<Profile> is not in the metadata namespace"},
		{"bad enumeration value",
			map[string]string{"extlClntAppOauthPolicies/a.ecaOauthPlcy-meta.xml": "<ExtlClntAppOauthConfigurablePolicies " + ns + ">\n  <externalClientApplication>a</externalClientApplication>\n  <permittedUsersPolicyType>AdminApproved</permittedUsersPolicyType>\n</ExtlClntAppOauthConfigurablePolicies>"},
			`a.ecaOauthPlcy-meta.xml:3:3: permittedUsersPolicyType "AdminApproved": want AdminApprovedPreAuthorized or AllSelfAuthorized`},
		{"policies without their app",
			map[string]string{"extlClntAppOauthPolicies/a.ecaOauthPlcy-meta.xml": "<ExtlClntAppOauthConfigurablePolicies " + ns + "/>"},
			"needs <externalClientApplication>"},
		{"a rule sending a message nobody defined",
			map[string]string{"workflows/Account.workflow-meta.xml": "<Workflow " + ns + ">\n<rules><fullName>R</fullName>\n<actions><name>Missing</name><type>OutboundMessage</type></actions>\n<triggerType>onAllChanges</triggerType></rules></Workflow>"},
			`Account.workflow-meta.xml:3:1: workflow rule "R" sends outbound message "Missing", which is not in these folders`},
		{"not a boolean",
			map[string]string{"profiles/P.profile-meta.xml": "<Profile " + ns + "><userPermissions><enabled>yes</enabled><name>ApiEnabled</name></userPermissions></Profile>"},
			`<enabled> "yes" is not true or false`},
		{"login hours out of range",
			map[string]string{"profiles/P.profile-meta.xml": "<Profile " + ns + "><loginHours><mondayStart>480</mondayStart><mondayEnd>2000</mondayEnd></loginHours></Profile>"},
			`<mondayEnd> "2000" is not minutes after midnight`},
		{"bad sfdx-project.json",
			map[string]string{"sfdx-project.json": "{"},
			"sfdx-project.json: not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(writeTree(t, tt.files))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	_, err := Read(writeTree(t, map[string]string{
		"profiles/A.profile-meta.xml": "<Profile/>",
		"profiles/B.profile-meta.xml": "<Profile/>",
	}))
	if err == nil || strings.Count(err.Error(), "not in the metadata namespace") != 2 {
		t.Fatalf("want both files' problems, got %v", err)
	}
}

func TestFolderLimits(t *testing.T) {
	t.Run("a folder with more entries than the walk allows", func(t *testing.T) {
		defer func(n int) { maxWalked = n }(maxWalked)
		maxWalked = 50
		files := map[string]string{}
		for i := range 60 {
			files[filepath.Join("deep", strings.Repeat("d", i%5+1), "f"+strings.Repeat("x", i)+".txt")] = ""
		}
		_, err := Read(writeTree(t, files))
		if err == nil || !strings.Contains(err.Error(), "more than 50 files and folders; point it at the project") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("an oversized file", func(t *testing.T) {
		big := "<Profile " + ns + "><description>" + strings.Repeat("x", maxFileBytes) + "</description></Profile>"
		_, err := Read(writeTree(t, map[string]string{"profiles/P.profile-meta.xml": big}))
		if err == nil || !strings.Contains(err.Error(), "metadata files over") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("not a folder", func(t *testing.T) {
		_, err := Read(filepath.Join(t.TempDir(), "missing"))
		if err == nil || !strings.Contains(err.Error(), "no such file or directory") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestCriteriaItemsAsSOQL(t *testing.T) {
	rd := newReader()
	tests := []struct {
		object, field, op, value, want string
	}{
		{"Account", "Account.Name", "notEqual", "", "Name != null"},
		{"Account", "Account.Industry", "equals", "Energy,Apparel", "(Industry = 'Energy' OR Industry = 'Apparel')"},
		{"Account", "Account.Industry", "notEqual", "Energy,Apparel", "(Industry != 'Energy' AND Industry != 'Apparel')"},
		{"Account", "Account.AnnualRevenue", "greaterOrEqual", "1000000", "AnnualRevenue >= 1000000"},
		{"Account", "Account.Name", "contains", "O'Brien", `Name LIKE '%O\'Brien%'`},
		{"Account", "Account.Name", "startsWith", "Edge", "Name LIKE 'Edge%'"},
		{"Account", "Account.Name", "notContain", "test", "(NOT Name LIKE '%test%')"},
		{"Task", "Task.IsClosed", "equals", "True", "IsClosed = true"},
		{"Task", "Task.ActivityDate", "lessThan", "1/31/2026", "ActivityDate < 2026-01-31"},
	}
	for _, tt := range tests {
		got, err := rd.criterion(tt.object, tt.field, tt.op, tt.value)
		if err != nil || got != tt.want {
			t.Errorf("%s %s %q = %q, %v; want %q", tt.field, tt.op, tt.value, got, err, tt.want)
		}
	}
	if _, err := rd.criterion("Account", "Account.Name", "within", "x"); err == nil || !strings.Contains(err.Error(), `criteria operation "within"`) {
		t.Errorf("unknown operation: %v", err)
	}
}

func TestBooleanFilter(t *testing.T) {
	got, err := combine([]string{"A = 1", "B = 2", "C = 3"}, "1 AND (2 OR NOT 3)")
	if want := "(A = 1) AND ((B = 2) OR NOT (C = 3))"; err != nil || got != want {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
	for _, bad := range []string{"1 AND 4", "1 XOR 2"} {
		if _, err := combine([]string{"A = 1", "B = 2"}, bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestFormulaAsSOQL(t *testing.T) {
	tests := []struct{ formula, want, err string }{
		{"true", "", ""},
		{"ISPICKVAL(Status__c, \"Active\")", "Status__c = 'Active'", ""},
		{"AND(Amount > 1000, NOT(ISBLANK(CloseDate)))", "(Amount > 1000 AND (NOT CloseDate = null))", ""},
		{"Amount >= 5 && (StageName = 'Closed Won' || IsWon__c)", "(Amount >= 5 AND (StageName = 'Closed Won' OR IsWon__c = true))", ""},
		{"5 < Amount", "Amount > 5", ""},
		{"BEGINS(Name, \"Acme\")", "Name LIKE 'Acme%'", ""},
		{"ISCHANGED(Status__c)", "", "function ISCHANGED is not translated"},
		{"$User.Id = OwnerId", "", "global variable $User.Id"},
		{"Amount + 1 > 2", "", "unexpected \"+\""},
		{"AND(", "", ""},
	}
	for _, tt := range tests {
		got, err := formulaToSOQL(tt.formula)
		switch {
		case tt.formula == "AND(":
			if err == nil {
				t.Errorf("%q: want an error", tt.formula)
			}
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.formula, err, tt.err)
			}
		case err != nil || got != tt.want:
			t.Errorf("%q = %q, %v; want %q", tt.formula, got, err, tt.want)
		}
	}
}

// FuzzReadFile feeds any bytes to every metadata type's reader: errors, never
// a panic or unbounded work.
func FuzzReadFile(f *testing.F) {
	for _, seed := range []string{
		"<Profile " + ns + "><loginIpRanges><startAddress>1.2.3.4</startAddress><endAddress>1.2.3.5</endAddress></loginIpRanges></Profile>",
		"<Workflow " + ns + "><rules><fullName>R</fullName><formula>AND(a, b)</formula><triggerType>onAllChanges</triggerType></rules></Workflow>",
		"<Flow " + ns + "><start><object>Account</object><filters><field>F</field><operator>EqualTo</operator><value><stringValue>x</stringValue></value></filters></start></Flow>",
		"<ConnectedApp " + ns + "><oauthConfig><scopes>Api</scopes><certificate>AAAA</certificate></oauthConfig></ConnectedApp>",
		"<!DOCTYPE x [<!ENTITY a \"b\">]><Profile " + ns + "/>",
	} {
		for i := range kinds {
			f.Add(uint8(i), []byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, k uint8, data []byte) {
		kd := &kinds[int(k)%len(kinds)]
		rd := newReader()
		root, err := parseXML("fuzz"+kd.suffix, data)
		if err != nil {
			return
		}
		file := &file{path: "fuzz" + kd.suffix, name: "Account", root: root, k: kd, content: data}
		_ = kd.read(rd, file)
		_ = rd.assemble()
	})
}
