package wire

// Changes counts what has changed in an emulator since it started, by what
// a page shows, so a watcher (the console's live updates) compares two
// snapshots to know which tables to read again. Each counter only grows; a
// reset or new fixtures bump them all.
type Changes struct {
	Logins   uint64 `json:"logins"`   // token requests and Login History
	Requests uint64 `json:"requests"` // the API request journal (fault hits too)
	Outbound uint64 `json:"outbound"` // the delivery queue and journal
	Clock    uint64 `json:"clock"`    // the virtual clock moved
	Faults   uint64 `json:"faults"`   // API or outbound faults added or cleared
	Orgs     uint64 `json:"orgs"`     // a reset, or new fixtures
}
