package emulator_test

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/wire"
)

// debianPython is the interpreter Debian's python3-zeep installs for.
const debianPython = "/usr/bin/python3"

// requireZeep skips without Debian's python3 and zeep, except under CI=true,
// where .ci/run installs them and their absence is a failure.
func requireZeep(t *testing.T) {
	t.Helper()
	if err := exec.Command(debianPython, "-c", "import zeep").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %s cannot import zeep (%v): .ci/run installs python3-zeep", debianPython, err)
		}
		t.Skipf("no zeep for %s (apt-get install python3-zeep): %v", debianPython, err)
	}
}

// TestZeepDrivesTheSOAPAPIFromItsWSDLs: a strict, widely used SOAP client
// builds itself from the Partner and Enterprise WSDLs sfemu generates and
// logs in, queries, creates and updates through them unmodified.
func TestZeepDrivesTheSOAPAPIFromItsWSDLs(t *testing.T) {
	requireZeep(t)
	fixture := `
org: {name: Acme}
profiles: [{name: Integration}]
users: [{username: sender@acme.example, profile: Integration, password: s3cret}]
records:
  Account: [{Name: Edge Communications}, {Name: Burlington Textiles}]
`
	emu, err := emulator.New(emulator.Options{Fixtures: []wire.Fixture{{Name: "acme.yaml", YAML: fixture}}})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	hs := httptest.NewServer(emu)
	defer hs.Close()
	srv := hs.URL
	for _, script := range []string{"zeep_live.py"} {
		cmd := exec.Command(debianPython, filepath.Join("soap", "testdata", script), srv, "sender@acme.example", "s3cret")
		out, err := cmd.CombinedOutput()
		t.Logf("%s", out)
		if err != nil {
			t.Fatalf("%s: %v", script, err)
		}
	}
	for _, wsdl := range []string{"partner.wsdl", "enterprise_small.wsdl"} {
		out, err := exec.Command(debianPython, filepath.Join("soap", "testdata", "zeep_check.py"), filepath.Join("soap", "testdata", wsdl)).CombinedOutput()
		if err != nil {
			t.Errorf("zeep_check %s: %v\n%s", wsdl, err, out)
		}
	}
}
