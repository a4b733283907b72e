// Package buildinfo names the build an sfemu binary comes from, for
// `sfemu version`, the serve banner, and the check that sfemu and the
// sfemu-harness it runs were built together.
package buildinfo

import "runtime/debug"

// CallerEnv is the variable through which sfemu passes its Stamp to the
// sfemu-harness it starts, which warns when its own differs.
const CallerEnv = "SFEMU_HARNESS_CALLER"

// Version is the module version the binary was built from, or "devel".
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// Stamp identifies the build: the module version, and for a build from a
// checkout its commit (with "+dirty" for uncommitted changes). It is ""
// when the build says neither (go run, -buildvcs=false), so two binaries
// can be compared only when both have one.
func Stamp() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	v := bi.Main.Version
	if v == "(devel)" {
		v = ""
	}
	if rev == "" {
		return v
	}
	return v + " " + rev + dirty
}
