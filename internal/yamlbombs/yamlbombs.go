// Package yamlbombs writes the hostile YAML that tests feed sfemu's
// readers (fixtures, scenarios' org patches): small documents that cost
// gigabytes or exponential time once expanded, had nothing checked them
// (internal/safeyaml does). For tests only.
package yamlbombs

import (
	"fmt"
	"strings"
)

// LaughRecords is a billion-laughs bomb as a YAML list of records, each
// line starting with indent: nine records whose Description lists nine
// aliases of the one before, 9^9 strings once expanded. It goes under a
// "records: Account:" key.
func LaughRecords(indent string) string {
	var b strings.Builder
	b.WriteString(indent + "- {Name: a0, Description: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]}\n")
	for i := 1; i < 9; i++ {
		p := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "%s- {Name: a%d, Description: &l%d [%s]}\n", indent, i, i, strings.TrimSuffix(strings.Repeat(p+", ", 9), ", "))
	}
	return b.String()
}

// MergeChainRecords is a list of links records, each line starting with
// indent, where each record merges the one before twice (<<), doubling
// the work of every link.
func MergeChainRecords(indent string, links int) string {
	var b strings.Builder
	b.WriteString(indent + "- &m0 {Name: a0}\n")
	for i := 1; i < links; i++ {
		fmt.Fprintf(&b, "%s- &m%d {<<: [*m%d, *m%d], Description: d%d}\n", indent, i, i-1, i-1, i)
	}
	return b.String()
}
