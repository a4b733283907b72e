package metadata

import (
	"fmt"
	"testing"
)

// BenchmarkReadProject reads a generated SFDX project of 1,000 files
// (profiles with Login IP Ranges and field permissions, custom fields, a
// workflow per object): files per second is what a start with --metadata
// costs.
func BenchmarkReadProject(b *testing.B) {
	files := map[string]string{}
	for i := range 200 {
		files[fmt.Sprintf("force-app/main/default/profiles/P%03d.profile-meta.xml", i)] = fmt.Sprintf(`<Profile %s>
  <loginIpRanges><endAddress>10.0.%d.255</endAddress><startAddress>10.0.%d.0</startAddress></loginIpRanges>
  <fieldPermissions><editable>true</editable><field>Obj%03d__c.F0__c</field><readable>true</readable></fieldPermissions>
  <userPermissions><enabled>true</enabled><name>ApiEnabled</name></userPermissions>
</Profile>`, ns, i%256, i%256, i%40)
	}
	for o := range 40 {
		obj := fmt.Sprintf("Obj%03d__c", o)
		files["force-app/main/default/objects/"+obj+"/"+obj+".object-meta.xml"] = `<CustomObject ` + ns + `><label>` + obj + `</label><pluralLabel>` + obj + `s</pluralLabel></CustomObject>`
		for f := range 19 {
			files[fmt.Sprintf("force-app/main/default/objects/%s/fields/F%d__c.field-meta.xml", obj, f)] = fmt.Sprintf(
				`<CustomField %s><fullName>F%d__c</fullName><label>F%d</label><length>80</length><type>Text</type></CustomField>`, ns, f, f)
		}
		files["force-app/main/default/workflows/"+obj+".workflow-meta.xml"] = fmt.Sprintf(`<Workflow %s>
  <outboundMessages><fullName>M%d</fullName><endpointUrl>https://r.example/m</endpointUrl><fields>F0__c</fields><integrationUser>u@x.example</integrationUser></outboundMessages>
  <rules><fullName>R%d</fullName><actions><name>M%d</name><type>OutboundMessage</type></actions><active>true</active>
    <criteriaItems><field>%s.F0__c</field><operation>equals</operation><value>a,b</value></criteriaItems><triggerType>onAllChanges</triggerType></rules>
</Workflow>`, ns, o, o, o, obj)
	}
	dir := writeTree(b, files)
	b.ResetTimer()
	for b.Loop() {
		r, err := Read(dir)
		if err != nil {
			b.Fatal(err)
		}
		if r.Files != len(files) {
			b.Fatalf("read %d files, want %d", r.Files, len(files))
		}
	}
	b.ReportMetric(float64(len(files)*b.N)/b.Elapsed().Seconds(), "files/s")
}
