// Package wire holds the request and response types of sfemu's control API
// (/_sfemu/…, docs/CONTROL.md) and Control, the set of operations they
// carry. It has no dependencies beyond the standard library, so the
// emulator, its control client, the container module, the harness and the
// CLI all speak one vocabulary: a field added here reaches every one of
// them, and nothing declares the same row twice.
//
// JSON names are snake_case, except Login History rows, which keep the
// LoginHistory object's field names (UserId, SourceIp, …) as Salesforce
// spells them. Durations travel as Go duration strings ("30s", "1h30m")
// in both directions (Duration).
package wire
