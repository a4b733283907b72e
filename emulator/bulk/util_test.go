package bulk

import (
	"testing"

	"github.com/sfemu/sfemu/emulator/org"
)

var dmlOpts = org.DMLOptions{}

func mustID(t testing.TB, s string) org.ID {
	t.Helper()
	id, err := org.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
