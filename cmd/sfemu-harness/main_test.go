package main

import (
	"strings"
	"testing"
)

func TestCallerWarning(t *testing.T) {
	for _, tc := range []struct {
		name, caller, own string
		warn              bool
	}{
		{"the same build", "v1.2.0 abc", "v1.2.0 abc", false},
		{"another commit", "v1.2.0 abc", "v1.2.0 def", true},
		{"another version", "v1.1.0", "v1.2.0", true},
		{"sfemu built by go run says nothing", "", "v1.2.0 abc", false},
		{"this harness built by go run says nothing", "v1.2.0 abc", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := callerWarning(tc.caller, tc.own)
			if (w != "") != tc.warn {
				t.Fatalf("callerWarning(%q, %q) = %q, want a warning: %v", tc.caller, tc.own, w, tc.warn)
			}
			if tc.warn && (!strings.Contains(w, tc.caller) || !strings.Contains(w, "make build")) {
				t.Errorf("the warning does not name the caller's build and the fix: %q", w)
			}
		})
	}
}
