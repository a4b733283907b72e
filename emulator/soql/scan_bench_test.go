package soql

import (
	"testing"

	"github.com/sfemu/sfemu/emulator/org"
)

// BenchmarkDataScan100k is the cost of org.Data.Scan alone, the floor every
// full-scan query stands on.
func BenchmarkDataScan100k(b *testing.B) {
	env, _ := benchEnv(b)
	acct := env.Schema.Object("Account")
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		env.Data.Scan(acct, false, func(*org.Record) bool { n++; return true })
		if n != benchAccounts {
			b.Fatal(n)
		}
	}
	report(b, benchAccounts)
}
