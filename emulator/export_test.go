package emulator

import "github.com/sfemu/sfemu/emulator/org"

// Store exposes the org store to this package's own black-box tests, which
// set up sessions and read records directly; nothing outside the package's
// tests can reach it.
func (e *Emulator) Store() *org.Store { return e.store() }
